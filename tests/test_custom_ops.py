"""User-defined operations (src/theory/custom_ops.py), checked by numerical_grad."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from src.autograd import Value, no_grad, numerical_grad
from src.theory.custom_ops import CustomOpError, Function


class Softplus(Function):
    """log(1 + e^x) with a careful formula; its derivative is sigmoid(x)."""

    def forward(self, x):
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    def derivative(self, x):
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


class LeakyRelu(Function):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        return x if x > 0 else self.slope * x

    def derivative(self, x):
        return (1.0 if x > 0 else self.slope,)


class Hypot(Function):
    """Two inputs: sqrt(x^2 + y^2)."""
    name = "hypot"

    def forward(self, x, y):
        return math.hypot(x, y)

    def derivative(self, x, y):
        r = math.hypot(x, y)
        return (x / r, y / r)


class WeightedSum3(Function):
    """Three inputs (the engine's n-ary path): 1*a + 2*b + 3*c + a*b*c."""

    def forward(self, a, b, c):
        return a + 2 * b + 3 * c + a * b * c

    def derivative(self, a, b, c):
        return [1 + b * c, 2 + a * c, 3 + a * b]


finite = st.floats(-4, 4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(finite)
def test_softplus_gradient_matches_numerical_grad_and_torch(x0):
    x = Value(x0)
    y = Softplus()(x) * 2.0
    y.backward()
    assert x.grad == pytest.approx(numerical_grad(lambda v: Softplus()(v) * 2.0, x0),
                                   rel=1e-6, abs=1e-8)
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (torch.nn.functional.softplus(t) * 2).backward()
    assert y.data == pytest.approx(2 * torch.nn.functional.softplus(t).item(), rel=1e-14)
    assert x.grad == pytest.approx(t.grad.item(), rel=1e-14, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(finite, finite, finite)
def test_n_ary_ops_inside_a_bigger_graph_match_numerical_grad(a0, b0, c0):
    def f(a, b, c):
        h = Hypot()(a, b + 5.0)  # b + 5 keeps hypot away from its kink at 0
        return WeightedSum3()(h, b.tanh(), c) * a

    leaves = [Value(a0), Value(b0), Value(c0)]
    f(*leaves).backward()
    want = numerical_grad(f, [a0, b0, c0])
    for leaf, w in zip(leaves, want):
        assert leaf.grad == pytest.approx(w, rel=1e-6, abs=1e-6)


def test_the_node_is_part_of_the_graph():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    y = WeightedSum3()(a, b, c)
    assert y.op == "WeightedSum3" and y.inputs == (a, b, c) and not y.is_leaf
    assert Hypot()(a, b).op == "hypot"
    assert y.topological_order() == [a, b, c, y]
    steps = y.backward_steps()
    assert [c_.local for c_ in steps[0].contributions] == [7.0, 5.0, 5.0]


def test_numbers_are_accepted_as_constant_inputs_and_settings_are_kept():
    x = Value(-2.0)
    y = LeakyRelu(0.1)(x)
    y.backward()
    assert (y.data, x.grad) == (pytest.approx(-0.2), 0.1)
    assert Hypot()(3, 4).data == 5.0


def test_backward_twice_accumulates_like_built_in_ops():
    x = Value(0.3)
    y = Softplus()(x)
    y.backward()
    once = x.grad
    y.backward()
    assert x.grad == 2 * once


def test_no_grad_gives_a_leaf():
    with no_grad():
        y = Hypot()(Value(3.0), Value(4.0))
    assert y.is_leaf and y.data == 5.0


def test_check_passes_for_a_right_derivative_and_names_a_wrong_one():
    assert Hypot().check(3.0, 4.0) == pytest.approx([0.6, 0.8])

    class WrongHypot(Hypot):
        def derivative(self, x, y):
            return (x / math.hypot(x, y), x / math.hypot(x, y))  # second entry wrong

    with pytest.raises(CustomOpError, match="hypot.derivative disagrees .* input 1 at 3, 4: it says 0.6"):
        WrongHypot().check(3.0, 4.0)


class Returns(Function):
    """An op whose derivative returns whatever the test hands it."""

    def __init__(self, local, arity=2):
        self.local = local
        self.arity = arity

    def forward(self, *xs):
        return sum(xs)

    def derivative(self, *xs):
        return self.local


@pytest.mark.parametrize("local, message", [
    ((1.0,), r"Returns.derivative returned 1 number for 2 inputs; return one d\(out\)/d\(input\) per input"),
    ((1.0, 2.0, 3.0), "returned 3 numbers for 2 inputs"),
    (5.0, r"returned 5.0 \(float\); return a tuple with one number per input \(2\)"),
    ((1.0, "x"), r"gave 'x' \(str\) for input 1 at 1, 2; each entry must be a finite real number"),
    ((float("nan"), 1.0), r"gave nan \(float\) for input 0"),
    ((1.0, None), r"gave None \(NoneType\) for input 1"),
    ((True, 1.0), r"gave True \(bool\) for input 0"),
    ((10 ** 400, 1.0), r"gave 1000.* \(int\) for input 0.*finite real number"),
])
def test_a_bad_derivative_fails_backward_with_a_clear_error(local, message):
    y = Returns(local)(Value(1.0), Value(2.0))
    with pytest.raises(CustomOpError, match=message):
        y.backward()


def test_a_bare_number_is_fine_for_one_input():
    x = Value(1.0)
    Returns(4.0, arity=1)(x).backward()
    assert x.grad == 4.0


def test_bad_forward_and_bad_inputs_are_clear():
    class NotANumber(Function):
        def forward(self, x):
            return "one"

    class Infinite(Function):
        def forward(self, x):
            return math.inf

    with pytest.raises(CustomOpError, match=r"NotANumber.forward returned 'one' \(str\)"):
        NotANumber()(Value(1.0))
    with pytest.raises(CustomOpError, match="Infinite.forward returned inf"):
        Infinite()(1.0)
    with pytest.raises(TypeError, match="hypot input 1 expects a finite real number"):
        Hypot()(1.0, "two")
    with pytest.raises(TypeError, match="needs at least one input"):
        Hypot()()

    class Unfinished(Function):
        pass

    with pytest.raises(NotImplementedError, match="must define forward"):
        Unfinished()(1.0)


def test_a_forward_result_too_large_for_a_float_is_a_clear_error():
    class Huge(Function):
        def forward(self, x):
            return 10 ** 400

    with pytest.raises(CustomOpError, match=r"Huge.forward returned 1000.*one finite real number"):
        Huge()(1.0)


def test_an_operation_needs_an_input():
    with pytest.raises(ValueError, match="the operation 'nothing' needs at least one input Value"):
        Value._result(1.0, "nothing", (), lambda node: ())
