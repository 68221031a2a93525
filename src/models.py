"""Small neural networks, losses and an optimizer on the scalar autograd engine.

The names mirror micrograd's `nn.py`, which itself mirrors `torch.nn` in
miniature: `Module` (with `parameters()` and `zero_grad()`), `Neuron`,
`Layer`, `MLP`, plus `SGD` and the losses `mse` and `hinge`.
Standard library only (no manim, no numpy): a scene draws these objects,
it does not compute with them.

    >>> model = MLP(2, [4, 1], activation="tanh", seed=0)
    >>> score = model([0.5, -1.0])          # one Value: the last layer has 1 output
    >>> loss = hinge([score], [1])
    >>> model.zero_grad(); loss.backward()
    >>> SGD(model.parameters(), lr=0.1).step()

Conventions
-----------
Layers are numbered from 1 (the input is "layer 0"); neurons within a layer
and weights within a neuron are numbered from 0. Weight `i` of a neuron
multiplies input `i` (or, in a later layer, the output of neuron `i` of the
layer before).

Parameter order: `parameters()` lists layer by layer, neuron by neuron, and
within a neuron its weights in input order followed by its bias:

    L1.n0.w0, L1.n0.w1, L1.n0.b, L1.n1.w0, ..., L2.n0.w0, ..., L2.n0.b

Parameter labels use exactly those strings: `"L{layer}.n{neuron}.w{i}"`
for a weight and `"L{layer}.n{neuron}.b"` for a bias. Inputs given as plain
numbers become leaf Values labelled `"x0"`, `"x1"`, ... .

Initialisation (as micrograd): weights uniform in [-1, 1] drawn from a private
`random.Random(seed)` in parameter order, biases 0. Same seed, same weights;
the global `random` state is neither used nor changed.

A neuron computes `act(w0*x0 + w1*x1 + ... + b)`, summed left to right, so a
drawn graph reads "w.x + b". The last layer of an `MLP` is linear (no
activation): it outputs raw scores for a loss to judge.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Iterable, Sequence

from src.autograd import Value

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "SGD",
    "mse",
    "hinge",
    "ACTIVATIONS",
]

#: Activation names a hidden layer accepts. "linear" means none (used for the
#: output layer of an MLP; an MLP itself only takes "tanh" or "relu").
ACTIVATIONS = ("tanh", "relu", "linear")


# --------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------

def _check_size(n, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__} {n!r}")
    if n <= 0:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


def _check_activation(activation, allowed=ACTIVATIONS) -> str:
    if activation is None:
        activation = "linear"
    if not isinstance(activation, str) or activation not in allowed:
        raise ValueError(
            f"unknown activation {activation!r}; expected one of "
            + ", ".join(repr(a) for a in allowed)
        )
    return activation


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_input(x, nin: int, who: str) -> list:
    """Check one input vector and return it as a list of Values."""
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or not hasattr(x, "__iter__"):
        raise TypeError(
            f"{who} expects one input: a list of {nin} numbers or Values, "
            f"got {type(x).__name__} {x!r}"
        )
    if len(x) != nin:
        raise ValueError(
            f"{who} expects an input of length {nin} (one number or Value per "
            f"input feature), got length {len(x)}: {list(x)!r}"
        )
    out = []
    for i, xi in enumerate(x):
        if isinstance(xi, Value):
            out.append(xi)
        elif _is_number(xi):
            out.append(Value(xi, f"x{i}"))
        else:
            raise TypeError(
                f"{who} input entry {i} must be a number or a Value, "
                f"got {type(xi).__name__} {xi!r}"
            )
    return out


# --------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------

class Module:
    """Base class: something with parameters (as `torch.nn.Module`)."""

    def parameters(self) -> list:
        """All trainable Values, in the documented fixed order."""
        return []

    def named_parameters(self) -> list:
        """`(label, Value)` pairs in the order of `parameters()`."""
        return [(p.label, p) for p in self.parameters()]

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: `activation(w . x + b)`.

    `rng` is the `random.Random` that draws the weights (an `MLP` shares one
    across all its neurons); if omitted, `random.Random(seed)` is used.
    `prefix` starts the parameter labels: "L1.n0" gives "L1.n0.w0", ...,
    "L1.n0.b"; without one they are "w0", "w1", ..., "b".
    """

    def __init__(self, nin: int, activation: str | None = "tanh", *,
                 seed: int = 0, rng: random.Random | None = None,
                 prefix: str = ""):
        self.nin = _check_size(nin, "Neuron nin (number of inputs)")
        self.activation = _check_activation(activation)
        if rng is None:
            rng = random.Random(seed)
        head = f"{prefix}." if prefix else ""
        self.w = [Value(rng.uniform(-1.0, 1.0), f"{head}w{i}")
                  for i in range(self.nin)]
        self.b = Value(0.0, f"{head}b")

    def _forward(self, x: list) -> Value:
        w = self.w
        act = w[0] * x[0]
        for i in range(1, len(w)):
            act = act + w[i] * x[i]
        act = act + self.b
        if self.activation == "tanh":
            return act.tanh()
        if self.activation == "relu":
            return act.relu()
        return act

    def __call__(self, x) -> Value:
        return self._forward(_as_input(x, self.nin, "Neuron"))

    def parameters(self) -> list:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{self.activation.capitalize()}Neuron({self.nin})"


class Layer(Module):
    """`nout` neurons that all read the same `nin` inputs.

    Calling a layer returns a single Value when `nout == 1`, else a list
    (as micrograd). `index` is the layer number used in labels ("L{index}").
    """

    def __init__(self, nin: int, nout: int, activation: str | None = "tanh", *,
                 seed: int = 0, rng: random.Random | None = None,
                 index: int = 1):
        self.nin = _check_size(nin, "Layer nin (number of inputs)")
        self.nout = _check_size(nout, "Layer nout (number of neurons)")
        self.activation = _check_activation(activation)
        if rng is None:
            rng = random.Random(seed)
        self.index = index
        self.neurons = [
            Neuron(self.nin, self.activation, rng=rng, prefix=f"L{index}.n{j}")
            for j in range(self.nout)
        ]

    def _forward(self, x: list) -> list:
        return [n._forward(x) for n in self.neurons]

    def __call__(self, x):
        out = self._forward(_as_input(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: `MLP(2, [4, 1])` is 2 -> 4 -> 1.

    Hidden layers use `activation` ("tanh" or "relu"); the last layer is
    linear. Calling the model on one input (a list of `nin` numbers or
    Values) returns a single Value if the last layer has one output, else a
    list of Values.

    After every call, `activations` holds what each layer output, the input
    first: `activations[0]` is the input as Values, `activations[k]` the
    outputs of layer k (after its activation), `activations[-1]` the scores.
    These are the saved values a backward pass needs.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "tanh",
                 seed: int = 0):
        nin = _check_size(nin, "MLP nin (number of inputs)")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Iterable):
            raise TypeError(
                "MLP nouts must be a list of layer sizes such as [4, 1], "
                f"got {type(nouts).__name__} {nouts!r}"
            )
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP nouts must list at least one layer size, e.g. [4, 1]; got []")
        nouts = [_check_size(n, f"MLP layer size nouts[{i}]") for i, n in enumerate(nouts)]
        self.activation = _check_activation(activation, ("tanh", "relu"))
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"MLP seed must be an int, got {type(seed).__name__} {seed!r}")
        self.seed = int(seed)
        self.sizes = [nin] + nouts
        self.nin = nin
        rng = random.Random(self.seed)
        last = len(nouts) - 1
        self.layers = [
            Layer(self.sizes[k], self.sizes[k + 1],
                  "linear" if k == last else self.activation,
                  rng=rng, index=k + 1)
            for k in range(len(nouts))
        ]
        self.activations: list = []

    def __call__(self, x):
        x = _as_input(x, self.nin, f"MLP({self.nin} -> ...)")
        acts = [x]
        for layer in self.layers:
            x = layer._forward(x)
            acts.append(x)
        self.activations = acts
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


# --------------------------------------------------------------------------
# Optimizer
# --------------------------------------------------------------------------

def _check_lr(lr) -> float:
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(f"SGD lr must be a positive number, got {type(lr).__name__} {lr!r}")
    lr = float(lr)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"SGD lr must be a positive finite number, got {lr!r}")
    return lr


class SGD:
    """Plain stochastic gradient descent: `p.data -= lr * p.grad`.

    `lr` may be changed between steps (a learning-rate schedule does so).
    """

    def __init__(self, parameters, lr: float = 0.1):
        params = list(parameters)
        if not params:
            raise ValueError("SGD needs at least one parameter, got none")
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"SGD parameters must be Values, entry {i} is "
                    f"{type(p).__name__} {p!r}"
                )
        self.parameters = params
        self.lr = _check_lr(lr)

    def step(self) -> None:
        """Move every parameter against its gradient."""
        lr = _check_lr(self.lr)
        for p in self.parameters:
            p.data -= lr * p.grad

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (call before `backward()`)."""
        for p in self.parameters:
            p.grad = 0.0


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------

def _pairs(predictions, targets, name: str) -> list:
    """Check a loss's two arguments and pair them up."""
    if isinstance(predictions, Value) or _is_number(predictions):
        predictions = [predictions]
    if isinstance(targets, Value) or _is_number(targets):
        targets = [targets]
    predictions, targets = list(predictions), list(targets)
    if not predictions:
        raise ValueError(f"{name} needs at least one prediction, got an empty list")
    if len(predictions) != len(targets):
        raise ValueError(
            f"{name} needs one target per prediction, got {len(predictions)} "
            f"predictions and {len(targets)} targets"
        )
    for i, p in enumerate(predictions):
        if not (isinstance(p, Value) or _is_number(p)):
            raise TypeError(
                f"{name} predictions must be Values or numbers (one score per "
                f"example), entry {i} is {type(p).__name__} {p!r}"
            )
    for i, t in enumerate(targets):
        if not (isinstance(t, Value) or _is_number(t)):
            raise TypeError(
                f"{name} targets must be numbers, entry {i} is "
                f"{type(t).__name__} {t!r}"
            )
    predictions = [p if isinstance(p, Value) else Value(p) for p in predictions]
    return list(zip(predictions, targets))


def _reduce(terms: list, reduction: str, name: str) -> Value:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total * (1.0 / len(terms))
    raise ValueError(f"{name} reduction must be 'mean' or 'sum', got {reduction!r}")


def mse(predictions, targets, reduction: str = "mean") -> Value:
    """Squared error `(prediction - target) ** 2`, averaged (or summed).

    `predictions` are Values (or numbers), `targets` numbers; a single
    prediction may be passed without a list. `reduction="sum"` gives the
    summed squared error used by the notebook's XOR example.
    """
    pairs = _pairs(predictions, targets, "mse")
    return _reduce([(p - t) ** 2 for p, t in pairs], reduction, "mse")


def hinge(predictions, labels, reduction: str = "mean") -> Value:
    """Max-margin loss: mean over examples of `relu(1 - label * score)`.

    Labels must be +1 or -1. A correctly classified example with a margin
    of at least 1 costs nothing; every other one pulls its score towards
    its label.
    """
    pairs = _pairs(predictions, labels, "hinge")
    for i, (_, y) in enumerate(pairs):
        yv = y.data if isinstance(y, Value) else y
        if yv not in (1, -1):
            raise ValueError(f"hinge labels must be +1 or -1, label {i} is {yv!r}")
    return _reduce([(1 - y * p).relu() for p, y in pairs], reduction, "hinge")
