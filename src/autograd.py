"""A scalar reverse-mode automatic differentiation engine.

Every arithmetic operation on a `Value` creates a new `Value` that remembers
which operation made it (`op`) and from which operands (`inputs`). That record
is the computation graph. `backward()` walks it from the output back to the
leaves and applies the chain rule at every node:

    dL/d(input) += dL/d(node) * d(node)/d(input)
                   ^ upstream    ^ local derivative

Design notes (what differs from micrograd, and why):
- Each operation is one entry of the table `OPERATIONS`: its forward formula
  beside its local derivatives, and how the lecture draws, codes and says
  it. A node records its entry's *local derivative* function instead of a
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
- A node is one object for Python's cyclic garbage collector: its operands
  sit in slots, not in a tuple of their own. The collector still scans every
  live container now and then, so fewer of them per node is most of why this
  engine is 14-16x micrograd (benchmarks/RESULTS.md).
- `grad(out, inputs, create_graph=True)` records the backward pass itself,
  with each local derivative written as Value operations, so a gradient can
  be differentiated again (second derivatives, Newton's method: see
  src/theory/higher_order.py). `backward()` stays a loop over plain floats.

Standard library only: this module knows nothing of manim or numpy.
"""

from __future__ import annotations

import math
import numbers
import operator
from contextlib import contextmanager
from typing import Callable, Iterator, NamedTuple

__all__ = [
    "Value",
    "BackwardStep",
    "Contribution",
    "no_grad",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "numerical_grad",
    # the operation table (see "The operations" below)
    "Operation", "OPERATIONS", "function", "operation", "operation_of",
    # for the theory modules, which check and report numbers as the engine does
    "as_real", "short_number", "overflow_error", "real_power", "power_slope",
    "power_slopes",
]


# --------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------

def as_real(x, what: str = "Value()") -> float:
    """Return `x` as a finite float, or say clearly why it cannot be one."""
    if type(x) is float and x - x == 0.0:  # the common case: a finite float
        return x
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


def overflow_error(a: float, symbol: str, b: float) -> OverflowError:
    """The error for `a symbol b` leaving the float range (forward mode raises it too)."""
    return OverflowError(
        f"x {symbol} y overflowed: {short_number(a)} {symbol} {short_number(b)} is larger than "
        "the largest float"
    )


def short_number(x: float) -> str:
    """A number as error messages show it: 6 significant digits."""
    return f"{x:.6g}"


# --------------------------------------------------------------------------
# Grad mode (no_grad)
# --------------------------------------------------------------------------

_recording = True


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return _recording


@contextmanager
def _grad_mode(recording: bool) -> Iterator[None]:
    global _recording
    previous, _recording = _recording, recording
    try:
        yield
    finally:
        _recording = previous


@contextmanager
def no_grad() -> Iterator[None]:
    """Operations inside this block compute values but record no graph.

    Their results are leaves (no `op`, no `inputs`), so nothing is kept alive
    for a backward pass: the same memory saving as `torch.no_grad()`.
    Not thread-aware: the switch is global to the process.
    """
    with _grad_mode(False):
        yield


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record operations again, even inside a `no_grad()` block.

    For code that must build a graph whatever its caller chose, such as a
    checkpoint recomputing its segment during backward (`torch.enable_grad`).
    """
    with _grad_mode(True):
        yield


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

    # The operands live in two slots (`_a`, `_b`; `_rest` holds any further
    # ones of an operation made by `_result`) rather than in a tuple: a tuple
    # is a second object for Python's cyclic garbage collector to track and
    # scan, and with it the collector took about 65% of a training step.
    # `inputs` reassembles the tuple for anyone who asks.
    __slots__ = ("data", "grad", "label", "op", "_a", "_b", "_rest",
                 "_local", "_exponent", "_adj")

    # Make numpy hand mixed arithmetic back to us (np.float64(2) * v).
    __array_ufunc__ = None

    def __init__(self, data, label: str = ""):
        self.data = as_real(data)
        if not isinstance(label, str):
            raise TypeError(
                f"Value label must be a str, got {type(label).__name__} {label!r}"
            )
        self.grad = 0.0
        self.label = label
        self.op = ""
        self._a = self._b = self._rest = None
        self._local = None
        self._exponent = None
        self._adj = 0.0

    @staticmethod
    def _result(data: float, op: str, inputs: tuple, local) -> "Value":
        """Make the node for an operation on any number of `inputs`.

        `local(node)` returns one d(node)/d(input) per input, in order.
        The built-in operations call `_node` directly; custom operations
        (src/theory/custom_ops.py) and checkpoints (src/theory/checkpoint.py) come here.

        If `local` also has a method `vjp(node, upstream)`, `backward()`
        calls that instead and adds what it returns, one number per input:
        the operation applies the chain rule itself (a checkpoint recomputes
        its segment seeded with the upstream gradient, so its gradients are
        the very products plain backward would form). If it has an attribute
        `as_values(node)`, its local derivatives as Values, `grad(...,
        create_graph=True)` differentiates through the node twice.
        """
        if not inputs:
            raise ValueError(f"the operation {op!r} needs at least one input Value")
        out = _node(data, op, inputs[0], inputs[1] if len(inputs) > 1 else None, local)
        if _recording:
            out._rest = tuple(inputs[2:])  # () for one or two inputs: see _adjoints
        return out

    # ---- arithmetic: each op is its forward formula + a local derivative ---

    def __add__(self, other):
        if type(other) is not Value:
            other = _coerce(other, "+", True)
        data = self.data + other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise overflow_error(self.data, "+", other.data)
        return _node(data, "+", self, other, _d_add)

    def __radd__(self, other):
        return _coerce(other, "+", False) + self

    def __sub__(self, other):
        if type(other) is not Value:
            other = _coerce(other, "-", True)
        data = self.data - other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise overflow_error(self.data, "-", other.data)
        return _node(data, "-", self, other, _d_sub)

    def __rsub__(self, other):
        return _coerce(other, "-", False) - self

    def __mul__(self, other):
        if type(other) is not Value:
            other = _coerce(other, "*", True)
        data = self.data * other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise overflow_error(self.data, "*", other.data)
        return _node(data, "*", self, other, _d_mul)

    def __rmul__(self, other):
        return _coerce(other, "*", False) * self

    def __truediv__(self, other):
        if type(other) is not Value:
            other = _coerce(other, "/", True)
        if other.data == 0:
            raise ZeroDivisionError(
                f"division by zero: {short_number(self.data)} / 0 "
                f"(the divisor{' ' + repr(other.label) if other.label else ''} is 0)"
            )
        data = self.data / other.data
        if data - data:  # inf - inf is nan (truthy); finite - finite is 0.0
            raise overflow_error(self.data, "/", other.data)
        return _node(data, "/", self, other, _d_div)

    def __rtruediv__(self, other):
        return _coerce(other, "/", False) / self

    def __neg__(self):
        return _node(-self.data, "-", self, None, _d_neg)

    def __pos__(self):
        return self

    def __pow__(self, other):
        if isinstance(other, Value):
            data = real_power(self.data, other.data)
            return _node(data, "**", self, other, _d_pow)
        n = as_real(other, "the exponent of Value ** n")
        out = _node(real_power(self.data, n), "**", self, None, _d_pow_const)
        out._exponent = n
        return out

    def __rpow__(self, other):
        return _coerce(other, "**", False) ** self

    def __abs__(self):  # abs(v), as torch.abs
        return self.abs()

    # The elementary functions (relu, tanh, sigmoid, exp, log, sin, cos, abs)
    # are methods too, made from their entries of OPERATIONS (below), where
    # each forward formula sits beside its local derivative.

    # ---- graph ---------------------------------------------------------------

    @property
    def inputs(self) -> tuple:
        """The operands this node was computed from, in the order written."""
        a, b = self._a, self._b
        if b is None:
            return () if a is None else (a,)
        return (a, b) if self._rest is None else (a, b, *self._rest)

    @property
    def is_leaf(self) -> bool:
        return self._a is None

    @property
    def exponent(self):
        """The plain-number exponent of a `x ** n` node, else None."""
        return self._exponent

    def topological_order(self) -> list:
        """Every node of this graph, each after all of its inputs.

        Deterministic: operands are explored in the order they were written.
        Iterative (an explicit stack instead of recursion), so a graph of any
        depth works. Each stack entry is a node and a flag: False means
        "explore its inputs", True means "its inputs are placed, place it".
        The flags live in a second list so no tuple is made per entry.
        """
        order, seen = [], set()
        nodes, inputs_done = [self], [False]
        while nodes:
            node = nodes.pop()
            if inputs_done.pop():
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            nodes.append(node)
            inputs_done.append(True)
            # Push operands last-to-first so the first one is explored first.
            if node._rest is not None:
                for inp in reversed(node._rest):
                    if inp not in seen:
                        nodes.append(inp)
                        inputs_done.append(False)
            b = node._b
            if b is not None and b not in seen:
                nodes.append(b)
                inputs_done.append(False)
            a = node._a
            if a is not None and a not in seen:
                nodes.append(a)
                inputs_done.append(False)
        return order

    def _adjoints(self, order: list, seed: float = 1.0) -> None:
        """Fill every node's `_adj` with seed * d(self)/d(node) by the chain rule."""
        for node in order:
            node._adj = 0.0
        self._adj = seed
        for node in reversed(order):
            upstream = node._adj
            if upstream - upstream:  # inf or nan: say so instead of spreading it
                raise _gradient_overflow(node, upstream)
            local = node._local
            if local is None:
                continue
            # inp._adj += upstream * d(node)/d(inp) for every operand,
            # unrolled for the built-in operations (one or two operands).
            if node._rest is None:
                if node._b is None:
                    node._a._adj += upstream * local(node)[0]
                else:
                    da, db = local(node)
                    node._a._adj += upstream * da
                    node._b._adj += upstream * db
            else:  # an operation made by _result: any operands, maybe its own step
                vjp = getattr(local, "vjp", None)
                if vjp is None:
                    for inp, d in zip(node.inputs, local(node)):
                        inp._adj += upstream * d
                else:
                    for inp, added in zip(node.inputs, vjp(node, upstream)):
                        inp._adj += added

    def backward(self, gradient: float = 1.0) -> None:
        """Add d(self)/d(v) to `v.grad` for every node v of the graph.

        Leaves and intermediate nodes alike. Gradients accumulate: call
        `zero_grad()` between independent backward passes, exactly as in
        PyTorch. `gradient` seeds the pass instead of d(self)/d(self) = 1
        (PyTorch's `backward(gradient)`): every gradient is multiplied by it,
        as if `self` fed a larger computation whose gradient reaching `self`
        is `gradient`.
        """
        gradient = as_real(gradient, "backward() gradient")
        order = self.topological_order()
        self._adjoints(order, gradient)
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
        parts = [f"data={short_number(self.data)}", f"grad={short_number(self.grad)}"]
        if self.label:
            parts.append(f"label={self.label!r}")
        if self.op:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"


_new_value = object.__new__


def _node(data: float, op: str, a: Value, b, local) -> Value:
    """The result of a one- or two-operand operation (`b` is None for one).

    Inside `no_grad()` the result is a plain leaf: nothing is remembered.
    """
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._rest = None
    out._exponent = None
    out._adj = 0.0
    if _recording:
        out.op = op
        out._a = a
        out._b = b
        out._local = local
    else:
        out.op = ""
        out._a = out._b = out._local = None
    return out


def _gradient_overflow(node: "Value", gradient: float) -> OverflowError:
    what = repr(node.label) if node.label else (f"the {node.op!r} node" if node.op else "a leaf")
    return OverflowError(
        f"backward overflowed: the gradient reaching {what} (data={short_number(node.data)}) "
        f"is {gradient}, beyond the float range; rescale the expression"
    )


def real_power(base: float, exponent: float) -> float:
    """base ** exponent over the reals, with clear errors."""
    if base < 0 and not exponent.is_integer():
        raise ValueError(
            f"a negative base with a non-integer exponent has no real value: "
            f"({short_number(base)}) ** {short_number(exponent)}"
        )
    try:
        result = base ** exponent
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"0 cannot be raised to a negative power: 0 ** {short_number(exponent)}"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"x ** y overflowed: ({short_number(base)}) ** {short_number(exponent)} is larger "
            "than the largest float"
        ) from None
    if result - result:
        raise overflow_error(base, "**", exponent)
    return result


# --------------------------------------------------------------------------
# The operations: one entry each
# --------------------------------------------------------------------------
#
# Everything about an operation is in its entry of OPERATIONS: the forward
# formula beside its local derivatives (floats for backward(), Values for
# grad(create_graph=True)), and how the lecture writes it: the symbol in a
# drawn graph, the local rule in TeX and in Python, the forward line of the
# generated code, the words the narration says. The graph drawing, the
# graph text, the explainer's parser, forward mode and the narration read
# it; tests/test_operations.py checks that every entry is drawn, spoken,
# parsed and differentiated.
#
# Why a Value form too: `backward()` multiplies plain floats, so its
# gradients are numbers and the story ends there. To differentiate a
# derivative, the backward pass itself is recorded: every chain-rule product
# `upstream * local` becomes a Value operation, and so must every local
# derivative. tanh' = 1 - tanh^2 is written with the tanh node itself, so the
# second derivative flows through it; a plain number in a Value form is a
# constant (the 1 and -1 of + and -, relu's 0 or 1).

# The operators' local derivatives: f(node) -> one d(node)/d(input) per
# input, reading the operands from the slots `_a`, `_b` (see Value). Each
# float form (`_d_*`) is followed by its Value form (`_dv_*`) where they differ.

def _d_add(node):                   # d(a + b) / da = 1, / db = 1
    return (1.0, 1.0)


def _d_sub(node):                   # d(a - b) / da = 1, / db = -1
    return (1.0, -1.0)


def _d_neg(node):                   # d(-a) / da = -1
    return (-1.0,)


def _d_mul(node):                   # d(ab) / da = b, / db = a
    return (node._b.data, node._a.data)


def _dv_mul(node):
    return (node._b, node._a)


def _d_div(node):                   # d(a/b) / da = 1/b, / db = -a/b^2
    b = node._b.data
    # -a/b^2 is written as -(a/b)/b so a tiny b cannot underflow b*b.
    return (1.0 / b, -node.data / b)


def _dv_div(node):
    b = node._b
    return (1.0 / b, -node / b)


def power_slope(x: float, n: float) -> float:
    """d(x^n)/dx = n x^(n-1) for a plain number n, with an error that says
    where it is infinite or too large (shared with forward mode)."""
    if n == 0:
        return 0.0  # x**0 is constant, even at x = 0
    try:
        return n * x ** (n - 1)
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"the derivative of x ** {short_number(n)} is infinite at x = 0"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"the derivative of x ** {short_number(n)} overflowed at x = {short_number(x)}"
        ) from None


def _d_pow_const(node):             # d(x^n) / dx = n x^(n-1), n a plain number
    return (power_slope(node._a.data, node._exponent),)


def _dv_pow_const(node):
    _d_pow_const(node)  # the same errors as the first-order derivative
    x, n = node._a, node._exponent
    return (0.0,) if n == 0 else (n * x ** (n - 1),)


def power_slopes(x: float, y: float, out: float) -> tuple:
    """(d/dx, d/dy) of out = x ** y: y x^(y-1) and x^y ln x, with errors
    that say where they are infinite or undefined (shared with forward mode)."""
    try:
        d_base = y * x ** (y - 1.0) if y != 0 else 0.0
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"the derivative of x ** y with respect to x is infinite at "
            f"x = 0, y = {short_number(y)}"
        ) from None
    except OverflowError:
        raise OverflowError(
            f"the derivative of x ** y with respect to x overflowed at "
            f"x = {short_number(x)}, y = {short_number(y)}"
        ) from None
    if x > 0:
        d_exp = out * math.log(x)
    elif x == 0 and y >= 0:
        d_exp = 0.0  # x**y is identically 0 (or 1 at y = 0) near such y
    else:
        raise ValueError(
            f"the derivative of x ** y with respect to y needs log(x), "
            f"which is undefined for x = {short_number(x)}; use a positive base "
            "or a plain number as the exponent"
        )
    return (d_base, d_exp)


def _d_pow(node):                   # d(x^y) / dx = y x^(y-1), / dy = x^y ln x
    return power_slopes(node._a.data, node._b.data, node.data)


def _dv_pow(node):
    _d_pow(node)  # raises where the first derivative is undefined
    x, y = node._a, node._b
    # d/dx = y x^(y-1) as a Value even at y = 0, where it is 0 but its
    # derivative by y is 1/x (PyTorch's masked formula gives 0 there). Only
    # at x = 0 is it a plain 0: x^(y-1) is undefined for y < 1.
    d_base = 0.0 if x.data == 0 and y.data == 0 else y * x ** (y - 1.0)
    # d/dy = x^y log x; at x = 0 (y >= 0) x^y is flat in y: a plain 0.
    d_exp = 0.0 if x.data == 0 else node * x.log()
    return (d_base, d_exp)


def _power_rule_tex(n: float) -> str:
    """d(x^n)/dx as TeX, the writer filling in {n} and {m} = n - 1."""
    return "0" if n == 0 else "1" if n == 1 else "2 {x}" if n == 2 else "{n} {x}^{{{m}}}"


def _power_rule_code(n: float) -> str:
    """d(x^n)/dx as Python, the writer filling in {n} and {m} = n - 1."""
    return "0" if n == 0 else "1" if n == 1 else "2 * {x}" if n == 2 else "{n} * {x} ** {m}"


class Operation(NamedTuple):
    """One operation of the engine: how it computes and how it is written.

    The engine computes with `forward`, `local` and `local_values`; the
    other fields are the lecture's ways of writing it. The writing fields
    are `str.format` templates (so TeX's own braces are doubled:
    `\\frac{{1}}{{{x}}}`) with these fields, filled in by whoever writes:

        {a} {b}   the operands' names ({x} is {a}, for functions)
        {out}     the name of the operation's own node
        {n} {m}   for x ** n (n a plain number): n and n - 1

    A rule may instead be a function of n returning the template (the power
    rule reads 0, 1, 2x or n x^(n-1)). A writing field left None is
    missing: tests/test_operations.py names it. (A NamedTuple rather than a
    dataclass, so a copy of this file loads on its own, as
    benchmarks/engine_vs_micrograd.py --baseline does.)
    """
    name: str                       # what Value.op records
    arity: int                      # how many Value operands
    method: str                     # the method Value (and Dual) implement: "__mul__", "tanh"
    forward: Callable               # floats -> float: the value
    local: Callable                 # node -> d(node)/d(input) per input, floats (backward)
    local_values: Callable | None = None  # node -> the same as Values (create_graph)
    tex: str | None = None          # the symbol drawn in the graph's operation node
    tex_rules: tuple | None = None  # d(node)/d(input i) in TeX, one per input
    code: str | None = None         # the forward line of generated code, right of "="
    code_rules: tuple | None = None # d(node)/d(input i) in Python, one per input
    words: str | None = None        # its name as the narration says it
    symbol: str | None = None       # the graph node's symbol in plain text (the explorer)
    # Functions of one Value (made by `function`) only:
    derivative: Callable | None = None        # f'(x) from x and y = f(x), floats
    derivative_value: Callable | None = None  # the same on Values
    tex_call: str | None = None     # f applied to {x} in a formula, if not "symbol (x)"
    parsed: bool = False            # the explainer accepts name(x)

    @property
    def is_function(self) -> bool:
        """A function of one Value, written name(x): Value.<name>() is made from it."""
        return self.derivative is not None

    def __call__(self, *operands) -> "Value":
        """Apply it: `entry(x)` is x.<name>() (also before the entry is in
        OPERATIONS), `entry(a, b)` is a <op> b."""
        if not operands or (self.is_function and len(operands) != 1):
            raise TypeError(f"the operation {self.name!r} takes "
                            f"{1 if self.is_function else self.arity} operand"
                            f"{'s' if self.arity > 1 else ''}, got {len(operands)}")
        first = operands[0]
        if not isinstance(first, Value):
            first = Value(as_real(first, f"{self.name}()"))
        if not self.is_function:
            return getattr(first, self.method)(*operands[1:])
        return _node(self.forward(first.data), self.name, first, None, self.local)


def function(name: str, forward: Callable, derivative: Callable,
             derivative_value: Callable | None = None, *, tex: str | None = None,
             tex_rule: str | None = None, code_rule: str | None = None,
             words: str | None = None, tex_call: str | None = None,
             symbol: str | None = None, parsed: bool = True) -> Operation:
    """The entry of a function of one Value, y = forward(x), y' = derivative(x, y).

    `derivative` gets the input x and the output y as floats (forward mode
    calls it too); `derivative_value` the same two as Values, and returns a
    Value, or a plain number where the derivative is piecewise constant.
    Its code is `x.name()`, its rules have the one operand {x} and {out};
    its plain-text symbol is its name unless `symbol` says otherwise.
    """
    def local(node):
        return (derivative(node._a.data, node.data),)

    local_values = None
    if derivative_value is not None:
        def local_values(node):
            return (derivative_value(node._a, node),)
        local_values.__qualname__ = f"{name}.local_values"
        local.as_values = local_values  # for grad(create_graph=True), in the table or not
    local.__qualname__ = f"{name}.local"
    return Operation(
        name, 1, name, forward, local, local_values, tex=tex,
        tex_rules=None if tex_rule is None else (tex_rule,), code=f"{{x}}.{name}()",
        code_rules=None if code_rule is None else (code_rule,), words=words,
        symbol=name if symbol is None else symbol, derivative=derivative, derivative_value=derivative_value, tex_call=tex_call,
        parsed=parsed)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # cannot overflow for x < 0
    return e / (1.0 + e)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(
            f"exp overflowed: exp({short_number(x)}) is larger than the "
            "largest float (inputs above about 709.78 overflow)"
        ) from None


def _log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log is only defined for positive numbers, got log({short_number(x)})")
    return math.log(x)


def _sign(x: float) -> float:
    """-1, 0 or 1: abs'(0) = 0, as torch.sign(0) = 0."""
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


OPERATIONS = (
    # ---- operators: Value's Python methods compute these (with their checks),
    # ---- Dual's hold their forward-mode rules
    Operation("+", 2, "__add__", operator.add, _d_add, _d_add,
              tex="+", tex_rules=("1", "1"), code="{a} + {b}", code_rules=("1", "1"),
              words="plus", symbol="+"),
    Operation("-", 2, "__sub__", operator.sub, _d_sub, _d_sub,
              tex="-", tex_rules=("1", "-1"), code="{a} - {b}", code_rules=("1", "-1"),
              words="minus", symbol="−"),
    Operation("-", 1, "__neg__", operator.neg, _d_neg, _d_neg,
              tex="-", tex_rules=("-1",), code="-{a}", code_rules=("-1",), words="minus",
              symbol="−"),
    Operation("*", 2, "__mul__", operator.mul, _d_mul, _dv_mul,
              tex=r"\times", tex_rules=("{b}", "{a}"), code="{a} * {b}",
              code_rules=("{b}", "{a}"), words="times", symbol="×"),
    Operation("/", 2, "__truediv__", operator.truediv, _d_div, _dv_div,
              tex=r"\div", tex_rules=(r"\frac{{1}}{{{b}}}", r"-\frac{{{a}}}{{{b}^2}}"),
              code="{a} / {b}", code_rules=("1 / {b}", "-{a} / {b} ** 2"), words="over",
              symbol="÷"),
    Operation("**", 1, "__pow__", real_power, _d_pow_const, _dv_pow_const,   # x ** 2
              tex=r"(\cdot)^{{{n}}}", tex_rules=(_power_rule_tex,), code="{a} ** {n}",
              code_rules=(_power_rule_code,), words="to the power",
              symbol="(·){n}"),
    Operation("**", 2, "__pow__", real_power, _d_pow, _dv_pow,               # x ** y
              tex="x^{{y}}", tex_rules=(r"{b}\,{a}^{{{b} - 1}}", r"{out} \ln {a}"),
              code="{a} ** {b}", code_rules=("{b} * {a} ** ({b} - 1)", "{out} * log({a})"),
              words="to the power", symbol="xʸ"),

    # ---- functions of one Value: y = forward(x), y' = derivative(x, y) ---------
    function("relu", lambda x: x if x > 0 else 0.0,
             derivative=lambda x, y: 1.0 if y > 0 else 0.0,         # relu'(0) = 0, as PyTorch
             derivative_value=lambda x, y: 1.0 if y.data > 0 else 0.0,   # 0 or 1: a constant
             tex=r"\mathrm{{ReLU}}", tex_rule="[{x} > 0]", code_rule="({x} > 0)",
             words="rayloo", symbol="ReLU"),          # /ɹˈeɪluː/, "RAY-loo"; espeak reads "ReLU" "ree-loo"
    function("tanh", math.tanh,        # saturates to +-1 instead of overflowing
             derivative=lambda x, y: 1.0 - y * y,
             derivative_value=lambda x, y: 1.0 - y * y,
             tex=r"\tanh", tex_rule="1 - {out}^2", code_rule="1 - {out} ** 2",
             words="tanch"),           # /tˈæntʃ/; espeak reads "tanh" "tan"
    function("sigmoid", _sigmoid,
             derivative=lambda x, y: y * (1.0 - y),
             derivative_value=lambda x, y: y * (1.0 - y),
             tex=r"\sigma", tex_rule="{out}(1 - {out})", code_rule="{out} * (1 - {out})",
             words="sigmoid", symbol="σ"),
    function("exp", _exp,
             derivative=lambda x, y: y,
             derivative_value=lambda x, y: y,
             tex=r"\exp", tex_rule="{out}", code_rule="{out}", words="exp"),
    function("log", _log,
             derivative=lambda x, y: 1.0 / x,
             derivative_value=lambda x, y: 1.0 / x,
             tex=r"\log", tex_rule=r"\frac{{1}}{{{x}}}", code_rule="1 / {x}", words="log"),
    function("sin", math.sin,
             derivative=lambda x, y: math.cos(x),
             derivative_value=lambda x, y: x.cos(),
             tex=r"\sin", tex_rule=r"\cos {x}", code_rule="cos({x})", words="sine"),
    function("cos", math.cos,
             derivative=lambda x, y: -math.sin(x),
             derivative_value=lambda x, y: -x.sin(),
             tex=r"\cos", tex_rule=r"-\sin {x}", code_rule="-sin({x})", words="cosine"),
    function("abs", abs,
             derivative=lambda x, y: _sign(x),
             derivative_value=lambda x, y: _sign(x.data),           # -1, 0 or 1: a constant
             tex=r"|\cdot|", tex_call=r"\left|{x}\right|",
             tex_rule=r"\operatorname{{sign}}({x})", code_rule="sign({x})",
             words="absolute value", symbol="|·|"),
)

_BY_KEY = {(op.name, op.arity): op for op in OPERATIONS}


def operation(name: str, arity: int = 1) -> Operation | None:
    """The entry called `name` with `arity` operands, or None."""
    return _BY_KEY.get((name, arity))


def operation_of(node: "Value") -> Operation | None:
    """The entry of the operation that made `node`: None for a leaf or for
    an operation of its own (src/theory/custom_ops.py, checkpoint.py)."""
    return _BY_KEY.get((node.op, len(node.inputs)))


def _function_method(op: Operation):
    forward, name, local = op.forward, op.name, op.local

    def method(self):
        return _node(forward(self.data), name, self, None, local)

    method.__name__ = op.method
    method.__qualname__ = f"Value.{op.method}"
    rule = op.code_rules[0].format(x="x", a="x", out="y") if op.code_rules else "?"
    method.__doc__ = (f"y = {name}(x) as a new node; its local derivative dy/dx = {rule} "
                      "(its entry of OPERATIONS).")
    return method


for _op in OPERATIONS:
    if _op.is_function:
        setattr(Value, _op.method, _function_method(_op))
    # grad(create_graph=True) asks a node's local derivative for its Value
    # form, as backward() asks it for `vjp`: each entry's `local` carries it.
    if _op.local_values is not None:
        _op.local.as_values = _op.local_values


def grad(output: Value, inputs, create_graph: bool = False):
    """d(output)/d(x) for each x in `inputs`, returned as Values.

    The functional twin of `backward()` (PyTorch: `torch.autograd.grad`):
    no `.grad` is touched, and the gradients come back as a list (or one
    Value when `inputs` is a single Value). An input the output does not
    depend on gets 0.

    With `create_graph=True` the backward pass is recorded like any other
    computation, so each gradient is itself a Value with a graph and can be
    differentiated again: second derivatives, mixed partials,
    Hessian-vector products (see src/theory/higher_order.py).

        >>> x = Value(3.0)
        >>> dx = grad(x ** 3, x, create_graph=True)    # 3x^2 = 27
        >>> grad(dx, x).data                           # 6x = 18
        18.0

    With `create_graph=False` the numbers are exactly those `backward()`
    adds to `.grad` (same products, same order).
    """
    if not isinstance(output, Value):
        raise TypeError(
            f"grad() differentiates a Value, got {type(output).__name__} {output!r}"
        )
    single = isinstance(inputs, Value)
    try:
        wrt = [inputs] if single else list(inputs)
    except TypeError:
        raise TypeError(
            f"grad() inputs must be a Value or a list of Values, got "
            f"{type(inputs).__name__} {inputs!r:.40}"
        ) from None
    for i, x in enumerate(wrt):
        if not isinstance(x, Value):
            raise TypeError(
                f"grad() inputs must be Values, got {type(x).__name__} {x!r} "
                f"at position {i}"
            )
    adjoint = {output: Value(1.0)}
    with _grad_mode(bool(create_graph)):
        for node in reversed(output.topological_order()):
            upstream = adjoint.get(node)
            local = node._local
            if upstream is None or local is None:
                continue
            if upstream.data - upstream.data:
                raise _gradient_overflow(node, upstream.data)
            if create_graph:
                local = getattr(local, "as_values", None)
                if local is None:
                    raise ValueError(
                        f"create_graph=True cannot differentiate through the "
                        f"{node.op!r} node twice: its derivative is given as plain "
                        "numbers; use grad(..., create_graph=False) or build the "
                        "operation from Value operations"
                    )
            for inp, d in zip(node.inputs, local(node)):
                try:
                    contribution = upstream * d
                    before = adjoint.get(inp)
                    adjoint[inp] = contribution if before is None else before + contribution
                except OverflowError:  # as backward() says it, not as a forward op
                    raise _gradient_overflow(inp, math.inf) from None
    grads = [adjoint[x] if x in adjoint else Value(0.0) for x in wrt]
    return grads[0] if single else grads


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
    eps = as_real(eps, "numerical_grad eps")
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
