"""One forward and backward pass of a 2 -> 3 -> 1 ReLU MLP, as matrices.

The engine computes every gradient scalar by scalar; a lecture about layers
talks in matrices (dL/dW = dL/dh x^T, dL/dx = W^T dL/dh). `TwoLayerBackward`
runs a real `MLP(2, [3, 1], relu)` from src/models.py on one input, reads
every matrix a scene draws from the engine's `.data` / `.grad`, and
`check()` proves that the textbook matrix formulas (numpy) give the same
gradients (the tests call it). Scenes 3 and 4 both draw this one model.
No manim here.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from src.autograd import Value
from src.models import MLP, mse

__all__ = ["TwoLayerBackward"]


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


@dataclass
class TwoLayerBackward:
    """L = (out - target)^2 for `MLP(2, [3, 1], activation="relu", seed)`.

    Layer 1: z1 = W1 x + b1, h1 = ReLU(z1);  layer 2: out = W2 h1 + b2.
    The input is given to the model as labelled `Value`s ("x0", "x1"), so
    the engine also computes dL/dx. All arrays are numpy copies of what the
    engine holds after `loss.backward()`: matrices as (rows, cols), vectors
    as columns (n, 1).
    """

    seed: int
    inputs: tuple
    target: float
    model: MLP = field(init=False)
    x: list = field(init=False)          # the input Values
    out: Value = field(init=False)
    loss: Value = field(init=False)

    def __post_init__(self):
        self._check_inputs()
        self.model = MLP(2, [3, 1], activation="relu", seed=self.seed)
        self.x = [Value(v, f"x{i}") for i, v in enumerate(self.inputs)]
        self.out = self.model(self.x)
        self.loss = mse(self.out, self.target)
        self.loss.backward()
        self.relu_locals = self._relu_locals()

    def _check_inputs(self):
        """A lecturer's subclass of scene 3 or 4 gets one clear line for bad inputs."""
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise ValueError(f"seed must be an int, got {self.seed!r}")
        inputs = self.inputs
        if (isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__")
                or len(inputs) != 2 or not all(_is_real(v) for v in inputs)):
            raise ValueError(f"inputs must be two numbers (x1, x2), got {inputs!r}")
        if not _is_real(self.target):
            raise ValueError(f"target must be a number, got {self.target!r}")

    # ---- the engine's Values, by name ----

    @property
    def layer1(self):
        return self.model.layers[0]

    @property
    def layer2(self):
        return self.model.layers[1]

    @property
    def h1(self) -> list:
        """The hidden layer's outputs (after ReLU): the input of layer 2."""
        return list(self.model.activations[1])

    @property
    def z1(self) -> list:
        """The hidden layer's pre-activations: each ReLU's input."""
        return [h.inputs[0] for h in self.h1]

    def _relu_locals(self) -> list:
        """ReLU'(z1) as the engine's backward pass used it (its local derivatives)."""
        locals_ = {}
        for step in self.loss.backward_steps():
            if step.node.op == "relu":
                locals_[id(step.node)] = step.contributions[0].local
        return [locals_[id(h)] for h in self.h1]

    # ---- numpy views ----

    @staticmethod
    def _column(values, attr="data") -> np.ndarray:
        return np.array([[getattr(v, attr)] for v in values])

    @staticmethod
    def _weights(layer, attr="data") -> np.ndarray:
        return np.array([[getattr(w, attr) for w in n.w] for n in layer.neurons])

    def arrays(self) -> dict:
        """Every quantity the scene draws, as numpy arrays, straight from the engine."""
        return {
            "x": self._column(self.x),
            "W1": self._weights(self.layer1),
            "b1": np.array([[n.b.data] for n in self.layer1.neurons]),
            "z1": self._column(self.z1),
            "h1": self._column(self.h1),
            "W2": self._weights(self.layer2),
            "b2": np.array([[n.b.data] for n in self.layer2.neurons]),
            "out": np.array([[self.out.data]]),
            "dL/dout": np.array([[self.out.grad]]),
            "dL/dW2": self._weights(self.layer2, "grad"),
            "dL/db2": np.array([[self.layer2.neurons[0].b.grad]]),
            "dL/dh1": self._column(self.h1, "grad"),
            "relu'": np.array([[v] for v in self.relu_locals]),
            "dL/dz1": self._column(self.z1, "grad"),
            "dL/dW1": self._weights(self.layer1, "grad"),
            "dL/db1": np.array([[n.b.grad] for n in self.layer1.neurons]),
            "dL/dx": self._column(self.x, "grad"),
        }

    def largest_entry(self, name: str) -> tuple:
        """(row, column) of the entry of `arrays()[name]` largest in size
        (the first such, reading row by row): one never left at zero."""
        values = self.arrays()[name]
        cells = [(i, j) for i in range(values.shape[0]) for j in range(values.shape[1])]
        return max(cells, key=lambda ij: abs(values[ij]))

    def check(self, tol: float = 1e-9) -> dict:
        """The matrix formulas agree with the engine's scalar gradients.

        dL/dout = 2 (out - y); dL/dW2 = dL/dout h1^T; dL/dh1 = W2^T dL/dout;
        dL/dz1 = dL/dh1 * ReLU'(z1); dL/dW1 = dL/dz1 x^T; dL/dx = W1^T dL/dz1;
        dL/db = the layer's upstream gradient. Raises AssertionError if not.
        """
        a = self.arrays()
        formulas = {
            "dL/dout": 2 * (a["out"] - self.target),
            "dL/dW2": a["dL/dout"] @ a["h1"].T,
            "dL/db2": a["dL/dout"],
            "dL/dh1": a["W2"].T @ a["dL/dout"],
            "relu'": (a["z1"] > 0).astype(float),
            "dL/dz1": a["dL/dh1"] * a["relu'"],
            "dL/dW1": a["dL/dz1"] @ a["x"].T,
            "dL/db1": a["dL/dz1"],
            "dL/dx": a["W1"].T @ a["dL/dz1"],
        }
        for name, by_formula in formulas.items():
            if not np.allclose(by_formula, a[name], rtol=tol, atol=tol):
                raise AssertionError(
                    f"{name}: the matrix formula gives {by_formula.ravel()}, "
                    f"the engine computed {a[name].ravel()}")
        return a


# --------------------------------------------------------------------------
# Formula pieces
# --------------------------------------------------------------------------
