"""Bad inputs raise the promised error type with a message that says what
went wrong, and no result or gradient is ever silently nan."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from src.autograd import Value, numerical_grad


def no_nan_in(*values):
    for v in values:
        assert not math.isnan(v.data), v
        assert not math.isnan(v.grad), v


# --------------------------------------------------------------------------
# Value(data, label)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("bad, shown", [
    (True, r"bool.*True"),
    (False, r"bool.*False"),
    (np.bool_(True), r"bool"),
    ("1.0", r"str.*'1\.0'"),
    (None, r"NoneType.*None"),
    (1 + 2j, r"complex.*\(1\+2j\)"),
    ([1.0], r"list.*\[1\.0\]"),
    (Decimal("1.5"), r"Decimal"),
    (np.array([1.0, 2.0]), r"ndarray"),
    (Value(1.0), r"Value"),
])
def test_value_rejects_non_real_types_with_typeerror(bad, shown):
    with pytest.raises(TypeError, match=shown):
        Value(bad)


@pytest.mark.parametrize("bad, shown", [
    (float("nan"), r"nan"),
    (float("inf"), r"inf"),
    (float("-inf"), r"-inf"),
    (np.float64("nan"), r"nan"),
    (np.inf, r"inf"),
    (np.float32("-inf"), r"-inf"),
])
def test_value_rejects_nan_and_inf_with_valueerror(bad, shown):
    with pytest.raises(ValueError, match=shown):
        Value(bad)


def test_value_label_must_be_a_string():
    with pytest.raises(TypeError, match=r"label.*int.*3"):
        Value(1.0, 3)
    with pytest.raises(TypeError, match=r"label.*NoneType"):
        Value(1.0, label=None)


# --------------------------------------------------------------------------
# Operands of the wrong type
# --------------------------------------------------------------------------

@pytest.mark.parametrize("expr, shown", [
    (lambda v: v + "a", r"str.*'a'"),
    (lambda v: "a" + v, r"str.*'a'"),
    (lambda v: v - None, r"NoneType"),
    (lambda v: None - v, r"NoneType"),
    (lambda v: v * [2], r"list"),
    (lambda v: v / (1 + 1j), r"complex"),
    (lambda v: 1j * v, r"complex"),
    (lambda v: v + True, r"bool.*True"),
    (lambda v: False * v, r"bool.*False"),
    (lambda v: v ** "2", r"str.*'2'"),
    (lambda v: v ** True, r"bool"),
    (lambda v: "2" ** v, r"str"),
    (lambda v: v + Decimal("1"), r"Decimal"),
])
def test_operand_of_wrong_type_is_a_typeerror(expr, shown):
    with pytest.raises(TypeError, match=shown):
        expr(Value(1.0))


@pytest.mark.parametrize("expr", [
    lambda v: v + float("nan"), lambda v: float("inf") * v,
    lambda v: v - float("-inf"), lambda v: v ** float("nan"),
    lambda v: v / float("inf"), lambda v: float("inf") ** v,
])
def test_non_finite_number_operand_is_a_valueerror(expr):
    with pytest.raises(ValueError, match=r"nan|inf"):
        expr(Value(1.0))


# --------------------------------------------------------------------------
# Domain errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("x0, shown", [(0.0, r"log\(0\)"), (-1.0, r"log\(-1\)"),
                                        (-2.5, r"log\(-2\.5\)"), (-1e-300, r"log\(-1e-300\)")])
def test_log_of_non_positive_names_log_and_x(x0, shown):
    x = Value(x0)
    with pytest.raises(ValueError, match=shown):
        x.log()
    no_nan_in(x)


@pytest.mark.parametrize("expr", [
    lambda: Value(1.0) / Value(0.0),
    lambda: Value(1.0) / 0,
    lambda: Value(1.0) / 0.0,
    lambda: Value(-3.0) / -0.0,
    lambda: 1 / Value(0.0),
    lambda: Value(0.0) / Value(0.0),
    lambda: Value(1.0) / np.float64(0.0),
])
def test_division_by_zero_is_a_zerodivisionerror(expr):
    with pytest.raises(ZeroDivisionError, match=r"division by zero"):
        expr()


def test_zero_to_a_negative_power_is_a_zerodivisionerror():
    with pytest.raises(ZeroDivisionError, match=r"0.*-1"):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError, match=r"0.*-0\.5"):
        Value(0.0) ** Value(-0.5)


@pytest.mark.parametrize("expr, shown", [
    (lambda: Value(-2.0) ** 0.5, r"negative base.*\(-2\) \*\* 0\.5"),
    (lambda: Value(-8.0) ** (1 / 3), r"negative base.*-8"),
    (lambda: Value(-2.0) ** Value(1.5), r"negative base.*1\.5"),
    (lambda: (-2) ** Value(0.5), r"negative base.*-2"),
])
def test_negative_base_with_non_integer_exponent_is_a_valueerror(expr, shown):
    with pytest.raises(ValueError, match=shown):
        expr()


def test_negative_base_integer_exponent_is_fine():
    y = Value(-2.0) ** 3
    y.backward()
    assert y.data == -8.0
    assert y.inputs[0].grad == 12.0


@pytest.mark.parametrize("x0, n", [(-2.0, 3.0), (-0.5, 2.0), (-3.0, -1.0)])
def test_value_exponent_with_negative_base_fails_at_backward(x0, n):
    x, y = Value(x0), Value(n)
    z = x ** y                      # the forward value exists ...
    assert z.data == x0 ** n
    with pytest.raises(ValueError, match=r"log"):
        z.backward()                # ... but d/dy = x**y * ln(x) does not
    with pytest.raises(ValueError, match=r"log"):
        z.backward_steps()
    no_nan_in(x, y, z)
    # the failed pass left no partial gradients behind
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("n", [0.5, -1.0, 0.25])
def test_infinite_derivative_of_power_at_zero_is_an_error_not_inf(n):
    if n < 0:
        with pytest.raises(ZeroDivisionError):
            Value(0.0) ** n
        return
    x = Value(0.0)
    y = x ** n
    assert y.data == 0.0
    with pytest.raises(ZeroDivisionError, match=r"infinite.*x = 0"):
        y.backward()
    no_nan_in(x, y)


def test_value_exponent_derivative_at_zero_base_is_an_error_not_inf():
    x, y = Value(0.0), Value(0.5)
    z = x ** y
    with pytest.raises(ZeroDivisionError, match=r"infinite"):
        z.backward()
    no_nan_in(x, y, z)


# --------------------------------------------------------------------------
# Overflow
# --------------------------------------------------------------------------

@pytest.mark.parametrize("x0", [710.0, 1000.0, 1e300])
def test_exp_overflow_names_exp_and_x(x0):
    x = Value(x0)
    with pytest.raises(OverflowError, match=r"exp\(" + f"{x0:.6g}".replace("+", r"\+")):
        x.exp()
    no_nan_in(x)


def test_exp_just_below_overflow_is_finite():
    x = Value(709.0)
    y = x.exp()
    y.backward()
    assert math.isfinite(y.data) and x.grad == y.data


@pytest.mark.parametrize("expr, sym", [
    (lambda: Value(1e300) * Value(1e300), r"\*"),
    (lambda: Value(1e300) * 1e300, r"\*"),
    (lambda: 1e300 * Value(1e300), r"\*"),
    (lambda: Value(1.7e308) + Value(1.7e308), r"\+"),
    (lambda: Value(-1.7e308) - 1.7e308, r"-"),
    (lambda: Value(1e300) / 1e-300, r"/"),
    (lambda: Value(10.0) ** 400, r"\*\*"),
    (lambda: Value(10.0) ** Value(400.0), r"\*\*"),
    (lambda: 10 ** Value(400.0), r"\*\*"),
    (lambda: Value(1e-200) ** -2, r"\*\*"),
])
def test_arithmetic_overflow_is_an_overflowerror(expr, sym):
    with pytest.raises(OverflowError, match=r"overflow.*" + sym):
        expr()


def test_overflow_message_shows_the_operands():
    with pytest.raises(OverflowError, match=r"1e\+300 \* 1e\+300"):
        Value(1e300) * Value(1e300)


# --------------------------------------------------------------------------
# numerical_grad arguments
# --------------------------------------------------------------------------

@pytest.mark.parametrize("eps, exc", [(0.0, ValueError), (-1e-6, ValueError),
                                      (float("nan"), ValueError), ("0.1", TypeError)])
def test_numerical_grad_rejects_bad_eps(eps, exc):
    x = Value(1.0)
    with pytest.raises(exc, match=r"eps"):
        numerical_grad(lambda v: v * v, x, eps=eps)
    assert x.data == 1.0


# --------------------------------------------------------------------------
# Never a silent nan: large but legal computations stay finite
# --------------------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda x: x.tanh(), lambda x: x.sigmoid(), lambda x: (-x).sigmoid(),
    lambda x: x.sin(), lambda x: x.cos(), lambda x: x.relu(), lambda x: x / 1e300,
    lambda x: (x * 1e-300).exp(), lambda x: (x.sigmoid() + 1).log(),
])
@pytest.mark.parametrize("x0", [1e300, -1e300, 1000.0, -1000.0, 0.0])
def test_saturating_and_extreme_inputs_give_no_nan(build, x0):
    x = Value(x0)
    y = build(x)
    y.backward()
    assert math.isfinite(y.data)
    assert math.isfinite(x.grad)


# --------------------------------------------------------------------------
# Gradients that overflow during backward: a clear error, never a silent nan
# (PyTorch gives nan here). Found while writing these tests, then fixed.
# --------------------------------------------------------------------------

def test_backward_overflow_raises_instead_of_nan():
    # Every forward value is finite (1e-300, 1e-100, 1e100, 0) and the true
    # df/dx is 0, but the adjoint of each x*1e-200 node is 1e200*1e200 = inf,
    # so x receives +inf from one branch and -inf from the other: nan.
    x = Value(1e-100)
    f = ((x * 1e-200) * 1e200) * 1e200 - ((x * 1e-200) * 1e200) * 1e200
    assert f.data == 0.0
    with pytest.raises(OverflowError, match=r"backward overflowed: the gradient reaching .* is -?inf"):
        f.backward()


def test_infinite_local_derivative_raises_instead_of_nan():
    # d(1/x)/dx = -(1/x)/x overflows to -inf at x = 1e-200; an upstream of 0
    # (the * 0) then makes the contribution 0 * -inf = nan.
    x = Value(1e-200)
    y = (1 / x) * 0
    assert y.data == 0.0
    with pytest.raises(OverflowError, match=r"backward overflowed: the gradient reaching .* is nan"):
        y.backward()


@pytest.mark.parametrize("x, build", [
    (1e-150, lambda x: x ** -2),            # d/dx = -2 x^-3 = -2e450
    (1e-300, lambda x: x ** Value(-1.0)),   # d/dx = -x^-2 = -1e600
], ids=["pow-number", "pow-value"])
def test_overflowing_power_derivative_names_the_operation(x, build):
    y = build(Value(x))  # the forward value is finite
    with pytest.raises(OverflowError, match=r"derivative of x \*\* .* overflowed"):
        y.backward()


@pytest.mark.parametrize("expr", [
    lambda: Value(10 ** 400),
    lambda: Value(1.0) + 10 ** 400,
    lambda: 10 ** 400 * Value(1.0),
    lambda: Value(2.0) ** (10 ** 400),
])
def test_int_too_large_for_a_float_is_a_valueerror_saying_what_was_given(expr):
    with pytest.raises(ValueError, match=r"finite real number.*1000000000.*too large"):
        expr()
