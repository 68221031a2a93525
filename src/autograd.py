"""A scalar reverse-mode automatic differentiation engine.

Every arithmetic operation on a `Value` creates a new `Value` that remembers
which operation made it (`op`) and from which operands (`inputs`). That record
is the computation graph. `backward()` walks it from the output back to the
leaves and applies the chain rule at every node:

    dL/d(input) += dL/d(node) * d(node)/d(input)
                   ^ upstream    ^ local derivative

Design notes (what differs from micrograd, and why):
- Each op names a module-level *local derivative* function instead of a
  closure. A closure captures its own output node, which makes every node a
  reference cycle that only Python's cyclic garbage collector can free; plain
  functions leave the graph acyclic, so it is freed the moment it is dropped.
  The same functions let `backward_steps()` report the backward pass as data.
- `backward()` sums the chain-rule contributions in a scratch slot first and
  only then adds the totals to `.grad`, so calling it twice adds exactly
  twice the gradients (PyTorch's accumulation semantics).
- The topological sort is iterative and follows operands in the order they
  were written, so deep graphs never hit the recursion limit and the same
  expression always yields the same order (a drawn graph never reshuffles).

Standard library only: this module knows nothing of manim or numpy.
"""

from __future__ import annotations

import math
import numbers
from contextlib import contextmanager
from typing import Callable, Iterator, NamedTuple

__all__ = [
    "Value",
    "BackwardStep",
    "Contribution",
    "no_grad",
    "is_grad_enabled",
    "numerical_grad",
]


# --------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------

def _as_float(x, what: str = "Value()") -> float:
    """Return `x` as a finite float, or say clearly why it cannot be one."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            f"{what} expects a finite real number (int or float), "
            f"got {type(x).__name__} {x!r}"
        )
    try:
        x = float(x)
    except OverflowError:
        raise ValueError(
            f"{what} expects a finite real number; {x!r:.40} is too large for a float"
        ) from None
    if not math.isfinite(x):
        raise ValueError(f"{what} expects a finite real number, got {x!r}")
    return x


def _coerce(other, symbol: str, left: bool) -> "Value":
    """Wrap a plain number as a constant leaf so it appears in the graph."""
    if type(other) is Value:
        return other
    if isinstance(other, Value):  # a subclass
        return other
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        where = f"Value {symbol} {type(other).__name__}" if left else \
            f"{type(other).__name__} {symbol} Value"
        raise TypeError(
            f"unsupported operand for {where}: {other!r}; "
            "operands must be Values or finite real numbers"
        )
    return Value(other)


def _overflow(a: float, symbol: str, b: float) -> OverflowError:
    return OverflowError(
        f"x {symbol} y overflowed: {_fmt(a)} {symbol} {_fmt(b)} is larger than "
        "the largest float"
    )


def _fmt(x: float) -> str:
    return f"{x:.6g}"


# --------------------------------------------------------------------------
# Local derivatives: f(node) -> one d(node)/d(input) per entry of node.inputs
# --------------------------------------------------------------------------

def _d_add(node):
    return (1.0, 1.0)


def _d_sub(node):
    return (1.0, -1.0)


def _d_neg(node):
    return (-1.0,)


def _d_mul(node):
    a, b = node.inputs
    return (b.data, a.data)


def _d_div(node):
    a, b = node.inputs
    # d(a/b)/db = -a/b^2, written as -(a/b)/b so a tiny b cannot underflow b*b.
    return (1.0 / b.data, -node.data / b.data)


def _d_pow_const(node):
    (x,), n = node.inputs, node._exponent
    if n == 0:
        return (0.0,)  # x**0 is constant, even at x = 0
    try:
        return (n * x.data ** (n - 1),)
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"the derivative of x ** {_fmt(n)} is infinite at x = 0"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"the derivative of x ** {_fmt(n)} overflowed at x = {_fmt(x.data)}"
        ) from None


def _d_pow(node):
    x, y = node.inputs
    try:
        d_base = y.data * x.data ** (y.data - 1.0) if y.data != 0 else 0.0
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"the derivative of x ** y with respect to x is infinite at "
            f"x = 0, y = {_fmt(y.data)}"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"the derivative of x ** y with respect to x overflowed at "
            f"x = {_fmt(x.data)}, y = {_fmt(y.data)}"
        ) from None
    if x.data > 0:
        d_exp = node.data * math.log(x.data)
    elif x.data == 0 and y.data >= 0:
        d_exp = 0.0  # x**y is identically 0 (or 1 at y = 0) near such y
    else:
        raise ValueError(
            f"the derivative of x ** y with respect to y needs log(x), "
            f"which is undefined for x = {_fmt(x.data)}; use a positive base "
            "or a plain number as the exponent"
        )
    return (d_base, d_exp)


def _d_relu(node):
    return (1.0 if node.data > 0 else 0.0,)  # relu'(0) = 0, as in PyTorch


def _d_tanh(node):
    t = node.data
    return (1.0 - t * t,)


def _d_sigmoid(node):
    s = node.data
    return (s * (1.0 - s),)


def _d_exp(node):
    return (node.data,)


def _d_log(node):
    return (1.0 / node.inputs[0].data,)


def _d_sin(node):
    return (math.cos(node.inputs[0].data),)


def _d_cos(node):
    return (-math.sin(node.inputs[0].data),)


# --------------------------------------------------------------------------
# Grad mode (no_grad)
# --------------------------------------------------------------------------

_recording = True


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return _recording


@contextmanager
def no_grad() -> Iterator[None]:
    """Operations inside this block compute values but record no graph.

    Their results are leaves (no `op`, no `inputs`), so nothing is kept alive
    for a backward pass: the same memory saving as `torch.no_grad()`.
    Not thread-aware: the switch is global to the process.
    """
    global _recording
    previous, _recording = _recording, False
    try:
        yield
    finally:
        _recording = previous


# --------------------------------------------------------------------------
# The backward pass as data
# --------------------------------------------------------------------------

class Contribution(NamedTuple):
    """One chain-rule product: `added = upstream * local` flows to `input`."""
    input: "Value"
    local: float
    added: float


class BackwardStep(NamedTuple):
    """One node as the backward pass visits it.

    `upstream` is dL/d(node), complete at the moment the node is visited
    (all of its consumers were visited before it). `contributions` lists,
    in operand order, what the node sends to each of its inputs; a leaf has
    none.
    """
    node: "Value"
    upstream: float
    contributions: tuple

    @property
    def is_leaf(self) -> bool:
        return not self.contributions


# --------------------------------------------------------------------------
# Value
# --------------------------------------------------------------------------

class Value:
    """A scalar that records how it was computed, for reverse-mode autodiff.

    >>> x, w, b = Value(2.0, "x"), Value(-1.5, "w"), Value(0.5, "b")
    >>> L = (x * w + b) ** 2
    >>> L.backward()
    >>> L.data, x.grad, w.grad, b.grad
    (6.25, 7.5, -10.0, -5.0)
    """

    __slots__ = ("data", "grad", "label", "op", "inputs",
                 "_local", "_exponent", "_adj")

    # Make numpy hand mixed arithmetic back to us (np.float64(2) * v).
    __array_ufunc__ = None

    def __init__(self, data, label: str = ""):
        self.data = _as_float(data)
        if not isinstance(label, str):
            raise TypeError(
                f"Value label must be a str, got {type(label).__name__} {label!r}"
            )
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.inputs = ()
        self._local = None
        self._exponent = None
        self._adj = 0.0

    # The single place where an operation's result is made.
    @staticmethod
    def _result(data: float, op: str, inputs: tuple, local) -> "Value":
        out = _new_value(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out._exponent = None
        out._adj = 0.0
        if _recording:
            out.op = op
            out.inputs = inputs
            out._local = local
        else:
            out.op = ""
            out.inputs = ()
            out._local = None
        return out

    # ---- arithmetic: each op is its forward formula + a local derivative ---

    def __add__(self, other):
        other = _coerce(other, "+", True)
        data = self.data + other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise _overflow(self.data, "+", other.data)
        return Value._result(data, "+", (self, other), _d_add)

    def __radd__(self, other):
        return _coerce(other, "+", False) + self

    def __sub__(self, other):
        other = _coerce(other, "-", True)
        data = self.data - other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise _overflow(self.data, "-", other.data)
        return Value._result(data, "-", (self, other), _d_sub)

    def __rsub__(self, other):
        return _coerce(other, "-", False) - self

    def __mul__(self, other):
        other = _coerce(other, "*", True)
        data = self.data * other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise _overflow(self.data, "*", other.data)
        return Value._result(data, "*", (self, other), _d_mul)

    def __rmul__(self, other):
        return _coerce(other, "*", False) * self

    def __truediv__(self, other):
        other = _coerce(other, "/", True)
        if other.data == 0:
            raise ZeroDivisionError(
                f"division by zero: {_fmt(self.data)} / 0 "
                f"(the divisor{' ' + repr(other.label) if other.label else ''} is 0)"
            )
        data = self.data / other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise _overflow(self.data, "/", other.data)
        return Value._result(data, "/", (self, other), _d_div)

    def __rtruediv__(self, other):
        return _coerce(other, "/", False) / self

    def __neg__(self):
        return Value._result(-self.data, "-", (self,), _d_neg)

    def __pos__(self):
        return self

    def __pow__(self, other):
        if isinstance(other, Value):
            data = _power(self.data, other.data)
            return Value._result(data, "**", (self, other), _d_pow)
        n = _as_float(other, "the exponent of Value ** n")
        out = Value._result(_power(self.data, n), "**", (self,), _d_pow_const)
        out._exponent = n
        return out

    def __rpow__(self, other):
        return _coerce(other, "**", False) ** self

    # ---- elementary functions ---------------------------------------------

    def relu(self):
        x = self.data
        return Value._result(x if x > 0 else 0.0, "relu", (self,), _d_relu)

    def tanh(self):
        # math.tanh saturates to +-1 instead of overflowing like exp-based forms.
        return Value._result(math.tanh(self.data), "tanh", (self,), _d_tanh)

    def sigmoid(self):
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # exp(x) cannot overflow for x < 0
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value._result(s, "sigmoid", (self,), _d_sigmoid)

    def exp(self):
        try:
            data = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp overflowed: exp({_fmt(self.data)}) is larger than the "
                "largest float (inputs above about 709.78 overflow)"
            ) from None
        return Value._result(data, "exp", (self,), _d_exp)

    def log(self):
        if self.data <= 0:
            raise ValueError(
                f"log is only defined for positive numbers, got log({_fmt(self.data)})"
            )
        return Value._result(math.log(self.data), "log", (self,), _d_log)

    def sin(self):
        return Value._result(math.sin(self.data), "sin", (self,), _d_sin)

    def cos(self):
        return Value._result(math.cos(self.data), "cos", (self,), _d_cos)

    # ---- graph ---------------------------------------------------------------

    @property
    def is_leaf(self) -> bool:
        return not self.inputs

    @property
    def exponent(self):
        """The plain-number exponent of a `x ** n` node, else None."""
        return self._exponent

    def topological_order(self) -> list:
        """Every node of this graph, each after all of its inputs.

        Deterministic: operands are explored in the order they were written.
        Iterative, so a graph of any depth works.
        """
        order = []
        seen = set()
        stack = [(self, False)]
        push, pop, append, mark = stack.append, stack.pop, order.append, seen.add
        while stack:
            node, inputs_done = pop()
            if inputs_done:
                append(node)
                continue
            if node in seen:
                continue
            mark(node)
            push((node, True))
            for inp in reversed(node.inputs):
                if inp not in seen:
                    push((inp, False))
        return order

    def _adjoints(self, order: list) -> None:
        """Fill every node's `_adj` with d(self)/d(node) by the chain rule."""
        for node in order:
            node._adj = 0.0
        self._adj = 1.0
        for node in reversed(order):
            upstream = node._adj
            if upstream - upstream:  # inf or nan: say so instead of spreading it
                raise _gradient_overflow(node, upstream)
            local = node._local
            if local is None:
                continue
            for inp, d in zip(node.inputs, local(node)):
                inp._adj += upstream * d

    def backward(self) -> None:
        """Add d(self)/d(v) to `v.grad` for every node v of the graph.

        Leaves and intermediate nodes alike. Gradients accumulate: call
        `zero_grad()` between independent backward passes, exactly as in
        PyTorch.
        """
        order = self.topological_order()
        self._adjoints(order)
        for node in order:
            node.grad += node._adj

    def backward_steps(self) -> list:
        """The backward pass as data, without changing any `.grad`.

        One `BackwardStep` per node, in the order `backward()` visits them
        (reverse topological order, starting with this node and upstream 1).
        """
        order = self.topological_order()
        self._adjoints(order)
        steps = []
        for node in reversed(order):
            upstream = node._adj
            local = node._local
            contributions = () if local is None else tuple(
                Contribution(inp, d, upstream * d)
                for inp, d in zip(node.inputs, local(node))
            )
            steps.append(BackwardStep(node, upstream, contributions))
        return steps

    def zero_grad(self) -> None:
        """Set `grad` to 0 on every node of this graph."""
        for node in self.topological_order():
            node.grad = 0.0

    def detach(self) -> "Value":
        """A new leaf with the same data and label, cut off from the graph."""
        return Value(self.data, self.label)

    # ---- conveniences --------------------------------------------------------

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        parts = [f"data={_fmt(self.data)}", f"grad={_fmt(self.grad)}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self.op:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"


_new_value = object.__new__


def _gradient_overflow(node: "Value", gradient: float) -> OverflowError:
    what = repr(node.label) if node.label else (f"the {node.op!r} node" if node.op else "a leaf")
    return OverflowError(
        f"backward overflowed: the gradient reaching {what} (data={_fmt(node.data)}) "
        f"is {gradient}, beyond the float range; rescale the expression"
    )


def _power(base: float, exponent: float) -> float:
    """base ** exponent over the reals, with clear errors."""
    if base < 0 and not exponent.is_integer():
        raise ValueError(
            f"a negative base with a non-integer exponent has no real value: "
            f"({_fmt(base)}) ** {_fmt(exponent)}"
        )
    try:
        result = base ** exponent
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"0 cannot be raised to a negative power: 0 ** {_fmt(exponent)}"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"x ** y overflowed: ({_fmt(base)}) ** {_fmt(exponent)} is larger "
            "than the largest float"
        ) from None
    if result - result:
        raise _overflow(base, "**", exponent)
    return result


# --------------------------------------------------------------------------
# Numerical gradients (central differences)
# --------------------------------------------------------------------------

def numerical_grad(f: Callable, values, eps: float = 1e-6):
    """Estimate df/dv for each v by central differences.

    `f` is called as `f(*values)` and returns a Value or a number; `values`
    is a Value or number, or a sequence of them. Each Value is nudged by
    +-eps in place (and restored). Returns one float per value, or a single
    float when `values` was a single item.

        >>> x = Value(3.0)
        >>> round(numerical_grad(lambda x: x ** 2, x), 6)
        6.0
    """
    single = isinstance(values, Value) or isinstance(values, numbers.Real)
    items = [values] if single else list(values)
    leaves = [v if isinstance(v, Value) else Value(v) for v in items]
    eps = _as_float(eps, "numerical_grad eps")
    if eps <= 0:
        raise ValueError(f"numerical_grad eps must be positive, got {eps!r}")

    def evaluate() -> float:
        with no_grad():
            out = f(*leaves)
        return float(out.data if isinstance(out, Value) else out)

    grads = []
    for leaf in leaves:
        original = leaf.data
        try:
            leaf.data = original + eps
            up = evaluate()
            leaf.data = original - eps
            down = evaluate()
        finally:
            leaf.data = original
        grads.append((up - down) / (2.0 * eps))
    return grads[0] if single else grads
