"""The worked examples of the seed documents, run on src.autograd.

Sources (in /work/shared/seeds):
- 000 (the lecture plan): F = (x + 2)^2 (scene 1) and L = (x*w + b)^2 at
  x = 2, w = -1.5, b = 0.5 (scenes 2 and 5).
- 001 (course notebook): sections 4-8 and the exercise solutions.
- 003 (article): f = a*b + tanh(c) - 0.5*a^2 at a = 2, b = 3, c = 0.5.
- 004 (theory notes): L = (x + y)^2, the accumulation example
  y = x + 2, z = 3x, L = y + z, and f = (x + y) * sin(x).

Where every operation is exact in binary floating point (small integers and
halves), results are compared with `==`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from src.autograd import Value, numerical_grad

REL = 1e-12


def close(a, b, abs_tol=0.0):
    return math.isclose(a, b, rel_tol=REL, abs_tol=abs_tol)


# --------------------------------------------------------------------------
# The lecture plan (seed 000)
# --------------------------------------------------------------------------

def test_lecture_loss_L_equals_x_w_plus_b_squared():
    x, w, b = Value(2.0, "x"), Value(-1.5, "w"), Value(0.5, "b")
    h1 = x * w
    h2 = h1 + b
    L = h2 ** 2
    assert (h1.data, h2.data, L.data) == (-3.0, -2.5, 6.25)
    assert (h1.op, h2.op, L.op) == ("*", "+", "**")
    assert h1.inputs == (x, w) and h2.inputs == (h1, b) and L.inputs == (h2,)

    L.backward()
    assert L.grad == 1.0            # dL/dL
    assert h2.grad == -5.0          # dL/dh2 = 2 * h2
    assert h1.grad == -5.0          # dL/dh1 = 1 * dL/dh2
    assert b.grad == -5.0           # dL/db = 1 * dL/dh2
    assert x.grad == 7.5            # dL/dx = w * dL/dh1
    assert w.grad == -10.0          # dL/dw = x * dL/dh1


def test_lecture_backward_steps_follow_the_scene_order():
    # Scene 5 walks L -> h2 -> (h1, b) -> (x, w): the loss first, leaves last.
    x, w, b = Value(2.0, "x"), Value(-1.5, "w"), Value(0.5, "b")
    h1 = x * w
    h2 = h1 + b
    L = h2 ** 2
    steps = L.backward_steps()
    assert [s.node for s in steps[:2]] == [L, h2]
    assert {id(s.node) for s in steps[2:4]} == {id(h1), id(b)}
    assert {id(s.node) for s in steps[4:]} == {id(x), id(w)}
    assert [s.upstream for s in steps] == [1.0, -5.0, -5.0, -5.0] + [
        s.upstream for s in steps[4:]]
    by_node = {id(s.node): s.upstream for s in steps}
    assert (by_node[id(x)], by_node[id(w)], by_node[id(b)]) == (7.5, -10.0, -5.0)
    # L -> h2 carries local 2*h2 = -5
    assert steps[0].contributions[0].input is h2
    assert steps[0].contributions[0].local == -5.0


@pytest.mark.parametrize("x0", [-3.0, -2.0, 0.0, 1.0, 2.5, 7.0])
def test_lecture_chain_rule_F_equals_x_plus_2_squared(x0):
    x = Value(x0)
    g = x + 2
    F = g ** 2
    F.backward()
    assert F.data == (x0 + 2) ** 2
    assert g.grad == 2 * (x0 + 2)       # dF/dg = 2g
    assert x.grad == 2 * (x0 + 2)       # dF/dx = 2g * 1


# --------------------------------------------------------------------------
# Course notebook (seed 001)
# --------------------------------------------------------------------------

def test_notebook_section4_simple_expression():
    x, y = Value(3.0, label="x"), Value(2.0, label="y")
    a = x + y
    b = x - y
    f = a * b
    assert (a.data, b.data, f.data) == (5.0, 1.0, 5.0)
    f.backward()
    assert x.grad == 6.0     # 2x
    assert y.grad == -4.0    # -2y
    assert a.grad == 1.0     # = b
    assert b.grad == 5.0     # = a


def test_notebook_section5_relu_neuron():
    x1, x2 = Value(0.5, label="x1"), Value(-1.0, label="x2")
    w1, w2 = Value(2.0, label="w1"), Value(-3.0, label="w2")
    b = Value(1.0, label="b")
    z = w1 * x1 + w2 * x2 + b
    y = z.relu()
    assert z.data == 5.0
    assert y.data == 5.0
    y.backward()
    assert w1.grad == 0.5    # = x1
    assert w2.grad == -1.0   # = x2
    assert b.grad == 1.0
    assert x1.grad == 2.0    # = w1
    assert x2.grad == -3.0   # = w2
    # the notebook's interpretation lines
    assert f"{w1.grad * 0.01:.4f}" == "0.0050"
    assert f"{w2.grad * 0.01:.4f}" == "-0.0100"


def test_notebook_section5_relu_neuron_when_inactive_passes_no_gradient():
    x1, x2, w1, w2, b = (Value(v) for v in (0.5, -1.0, 2.0, -3.0, -10.0))
    y = (w1 * x1 + w2 * x2 + b).relu()
    y.backward()
    assert y.data == 0.0
    assert (w1.grad, w2.grad, b.grad, x1.grad, x2.grad) == (0.0, 0.0, 0.0, 0.0, 0.0)


def _notebook_gradient_descent():
    """Section 6 exactly as written in the notebook."""
    def compute_loss(w, x_data, y_target):
        y_pred = w * x_data
        loss = (y_pred - y_target) ** 2
        return loss

    x_data = Value(2.0)
    y_target = Value(10.0)
    w = Value(1.0, label="w")
    learning_rate = 0.1
    history, ws, grads = [], [w.data], []
    for step in range(20):
        loss = compute_loss(w, x_data, y_target)
        history.append(loss.data)
        w.grad = 0.0
        loss.backward()
        grads.append(w.grad)
        w.data -= learning_rate * w.grad
        ws.append(w.data)
    return history, ws, grads


def test_notebook_section6_gradient_descent_trajectory():
    history, ws, grads = _notebook_gradient_descent()
    assert len(history) == 20 and len(ws) == 21
    # step 0 as the notebook prints it: loss 64, grad -32, then w = 4.2
    assert history[0] == 64.0
    assert grads[0] == -32.0
    assert close(ws[1], 4.2)
    for k, w_k in enumerate(ws):
        # w_{k+1} = w_k - 0.1 * 2 * (2 w_k - 10) * 2 = 0.2 w_k + 4
        assert math.isclose(w_k, 5 - 4 * 0.2 ** k, rel_tol=REL, abs_tol=1e-14), k
    for k, (loss_k, grad_k, w_k) in enumerate(zip(history, grads, ws)):
        # loss_k = (2 w_k - 10)^2 = 64 * 0.04^k.  w_k ~ 5 carries a rounding
        # error dw <~ 1e-14, which moves (2 w_k - 10)^2 by about
        # 4 * |2 w_k - 10| * dw = 4 * sqrt(loss_k) * dw: relative to the tiny
        # late losses that is large, so the bound is absolute.
        exact = 64 * 0.04 ** k
        assert abs(loss_k - exact) <= 4e-14 * math.sqrt(exact) + 1e-27, k
        assert loss_k == (2 * w_k - 10) ** 2
        assert grad_k == 2 * (w_k * 2 - 10) * 2
    final_w = ws[-1]
    assert f"{final_w:.4f}" == "5.0000"
    assert math.isclose(final_w, 5 - 4 * 0.2 ** 20, rel_tol=REL)
    assert 0 < history[-1] < 1e-20                      # "Final loss: 0.000000"
    assert all(a > b for a, b in zip(history, history[1:]))


def test_notebook_section6_gradient_descent_matches_torch():
    history, ws, grads = _notebook_gradient_descent()
    x = torch.tensor(2.0, dtype=torch.float64)
    t = torch.tensor(10.0, dtype=torch.float64)
    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    for k in range(20):
        loss = (w * x - t) ** 2
        w.grad = None
        loss.backward()
        assert close(loss.item(), history[k]), k
        assert close(w.grad.item(), grads[k]), k
        with torch.no_grad():
            w -= 0.1 * w.grad
        assert close(w.item(), ws[k + 1]), k


def test_notebook_section7_autodiff_vs_numerical():
    def numerical_gradient(f, x, h=1e-5):
        return (f(x + h) - f(x)) / h

    def test_function(x_val):
        x = Value(x_val)
        f = x ** 3 - 2 * x ** 2 + x
        f.backward()
        return f.data, x.grad

    test_points = np.linspace(-2, 3, 11)
    assert len(test_points) == 11
    errors = []
    for x_val in test_points:
        xv = float(x_val)
        value, grad_auto = test_function(x_val)     # Value(np.float64)
        assert close(value, xv ** 3 - 2 * xv ** 2 + xv, abs_tol=1e-15)
        # abs_tol: the exact derivative 3x^2 - 4x + 1 is 0 at x = 1, a point
        # of the grid, where only an absolute comparison means anything.
        assert close(grad_auto, 3 * xv ** 2 - 4 * xv + 1, abs_tol=1e-12), xv
        grad_num = numerical_gradient(lambda x: test_function(x)[0], x_val)
        errors.append(abs(grad_auto - grad_num))
        # forward differences: error ~ h/2 * |f''(x)| = h/2 * |6x - 4| <= 1.1e-4
        assert errors[-1] <= 1e-5 / 2 * abs(6 * xv - 4) + 1e-6 + 1e-9, xv
        # the engine's own central differences are far better: O(h^2)
        central = numerical_grad(lambda x: x ** 3 - 2 * x ** 2 + x, Value(xv))
        assert abs(central - grad_auto) < 1e-7, xv
    assert max(errors) < 1e-4
    # autodiff is exact where the notebook prints it: at x = 1 it is 0
    assert test_function(1.0)[1] == 0.0


XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_Y = [0, 1, 1, 0]


def _xor_with_engine(epochs=100, learning_rate=0.05):
    """Section 8 exactly as the notebook writes it (records every epoch)."""
    np.random.seed(42)
    w1 = [Value(np.random.randn()) for _ in range(4)]
    b1 = [Value(0.0) for _ in range(2)]
    w2 = [Value(np.random.randn()) for _ in range(2)]
    b2 = Value(0.0)
    params = w1 + b1 + w2 + [b2]

    def forward(x):
        h1 = (w1[0] * x[0] + w1[1] * x[1] + b1[0]).relu()
        h2 = (w1[2] * x[0] + w1[3] * x[1] + b1[1]).relu()
        y = w2[0] * h1 + w2[1] * h2 + b2
        return y

    losses, grads_per_epoch, params_per_epoch = [], [], []
    initial = [p.data for p in params]
    for epoch in range(epochs):
        total_loss = Value(0.0)
        for x, y_true in zip(XOR_X, XOR_Y):
            x_vals = [Value(xi) for xi in x]
            y_pred = forward(x_vals)
            loss = (y_pred - y_true) ** 2
            total_loss = total_loss + loss
        losses.append(total_loss.data)
        for p in params:
            p.grad = 0.0
        total_loss.backward()
        grads_per_epoch.append([p.grad for p in params])
        for p in params:
            p.data -= learning_rate * p.grad
        params_per_epoch.append([p.data for p in params])

    predictions = [forward([Value(xi) for xi in x]).data for x in XOR_X]
    return initial, losses, grads_per_epoch, params_per_epoch, predictions


def _xor_with_torch(epochs=100, learning_rate=0.05):
    np.random.seed(42)
    f64 = dict(dtype=torch.float64)
    w1 = [torch.tensor(np.random.randn(), requires_grad=True, **f64) for _ in range(4)]
    b1 = [torch.tensor(0.0, requires_grad=True, **f64) for _ in range(2)]
    w2 = [torch.tensor(np.random.randn(), requires_grad=True, **f64) for _ in range(2)]
    b2 = torch.tensor(0.0, requires_grad=True, **f64)
    params = w1 + b1 + w2 + [b2]

    def forward(x):
        h1 = torch.relu(w1[0] * x[0] + w1[1] * x[1] + b1[0])
        h2 = torch.relu(w1[2] * x[0] + w1[3] * x[1] + b1[1])
        return w2[0] * h1 + w2[1] * h2 + b2

    losses, grads_per_epoch, params_per_epoch = [], [], []
    initial = [p.item() for p in params]
    for epoch in range(epochs):
        total_loss = torch.tensor(0.0, **f64)
        for x, y_true in zip(XOR_X, XOR_Y):
            x_vals = [torch.tensor(float(xi), **f64) for xi in x]
            total_loss = total_loss + (forward(x_vals) - y_true) ** 2
        losses.append(total_loss.item())
        for p in params:
            p.grad = None
        total_loss.backward()
        grads_per_epoch.append([0.0 if p.grad is None else p.grad.item() for p in params])
        with torch.no_grad():
            for p in params:
                if p.grad is not None:
                    p -= learning_rate * p.grad
        params_per_epoch.append([p.item() for p in params])
    with torch.no_grad():
        predictions = [forward([torch.tensor(float(xi), **f64) for xi in x]).item()
                       for x in XOR_X]
    return initial, losses, grads_per_epoch, params_per_epoch, predictions


def test_notebook_section8_xor_initialisation():
    initial, *_ = _xor_with_engine(epochs=1)
    np.random.seed(42)
    draws = np.random.randn(6)
    assert initial[:4] == list(draws[:4])       # w1: 2 inputs x 2 hidden
    assert initial[4:6] == [0.0, 0.0]           # b1
    assert initial[6:8] == list(draws[4:])      # w2
    assert initial[8] == 0.0                    # b2
    assert all(type(v) is float for v in initial)


def test_notebook_section8_xor_training_matches_torch_step_by_step():
    e_init, e_losses, e_grads, e_params, e_pred = _xor_with_engine()
    t_init, t_losses, t_grads, t_params, t_pred = _xor_with_torch()
    assert e_init == t_init
    assert len(e_losses) == len(t_losses) == 100
    for epoch in range(100):
        assert close(e_losses[epoch], t_losses[epoch]), (epoch, e_losses[epoch], t_losses[epoch])
        for i, (g, tg) in enumerate(zip(e_grads[epoch], t_grads[epoch])):
            # abs_tol: a gradient that is exactly 0 (a dead relu) in one
            # engine must be exactly 0 in the other; 1e-15 only absorbs
            # a summation-order rounding difference on a cancelling sum.
            assert close(g, tg, abs_tol=1e-15), (epoch, i, g, tg)
        for i, (p, tp) in enumerate(zip(e_params[epoch], t_params[epoch])):
            assert close(p, tp, abs_tol=1e-15), (epoch, i, p, tp)
    for p, tp in zip(e_pred, t_pred):
        assert close(p, tp, abs_tol=1e-15)
    # The notebook's claims: the loss goes down over training.
    assert e_losses[-1] < e_losses[0]
    # First epoch by hand: all weights start, biases 0; x = (0, 0) gives a
    # pre-activation of exactly 0, where relu'(0) = 0 must be used.
    np.random.seed(42)
    w = np.random.randn(6)
    h = [[max(0.0, w[0] * a + w[1] * b), max(0.0, w[2] * a + w[3] * b)] for a, b in XOR_X]
    preds = [w[4] * h1 + w[5] * h2 for h1, h2 in h]
    assert close(e_losses[0], sum((p - y) ** 2 for p, y in zip(preds, XOR_Y)))


def test_notebook_exercise1_exp_and_log():
    x = Value(2.0)
    y = x.exp()
    y.backward()
    assert close(y.data, math.exp(2.0))
    assert close(x.grad, math.exp(2.0))
    assert f"{y.data:.4f}" == f"{np.exp(2):.4f}" == "7.3891"
    x = Value(2.0)
    y = x.log()
    y.backward()
    assert close(y.data, math.log(2.0))
    assert x.grad == 0.5


def test_notebook_exercise2_sigmoid():
    x = Value(0.0)
    y = x.sigmoid()
    y.backward()
    assert y.data == 0.5
    assert x.grad == 0.25


def test_notebook_exercise3_sum_of_squares():
    rng = np.random.default_rng(0)
    params = [Value(rng.standard_normal()) for _ in range(100)]
    loss = sum([p ** 2 for p in params], Value(0.0))
    loss.backward()
    assert close(loss.data, math.fsum(p.data ** 2 for p in params), abs_tol=1e-12)
    for p in params:
        assert p.grad == 2 * p.data


# --------------------------------------------------------------------------
# Article (seed 003)
# --------------------------------------------------------------------------

def test_article_worked_example():
    a, b, c = Value(2.0, label="a"), Value(3.0, label="b"), Value(0.5, label="c")
    d = a * b
    e = c.tanh()
    f = d + e - 0.5 * (a ** 2)
    f.backward()
    assert close(f.data, 6.0 + math.tanh(0.5) - 2.0)
    assert a.grad == 1.0                      # b - a
    assert b.grad == 2.0                      # a
    assert close(c.grad, 1 - math.tanh(0.5) ** 2)
    assert d.grad == 1.0 and e.grad == 1.0


@settings(max_examples=40, deadline=None)
@given(a0=st.floats(-10, 10), b0=st.floats(-10, 10), c0=st.floats(-10, 10))
def test_article_hand_derivatives_hold_everywhere(a0, b0, c0):
    a, b, c = Value(a0), Value(b0), Value(c0)
    f = a * b + c.tanh() - 0.5 * (a ** 2)
    f.backward()
    assert close(a.grad, b0 - a0, abs_tol=1e-12)    # b - a can cancel to 0
    assert b.grad == a0
    assert close(c.grad, 1 - math.tanh(c0) ** 2, abs_tol=1e-15)


# --------------------------------------------------------------------------
# Theory notes (seed 004)
# --------------------------------------------------------------------------

def test_theory_notes_L_equals_x_plus_y_squared():
    x, y = Value(2.0), Value(3.0)
    z = x + y
    L = z ** 2
    assert z.data == 5.0 and L.data == 25.0
    L.backward()
    assert L.grad == 1.0
    assert z.grad == 10.0
    assert x.grad == 10.0 and y.grad == 10.0


@pytest.mark.parametrize("x0", [-2.0, 0.0, 1.5, 4.0])
def test_theory_notes_gradient_accumulation(x0):
    x = Value(x0)
    y = x + 2
    z = x * 3
    L = y + z
    L.backward()
    assert x.grad == 4.0            # 1 + 3: both paths accumulate
    assert y.grad == 1.0 and z.grad == 1.0
    assert L.data == (x0 + 2) + 3 * x0


@pytest.mark.parametrize("x0,y0", [(2.0, 3.0), (0.0, 1.0), (-1.2, 0.7), (3.0, -3.0)])
def test_theory_notes_x_plus_y_times_sin_x(x0, y0):
    x, y = Value(x0), Value(y0)
    u1 = x + y
    u2 = x.sin()
    f = u1 * u2
    # the graph of the notes: x feeds both [+] and [sin]
    assert f.inputs == (u1, u2) and u1.inputs == (x, y) and u2.inputs == (x,)
    assert f.op == "*" and u1.op == "+" and u2.op == "sin"
    f.backward()
    assert close(f.data, (x0 + y0) * math.sin(x0))
    # df/dx = sin(x) + (x + y) cos(x)   (abs_tol: it can cancel to ~0)
    assert close(x.grad, math.sin(x0) + (x0 + y0) * math.cos(x0), abs_tol=1e-15)
    assert close(y.grad, math.sin(x0))
    assert close(u1.grad, math.sin(x0)) and u2.grad == x0 + y0

    tx = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y0, dtype=torch.float64, requires_grad=True)
    ((tx + ty) * torch.sin(tx)).backward()
    assert close(x.grad, tx.grad.item(), abs_tol=1e-15)
    assert close(y.grad, ty.grad.item(), abs_tol=1e-15)
