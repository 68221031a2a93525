"""Every operation of src.autograd checked against PyTorch (float64).

Each test evaluates the same expression with the engine and with torch
(`requires_grad=True` float64 scalars) and compares the forward value and every
gradient.  Tolerance: `math.isclose(rel_tol=1e-12)`.  An `abs_tol` is used
only where a comment says why; the usual reason is that torch's float64
tanh/sigmoid/exp/sin/cos differ from Python's libm by one ulp on some inputs
(measured), which is harmless relatively but not for a result that is the
*difference* of two nearly equal numbers, such as 1 - tanh(x)^2 near saturation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from src.autograd import Value

REL = 1e-12

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def T(x: float) -> torch.Tensor:
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def tgrad(t: torch.Tensor) -> float:
    # A tensor that took no part in the graph has grad None: its gradient is 0.
    return 0.0 if t.grad is None else t.grad.item()


def assert_close(got: float, want: float, abs_tol: float = 0.0, what: str = ""):
    assert isinstance(got, float), f"{what}: {got!r} is not a float"
    assert not math.isnan(got), f"{what}: engine gave nan (torch: {want!r})"
    assert math.isclose(got, want, rel_tol=REL, abs_tol=abs_tol), \
        f"{what}: engine {got!r} != torch {want!r}"


def finite(lo: float, hi: float, **kw):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, **kw)


def nonzero(lo: float, hi: float):
    """Floats with lo <= |x| <= hi, either sign."""
    return st.one_of(finite(lo, hi), finite(-hi, -lo))


# --------------------------------------------------------------------------
# Unary operations
# --------------------------------------------------------------------------

# name -> (engine/torch expression, op name, input domain, abs_tol)
UNARY = {
    # Negation and relu are exact in IEEE arithmetic: no abs_tol at all.
    "neg": (lambda a: -a, "-", finite(-1e300, 1e300), 0.0),
    "relu": (lambda a: a.relu(), "relu",
             st.one_of(st.just(0.0), st.just(-0.0), finite(-1e6, 1e6)), 0.0),
    # 1 - t^2 and s * (1 - s) cancel catastrophically as the function
    # saturates; a one-ulp difference in t (about 1.1e-16) then moves the
    # derivative by ~2e-16 absolutely, however small the derivative is.
    "tanh": (lambda a: a.tanh(), "tanh", finite(-40.0, 40.0), 1e-12),
    "sigmoid": (lambda a: a.sigmoid(), "sigmoid", finite(-700.0, 700.0), 1e-12),
    # exp is relatively accurate everywhere on this range (no subnormals).
    "exp": (lambda a: a.exp(), "exp", finite(-700.0, 700.0), 0.0),
    "log": (lambda a: a.log(), "log",
            st.one_of(finite(1e-300, 1e300, exclude_min=False),
                      finite(0.5, 2.0)), 0.0),
    # sin/cos (and their derivatives cos/-sin) pass through zero; near a
    # zero the result is tiny while the one-ulp error of the argument
    # reduction is absolute, hence abs_tol.
    "sin": (lambda a: a.sin(), "sin", finite(-100.0, 100.0), 1e-12),
    "cos": (lambda a: a.cos(), "cos", finite(-100.0, 100.0), 1e-12),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(data=st.data())
def test_unary_op_value_and_grad_match_torch(name, data):
    f, op, domain, abs_tol = UNARY[name]
    x0 = data.draw(domain, label="x")

    x = Value(x0)
    y = f(x)
    assert y.op == op
    assert len(y.inputs) == 1 and y.inputs[0] is x
    y.backward()

    tx = T(x0)
    ty = f(tx)
    ty.backward()

    assert_close(y.data, ty.item(), abs_tol, f"{name}({x0!r}) value")
    assert_close(x.grad, tgrad(tx), abs_tol, f"d {name}/dx at {x0!r}")
    assert y.grad == 1.0


# --------------------------------------------------------------------------
# Binary operations between two Values
# --------------------------------------------------------------------------

BINARY = {
    # + - * are exact (one rounding each, identical in both engines).
    "+": (lambda a, b: a + b, finite(-1e150, 1e150), finite(-1e150, 1e150), 0.0),
    "-": (lambda a, b: a - b, finite(-1e150, 1e150), finite(-1e150, 1e150), 0.0),
    "*": (lambda a, b: a * b, finite(-1e150, 1e150), finite(-1e150, 1e150), 0.0),
    # d(a/b)/db: the engine computes -(a/b)/b, torch -a/(b*b): equal up to
    # one rounding, but they differ absolutely once the result is subnormal
    # (a can be tiny), hence a (very small) abs_tol.
    "/": (lambda a, b: a / b, finite(-1e6, 1e6), nonzero(1e-3, 1e6), 1e-300),
}


@pytest.mark.parametrize("op", sorted(BINARY))
@SETTINGS
@given(data=st.data())
def test_binary_op_value_and_grads_match_torch(op, data):
    f, dom_a, dom_b, abs_tol = BINARY[op]
    a0 = data.draw(dom_a, label="a")
    b0 = data.draw(dom_b, label="b")

    a, b = Value(a0), Value(b0)
    y = f(a, b)
    assert y.op == op
    assert y.inputs == (a, b) and y.inputs[0] is a and y.inputs[1] is b
    y.backward()

    ta, tb = T(a0), T(b0)
    ty = f(ta, tb)
    ty.backward()

    assert_close(y.data, ty.item(), abs_tol, f"{a0!r} {op} {b0!r}")
    assert_close(a.grad, tgrad(ta), abs_tol, f"d/da of a {op} b")
    assert_close(b.grad, tgrad(tb), abs_tol, f"d/db of a {op} b")


@SETTINGS
@given(a0=finite(-1e6, 1e6))
def test_same_value_on_both_sides_accumulates_like_torch(a0):
    for f in (lambda a: a * a, lambda a: a + a, lambda a: a - a, lambda a: a / (a * a + 1)):
        a = Value(a0)
        y = f(a)
        y.backward()
        ta = T(a0)
        f(ta).backward()
        assert_close(a.grad, tgrad(ta), 1e-300, f"self-use at {a0!r}")


# --------------------------------------------------------------------------
# Powers
# --------------------------------------------------------------------------

INT_EXPONENTS = [0, 1, 2, 3, 4, 5, -1, -2, -3]
FRACTIONAL_EXPONENTS = [0.5, 1.5, 2.5, -0.5, -1.5, 0.25, 3.7, 1e-3]


@SETTINGS
@given(n=st.sampled_from(INT_EXPONENTS), x0=nonzero(1e-3, 100.0),
       as_float=st.booleans())
def test_pow_integer_constant_exponent_matches_torch(n, x0, as_float):
    e = float(n) if as_float else n
    x = Value(x0)
    y = x ** e
    assert y.op == "**" and y.inputs == (x,) and y.inputs[0] is x
    assert y.exponent == float(n) and isinstance(y.exponent, float)
    y.backward()

    tx = T(x0)
    (tx ** e).backward()
    assert_close(y.data, (torch.tensor(x0, dtype=torch.float64) ** e).item(),
                 0.0, f"{x0!r} ** {e!r}")
    assert_close(x.grad, tgrad(tx), 0.0, f"d/dx {x0!r} ** {e!r}")


@SETTINGS
@given(n=st.sampled_from(FRACTIONAL_EXPONENTS), x0=finite(1e-3, 100.0))
def test_pow_fractional_constant_exponent_matches_torch(n, x0):
    x = Value(x0)
    y = x ** n
    assert y.op == "**" and y.inputs == (x,) and y.exponent == n
    y.backward()
    tx = T(x0)
    ty = tx ** n
    ty.backward()
    assert_close(y.data, ty.item(), 0.0, f"{x0!r} ** {n!r}")
    assert_close(x.grad, tgrad(tx), 0.0, f"d/dx {x0!r} ** {n!r}")


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_pow_constant_at_zero_base_matches_torch(n):
    x = Value(0.0)
    y = x ** n
    y.backward()
    tx = T(0.0)
    ty = tx ** n
    ty.backward()
    assert y.data == ty.item()
    assert x.grad == tgrad(tx)  # 0**0: d/dx = 0; x**1: 1; higher: 0


@SETTINGS
@given(x0=finite(1e-3, 50.0), y0=finite(-5.0, 5.0))
def test_pow_with_value_exponent_matches_torch(x0, y0):
    x, y = Value(x0), Value(y0)
    z = x ** y
    assert z.op == "**" and z.inputs == (x, y)
    assert z.inputs[0] is x and z.inputs[1] is y
    z.backward()

    tx, ty = T(x0), T(y0)
    tz = tx ** ty
    tz.backward()
    assert_close(z.data, tz.item(), 0.0, f"{x0!r} ** {y0!r}")
    assert_close(x.grad, tgrad(tx), 0.0, "d/dx x**y")
    # d/dy = x**y * ln x, which is exactly 0 at x == 1 (so relative is fine).
    assert_close(y.grad, tgrad(ty), 0.0, "d/dy x**y")
    assert math.isclose(y.grad, z.data * math.log(x0), rel_tol=REL, abs_tol=0.0)


@pytest.mark.parametrize("y0", [1.0, 2.0, 3.5])
def test_pow_value_exponent_zero_base_matches_torch(y0):
    # 0 ** y for y >= 1: d/dx = y * 0**(y-1), d/dy = 0 (torch masks 0 * log 0).
    x, y = Value(0.0), Value(y0)
    z = x ** y
    z.backward()
    tx, ty = T(0.0), T(y0)
    (tx ** ty).backward()
    assert z.data == 0.0
    assert x.grad == tgrad(tx)
    assert y.grad == tgrad(ty) == 0.0


@pytest.mark.parametrize("x0,n", [(-2.0, 3.0), (-1.5, 2.0), (-3.0, -1.0), (-0.5, 0.0)])
def test_pow_negative_base_integer_value_exponent_forward_matches_torch(x0, n):
    z = Value(x0) ** Value(n)
    assert z.data == (torch.tensor(x0, dtype=torch.float64) ** n).item()


# --------------------------------------------------------------------------
# Plain numbers on either side of an operator
# --------------------------------------------------------------------------

# name -> (expression with constant c, number-on-left?, domain of x, domain of c)
MIXED = {
    "c + x": (lambda c, x: c + x, True, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "x + c": (lambda c, x: x + c, False, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "c - x": (lambda c, x: c - x, True, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "x - c": (lambda c, x: x - c, False, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "c * x": (lambda c, x: c * x, True, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "x * c": (lambda c, x: x * c, False, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "c / x": (lambda c, x: c / x, True, nonzero(1e-3, 1e6), finite(-1e6, 1e6)),
    "x / c": (lambda c, x: x / c, False, finite(-1e6, 1e6), nonzero(1e-3, 1e6)),
    "c ** x": (lambda c, x: c ** x, True, finite(-30.0, 30.0), finite(1e-2, 20.0)),
}


@pytest.mark.parametrize("name", sorted(MIXED))
@SETTINGS
@given(data=st.data())
def test_number_operand_is_wrapped_as_constant_leaf_and_matches_torch(name, data):
    f, left, dom_x, dom_c = MIXED[name]
    x0 = data.draw(dom_x, label="x")
    c0 = data.draw(dom_c, label="c")
    c_py = data.draw(st.sampled_from([c0, np.float64(c0)]), label="c type")

    x = Value(x0)
    y = f(c_py, x)
    assert isinstance(y, Value)
    assert len(y.inputs) == 2
    const = y.inputs[0] if left else y.inputs[1]
    other = y.inputs[1] if left else y.inputs[0]
    assert other is x
    assert isinstance(const, Value) and const is not x
    assert const.op == "" and const.inputs == () and const.data == c0
    assert y.op == name.replace("c", "").replace("x", "").strip()
    y.backward()

    tx, tc = T(x0), T(c0)
    ty = f(tc, tx)
    ty.backward()
    # abs_tol: only for d(c/x)/dx = -(c/x)/x vs torch's -c/(x*x) when the
    # result underflows to a subnormal (c can be tiny).
    assert_close(y.data, ty.item(), 1e-300, f"{name} at c={c0!r}, x={x0!r}")
    assert_close(x.grad, tgrad(tx), 1e-300, f"d({name})/dx")
    assert_close(const.grad, tgrad(tc), 1e-300, f"d({name})/dc")


@SETTINGS
@given(x0=finite(-50.0, 50.0), c0=st.sampled_from([3, 3.0, np.float64(3.0), np.int64(3), 2, 0.5]))
def test_plain_number_exponent_is_not_an_input(x0, c0):
    assume(x0 > 1e-3 or float(c0).is_integer())
    x = Value(x0)
    y = x ** c0
    assert y.inputs == (x,)
    assert y.op == "**"
    assert y.exponent == float(c0)
    y.backward()
    tx = T(x0)
    (tx ** float(c0)).backward()
    assert_close(x.grad, tgrad(tx), 0.0, f"d/dx {x0!r} ** {c0!r}")


def test_numpy_scalar_on_the_left_is_handled_by_value():
    # np.float64(2) - x must not be turned into a numpy object.
    x = Value(5.0)
    for expr, op in ((lambda: np.float64(2) - x, "-"), (lambda: np.float64(2) * x, "*"),
                     (lambda: np.int64(2) + x, "+"), (lambda: np.float32(2) / x, "/"),
                     (lambda: np.float64(2) ** x, "**")):
        y = expr()
        assert type(y) is Value, type(y)
        assert y.op == op and y.inputs[1] is x and y.inputs[0].data == 2.0


# --------------------------------------------------------------------------
# Random composite expressions (depth >= 7, shared subexpressions)
# --------------------------------------------------------------------------

# Each entry works on a Value and on a torch tensor alike.  Domain-restricted
# functions are made total with positive wrappers (a*a + 1 >= 1), so any
# finite inputs are legal in both engines.
UNARY_OPS = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "relu": lambda a: a.relu(),
    "exp": lambda a: a.exp(),
    "log(a*a+1)": lambda a: (a * a + 1).log(),
    "a**2": lambda a: a ** 2,
    "a**3": lambda a: a ** 3,
    "(a*a+1)**0.5": lambda a: (a * a + 1) ** 0.5,
    "(a*a+1)**-1.5": lambda a: (a * a + 1) ** -1.5,
    "2-a": lambda a: 2 - a,
    "8/(a*a+1)": lambda a: 8 / (a * a + 1),
    "2**a": lambda a: 2 ** a,
    "a*0.5": lambda a: a * 0.5,
}
BINARY_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "a/(b*b+1)": lambda a, b: a / (b * b + 1),
    "(a*a+1)**b": lambda a, b: (a * a + 1) ** b,
    "(1+sigmoid(a))**b": lambda a, b: (1 + a.sigmoid()) ** b,
}


@st.composite
def programs(draw):
    """A random expression DAG as a straight-line program.

    Nodes 0..n_leaves-1 are leaves.  Step i consumes the node made by step
    i-1 (so the depth is at least the number of steps) and, for a binary
    op, any earlier node (leaves are therefore reused often).  The last step
    also consumes an intermediate that an earlier step already consumed, so
    at least one intermediate node is used twice.
    """
    n_leaves = draw(st.integers(1, 3))
    leaves = draw(st.lists(finite(-2.0, 2.0), min_size=n_leaves, max_size=n_leaves))
    n_steps = draw(st.integers(6, 10))
    steps = []
    for i in range(n_steps):
        prev = n_leaves + i - 1
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY_OPS))), (prev,)))
        else:
            other = draw(st.integers(0, prev))
            args = (prev, other) if draw(st.booleans()) else (other, prev)
            steps.append((draw(st.sampled_from(sorted(BINARY_OPS))), args))
    last = n_leaves + n_steps - 1
    shared = draw(st.integers(n_leaves, last - 1))  # consumed by step shared+1
    op = draw(st.sampled_from(sorted(BINARY_OPS)))
    steps.append((op, (last, shared) if draw(st.booleans()) else (shared, last)))
    return leaves, steps


def run_program(leaves, steps, make):
    nodes = [make(v) for v in leaves]
    for op, args in steps:
        fn = UNARY_OPS[op] if len(args) == 1 else BINARY_OPS[op]
        nodes.append(fn(*(nodes[i] for i in args)))
    return nodes


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs())
def test_random_composite_expression_matches_torch(program):
    leaves, steps = program

    # Torch first: discard programs whose values or gradients overflow.
    tnodes = run_program(leaves, steps, T)
    for t in tnodes[len(leaves):]:
        t.retain_grad()
    troot = tnodes[-1]
    assume(all(math.isfinite(t.item()) for t in tnodes))
    troot.backward(retain_graph=True)
    tgrads = [tgrad(t) for t in tnodes]
    assume(all(math.isfinite(g) for g in tgrads))
    # Keep magnitudes where float64 still has digits to spare.
    assume(all(abs(t.item()) < 1e100 and abs(g) < 1e100 for t, g in zip(tnodes, tgrads)))
    # sin and cos of an argument whose last bit is worth more than a period
    # (|x| > 2**50) are noise: one ulp apart, torch and Python differ by O(1),
    # beyond what a first-order error bound can describe. Seen: cos(3.9e88).
    assume(all(abs(tnodes[args[0]].item()) < 2.0 ** 50
               for op, args in steps if op in ("sin", "cos")))

    nodes = run_program(leaves, steps, Value)
    root = nodes[-1]
    root.backward()

    # The depth really is >= 7 and some intermediate really is used twice.
    depth = {}
    for n in root.topological_order():
        depth[n] = 1 + max((depth[i] for i in n.inputs), default=0)
    assert depth[root] >= 7
    consumers = {}
    for n in root.topological_order():
        for i in set(map(id, n.inputs)):
            consumers[i] = consumers.get(i, 0) + 1
    assert any(consumers.get(id(n), 0) >= 2 for n in nodes[len(leaves):])

    # Tolerance: a first-order rounding-error bound, because a deep random
    # expression can be ill-conditioned (cos of a large power, say) and then
    # one-ulp differences between torch's libm and Python's (measured: exp,
    # tanh, sin, cos, sigmoid differ by one ulp on some inputs) grow.  A
    # rounding error of about u*|w| made at node w reaches node k multiplied
    # by dk/dw, so node k's value is good to about u * S_k with
    # S_k = |k| + sum_w |dk/dw| * (1 + |w|) (torch.autograd.grad gives the
    # dk/dw).  A gradient flowing through node v is good to about
    # |dRoot/dv| * (1 + |v| + S_v) (the local derivatives at v are computed
    # from values carrying S_v-sized errors); G sums that over all nodes.
    # 1e-12 of these scales is ~4500 ulps of slack, still far below a real
    # gradient mistake, which is O(1) relative to a term of the sum.
    n_nodes = len(tnodes)
    cond = []
    for k in range(n_nodes):
        if k < len(leaves):
            cond.append(abs(tnodes[k].item()))
            continue
        partials = torch.autograd.grad(tnodes[k], tnodes[:k], retain_graph=True,
                                       allow_unused=True)
        cond.append(abs(tnodes[k].item()) + sum(
            0.0 if p is None else abs(p.item()) * (1.0 + abs(w.item()))
            for p, w in zip(partials, tnodes[:k])))
    assume(all(math.isfinite(c) for c in cond))
    big_g = sum(abs(g) * (1.0 + abs(t.item()) + c)
                for t, g, c in zip(tnodes, tgrads, cond))
    # ... and a local derivative is computed from its inputs' values: their
    # errors (u * S_i) reach it scaled by a second derivative, then the
    # gradient arriving at the node. The term above misses it where the first
    # derivative is small and the second is not: at cos(v) with sin(v) ~ 0,
    # an error u * S_v in v moves -sin(v) by about u * S_v (seen: cos of a
    # ninth power, the gradient off by 1e-10 of itself).
    big_g += sum(abs(tgrads[len(leaves) + s]) * sum(cond[i] for i in args)
                 for s, (_, args) in enumerate(steps))

    for k, (n, t, g) in enumerate(zip(nodes, tnodes, tgrads)):
        what = f"node {k} ({'leaf' if k < len(leaves) else steps[k - len(leaves)][0]})"
        assert math.isclose(n.data, t.item(), rel_tol=REL, abs_tol=1e-12 * cond[k]), \
            f"{what} value: engine {n.data!r}, torch {t.item()!r}"
        assert not math.isnan(n.grad)
        assert math.isclose(n.grad, g, rel_tol=REL, abs_tol=1e-12 * big_g), \
            f"{what} grad: engine {n.grad!r}, torch {g!r}"
