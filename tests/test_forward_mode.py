"""Forward mode (src/theory/forward_mode.py) checked against reverse mode and PyTorch.

- every op's tangent rule, one op at a time, against `Value.backward()` and
  against the notes' propagation rules written out by hand;
- random expressions built from every op (hypothesis): forward-mode
  derivatives equal reverse-mode gradients to 1e-12, and an input that makes
  reverse mode raise makes forward mode raise too;
- a handful of functions against `torch.func.jvp` (float64);
- errors: the same message as Value for the same bad input, and clear
  messages for misuse of the API;
- plain numbers mix in as constants; the notes' example (x + y) * sin(x).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from src.autograd import Value
from src.theory.forward_mode import (Dual, derivative, forward_gradient, jvp,
                              output_derivatives)

# torch.func's first use scripts a helper with the deprecated torch.jit.script.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")

REL = 1e-12
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def finite(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def close(got: float, want: float, abs_tol: float = 0.0) -> bool:
    return math.isclose(got, want, rel_tol=REL, abs_tol=abs_tol)


def reverse_grads(f, values):
    """(f's value, [df/dx_i]) by reverse mode on fresh leaves."""
    leaves = [Value(v) for v in values]
    out = f(*leaves)
    out.backward()
    return out.data, [x.grad for x in leaves]


# --------------------------------------------------------------------------
# One operation at a time
# --------------------------------------------------------------------------

# name -> (expression usable on Value, Dual and torch alike, domain)
UNARY = {
    "neg": (lambda a: -a, finite(-1e6, 1e6)),
    "pos": (lambda a: +a, finite(-1e6, 1e6)),
    "relu": (lambda a: a.relu(), st.one_of(st.just(0.0), finite(-10.0, 10.0))),
    "tanh": (lambda a: a.tanh(), finite(-30.0, 30.0)),
    "sigmoid": (lambda a: a.sigmoid(), finite(-700.0, 700.0)),
    "exp": (lambda a: a.exp(), finite(-700.0, 700.0)),
    "log": (lambda a: a.log(), finite(1e-300, 1e300)),
    "sin": (lambda a: a.sin(), finite(-100.0, 100.0)),
    "cos": (lambda a: a.cos(), finite(-100.0, 100.0)),
    "a ** 3": (lambda a: a ** 3, finite(-1e3, 1e3)),
    "a ** 0": (lambda a: a ** 0, finite(-1e3, 1e3)),
    "a ** -2": (lambda a: a ** -2, st.one_of(finite(0.01, 100.0), finite(-100.0, -0.01))),
    "a ** 0.5": (lambda a: a ** 0.5, finite(1e-6, 1e6)),
    "2 ** a": (lambda a: 2 ** a, finite(-50.0, 50.0)),
    "3 - a": (lambda a: 3 - a, finite(-1e6, 1e6)),
    "a - 3": (lambda a: a - 3, finite(-1e6, 1e6)),
    "3 + a": (lambda a: 3 + a, finite(-1e6, 1e6)),
    "a + 3": (lambda a: a + 3, finite(-1e6, 1e6)),
    "2.5 * a": (lambda a: 2.5 * a, finite(-1e6, 1e6)),
    "a * 2.5": (lambda a: a * 2.5, finite(-1e6, 1e6)),
    "a / 4": (lambda a: a / 4, finite(-1e6, 1e6)),
    "4 / a": (lambda a: 4 / a, st.one_of(finite(0.01, 1e6), finite(-1e6, -0.01))),
}

# Derivatives written out by hand: the notes' rule f(u, u') = (f(u), f'(u) u').
SLOPE = {
    "neg": lambda u: -1.0, "pos": lambda u: 1.0,
    "relu": lambda u: 1.0 if u > 0 else 0.0,
    "tanh": lambda u: 1.0 - math.tanh(u) ** 2,
    "sigmoid": lambda u: math.exp(-abs(u)) / (1.0 + math.exp(-abs(u))) ** 2,
    "exp": math.exp, "log": lambda u: 1.0 / u,
    "sin": math.cos, "cos": lambda u: -math.sin(u),
    "a ** 3": lambda u: 3.0 * u * u, "a ** 0": lambda u: 0.0,
    "a ** -2": lambda u: -2.0 / u ** 3, "a ** 0.5": lambda u: 0.5 / math.sqrt(u),
    "2 ** a": lambda u: 2.0 ** u * math.log(2.0),
    "3 - a": lambda u: -1.0, "a - 3": lambda u: 1.0, "3 + a": lambda u: 1.0,
    "a + 3": lambda u: 1.0, "2.5 * a": lambda u: 2.5, "a * 2.5": lambda u: 2.5,
    "a / 4": lambda u: 0.25, "4 / a": lambda u: -4.0 / (u * u),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@SETTINGS
@given(data=st.data())
def test_unary_op_tangent_matches_reverse_mode_and_the_rule(name, data):
    f, domain = UNARY[name]
    u = data.draw(domain, label="u")
    seed = data.draw(finite(-3.0, 3.0), label="u'")

    out = f(Dual(u, seed))
    value, (grad,) = reverse_grads(f, [u])
    assert isinstance(out, Dual)
    assert type(out.primal) is float and type(out.tangent) is float
    assert out.primal == value
    # Same local derivative as Value: the tangent is seed * (Value's gradient).
    assert close(out.tangent, seed * grad, abs_tol=1e-300), (out.tangent, seed * grad)
    # ... and the textbook derivative (computed independently, so a looser
    # tolerance where the two formulas round differently).
    assert math.isclose(out.tangent, SLOPE[name](u) * seed, rel_tol=1e-9, abs_tol=1e-12)


BINARY = {
    "+": (lambda a, b: a + b, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "-": (lambda a, b: a - b, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "*": (lambda a, b: a * b, finite(-1e6, 1e6), finite(-1e6, 1e6)),
    "/": (lambda a, b: a / b, finite(-1e6, 1e6),
          st.one_of(finite(1e-3, 1e6), finite(-1e6, -1e-3))),
    "**": (lambda a, b: a ** b, finite(1e-3, 50.0), finite(-5.0, 5.0)),
}


@pytest.mark.parametrize("op", sorted(BINARY))
@SETTINGS
@given(data=st.data())
def test_binary_op_tangent_is_the_sum_of_both_partials(op, data):
    f, dom_a, dom_b = BINARY[op]
    a, b = data.draw(dom_a, label="a"), data.draw(dom_b, label="b")
    ta, tb = data.draw(finite(-3.0, 3.0), label="a'"), data.draw(finite(-3.0, 3.0), label="b'")
    value, (ga, gb) = reverse_grads(f, [a, b])

    out = f(Dual(a, ta), Dual(b, tb))
    assert out.primal == value
    want = ta * ga + tb * gb
    assert close(out.tangent, want, abs_tol=1e-12 * (abs(ta * ga) + abs(tb * gb)) + 1e-300)
    # Seeding one input at a time gives each partial derivative exactly.
    assert close(f(Dual(a, 1.0), Dual(b, 0.0)).tangent, ga, abs_tol=1e-300)
    assert close(f(Dual(a, 0.0), Dual(b, 1.0)).tangent, gb, abs_tol=1e-300)


@given(u=finite(-50, 50), du=finite(-5, 5), v=finite(-50, 50), dv=finite(-5, 5))
@settings(max_examples=50, deadline=None)
def test_the_notes_propagation_rules_literally(u, du, v, dv):
    s = Dual(u, du) + Dual(v, dv)
    assert (s.primal, s.tangent) == (u + v, du + dv)
    p = Dual(u, du) * Dual(v, dv)
    assert (p.primal, p.tangent) == (u * v, du * v + u * dv)
    g = Dual(u, du).sin()
    assert (g.primal, g.tangent) == (math.sin(u), du * math.cos(u))


@pytest.mark.parametrize("x0, n", [(0.0, 0), (0.0, 1), (0.0, 2), (0.0, 3.0), (-2.0, 3), (-1.5, 2.0)])
def test_constant_power_special_points_match_value(x0, n):
    out = Dual(x0, 1.0) ** n
    value, (grad,) = reverse_grads(lambda x: x ** n, [x0])
    assert (out.primal, out.tangent) == (value, grad)


@pytest.mark.parametrize("x0, y0", [(0.0, 1.0), (0.0, 2.0), (0.0, 3.5), (0.0, 0.0), (1.0, -2.0)])
def test_dual_exponent_special_points_match_value(x0, y0):
    f = lambda x, y: x ** y  # noqa: E731
    value, grads = reverse_grads(f, [x0, y0])
    assert forward_gradient(f, [x0, y0]) == grads
    assert (Dual(x0) ** Dual(y0)).primal == value


def test_relu_slope_at_zero_is_zero_like_value_and_torch():
    assert Dual(0.0, 1.0).relu().tangent == 0.0
    assert Dual(-0.0, 1.0).relu().tangent == 0.0
    assert reverse_grads(lambda x: x.relu(), [0.0])[1] == [0.0]
    t = torch.tensor(0.0, dtype=torch.float64)
    assert torch.func.jvp(torch.relu, (t,), (torch.ones_like(t),))[1].item() == 0.0


# --------------------------------------------------------------------------
# Random expressions: forward mode == reverse mode
# --------------------------------------------------------------------------

# Every op of Value appears, including the domain-restricted ones (raw log,
# division, x ** 0.5, x ** y), so some programs hit a domain error: those
# check that forward mode fails where reverse mode fails.
UNARY_OPS = {
    "neg": lambda a: -a,
    "pos": lambda a: +a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "relu": lambda a: a.relu(),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "log(a*a+1)": lambda a: (a * a + 1).log(),
    "a**2": lambda a: a ** 2,
    "a**3.0": lambda a: a ** 3.0,
    "a**0.5": lambda a: a ** 0.5,
    "a**-1": lambda a: a ** -1,
    "(a*a+1)**-1.5": lambda a: (a * a + 1) ** -1.5,
    "2-a": lambda a: 2 - a,
    "a-0.5": lambda a: a - 0.5,
    "1+a": lambda a: 1 + a,
    "3/a": lambda a: 3 / a,
    "8/(a*a+1)": lambda a: 8 / (a * a + 1),
    "2**a": lambda a: 2 ** a,
    "0.5*a": lambda a: 0.5 * a,
    "a/3": lambda a: a / 3,
}
BINARY_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "a/(b*b+1)": lambda a, b: a / (b * b + 1),
    "a**b": lambda a, b: a ** b,
    "(a*a+1)**b": lambda a, b: (a * a + 1) ** b,
    "(1+sigmoid(a))**b": lambda a, b: (1 + a.sigmoid()) ** b,
}
DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


@st.composite
def programs(draw):
    """A random straight-line program: leaves, then steps (op, argument indices).

    Step i always consumes the previous node, so the expression is deep; a
    binary step also consumes any earlier node, so leaves and intermediates
    are shared (the chain rule must sum over several paths).
    """
    n_leaves = draw(st.integers(1, 4))
    leaves = draw(st.lists(finite(-2.0, 2.0), min_size=n_leaves, max_size=n_leaves))
    steps = []
    for i in range(draw(st.integers(3, 10))):
        prev = n_leaves + i - 1
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY_OPS))), (prev,)))
        else:
            other = draw(st.integers(0, prev))
            args = (prev, other) if draw(st.booleans()) else (other, prev)
            steps.append((draw(st.sampled_from(sorted(BINARY_OPS))), args))
    return leaves, steps


def run_program(xs, steps):
    nodes = list(xs)
    for op, args in steps:
        fn = UNARY_OPS[op] if len(args) == 1 else BINARY_OPS[op]
        nodes.append(fn(*(nodes[i] for i in args)))
    return nodes


TINY = 1e-280  # far above the subnormal range (below ~2.2e-308)


def path_magnitudes(root, leaves):
    """For each leaf, sum over all paths leaf -> root of |product of local derivatives|.

    Computed from `backward_steps()` (the engine's own local derivatives).
    It bounds both the forward-mode tangent of every node and the rounding
    error of both modes: the two modes multiply and add the same local
    derivatives in different orders, so they differ by at most about
    (number of nodes) * 2**-53 * magnitude; 1e-12 * magnitude is ample.

    That bound holds while no product falls into the subnormal range, where
    a float keeps only a few bits: a forward tangent can underflow there and
    then be multiplied back up by a huge local derivative (measured:
    x = 2e-52, (x ** 2) ** 0.5 seeded with 1e-220), and reverse mode's
    adjoints can do the same in the other direction. Returns (magnitude at
    the root per leaf, largest magnitude of any node, whether any chain-rule
    product in either direction came within TINY of underflowing), so
    programs whose derivatives would overflow or underflow can be set aside.
    """
    locals_of = {}
    for step in root.backward_steps():
        locals_of[step.node] = [(c.input, abs(c.local)) for c in step.contributions]
    order = root.topological_order()
    result, largest, tiny = [], 0.0, False

    def note(term, d, m):
        nonlocal largest, tiny
        if term < TINY and d and m:
            tiny = True
        if not term <= largest:  # also catches nan
            largest = math.inf if math.isnan(term) else term

    for leaf in leaves:  # forward mode: d(node)/d(leaf)
        mag = {}
        for node in order:
            total = 1.0 if node is leaf else 0.0
            for i, d in locals_of.get(node, ()):
                term = d * mag[i]
                note(term, d, mag[i])
                total += term
            mag[node] = total
            note(total, 1.0, total)
        result.append(mag[root])
    adj = {node: 0.0 for node in order}  # reverse mode: d(root)/d(node)
    adj[root] = 1.0
    for node in reversed(order):
        for i, d in locals_of.get(node, ()):
            term = adj[node] * d
            note(term, d, adj[node])
            adj[i] += term
    return result, largest, tiny


@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(), st.data())
def test_random_expression_forward_equals_reverse(program, data):
    leaves, steps = program
    f = lambda *xs: run_program(xs, steps)[-1]  # noqa: E731

    try:
        xs = [Value(v) for v in leaves]
        root = run_program(xs, steps)[-1]
        root.backward()
    except DOMAIN_ERRORS as error:
        # Reverse mode could not differentiate here (a value or a local
        # derivative is undefined or too large), so neither can forward mode.
        # Only an overflow of the backward pass itself (d root / d node)
        # has no forward-mode counterpart.
        assume("backward overflowed" not in str(error))
        event(f"both modes raise {type(error).__name__}")
        with pytest.raises(DOMAIN_ERRORS):
            forward_gradient(f, leaves)
        return

    mags, largest, tiny = path_magnitudes(root, xs)
    assume(largest < 1e100 and not tiny)
    event("derivatives compared")
    grads = [x.grad for x in xs]

    # forward_gradient: one pass per input, each equal to reverse mode.
    fwd = forward_gradient(f, leaves)
    assert len(fwd) == len(leaves)
    for i, (g_fwd, g_rev, mag) in enumerate(zip(fwd, grads, mags)):
        assert close(g_fwd, g_rev, abs_tol=1e-12 * mag + 1e-300), \
            f"d/dx_{i}: forward {g_fwd!r}, reverse {g_rev!r} ({steps})"
        assert derivative(f, leaves, wrt=i) == g_fwd

    # jvp along a random direction = the dot product with the gradient.
    component = st.one_of(st.just(0.0), finite(1e-3, 2.0), finite(-2.0, -1e-3))
    direction = data.draw(st.lists(component, min_size=len(leaves),
                                   max_size=len(leaves)), label="direction")
    value, slope = jvp(f, leaves, direction)
    assert value == root.data
    want = sum(t * g for t, g in zip(direction, grads))
    scale = sum(abs(t) * m for t, m in zip(direction, mags))
    assert close(slope, want, abs_tol=1e-12 * scale + 1e-300)


@settings(max_examples=40, deadline=None)
@given(x0=finite(-2.0, 2.0), m=st.integers(1, 30))
def test_one_input_many_outputs_in_one_pass_equals_m_backward_passes(x0, m):
    def trajectory(x):
        h, outs = x, []
        for j in range(m):
            h = (h * math.cos(j) + x).tanh() + 0.1 * x.sin()
            outs.append(h)
        return outs

    calls = []
    counted = lambda x: calls.append(1) or trajectory(x)  # noqa: E731
    fwd = output_derivatives(counted, x0)
    assert len(calls) == 1 and len(fwd) == m

    x = Value(x0)
    for k, out in enumerate(trajectory(x)):
        x.grad = 0.0
        out.backward()
        assert close(fwd[k], x.grad, abs_tol=1e-12), (k, fwd[k], x.grad)


# --------------------------------------------------------------------------
# Against PyTorch's forward mode (torch.func.jvp, float64)
# --------------------------------------------------------------------------

TORCH_FUNCTIONS = {
    "(x*y + tanh x)^2": (lambda x, y: (x * y + x.tanh()) ** 2, 2),
    "notes: (x + y) sin x": (lambda x, y: (x + y) * x.sin(), 2),
    "sigmoid, exp, log, cos, /": (
        lambda x, y, z: (x.sigmoid() * y.exp() + (z * z + 1).log()) / (1 + y.cos() ** 2), 3),
    "pow both ways, relu, rpow, rsub": (
        lambda x, y: (x * x + 1) ** y.tanh() - (3 - x).relu() * 2 ** y, 2),
    "x ** 3 / sqrt, neg, rtruediv": (
        lambda x, y: -(x ** 3) / (y * y + 1) ** 0.5 + 1 / (2 + x.sin()), 2),
}


def torch_jvp(f, values, tangents):
    t = lambda v: torch.tensor(float(v), dtype=torch.float64)  # noqa: E731
    out, slope = torch.func.jvp(f, tuple(map(t, values)), tuple(map(t, tangents)))
    return out.item(), slope.item()


@pytest.mark.parametrize("name", sorted(TORCH_FUNCTIONS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_jvp_matches_torch_func_jvp(name, data):
    f, arity = TORCH_FUNCTIONS[name]
    values = data.draw(st.lists(finite(-2.0, 2.0), min_size=arity, max_size=arity), label="x")
    direction = data.draw(st.lists(finite(-2.0, 2.0), min_size=arity, max_size=arity),
                          label="direction")
    value, slope = jvp(f, values, direction)
    t_value, t_slope = torch_jvp(f, values, direction)
    # torch's libm and Python's differ by an ulp on some inputs; the values
    # here are O(1..100), so an absolute 1e-12 on top of relative is ample.
    assert math.isclose(value, t_value, rel_tol=REL, abs_tol=1e-12)
    assert math.isclose(slope, t_slope, rel_tol=REL, abs_tol=1e-12), (slope, t_slope)
    # and each partial derivative against torch with a one-hot direction
    for i in range(arity):
        onehot = [1.0 if k == i else 0.0 for k in range(arity)]
        assert math.isclose(derivative(f, values, wrt=i), torch_jvp(f, values, onehot)[1],
                            rel_tol=REL, abs_tol=1e-12)


def test_output_derivatives_match_torch_forward_mode():
    def f(x):
        return [x.sin() * x, (x * 2).exp(), x.tanh() ** 2, 3 - x, (x * x + 1).log()]

    x0 = 0.7
    ours = output_derivatives(f, x0)
    t = torch.tensor(x0, dtype=torch.float64)
    _, slopes = torch.func.jvp(lambda x: tuple(f(x)), (t,), (torch.ones_like(t),))
    assert len(ours) == 5
    for got, want in zip(ours, slopes):
        assert math.isclose(got, want.item(), rel_tol=REL, abs_tol=1e-15)


# --------------------------------------------------------------------------
# The notes' example and the same function in every mode
# --------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(x=finite(-10.0, 10.0), y=finite(-10.0, 10.0))
def test_notes_example_x_plus_y_times_sin_x(x, y):
    f = lambda x, y: (x + y) * x.sin()  # noqa: E731
    dfdx = math.sin(x) + (x + y) * math.cos(x)
    dfdy = math.sin(x)
    assert math.isclose(derivative(f, [x, y], wrt=0), dfdx, rel_tol=1e-12, abs_tol=1e-12)
    assert derivative(f, [x, y], wrt=1) == dfdy
    _, rev = reverse_grads(f, [x, y])
    assert forward_gradient(f, [x, y]) == pytest.approx(rev, rel=1e-12, abs=1e-12)


def test_the_same_function_runs_on_value_dual_and_torch():
    f = lambda x, y: (x * y + x.tanh()) ** 2  # noqa: E731
    x, y = Value(1.0), Value(2.0)
    on_value = f(x, y)
    on_dual = f(Dual(1.0, 1.0), Dual(2.0))
    on_torch = f(*(torch.tensor(v, dtype=torch.float64) for v in (1.0, 2.0)))
    assert isinstance(on_value, Value) and isinstance(on_dual, Dual)
    assert on_value.data == on_dual.primal == on_dual.data
    assert math.isclose(on_torch.item(), on_dual.primal, rel_tol=REL)
    on_value.backward()
    assert math.isclose(on_dual.tangent, x.grad, rel_tol=REL)


def test_forward_gradient_runs_one_pass_per_input_and_derivative_one_pass():
    calls = []

    def f(*xs):
        calls.append([x.tangent for x in xs])
        total = xs[0]
        for x in xs[1:]:
            total = total * x
        return total

    assert forward_gradient(f, [1.0, 2.0, 3.0, 4.0]) == [24.0, 12.0, 8.0, 6.0]
    # pass i seeds input i with tangent 1, all others 0
    assert calls == [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
                     [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    calls.clear()
    assert derivative(f, [1.0, 2.0, 3.0, 4.0], wrt=2) == 8.0
    assert calls == [[0.0, 0.0, 1.0, 0.0]]


def test_single_number_inputs_like_numerical_grad():
    assert derivative(lambda x: x * x * x, 2.0) == 12.0
    assert forward_gradient(lambda x: x * x * x, 2) == 12.0
    assert jvp(lambda x: x * x, 3.0, 2.0) == (9.0, 12.0)
    assert forward_gradient(lambda: 5.0, []) == []


def test_jvp_with_several_outputs_returns_lists():
    values, slopes = jvp(lambda x, y: [x * y, x + y, 7], [2.0, 3.0], [1.0, -1.0])
    assert values == [6.0, 5.0, 7.0]
    assert slopes == [3.0 - 2.0, 0.0, 0.0]


# --------------------------------------------------------------------------
# Plain numbers are constants
# --------------------------------------------------------------------------

@pytest.mark.parametrize("c", [3, 3.0, np.float64(3.0), np.int64(3), np.float32(3.0)])
def test_plain_numbers_on_either_side_are_constants(c):
    x = Dual(2.0, 1.0)
    cases = {
        "c + x": (c + x, 5.0, 1.0), "x + c": (x + c, 5.0, 1.0),
        "c - x": (c - x, 1.0, -1.0), "x - c": (x - c, -1.0, 1.0),
        "c * x": (c * x, 6.0, 3.0), "x * c": (x * c, 6.0, 3.0),
        "c / x": (c / x, 1.5, -0.75), "x / c": (x / c, 2.0 / 3.0, 1.0 / 3.0),
        "x ** c": (x ** c, 8.0, 12.0), "c ** x": (c ** x, 9.0, 9.0 * math.log(3.0)),
    }
    for name, (out, primal, tangent) in cases.items():
        assert type(out) is Dual, name
        assert math.isclose(out.primal, primal, rel_tol=1e-15), name
        assert math.isclose(out.tangent, tangent, rel_tol=1e-15), name


def test_constant_function_and_number_outputs_have_derivative_zero():
    assert derivative(lambda x, y: 4.0, [1.0, 2.0], wrt=1) == 0.0
    assert forward_gradient(lambda x, y: 4, [1.0, 2.0]) == [0.0, 0.0]
    assert jvp(lambda x: 2.5, [1.0], [1.0]) == (2.5, 0.0)
    assert output_derivatives(lambda x: [x, 1.0, np.float64(2.0)], 3.0) == [1.0, 0.0, 0.0]
    # a Dual without a tangent is a constant too
    assert (Dual(3.0) * Dual(4.0)).tangent == 0.0


def test_repr_and_default_tangent():
    d = Dual(1.5, -2)
    assert repr(d) == "Dual(primal=1.5, tangent=-2)"
    assert d.data == 1.5 and type(d.tangent) is float
    assert Dual(7).tangent == 0.0
    assert not hasattr(d, "__dict__")  # two floats, nothing else: no graph is kept


# --------------------------------------------------------------------------
# Errors: the same messages as Value
# --------------------------------------------------------------------------

def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the test compares whatever is raised
        return type(e), str(e)
    return None


SAME_ERROR = {
    "log(0)": (lambda C: C(0.0).log()),
    "log(-2.5)": (lambda C: C(-2.5).log()),
    "1 / 0": (lambda C: C(1.0) / C(0.0)),
    "1 / 0 (number)": (lambda C: C(1.0) / 0),
    "1 / x at 0": (lambda C: 1 / C(0.0)),
    "exp overflow": (lambda C: C(710.0).exp()),
    "(-2) ** 0.5": (lambda C: C(-2.0) ** 0.5),
    "(-2) ** y": (lambda C: C(-2.0) ** C(1.5)),
    "(-2) ** y number base": (lambda C: (-2) ** C(0.5)),
    "0 ** -1": (lambda C: C(0.0) ** -1),
    "0 ** y<0": (lambda C: C(0.0) ** C(-0.5)),
    "x ** 1e300 overflow": (lambda C: C(10.0) ** 1e300),
    "x * y overflow": (lambda C: C(1e200) * C(1e200)),
    "x + y overflow": (lambda C: C(1.7e308) + C(1.7e308)),
    "x - y overflow": (lambda C: C(1.7e308) - C(-1.7e308)),
    "x / y overflow": (lambda C: C(1e300) / C(1e-300)),
    "nan operand": (lambda C: C(1.0) + float("nan")),
    "inf exponent": (lambda C: C(2.0) ** float("inf")),
    "string exponent": (lambda C: C(2.0) ** "2"),
    "nan data": (lambda C: C(float("nan"))),
    "inf data": (lambda C: C(float("inf"))),
    "bool data": (lambda C: C(True)),
}


@pytest.mark.parametrize("name", sorted(SAME_ERROR))
def test_bad_input_raises_the_same_error_as_value(name):
    make = SAME_ERROR[name]
    want = error_of(lambda: make(Value))
    got = error_of(lambda: make(Dual))
    assert want is not None and got is not None
    assert got[0] is want[0], (got, want)
    # Messages match word for word, except that they name their own class.
    assert got[1] == want[1].replace("Value", "Dual"), (got[1], want[1])


# Value computes these derivatives during backward(); Dual with the value.
SAME_DERIVATIVE_ERROR = {
    "d/dx x ** 0.5 at 0": (lambda x: x ** 0.5, [0.0]),
    "d/dx x ** 0.25 at 0": (lambda x: x ** 0.25, [0.0]),
    "d/dx x ** y at 0, y = 0.5": (lambda x, y: x ** y, [0.0, 0.5]),
    "d/dy x ** y at x < 0": (lambda x, y: x ** y, [-2.0, 3.0]),
    "d/dy (-3) ** y": (lambda y: (-3) ** y, [2.0]),
}


@pytest.mark.parametrize("name", sorted(SAME_DERIVATIVE_ERROR))
def test_undefined_derivative_raises_the_same_error_as_backward(name):
    f, values = SAME_DERIVATIVE_ERROR[name]
    want = error_of(lambda: reverse_grads(f, values))
    got = error_of(lambda: forward_gradient(f, values))
    assert want is not None and got == want


def test_tangent_overflow_is_an_error_not_inf():
    with pytest.raises(OverflowError, match=r"tangent.*x \* y.*beyond the float range"):
        Dual(2.0, 1e300) * 1e10
    with pytest.raises(OverflowError, match=r"tangent.*exp\(x\)"):
        Dual(700.0, 1e10).exp()
    with pytest.raises(OverflowError, match=r"tangent.*x \*\* 0\.5"):
        Dual(1e-300, 1e300) ** 0.5


@pytest.mark.parametrize("expr, shown", [
    (lambda d: d + "a", r"Dual \+ str: 'a'"),
    (lambda d: "a" * d, r"str \* Dual"),
    (lambda d: d - None, r"NoneType"),
    (lambda d: d * [2], r"list"),
    (lambda d: d / (1 + 1j), r"complex"),
    (lambda d: d + True, r"bool"),
    (lambda d: d + Value(1.0), r"Dual \+ Value.*cannot be mixed"),
    (lambda d: Value(1.0) + d, r"Value \+ Dual"),
    (lambda d: d ** Value(2.0), r"Dual \*\* Value.*cannot be mixed"),
])
def test_operand_of_wrong_type_is_a_typeerror(expr, shown):
    with pytest.raises(TypeError, match=shown):
        expr(Dual(1.0, 1.0))


def test_numpy_scalar_on_the_left_is_handled_by_dual():
    d = Dual(5.0, 1.0)
    for out in (np.float64(2) - d, np.float64(2) * d, np.int64(2) + d,
                np.float32(2) / d, np.float64(2) ** d):
        assert type(out) is Dual


# --------------------------------------------------------------------------
# Errors: misuse of the API
# --------------------------------------------------------------------------

def f2(x, y):
    return x * y


@pytest.mark.parametrize("call, error, shown", [
    (lambda: derivative(f2, [1.0, 2.0], wrt=2), IndexError, r"wrt=2 is out of range for 2 inputs; use 0 to 1"),
    (lambda: derivative(f2, [1.0, 2.0], wrt=-1), IndexError, r"wrt=-1 is out of range"),
    (lambda: derivative(lambda: 1.0, [], wrt=0), IndexError, r"no inputs"),
    (lambda: derivative(f2, [1.0, 2.0], wrt=1.0), TypeError, r"wrt must be the index.*float"),
    (lambda: derivative(f2, [1.0, 2.0], wrt=True), TypeError, r"wrt must be the index.*bool"),
    (lambda: jvp(f2, [1.0, 2.0], [1.0]), ValueError, r"1 tangent for 2 inputs"),
    (lambda: jvp(lambda x: x * x, 3.0, [1.0]), ValueError,
     r"same shape: both single numbers, or both lists \(values is a single number, tangents a list\)"),
    (lambda: jvp(f2, [1.0, 2.0], [1.0, 0.0, 0.0]), ValueError, r"3 tangents for 2 inputs"),
    (lambda: jvp(lambda x: x, 1.0, [1.0]), ValueError, r"one tangent per input"),
    (lambda: jvp(f2, [1.0, 2.0], [1.0, float("nan")]), ValueError, r"jvp tangents: input 1.*nan"),
    (lambda: derivative(lambda x: [x, x], [1.0]), TypeError, r"f returned list.*output_derivatives or jvp"),
    (lambda: derivative(lambda x: "no", [1.0]), TypeError, r"f returned str 'no'; expected a Dual or a plain number"),
    (lambda: forward_gradient(lambda x: None, [1.0]), TypeError, r"forward_gradient: f returned NoneType"),
    (lambda: derivative(lambda x: Value(1.0), [1.0]), TypeError, r"f must not build Values"),
    (lambda: jvp(lambda x: [x, "a"], [1.0], [1.0]), TypeError, r"output 1 of f is str"),
    (lambda: output_derivatives(lambda x: x * 2, 1.0), TypeError, r"list or tuple of outputs.*use derivative"),
    (lambda: output_derivatives(lambda x: [x, None], 1.0), TypeError, r"output 1 of f is NoneType"),
    (lambda: derivative(f2, ["1", 2.0]), TypeError, r"derivative: input 0 expects a finite real number.*str"),
    (lambda: forward_gradient(f2, [1.0, float("inf")]), ValueError, r"input 1.*inf"),
    (lambda: forward_gradient(f2, [Value(1.0), 2.0]), TypeError, r"input 0 is a Value; pass plain numbers"),
    (lambda: forward_gradient(f2, None), TypeError, r"number or a sequence of numbers, got NoneType"),
    (lambda: derivative("f", [1.0]), TypeError, r"expects a function as f, got str"),
    (lambda: Dual(1.0, "x"), TypeError, r"Dual\(\) tangent expects a finite real number.*str"),
])
def test_api_misuse_gets_a_clear_error(call, error, shown):
    with pytest.raises(error, match=shown):
        call()


def test_the_module_docstring_examples_run():
    import doctest

    import src.theory.forward_mode as fm

    failures, tried = doctest.testmod(fm, verbose=False)
    assert tried >= 8 and failures == 0


def test_math_functions_on_a_dual_fail_instead_of_dropping_the_derivative():
    # math.sin would need float(x): a Dual refuses, so the tangent is never lost.
    with pytest.raises(TypeError, match="Dual"):
        derivative(lambda x: math.sin(x), 1.0)
    with pytest.raises(TypeError, match="Dual"):
        output_derivatives(lambda x: [math.exp(x), x * x], 1.0)
