"""Gradient clipping (src/theory/clipping.py) against torch.nn.utils, in float64."""

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from src.autograd import Value
from src.theory.clipping import clip_grad_norm, clip_grad_value, grad_norm
from src.models import MLP, SGD, mse

# Magnitudes below 1e-100 are left out: torch squares them to 0 (we do not).
grads_strategy = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False).filter(lambda g: g == 0 or abs(g) > 1e-100),
    min_size=1, max_size=30)
max_norm_strategy = st.floats(1e-3, 1e4)


def params_with(grads, labelled=True):
    ps = []
    for i, g in enumerate(grads):
        p = Value(0.1 * i, f"p{i}" if labelled else "")
        p.grad = g
        ps.append(p)
    return ps


def torch_params(grads):
    ts = []
    for g in grads:
        t = torch.zeros((), dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(g, dtype=torch.float64)
        ts.append(t)
    return ts


def close(a, b, rel=1e-12, abs_=1e-300):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---- against PyTorch ------------------------------------------------------

@settings(deadline=None, max_examples=150)
@given(grads_strategy, max_norm_strategy)
def test_clip_grad_norm_matches_torch(grads, max_norm):
    ps, ts = params_with(grads), torch_params(grads)
    ours = clip_grad_norm(ps, max_norm, eps=1e-6)
    theirs = torch.nn.utils.clip_grad_norm_(ts, max_norm).item()
    assert close(ours, theirs)
    for p, t in zip(ps, ts):
        assert close(p.grad, t.grad.item(), abs_=1e-15 * max(ours, 1.0))


@settings(deadline=None, max_examples=100)
@given(grads_strategy, st.floats(1e-3, 1e4))
def test_clip_grad_value_matches_torch(grads, clip_value):
    ps, ts = params_with(grads), torch_params(grads)
    changed = clip_grad_value(ps, clip_value)
    torch.nn.utils.clip_grad_value_(ts, clip_value)
    assert [p.grad for p in ps] == [t.grad.item() for t in ts]
    assert changed == sum(abs(g) > clip_value for g in grads)


def test_matches_torch_on_a_real_backward():
    model = MLP(2, [8, 8, 1], activation="relu", seed=3)
    for p in model.parameters():
        p.data *= 3.0  # large weights: a large gradient
    X = [[0.5, -1.0], [1.5, 0.3], [-0.7, 0.9]]
    loss = mse([model(x) for x in X], [1.0, -1.0, 1.0])
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    ts = torch_params(grads)
    theirs = torch.nn.utils.clip_grad_norm_(ts, 1.0).item()
    ours = clip_grad_norm(model.parameters(), 1.0, eps=1e-6)
    assert ours > 100 and close(ours, theirs)
    assert all(close(p.grad, t.grad.item(), abs_=1e-15)
               for p, t in zip(model.parameters(), ts))


# ---- the formula --------------------------------------------------------------

@settings(deadline=None, max_examples=150)
@given(grads_strategy, max_norm_strategy)
def test_formula_norm_and_direction(grads, max_norm):
    ps = params_with(grads)
    before = math.sqrt(math.fsum(g * g for g in grads))
    returned = clip_grad_norm(ps, max_norm)
    assert close(returned, before)
    after = [p.grad for p in ps]
    if before <= max_norm:
        assert after == grads  # untouched, bit for bit
        return
    factor = min(1.0, max_norm / before)
    assert all(close(a, g * factor, abs_=1e-300) for a, g in zip(after, grads))
    assert close(grad_norm(ps), max_norm, rel=1e-12)
    # same direction: the unit vectors agree
    for a, g in zip(after, grads):
        assert math.isclose(a / max_norm, g / before, rel_tol=1e-12, abs_tol=1e-15)
        assert (a > 0) == (g > 0) and (a < 0) == (g < 0)


def test_doc_example_and_returned_norm_is_before_clipping():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    a.grad, b.grad = 6.0, 8.0
    assert clip_grad_norm([a, b], 5.0) == 10.0
    assert (a.grad, b.grad) == (3.0, 4.0)
    assert grad_norm([a, b]) == 5.0
    assert clip_grad_norm([a, b], 5.0) == 5.0  # at the threshold: nothing changes
    assert (a.grad, b.grad) == (3.0, 4.0)


def test_no_clip_below_threshold_and_zero_gradient():
    ps = params_with([0.3, -0.4])
    assert clip_grad_norm(ps, 10.0) == pytest.approx(0.5)
    assert [p.grad for p in ps] == [0.3, -0.4]
    zeros = params_with([0.0, 0.0, 0.0])
    assert clip_grad_norm(zeros, 1.0) == 0.0
    assert clip_grad_norm(zeros, 1.0, eps=1e-6) == 0.0
    assert [p.grad for p in zeros] == [0.0, 0.0, 0.0]


def test_data_untouched_and_duplicates_counted_once():
    ps = params_with([3.0, 4.0])
    data = [p.data for p in ps]
    assert clip_grad_norm([ps[0], ps[1], ps[0]], 1.0) == 5.0
    assert [p.data for p in ps] == data
    assert (ps[0].grad, ps[1].grad) == pytest.approx((0.6, 0.8), rel=1e-15)


def test_single_value_accepted():
    p = Value(1.0, "w")
    p.grad = -7.0
    assert clip_grad_norm(p, 2.0) == 7.0
    assert p.grad == pytest.approx(-2.0, rel=1e-15)


def test_no_overflow_in_the_squares():
    ps = params_with([1e200, -1e200])
    assert close(clip_grad_norm(ps, 1.0), math.sqrt(2) * 1e200)
    assert close(ps[0].grad, math.sqrt(0.5)) and close(ps[1].grad, -math.sqrt(0.5))
    tiny = params_with([3e-200, 4e-200])
    assert close(grad_norm(tiny), 5e-200)


def test_clipped_sgd_step_has_length_lr_times_max_norm():
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    for p in model.parameters():
        p.data *= 4.0
    loss = mse([model(x) for x in [[1.0, 2.0], [-2.0, 0.5]]], [10.0, -10.0])
    loss.backward()
    before = [p.data for p in model.parameters()]
    assert clip_grad_norm(model.parameters(), 0.5) > 0.5
    SGD(model.parameters(), lr=0.1).step()
    step = math.hypot(*(p.data - b for p, b in zip(model.parameters(), before)))
    assert step == pytest.approx(0.05, rel=1e-12)


# ---- errors -------------------------------------------------------------------

@pytest.mark.parametrize("bad, kind", [
    (0, ValueError), (-1.0, ValueError), (math.nan, ValueError), (math.inf, ValueError),
    (True, TypeError), ("1", TypeError), (None, TypeError),
])
def test_bad_max_norm(bad, kind):
    with pytest.raises(kind, match="max_norm must be a positive finite number"):
        clip_grad_norm(params_with([1.0]), bad)


def test_bad_clip_value_and_eps():
    with pytest.raises(ValueError, match="clip_value must be a positive finite number"):
        clip_grad_value(params_with([1.0]), -2)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        clip_grad_norm(params_with([1.0]), 1.0, eps=-1e-6)


def test_empty_and_non_value_parameters():
    with pytest.raises(ValueError, match="empty parameter list"):
        clip_grad_norm([], 1.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        clip_grad_value(iter([]), 1.0)
    with pytest.raises(TypeError, match="entry 1 is float 2.0"):
        clip_grad_norm([Value(1.0), 2.0], 1.0)
    with pytest.raises(TypeError, match="expects a list of Values"):
        clip_grad_norm(42, 1.0)
    with pytest.raises(TypeError, match=r"pass model.parameters\(\), not the MLP"):
        clip_grad_norm(MLP(2, [1]), 1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_gradient_named(bad):
    ps = params_with([1.0, 2.0, 3.0])
    ps[1].grad = bad
    with pytest.raises(ValueError, match=rf"gradient of parameter 1 \('p1'\) is {bad}"):
        clip_grad_norm(ps, 1.0)
    assert [p.grad for p in (ps[0], ps[2])] == [1.0, 3.0]  # nothing was scaled
    unlabelled = params_with([1.0, bad], labelled=False)
    with pytest.raises(ValueError, match=rf"gradient of parameter 1 is {bad}"):
        clip_grad_value(unlabelled, 1.0)


def test_norm_overflow_is_an_error():
    with pytest.raises(OverflowError, match="total gradient norm is larger than the largest float"):
        clip_grad_norm(params_with([1e308] * 4), 1.0)


def test_an_int_too_large_for_a_float_is_a_clear_error():
    p = Value(1.0)
    p.grad = 3.0
    with pytest.raises(ValueError, match="clip_grad_norm max_norm must be a finite number; 1000.* is too large for a float"):
        clip_grad_norm([p], 10 ** 400)
