"""Gradient flow through an MLP, layer by layer, with real numbers.

What to look for
----------------
Backpropagation hands every layer the gradient of the loss with respect to
its pre-activations `z = W h + b` (call it the *upstream* gradient, dL/dz),
and the layer's weight gradient is that signal times the layer's input:

    dL/dW_k = sum over the batch of  dL/dz_k  (outer product)  h_(k-1)
    dL/dz_(k-1) = act'(z_(k-1)) * (W_k^T dL/dz_k)

Going one layer back multiplies the signal by a weight matrix and by the
activation's slope. Repeat that over many layers and the product can shrink
or grow geometrically:

* **Vanishing gradients**: with saturating activations (tanh, sigmoid) most
  units sit on a flat part of the curve, `act'` is close to 0, and the
  upstream gradient fades on its way to the input. The first layers get
  gradients orders of magnitude smaller than the last ones and barely learn.
* **Exploding gradients**: with large weights and a non-saturating
  activation (ReLU), every step back multiplies by more than 1, and all the
  gradients become huge (`||dL/dW|| >> 1`): one SGD step throws the
  weights far away. `src.theory.clipping.clip_grad_norm` is the usual remedy.
* **Dead ReLUs**: a ReLU unit whose pre-activation is <= 0 for every input
  outputs 0 everywhere, its slope is 0 everywhere, so its weights get
  exactly zero gradient and it can never come back by gradient descent.

`gradient_flow(model, inputs, targets)` runs one forward and backward pass
of a `src.models.MLP` on a batch and reports, for every layer, the size of
its weight gradient (L2 norm, mean and max of |dL/dw|), the ratio to the
previous layer's norm, the norm of its upstream gradient dL/dz, and which
ReLU units are dead on this batch:

    >>> from src.models import MLP
    >>> model = MLP(2, [8, 8, 1], activation="relu", seed=0)
    >>> report = gradient_flow(model, [[0.5, -1.0], [1.0, 0.2]], [1.0, -1.0])
    >>> [layer.name for layer in report.layers]
    ['layer 1 (2→8, relu)', 'layer 2 (8→8, relu)', 'layer 3 (8→1, linear)']
    >>> print(report.table())            # doctest: +SKIP

Side effects: the parameters' `.data` never change. Their `.grad`s are set
to 0 and then filled with this batch's gradient (exactly what
`model.zero_grad(); loss.backward()` leaves behind), so a scene can draw
them, or clip them, right after. `model.activations` holds the last input's
activations, as after any call of the model.

Standard library only.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

from src.autograd import Value, enable_grad
from src.theory.clipping import grad_norm
from src.models import MLP, hinge, mse

__all__ = ["LayerFlow", "FlowReport", "gradient_flow", "LOSSES"]

#: Loss names `gradient_flow` accepts (or pass a function).
LOSSES = {"mse": mse, "hinge": hinge}


# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerFlow:
    """The gradient reaching one layer of the MLP (layers numbered from 1).

    `weight_norm`, `mean_abs`, `max_abs`: L2 norm, mean and max of |dL/dw|
    over the layer's weights (biases not included; their norm is
    `bias_norm`). `ratio`: `weight_norm` divided by the previous (input-side)
    layer's `weight_norm`; None for layer 1 or when that norm is 0. In a
    network with vanishing gradients the ratios are > 1: each layer nearer
    the output gets more than the one before it.
    `upstream_norm`: L2 norm of dL/dz over every unit and every input of the
    batch, the signal backpropagation delivers to this layer's neurons.
    `dead_units`: indices of ReLU units that output 0 for every input of the
    batch; None for a layer without ReLU (tanh or the linear output layer).
    """

    index: int
    name: str
    nin: int
    nout: int
    activation: str
    weight_norm: float
    mean_abs: float
    max_abs: float
    bias_norm: float
    ratio: float | None
    upstream_norm: float
    dead_units: tuple | None

    @property
    def units(self) -> int:
        """Number of neurons in the layer."""
        return self.nout

    @property
    def dead(self) -> int | None:
        """How many units are dead on this batch (None: not a ReLU layer)."""
        return None if self.dead_units is None else len(self.dead_units)

    @property
    def dead_fraction(self) -> float | None:
        """`dead / units` (None: not a ReLU layer)."""
        return None if self.dead_units is None else len(self.dead_units) / self.nout


@dataclass(frozen=True)
class FlowReport:
    """What `gradient_flow` measured; `print(report)` shows `table()`.

    `layers`: one `LayerFlow` per layer, input side first. `loss`: the loss
    value on the batch; `total_norm`: L2 norm of the gradient of every
    parameter (weights and biases) as one vector, the number
    `clip_grad_norm` would compare with its threshold.
    """

    layers: tuple
    loss: float
    loss_name: str
    batch_size: int
    total_norm: float

    @property
    def weight_norms(self) -> list:
        """`weight_norm` of each layer, input side first."""
        return [layer.weight_norm for layer in self.layers]

    @property
    def dead_units(self) -> list:
        """Every dead ReLU unit on this batch, as `(layer, neuron)` pairs."""
        return [(layer.index, j) for layer in self.layers
                if layer.dead_units is not None for j in layer.dead_units]

    @property
    def relu_units(self) -> int:
        """How many units sit behind a ReLU (the ones that can die)."""
        return sum(layer.nout for layer in self.layers if layer.dead_units is not None)

    @property
    def dead_fraction(self) -> float | None:
        """Dead ReLU units over all ReLU units (None: no ReLU layer)."""
        total = self.relu_units
        return len(self.dead_units) / total if total else None

    def table(self) -> str:
        """The report as aligned plain text, one row per layer."""
        head = ["layer", "|dL/dW|", "mean|g|", "max|g|", "ratio", "|dL/dz|", "dead ReLUs"]
        rows = []
        for layer in self.layers:
            dead = "-" if layer.dead_units is None else \
                f"{layer.dead}/{layer.nout} ({layer.dead_fraction:.0%})"
            rows.append([
                layer.name, _num(layer.weight_norm), _num(layer.mean_abs),
                _num(layer.max_abs),
                "-" if layer.ratio is None else _num(layer.ratio),
                _num(layer.upstream_norm), dead,
            ])
        widths = [max(len(r[c]) for r in [head] + rows) for c in range(len(head))]

        def line(cells):
            first = cells[0].ljust(widths[0])
            rest = (cell.rjust(w) for cell, w in zip(cells[1:], widths[1:]))
            return "  ".join([first, *rest]).rstrip()

        out = [
            f"gradient flow: {self.loss_name} loss {_num(self.loss)} on a batch of "
            f"{self.batch_size}, total gradient norm {_num(self.total_norm)}",
            line(head),
            *(line(r) for r in rows),
        ]
        if self.relu_units:
            out.append(f"dead ReLUs: {len(self.dead_units)} of {self.relu_units} "
                       f"({self.dead_fraction:.0%})")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()


def _num(x: float) -> str:
    """4 significant digits; scientific notation outside [1e-3, 1e4)."""
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.4g}"
    return f"{x:.3e}"


# --------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------

def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_sequence(x) -> bool:
    return (not isinstance(x, (str, bytes)) and hasattr(x, "__len__")
            and hasattr(x, "__iter__"))


def _check_batch(model, inputs, targets) -> tuple:
    if not isinstance(model, MLP):
        raise TypeError(
            f"gradient_flow needs an MLP from src.models, got {type(model).__name__}"
        )
    if not _is_sequence(inputs):
        raise TypeError(
            "gradient_flow inputs must be a batch: a list of input vectors such "
            f"as [[0.5, -1.0], [1.0, 0.2]], got {type(inputs).__name__} {inputs!r}"
        )
    inputs = list(inputs)
    if not inputs:
        raise ValueError("gradient_flow needs a batch of at least one input, got an empty list")
    if isinstance(inputs[0], Value) or _is_number(inputs[0]):
        raise TypeError(
            "gradient_flow inputs must be a batch (a list of input vectors); got "
            f"a single vector {inputs!r:.60}; wrap it in a list: [x]"
        )
    for n, x in enumerate(inputs):
        if not _is_sequence(x):
            raise TypeError(
                f"gradient_flow input {n} must be a list of {model.nin} numbers, "
                f"got {type(x).__name__} {x!r}"
            )
        if len(x) != model.nin:
            raise ValueError(
                f"gradient_flow input {n} has {len(x)} entries but the model takes "
                f"{model.nin} features (MLP({model.nin} -> ...)): {list(x)!r:.60}"
            )
    if not _is_sequence(targets) or isinstance(targets, Value):
        raise TypeError(
            "gradient_flow targets must be a list with one target per input, got "
            f"{type(targets).__name__} {targets!r:.60}"
        )
    targets = list(targets)
    if len(targets) != len(inputs):
        raise ValueError(
            f"gradient_flow needs one target per input, got {len(inputs)} inputs "
            f"and {len(targets)} targets"
        )
    return inputs, targets


def _loss_function(loss, reduction: str) -> tuple:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(
                f"unknown loss {loss!r}; expected 'mse', 'hinge' or a function "
                "loss(scores, targets) -> Value"
            )
        if reduction not in ("mean", "sum"):
            raise ValueError(
                f"gradient_flow reduction must be 'mean' or 'sum', got {reduction!r}"
            )
        named = LOSSES[loss]
        return (lambda scores, targets: named(scores, targets, reduction=reduction)), loss
    if callable(loss):
        return loss, getattr(loss, "__name__", "custom")
    raise TypeError(
        f"gradient_flow loss must be 'mse', 'hinge' or a function, got {loss!r}"
    )


def _flatten(outputs: list, targets: list, nout: int) -> tuple:
    """Scores and targets as two flat lists, one entry per output unit."""
    if nout == 1:
        return outputs, targets
    flat_scores, flat_targets = [], []
    for n, (out, t) in enumerate(zip(outputs, targets)):
        if not _is_sequence(t) or len(t) != nout:
            raise ValueError(
                f"the model has {nout} outputs, so target {n} must be a list of "
                f"{nout} numbers, got {t!r}"
            )
        flat_scores.extend(out)
        flat_targets.extend(t)
    return flat_scores, flat_targets


# --------------------------------------------------------------------------
# The measurement
# --------------------------------------------------------------------------

def _pre_activation(h: Value, activation: str) -> Value:
    """The node z with h = act(z); h itself for a linear unit."""
    return h if activation == "linear" else h.inputs[0]


def gradient_flow(model: MLP, inputs, targets, loss: str | Callable = "mse", *,
                  reduction: str = "mean") -> FlowReport:
    """One forward and backward pass of `model` on a batch, measured per layer.

    `inputs`: a list of input vectors (each `model.nin` numbers);
    `targets`: one per input (a number, or a list of numbers if the model
    has several outputs). `loss`: "mse", "hinge" (targets +1/-1) or a
    function `loss(scores, targets) -> Value` receiving the model's outputs
    (a Value per input, or a list per input for several outputs) and the
    targets as given. `reduction`: "mean" or "sum" for the named losses.

    Leaves every parameter's `.data` unchanged; zeroes the parameters'
    `.grad` and fills them with the batch gradient. Returns a `FlowReport`.
    """
    inputs, targets = _check_batch(model, inputs, targets)
    loss_fn, loss_name = _loss_function(loss, reduction)

    outputs, batch_acts = [], []
    with enable_grad():  # the report needs the graph, even inside no_grad()
        for x in inputs:
            outputs.append(model(x))
            batch_acts.append(model.activations)  # a new list on every call
        if isinstance(loss, str):
            scores, flat_targets = _flatten(outputs, targets, model.sizes[-1])
            total = loss_fn(scores, flat_targets)
        else:
            total = loss_fn(outputs, targets)
    if not isinstance(total, Value):
        raise TypeError(
            f"the loss function must return a Value, got {type(total).__name__} {total!r}"
        )
    model.zero_grad()
    total.backward()

    layers, previous = [], None
    for k, layer in enumerate(model.layers, start=1):
        weights = [w.grad for neuron in layer.neurons for w in neuron.w]
        norm = math.hypot(*weights)
        upstream = math.hypot(*(
            _pre_activation(h, layer.activation).grad
            for acts in batch_acts for h in acts[k]
        ))
        dead = None
        if layer.activation == "relu":
            dead = tuple(j for j in range(layer.nout)
                         if all(acts[k][j].data == 0.0 for acts in batch_acts))
        layers.append(LayerFlow(
            index=k,
            name=f"layer {k} ({layer.nin}→{layer.nout}, {layer.activation})",
            nin=layer.nin,
            nout=layer.nout,
            activation=layer.activation,
            weight_norm=norm,
            mean_abs=sum(abs(g) for g in weights) / len(weights),
            max_abs=max(abs(g) for g in weights),
            bias_norm=math.hypot(*(neuron.b.grad for neuron in layer.neurons)),
            ratio=norm / previous if previous else None,
            upstream_norm=upstream,
            dead_units=dead,
        ))
        previous = norm
    return FlowReport(
        layers=tuple(layers),
        loss=total.data,
        loss_name=loss_name,
        batch_size=len(inputs),
        total_norm=grad_norm(model.parameters()),
    )
