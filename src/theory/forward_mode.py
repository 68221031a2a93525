"""Forward-mode automatic differentiation with dual numbers.

Reverse mode (`src.autograd.Value`) first runs the whole computation while
recording a graph, then walks that graph backwards from the output. Forward
mode needs no graph at all: every number carries its derivative *with* it,
and both are updated together, operation by operation, in the same order the
program runs.

A dual number is a pair (primal, tangent), written (u, u') below:

- the primal u is the ordinary value;
- the tangent u' is du/dt, how fast u changes when the inputs move along one
  chosen direction t. Pick the direction "x_i grows, all other inputs stay
  put" by giving input i the tangent 1 and every other input 0 (seeding);
  then every tangent in the program is a derivative with respect to x_i.

Each operation knows how tangents combine -- the chain rule applied one step
at a time, forwards:

    (u, u') + (v, v') = (u + v,  u' + v')
    (u, u') * (v, v') = (u * v,  u' * v + u * v')
    g((u, u'))        = (g(u),   g'(u) * u')        for tanh, exp, sin, ...

The g' of every function is the one in the engine's operation table
(`src.autograd.OPERATIONS`), the same number reverse mode multiplies by.

An algebraic way to see it: write a dual as u + u' * eps with eps * eps = 0.
Taylor's theorem then gives g(u + u' eps) = g(u) + g'(u) u' eps exactly, so
the eps-part of any result is its derivative.

The trade-off with reverse mode, in one sentence each:

- one forward-mode pass gives the derivative of *every output* with respect
  to *one input direction*: a function of n inputs needs n passes for its
  full gradient (`forward_gradient`);
- one reverse-mode pass gives the derivative of *one output* with respect to
  *every input*: a function of m outputs needs m backward passes for all of
  its derivatives, and the graph of the whole computation must be kept in
  memory until backward has run.

So forward mode suits few inputs and many outputs (`output_derivatives`),
reverse mode many inputs and few outputs -- the usual case in machine
learning, where one loss depends on millions of parameters.
`benchmarks/forward_vs_reverse.py` measures where the two cross over.

The same Python function runs in either mode, because `Dual` and `Value`
offer the same operations (duck typing):

    >>> f = lambda x, y: (x * y + x.tanh()) ** 2
    >>> round(derivative(f, [1.0, 2.0], wrt=0), 6)      # one pass: df/dx
    13.365974
    >>> [round(g, 6) for g in forward_gradient(f, [1.0, 2.0])]   # two passes
    [13.365974, 5.523188]
    >>> x, y = Value(1.0), Value(2.0)                   # reverse mode:
    >>> f(x, y).backward()                              # one pass back
    >>> round(x.grad, 6), round(y.grad, 6)
    (13.365974, 5.523188)

Errors match `Value`'s: the same bad input (log of 0, a division by 0, a
negative base with a fractional exponent, an overflow) raises the same
exception with the same message. A derivative that `Value` would only fail
to compute during `backward()` (say d/dx of x ** 0.5 at x = 0) fails here
at once, because here the derivative is computed with the value.

Standard library only, like the rest of the engine.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable

from src.autograd import (
    OPERATIONS, Value, as_real, overflow_error, power_slope, power_slopes, real_power,
    short_number,
)

__all__ = [
    "Dual",
    "derivative",
    "jvp",
    "forward_gradient",
    "output_derivatives",
]


# --------------------------------------------------------------------------
# Helpers: making results and checking operands
# --------------------------------------------------------------------------

_new_dual = object.__new__


def _result(primal: float, tangent: float, what: str) -> "Dual":
    """The Dual (primal, tangent) made by operation `what`, tangent checked.

    The primal has already been checked by the operation (the same checks as
    `Value`'s forward pass). The tangent is a sum of products of finite
    numbers, so it can only go wrong by overflowing (inf, or nan from
    inf - inf); say so instead of letting inf or nan spread silently.
    """
    if tangent - tangent:  # inf or nan; 0.0 for every finite number
        raise OverflowError(
            f"forward mode overflowed: the tangent (derivative) of {what} at "
            f"value {short_number(primal)} is {tangent}, beyond the float range; "
            "rescale the expression or the seed tangents"
        )
    out = _new_dual(Dual)
    out.primal = primal
    out.tangent = tangent
    return out


def _lift(other, symbol: str, left: bool) -> "Dual":
    """A plain number becomes a constant: a Dual with tangent 0."""
    if isinstance(other, Dual):
        return other
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        where = (f"Dual {symbol} {type(other).__name__}" if left
                 else f"{type(other).__name__} {symbol} Dual")
        hint = ""
        if isinstance(other, Value):
            hint = ("; a Value and a Dual cannot be mixed: run the whole "
                    "function on Values (reverse mode) or on Duals (forward mode)")
        raise TypeError(
            f"unsupported operand for {where}: {other!r}; "
            f"operands must be Duals or finite real numbers{hint}"
        )
    return Dual(other)


# --------------------------------------------------------------------------
# Dual
# --------------------------------------------------------------------------

class Dual:
    """A number together with its derivative along one direction: (primal, tangent).

    `Dual(3.0, 1.0)` is "x = 3, and x is the input we differentiate by";
    `Dual(3.0)` (tangent 0) is a constant. Arithmetic with plain numbers
    treats them as constants. Every operation returns a new Dual whose
    tangent follows the chain rule, so at the end the output's tangent is
    the derivative of the output along the seeded direction:

    >>> x = Dual(3.0, 1.0)
    >>> y = x * x + 2 * x          # y = x^2 + 2x, dy/dx = 2x + 2
    >>> y.primal, y.tangent
    (15.0, 8.0)

    Nothing is recorded: a Dual holds two floats and no references, so the
    intermediate results of a computation are freed as soon as they are used.
    """

    __slots__ = ("primal", "tangent")

    # Make numpy hand mixed arithmetic back to us (np.float64(2) * d).
    __array_ufunc__ = None

    def __init__(self, primal, tangent=0.0):
        self.primal = as_real(primal, "Dual()")
        self.tangent = as_real(tangent, "Dual() tangent")

    @property
    def data(self) -> float:
        """The primal value, under the name `Value` uses (read-only)."""
        return self.primal

    # ---- + - * / : the rules for sums and products ---------------------------

    def __add__(self, other):
        """(u, u') + (v, v') = (u + v, u' + v')."""
        if type(other) is not Dual:
            other = _lift(other, "+", True)
        p = self.primal + other.primal
        if p - p:
            raise overflow_error(self.primal, "+", other.primal)
        return _result(p, self.tangent + other.tangent, "x + y")

    def __radd__(self, other):
        return _lift(other, "+", False) + self

    def __sub__(self, other):
        """(u, u') - (v, v') = (u - v, u' - v')."""
        if type(other) is not Dual:
            other = _lift(other, "-", True)
        p = self.primal - other.primal
        if p - p:
            raise overflow_error(self.primal, "-", other.primal)
        return _result(p, self.tangent - other.tangent, "x - y")

    def __rsub__(self, other):
        return _lift(other, "-", False) - self

    def __mul__(self, other):
        """(u, u') * (v, v') = (u v, u' v + u v'): the product rule."""
        if type(other) is not Dual:
            other = _lift(other, "*", True)
        u, v = self.primal, other.primal
        p = u * v
        if p - p:
            raise overflow_error(u, "*", v)
        return _result(p, self.tangent * v + u * other.tangent, "x * y")

    def __rmul__(self, other):
        return _lift(other, "*", False) * self

    def __truediv__(self, other):
        """(u, u') / (v, v') = (u/v, u' * (1/v) + v' * (-(u/v)/v)): the quotient rule."""
        if type(other) is not Dual:
            other = _lift(other, "/", True)
        u, v = self.primal, other.primal
        if v == 0:
            raise ZeroDivisionError(
                f"division by zero: {short_number(u)} / 0 (the divisor is 0)"
            )
        q = u / v
        if q - q:
            raise overflow_error(u, "/", v)
        # The same two local derivatives as Value: 1/v and -(u/v)/v (the
        # latter instead of -u/v^2, so a tiny v cannot underflow v*v).
        return _result(q, self.tangent * (1.0 / v) + other.tangent * (-q / v), "x / y")

    def __rtruediv__(self, other):
        return _lift(other, "/", False) / self

    def __neg__(self):
        """-(u, u') = (-u, -u')."""
        return _result(-self.primal, -self.tangent, "-x")

    def __pos__(self):
        return self

    # ---- powers --------------------------------------------------------------

    def __pow__(self, other):
        """x ** n for a plain number n, or x ** y for a Dual y.

        Constant exponent:  (u, u') ** n = (u^n, n u^(n-1) u').
        Dual exponent: both rules at once,
            (u, u') ** (v, v') = (u^v, v u^(v-1) u' + u^v ln(u) v'),
        which needs ln(u), so a Dual exponent requires a positive base
        (or base 0 with exponent >= 0, where u^v is flat in v).
        """
        if isinstance(other, Dual):
            return _pow_dual(self, other)
        if isinstance(other, Value):
            _lift(other, "**", True)  # raises the mixing error
        n = as_real(other, "the exponent of Dual ** n")
        u = self.primal
        p = real_power(u, n)
        local = power_slope(u, n)
        return _result(p, self.tangent * local, f"x ** {short_number(n)}")

    def __rpow__(self, other):
        return _lift(other, "**", False) ** self

    # ---- elementary functions: (g(u), g'(u) * u') ----------------------------
    # relu, tanh, sigmoid, exp, log, sin, cos, abs: made from the engine's
    # operation table below (`_function_rule`), each from its forward formula
    # and derivative, so a function added to the table is here too; a rule
    # written out in this class would take precedence.

    def __abs__(self):  # abs(d), as for a Value
        return self.abs()

    # ---- conveniences ----------------------------------------------------------

    # No __float__ on purpose: math.sin(x) on a Dual would quietly return a
    # float and drop the derivative. Without it, Python refuses: use x.sin().

    def __repr__(self) -> str:
        return f"Dual(primal={short_number(self.primal)}, tangent={short_number(self.tangent)})"


def _function_rule(op):
    """Dual.<name>() for a function of the operation table: (g(u), g'(u) u').

    The value and its errors are the engine's own (`op.forward`), and so is
    the derivative (`op.derivative`, from u and g(u)): a derivative Value
    could only fail to compute during backward fails here at once.
    """
    forward, slope, what = op.forward, op.derivative, f"{op.name}(x)"

    def rule(self):
        u = self.primal
        y = forward(u)
        return _result(y, self.tangent * slope(u, y), what)

    rule.__name__ = op.method
    rule.__qualname__ = f"Dual.{op.method}"
    slope_text = op.code_rules[0].format(x="u", a="u", out="g(u)") if op.code_rules else "?"
    rule.__doc__ = f"{op.name}(u) with tangent {op.name}'(u) u' = ({slope_text}) u'."
    return rule


for _op in OPERATIONS:
    if _op.is_function and _op.method not in Dual.__dict__:
        setattr(Dual, _op.method, _function_rule(_op))


def _pow_dual(x: Dual, y: Dual) -> Dual:
    """(u, u') ** (v, v'), with Value's checks and messages for x ** y."""
    u, v = x.primal, y.primal
    p = real_power(u, v)
    d_base, d_exp = power_slopes(u, v, p)
    return _result(p, x.tangent * d_base + y.tangent * d_exp, "x ** y")


# --------------------------------------------------------------------------
# Running a function in forward mode
# --------------------------------------------------------------------------

def _inputs(values, who: str) -> tuple:
    """(list of floats, was it a single number?) from a number or a sequence of numbers."""
    if isinstance(values, (Dual, Value)) or isinstance(values, numbers.Real):
        single, items = True, [values]
    else:
        try:
            items = list(values)
        except TypeError:
            raise TypeError(
                f"{who} expects the input values as a number or a sequence of "
                f"numbers, got {type(values).__name__} {values!r}"
            ) from None
        single = False
    floats = []
    for i, v in enumerate(items):
        if isinstance(v, (Dual, Value)):
            raise TypeError(
                f"{who}: input {i} is a {type(v).__name__}; pass plain numbers "
                "(the function itself receives Duals)"
            )
        floats.append(as_real(v, f"{who}: input {i}"))
    return floats, single


def _run(f: Callable, primals: list, tangents: list, who: str):
    """Call f on Duals (primal_i, tangent_i); return f's raw output."""
    if not callable(f):
        raise TypeError(f"{who} expects a function as f, got {type(f).__name__} {f!r}")
    duals = []
    for p, t in zip(primals, tangents):
        d = _new_dual(Dual)
        d.primal = p
        d.tangent = t
        duals.append(d)
    return f(*duals)


def _split(out, who: str, index=None) -> tuple:
    """(primal, tangent) of one output of f: a Dual, or a number (a constant)."""
    if isinstance(out, Dual):
        return out.primal, out.tangent
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return as_real(out, f"{who}: the output of f"), 0.0
    where = "f returned" if index is None else f"output {index} of f is"
    hint = ""
    if isinstance(out, Value):
        hint = " (f must not build Values: in forward mode every operation runs on Duals)"
    elif isinstance(out, (list, tuple)) and index is None:
        hint = " (for a function with several outputs use output_derivatives or jvp)"
    raise TypeError(
        f"{who}: {where} {type(out).__name__} {out!r:.80}; expected a Dual "
        f"or a plain number{hint}"
    )


def derivative(f: Callable, values, wrt: int = 0) -> float:
    """df/dx_wrt at `values`, in ONE forward pass.

    `f` is called as `f(*duals)`; input `wrt` gets tangent 1 (the seed), all
    the others tangent 0, so the tangent of the output is exactly the
    partial derivative with respect to input `wrt`. `values` is a number or
    a sequence of numbers.

        >>> derivative(lambda x, y: x * y + y, [3.0, 4.0], wrt=1)   # x + 1
        4.0
    """
    primals, _ = _inputs(values, "derivative")
    if isinstance(wrt, bool) or not isinstance(wrt, numbers.Integral):
        raise TypeError(
            f"derivative: wrt must be the index of an input (an int), "
            f"got {type(wrt).__name__} {wrt!r}"
        )
    n = len(primals)
    if not 0 <= wrt < n:
        raise IndexError(
            f"derivative: wrt={wrt} is out of range for {n} input"
            f"{'' if n == 1 else 's'}; use 0 to {n - 1}" if n else
            "derivative: f has no inputs to differentiate by"
        )
    tangents = [0.0] * n
    tangents[wrt] = 1.0
    out = _run(f, primals, tangents, "derivative")
    return _split(out, "derivative")[1]


def jvp(f: Callable, values, tangents):
    """(f(values), J @ tangents): the value and the directional derivative.

    The Jacobian-vector product: one forward pass along the direction
    `tangents` (one number per input) gives sum_i (df/dx_i) * tangent_i
    without ever forming the Jacobian. `derivative` is the special case of
    a one-hot direction. If f returns a list or tuple of outputs, the
    result is (list of values, list of directional derivatives), still in
    one pass.

        >>> jvp(lambda x, y: x * y, [3.0, 4.0], [1.0, 1.0])   # y + x
        (12.0, 7.0)
    """
    primals, single = _inputs(values, "jvp")
    seeds, single_t = _inputs(tangents, "jvp tangents")
    if single != single_t:
        raise ValueError(
            "jvp: give values and tangents the same shape: both single numbers, "
            f"or both lists (values is {'a single number' if single else 'a list'}, "
            f"tangents {'a single number' if single_t else 'a list'}): one tangent per input"
        )
    if len(seeds) != len(primals):
        raise ValueError(
            f"jvp got {len(seeds)} tangent{'' if len(seeds) == 1 else 's'} for "
            f"{len(primals)} input{'' if len(primals) == 1 else 's'}; "
            "give exactly one tangent per input value"
        )
    out = _run(f, primals, seeds, "jvp")
    if isinstance(out, (list, tuple)):
        pairs = [_split(o, "jvp", k) for k, o in enumerate(out)]
        return [p for p, _ in pairs], [t for _, t in pairs]
    return _split(out, "jvp")


def forward_gradient(f: Callable, values):
    """The full gradient of a scalar function by forward mode: n passes for n inputs.

    Pass i seeds input i and reads df/dx_i off the output. That is the cost
    forward mode pays for many inputs; reverse mode (`Value.backward()`)
    gets the same list from one forward and one backward pass. Returns one
    float per input, or a single float when `values` was a single number
    (like `numerical_grad`).

        >>> forward_gradient(lambda x, y: x * y + y, [3.0, 4.0])
        [4.0, 4.0]
    """
    primals, single = _inputs(values, "forward_gradient")
    n = len(primals)
    grads = []
    tangents = [0.0] * n
    for i in range(n):
        tangents[i] = 1.0
        out = _run(f, primals, tangents, "forward_gradient")
        tangents[i] = 0.0
        grads.append(_split(out, "forward_gradient")[1])
    return grads[0] if single else grads


def output_derivatives(f: Callable, x) -> list:
    """[dy_1/dx, ..., dy_m/dx] for f(x) -> [y_1, ..., y_m], in ONE pass.

    The mirror image of `forward_gradient`: one input, many outputs. Seeding
    x with tangent 1 makes every output's tangent its derivative with
    respect to x, all in the same pass; reverse mode would need one backward
    pass per output. `f` takes one Dual and returns a list or tuple of
    Duals or numbers (a number is a constant: derivative 0).

        >>> output_derivatives(lambda x: [x * x, x.sin(), 3.0], 0.0)
        [0.0, 1.0, 0.0]
    """
    (p,), _ = _inputs([x], "output_derivatives")
    out = _run(f, [p], [1.0], "output_derivatives")
    if not isinstance(out, (list, tuple)):
        raise TypeError(
            f"output_derivatives: f must return a list or tuple of outputs, got "
            f"{type(out).__name__} {out!r:.80}; for a single output use derivative()"
        )
    return [_split(o, "output_derivatives", k)[1] for k, o in enumerate(out)]
