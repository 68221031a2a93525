"""Your own operation in the graph: a forward formula and its local derivative.

The engine's built-in operations are each two small pieces, the value and
the local derivative d(out)/d(input). `Function` lets you add a new one the
same way (PyTorch's `torch.autograd.Function` plays this role there):

    class Softplus(Function):
        '''log(1 + e^x), a smooth relu.'''
        def forward(self, x):
            return math.log1p(math.exp(x))
        def derivative(self, x):
            return 1 / (1 + math.exp(-x))      # d softplus / dx = sigmoid(x)

    y = Softplus()(Value(0.5))      # a node with op "Softplus"
    y.backward()                    # uses your derivative

Why bother, when you could build softplus from `exp` and `log` Values?
One node instead of three, a numerically careful formula (log1p), or a
derivative you choose on purpose (a straight-through estimator for a step
function, a clipped gradient). The price: the engine trusts your
derivative. `check()` compares it with central differences before you do.

Rules, each checked with a clear error:
- `forward(*xs)` gets plain floats and returns one finite real number.
- `derivative(*xs)` gets the same floats and returns one finite number per
  input (a bare number is fine for a one-input operation), in input order.
  It is called during backward, not when the operation runs.
"""

from __future__ import annotations

import math
import numbers

from src.autograd import Value, as_real, short_number, numerical_grad

__all__ = ["Function", "CustomOpError"]


class CustomOpError(ValueError):
    """A custom operation broke one of the rules above."""


def _short(x) -> str:
    """repr(x), cut to one readable line (a 400-digit int stays recognisable)."""
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_finite_number(x) -> bool:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return False
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float
        return False


class Function:
    """Base class for a user-defined scalar operation; see the module docstring.

    Instances may hold settings (a slope, a threshold): `LeakyRelu(0.01)(x)`.
    Calling an instance on Values or numbers returns the result Value.
    """

    #: the node's `op` label in the graph; defaults to the class name
    name: str = ""

    def forward(self, *xs: float) -> float:
        raise NotImplementedError(
            f"{type(self).__name__} must define forward(self, *xs) returning a number"
        )

    def derivative(self, *xs: float):
        raise NotImplementedError(
            f"{type(self).__name__} must define derivative(self, *xs) returning "
            "one d(out)/d(input) per input"
        )

    @property
    def op_name(self) -> str:
        return self.name or type(self).__name__

    def __call__(self, *inputs) -> Value:
        if not inputs:
            raise TypeError(f"{self.op_name} needs at least one input")
        values = tuple(
            v if isinstance(v, Value) else Value(as_real(v, f"{self.op_name} input {i}"))
            for i, v in enumerate(inputs)
        )
        out = self.forward(*(v.data for v in values))
        if not _is_finite_number(out):
            raise CustomOpError(
                f"{self.op_name}.forward returned {_short(out)} ({type(out).__name__}); "
                "it must return one finite real number"
            )
        # `self._local` references this Function, never the node: no cycle.
        return Value._result(float(out), self.op_name, values, self._local)

    def _local(self, node: Value) -> tuple:
        """The local derivatives for the engine's backward, checked."""
        xs = [inp.data for inp in node.inputs]
        local = self.derivative(*xs)
        if len(xs) == 1 and isinstance(local, numbers.Real):
            local = (local,)
        if not isinstance(local, (tuple, list)):
            raise CustomOpError(
                f"{self.op_name}.derivative returned {_short(local)} ({type(local).__name__}); "
                f"return a tuple with one number per input ({len(xs)})"
            )
        if len(local) != len(xs):
            raise CustomOpError(
                f"{self.op_name}.derivative returned {len(local)} "
                f"number{'s' if len(local) != 1 else ''} for {len(xs)} "
                f"input{'s' if len(xs) != 1 else ''}; return one d(out)/d(input) per input"
            )
        for i, d in enumerate(local):
            if not _is_finite_number(d):
                raise CustomOpError(
                    f"{self.op_name}.derivative gave {_short(d)} ({type(d).__name__}) for input {i} "
                    f"at {', '.join(short_number(x) for x in xs)}; each entry must be a finite real number"
                )
        return tuple(float(d) for d in local)

    def check(self, *points, eps: float = 1e-6, tolerance: float = 1e-6) -> list:
        """Compare `derivative` with central differences of `forward` at `points`.

        Returns the analytic derivatives; raises CustomOpError naming the input
        where they disagree by more than `tolerance` (relative to the larger
        of 1 and the derivative's size). Like `torch.autograd.gradcheck`.
        """
        xs = [Value(as_real(p, f"{self.op_name}.check point")) for p in points]
        out = self(*xs)
        analytic = list(self._local(out))
        numeric = numerical_grad(lambda *vs: self(*vs), xs, eps)
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            if abs(a - n) > tolerance * max(1.0, abs(a)):
                raise CustomOpError(
                    f"{self.op_name}.derivative disagrees with central differences for "
                    f"input {i} at {', '.join(short_number(p) for p in points)}: it says {a!r}, "
                    f"the forward formula's slope is about {n!r}"
                )
        return analytic
