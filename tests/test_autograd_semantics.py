"""Semantics of src.autograd beyond single-operation derivatives.

Graph records (op, inputs, exponent), accumulation on repeated backward,
deep graphs, the topological order, no_grad / detach / zero_grad,
backward_steps, numerical_grad, freedom from reference cycles, repr.
"""

from __future__ import annotations

import gc
import math
import sys
import time

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import src.autograd as ag
from src.autograd import (BackwardStep, Contribution, Value, is_grad_enabled,
                          no_grad, numerical_grad)


def T(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def all_nodes(root):
    """Every node reachable from root, found independently of the engine."""
    seen, stack, out = set(), [root], []
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        stack.extend(n.inputs)
    return out


# --------------------------------------------------------------------------
# A random DAG generator (straight-line programs over a few shared leaves)
# --------------------------------------------------------------------------

_U = {"neg": lambda a: -a, "tanh": lambda a: a.tanh(), "sin": lambda a: a.sin(),
      "sigmoid": lambda a: a.sigmoid(), "relu": lambda a: a.relu(),
      "cube": lambda a: a ** 3, "exp_t": lambda a: a.tanh().exp()}
_B = {"+": lambda a, b: a + b, "-": lambda a, b: a - b,
      "*": lambda a, b: a * b, "/": lambda a, b: a / (b * b + 1),
      "c-": lambda a, b: 2 - a * b}


@st.composite
def dags(draw, min_steps=3, max_steps=14, unary=_U, binary=_B, max_leaves=4):
    """(leaf values, steps): each step an op name from the tables and its operands."""
    n_leaves = draw(st.integers(1, max_leaves))
    leaves = draw(st.lists(st.floats(-2, 2), min_size=n_leaves, max_size=n_leaves))
    steps = []
    for i in range(draw(st.integers(min_steps, max_steps))):
        n = n_leaves + i
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(unary))), (draw(st.integers(0, n - 1)),)))
        else:
            steps.append((draw(st.sampled_from(sorted(binary))),
                          (draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1)))))
    return leaves, steps


def build(dag, make=Value, unary=_U, binary=_B):
    """Every node of the DAG, leaves first, made with `make` (Value or torch)."""
    leaves, steps = dag
    nodes = [make(v) for v in leaves]
    for op, args in steps:
        f = unary[op] if len(args) == 1 else binary[op]
        nodes.append(f(*(nodes[i] for i in args)))
    return nodes


DAG_SETTINGS = settings(max_examples=80, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------

@pytest.mark.parametrize("given_, expected", [
    (3, 3.0), (-7, -7.0), (0, 0.0), (2.5, 2.5), (-0.0, -0.0), (1e308, 1e308),
    (np.float64(1.25), 1.25), (np.int64(-4), -4.0), (np.float32(1.5), 1.5),
    (np.float32(0.1), float(np.float32(0.1))), (np.int32(9), 9.0),
    (np.float16(0.5), 0.5), (np.uint8(200), 200.0),
])
def test_value_accepts_finite_reals_and_stores_a_float(given_, expected):
    v = Value(given_)
    assert type(v.data) is float
    assert v.data == expected
    assert math.copysign(1, v.data) == math.copysign(1, expected)
    assert v.grad == 0.0 and type(v.grad) is float
    assert v.label == ""
    assert v.op == ""
    assert v.inputs == () and isinstance(v.inputs, tuple)


def test_value_label():
    assert Value(1.0, "w").label == "w"
    assert Value(1.0, label="bias").label == "bias"


def test_value_data_is_a_copy_of_a_numpy_scalar():
    v = Value(np.float64(2.0))
    assert type(v.data) is float     # not np.float64
    assert type((v * 2).data) is float


# --------------------------------------------------------------------------
# One node per written operation
# --------------------------------------------------------------------------

def test_one_node_per_binary_operation_with_operands_in_order():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    for expr, op in ((lambda: a + b, "+"), (lambda: a - b, "-"), (lambda: a * b, "*"),
                     (lambda: a / b, "/"), (lambda: a ** b, "**")):
        y = expr()
        assert y.op == op
        assert type(y.inputs) is tuple and len(y.inputs) == 2
        assert y.inputs[0] is a and y.inputs[1] is b
        assert y.label == "" and y.grad == 0.0
    y = b - a
    assert y.inputs[0] is b and y.inputs[1] is a


def test_unary_minus_is_one_node_with_one_input():
    a = Value(3.0)
    y = -a
    assert y.op == "-" and len(y.inputs) == 1 and y.inputs[0] is a
    assert y.data == -3.0
    y.backward()
    assert a.grad == -1.0


def test_subtraction_is_one_node_not_add_of_negation():
    a, b = Value(3.0), Value(2.0)
    y = a - b
    assert all_nodes(y).__len__() == 3
    assert (a / b).inputs == (a, b) and len(all_nodes(a / b)) == 3


def test_number_operands_become_constant_leaves():
    x = Value(5.0, "x")
    y = 2 - x
    assert y.op == "-" and y.inputs[1] is x
    c = y.inputs[0]
    assert type(c) is Value and c.data == 2.0 and c.op == "" and c.inputs == ()
    y = x / 4
    assert y.inputs[0] is x and y.inputs[1].data == 4.0 and y.inputs[1].is_leaf
    y = 2 ** x
    assert y.op == "**" and y.inputs[0].data == 2.0 and y.inputs[1] is x
    assert y.exponent is None


def test_plain_exponent_is_an_attribute_not_an_input():
    x = Value(2.0)
    y = x ** 3
    assert y.op == "**" and y.inputs == (x,) and y.exponent == 3.0
    assert type(y.exponent) is float
    assert y.data == 8.0
    y.backward()
    assert x.grad == 12.0
    z = x ** Value(3.0)
    assert len(z.inputs) == 2


def test_x_times_x_keeps_the_duplicate_input():
    a = Value(3.0)
    y = a * a
    assert len(y.inputs) == 2 and y.inputs[0] is a and y.inputs[1] is a
    y.backward()
    assert a.grad == 6.0
    order = y.topological_order()
    assert len(order) == 2 and order[0] is a and order[1] is y
    z = a + a
    assert z.inputs[0] is a and z.inputs[1] is a


@pytest.mark.parametrize("method", ["relu", "tanh", "sigmoid", "exp", "log", "sin", "cos"])
def test_method_op_names(method):
    x = Value(0.7)
    y = getattr(x, method)()
    assert y.op == method
    assert len(y.inputs) == 1 and y.inputs[0] is x
    assert type(y.data) is float


# --------------------------------------------------------------------------
# Saturating functions
# --------------------------------------------------------------------------

def test_tanh_and_sigmoid_saturate_without_overflow():
    for x0, t_want in ((1000.0, 1.0), (-1000.0, -1.0), (1e308, 1.0), (-1e308, -1.0)):
        x = Value(x0)
        t = x.tanh()
        assert t.data == t_want
        t.backward()
        assert x.grad == 0.0
    x = Value(1000.0)
    s = x.sigmoid()
    assert s.data == 1.0
    s.backward()
    assert x.grad == 0.0
    for x0 in (-1000.0, -1e308):
        x = Value(x0)
        s = x.sigmoid()
        assert 0.0 <= s.data < 1e-300
        s.backward()
        assert 0.0 <= x.grad < 1e-300


@settings(max_examples=150, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_tanh_and_sigmoid_are_finite_for_every_finite_input(x0):
    x = Value(x0)
    t, s = x.tanh(), x.sigmoid()
    assert -1.0 <= t.data <= 1.0
    assert 0.0 <= s.data <= 1.0
    (t + s).backward()
    assert math.isfinite(x.grad) and 0.0 <= x.grad <= 1.25
    # abs_tol: below x ~ -709 torch returns 0.0 where the engine returns the
    # (more accurate) subnormal exp(x) / (1 + exp(x)).
    assert math.isclose(s.data, torch.sigmoid(torch.tensor(x0, dtype=torch.float64)).item(),
                        rel_tol=1e-12, abs_tol=1e-300)


def test_relu_derivative_at_zero_is_zero():
    for x0, d in ((0.0, 0.0), (-0.0, 0.0), (5e-324, 1.0), (-5e-324, 0.0), (3.0, 1.0)):
        x = Value(x0)
        y = x.relu()
        y.backward()
        assert x.grad == d, x0
        assert y.data == max(x0, 0.0)


# --------------------------------------------------------------------------
# backward(): every node, accumulation
# --------------------------------------------------------------------------

def test_backward_fills_leaves_and_intermediates_like_torch_retain_grad():
    x, y = Value(1.5), Value(-0.5)
    a = x * y
    b = a.tanh()
    c = b + x ** 2
    d = c * a
    d.backward()

    tx, ty = T(1.5), T(-0.5)
    ta = tx * ty; ta.retain_grad()
    tb = ta.tanh(); tb.retain_grad()
    tc = tb + tx ** 2; tc.retain_grad()
    td = tc * ta; td.retain_grad()
    td.backward()
    for n, t in ((x, tx), (y, ty), (a, ta), (b, tb), (c, tc), (d, td)):
        assert math.isclose(n.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-15)
    assert d.grad == 1.0


def test_backward_adds_to_existing_grads():
    x = Value(2.0)
    y = x * 3
    x.grad = 5.0
    y.backward()
    assert x.grad == 8.0


def test_backward_twice_gives_exactly_twice_3_x_x():
    x = Value(2.0)
    a = 3 * x
    y = a * x
    y.backward()
    assert x.grad == 12.0 and a.grad == 2.0 and y.grad == 1.0
    y.backward()
    assert x.grad == 24.0      # micrograd-style closures would give 36
    assert a.grad == 4.0 and y.grad == 2.0


def test_backward_twice_matches_torch_retain_graph():
    def expr(x, w, b):
        h1 = x * w
        h2 = h1 + b
        h3 = h2.tanh() * h1
        return [h1, h2, h3, h3 * h3 + h2]

    vals = (2.0, -1.5, 0.5)
    leaves = [Value(v) for v in vals]
    inter = expr(*leaves)
    tleaves = [T(v) for v in vals]
    tinter = expr(*tleaves)
    for t in tinter:
        t.retain_grad()
    for rnd in range(3):
        inter[-1].backward()
        tinter[-1].backward(retain_graph=True)
        for n, t in zip(leaves + inter, tleaves + tinter):
            assert math.isclose(n.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-15), rnd


@DAG_SETTINGS
@given(dags())
def test_backward_twice_is_exactly_double_on_random_graphs(dag):
    nodes = build(dag)
    root = nodes[-1]
    root.backward()
    once = {id(n): n.grad for n in all_nodes(root)}
    root.backward()
    for n in all_nodes(root):
        assert n.grad == 2 * once[id(n)]
    assert root.grad == 2.0


def test_backward_on_a_leaf():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_million_node_chain_with_default_recursion_limit():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)        # CPython's default
    try:
        start = time.perf_counter()
        x = Value(0.5)
        y = x
        for _ in range(999_999):       # x plus 999,999 negations: 10**6 nodes
            y = -y
        order = y.topological_order()
        assert len(order) == 1_000_000
        assert order[0] is x and order[-1] is y
        del order
        y.backward()
        assert x.grad == -1.0          # odd number of negations
        assert y.grad == 1.0
        assert y.inputs[0].grad == -1.0
        assert y.data == -0.5
        del y                          # freeing a deep chain must not recurse
        # generous bound: catches quadratic behaviour, not a busy machine
        assert time.perf_counter() - start < 60
    finally:
        sys.setrecursionlimit(old)


# --------------------------------------------------------------------------
# topological_order()
# --------------------------------------------------------------------------

def assert_valid_topological_order(root, order):
    nodes = all_nodes(root)
    assert len(order) == len(nodes)
    assert {id(n) for n in order} == {id(n) for n in nodes}
    assert len({id(n) for n in order}) == len(order)      # each node once
    position = {id(n): i for i, n in enumerate(order)}
    for n in order:
        for i in n.inputs:
            assert position[id(i)] < position[id(n)]
    assert order[-1] is root


@DAG_SETTINGS
@given(dags())
def test_topological_order_is_valid_on_random_graphs(dag):
    root = build(dag)[-1]
    assert_valid_topological_order(root, root.topological_order())


@DAG_SETTINGS
@given(dags(min_steps=8))
def test_topological_order_is_deterministic(dag):
    first = build(dag)[-1]
    junk = [Value(float(i)) for i in range(37)]          # shift addresses/ids
    second = build(dag)[-1]
    seq1 = [(n.op, n.data) for n in first.topological_order()]
    seq2 = [(n.op, n.data) for n in second.topological_order()]
    assert seq1 == seq2
    assert seq1 == [(n.op, n.data) for n in first.topological_order()]
    del junk


def test_topological_order_of_a_wide_graph_is_reproducible():
    # Many distinct leaves of equal rank: a set-ordered traversal would vary.
    def make():
        xs = [Value(float(i)) for i in range(200)]
        acc = xs[0]
        for v in xs[1:]:
            acc = acc + v * v
        return acc
    a = [n.data for n in make().topological_order()]
    b = [n.data for n in make().topological_order()]
    assert a == b
    assert a[:3] == [0.0, 1.0, 1.0]     # x0, x1, x1*x1 (operands in written order)


def test_topological_order_does_not_change_grads():
    x = Value(1.0)
    y = x * 2 + x
    x.grad = 3.0
    y.topological_order()
    assert x.grad == 3.0 and y.grad == 0.0


# --------------------------------------------------------------------------
# zero_grad, detach, no_grad
# --------------------------------------------------------------------------

@DAG_SETTINGS
@given(dags())
def test_zero_grad_zeroes_every_node_of_the_graph(dag):
    nodes = build(dag)
    root = nodes[-1]
    outsider = Value(1.0)
    (outsider * 2).backward()
    root.backward()
    assert root.grad == 1.0
    root.zero_grad()
    for n in all_nodes(root):
        assert n.grad == 0.0
    assert outsider.grad == 2.0
    root.backward()
    once = {id(n): n.grad for n in all_nodes(root)}
    root.zero_grad()
    root.backward()
    assert {id(n): n.grad for n in all_nodes(root)} == once


def test_detach_returns_a_new_leaf_with_the_same_data():
    x = Value(3.0, "x")
    y = x * x
    d = y.detach()
    assert d is not y
    assert d.data == 9.0 and d.op == "" and d.inputs == () and d.grad == 0.0
    assert x.detach().label == "x"
    z = x * x.detach()           # gradient flows only through the first operand
    z.backward()
    assert x.grad == 3.0
    d.data = 100.0
    assert y.data == 9.0


def test_no_grad_records_nothing_and_restores():
    assert is_grad_enabled() is True
    x = Value(2.0)
    with no_grad():
        assert is_grad_enabled() is False
        results = [x + 1, 1 + x, x - 1, x * 3, x / 4, x ** 2, x ** Value(2.0), -x,
                   2 ** x, x.relu(), x.tanh(), x.sigmoid(), x.exp(), x.log(), x.sin(), x.cos()]
        with no_grad():
            assert is_grad_enabled() is False
        assert is_grad_enabled() is False
    assert is_grad_enabled() is True
    expected = [3.0, 3.0, 1.0, 6.0, 0.5, 4.0, 4.0, -2.0, 4.0, 2.0, math.tanh(2.0),
                1 / (1 + math.exp(-2.0)), math.exp(2.0), math.log(2.0), math.sin(2.0),
                math.cos(2.0)]
    for r, e in zip(results, expected):
        assert r.op == "" and r.inputs == ()
        assert math.isclose(r.data, e, rel_tol=1e-15)
    r = results[3]
    r.backward()
    assert x.grad == 0.0          # nothing links the result to x
    y = x * 3                     # recording again
    assert y.op == "*" and y.inputs[0] is x


def test_no_grad_restores_recording_after_an_exception():
    with pytest.raises(RuntimeError, match="boom"):
        with no_grad():
            assert not is_grad_enabled()
            raise RuntimeError("boom")
    assert is_grad_enabled()
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            Value(1.0) / 0
    assert is_grad_enabled()
    assert (Value(1.0) + 1).op == "+"


# --------------------------------------------------------------------------
# backward_steps()
# --------------------------------------------------------------------------

def check_backward_steps(root):
    nodes = all_nodes(root)
    root.zero_grad()
    preset = {id(n): float(k) * 0.25 for k, n in enumerate(nodes)}
    for n in nodes:
        n.grad = preset[id(n)]
    steps = root.backward_steps()
    # .grad untouched
    assert all(n.grad == preset[id(n)] for n in nodes)

    assert all(isinstance(s, BackwardStep) for s in steps)
    assert steps[0].node is root and steps[0].upstream == 1.0
    assert len(steps) == len(nodes)
    assert {id(s.node) for s in steps} == {id(n) for n in nodes}     # each once
    position = {id(s.node): k for k, s in enumerate(steps)}

    received = {id(n): 0.0 for n in nodes}
    for k, s in enumerate(steps):
        assert len(s.contributions) == len(s.node.inputs)
        for c, inp in zip(s.contributions, s.node.inputs):
            assert isinstance(c, Contribution)
            assert c.input is inp                         # operand order
            assert c.added == s.upstream * c.local
            assert position[id(c.input)] > k              # consumers come first
        if k > 0:
            # upstream is the sum of what earlier steps sent to this node
            assert math.isclose(s.upstream, received[id(s.node)], rel_tol=1e-12,
                                abs_tol=1e-300), k
        for c in s.contributions:
            received[id(c.input)] += c.added

    # upstream == what backward() puts into .grad from zero
    root.zero_grad()
    root.backward()
    for s in steps:
        assert s.node.grad == s.upstream
    return steps


@DAG_SETTINGS
@given(dags())
def test_backward_steps_invariants_on_random_graphs(dag):
    check_backward_steps(build(dag)[-1])


def test_backward_steps_on_the_lecture_example():
    x, w, b = Value(2.0), Value(-1.5), Value(0.5)
    h1 = x * w
    h2 = h1 + b
    L = h2 ** 2
    steps = check_backward_steps(L)
    first = steps[0]
    assert first.contributions == (Contribution(h2, -5.0, -5.0),)
    s_h1 = next(s for s in steps if s.node is h1)
    assert s_h1.contributions == (Contribution(x, -1.5, 7.5), Contribution(w, 2.0, -10.0))
    assert all(s.contributions == () for s in steps if s.node in (x, w, b))


def test_backward_steps_with_shared_node_lists_each_node_once():
    a = Value(3.0)
    y = a * a
    steps = y.backward_steps()
    assert [s.node for s in steps] == [y, a]
    assert steps[0].contributions == (Contribution(a, 3.0, 3.0), Contribution(a, 3.0, 3.0))
    assert steps[1].upstream == 6.0
    assert a.grad == 0.0


# --------------------------------------------------------------------------
# numerical_grad()
# --------------------------------------------------------------------------

def test_numerical_grad_single_value_returns_a_float():
    x = Value(3.0)
    g = numerical_grad(lambda x: x ** 2, x)
    assert type(g) is float
    assert abs(g - 6.0) < 1e-6
    assert x.data == 3.0


def test_numerical_grad_accepts_a_plain_number():
    g = numerical_grad(lambda x: x.sin(), 0.5)
    assert type(g) is float and abs(g - math.cos(0.5)) < 1e-8


def test_numerical_grad_sequence_returns_a_list_in_order():
    x, y, z = Value(1.0), Value(2.0), Value(-0.5)
    calls = []

    def f(a, b, c):
        calls.append(len((a, b, c)))
        return a * b + c.exp() * a - b ** 3

    for values in ([x, y, z], (x, y, z), [x, 2.0, -0.5]):
        g = numerical_grad(f, values)
        assert type(g) is list and len(g) == 3
        assert all(type(v) is float for v in g)
        want = [2.0 + math.exp(-0.5), 1.0 - 12.0, math.exp(-0.5)]
        for got, w in zip(g, want):
            assert abs(got - w) < 1e-6
    assert set(calls) == {3}
    assert (x.data, y.data, z.data) == (1.0, 2.0, -0.5)


def test_numerical_grad_uses_central_differences_with_eps():
    # (f(x+e) - f(x-e)) / 2e for x**3 is exactly 3x^2 + e^2; a forward
    # difference would add 3x*e instead.
    x = Value(1.0)
    g = numerical_grad(lambda v: v ** 3, x, eps=1e-2)
    assert math.isclose(g, 3.0 + 1e-4, rel_tol=1e-9)
    g = numerical_grad(lambda v: v ** 3, x, eps=0.5)
    assert math.isclose(g, 3.0 + 0.25, rel_tol=1e-12)
    assert x.data == 1.0


def test_numerical_grad_restores_data_even_if_f_raises():
    x = Value(0.3)
    calls = []

    def f(v):
        calls.append(v.data)
        if len(calls) == 2:
            raise RuntimeError("stop")
        return v * v

    with pytest.raises(RuntimeError, match="stop"):
        numerical_grad(f, x)
    assert x.data == 0.3
    assert calls[0] != 0.3


@DAG_SETTINGS
@given(dags(max_steps=8))
def test_numerical_grad_agrees_with_backward(dag):
    leaves, steps = dag
    values = [Value(v) for v in leaves]

    def f(*vs):
        nodes = list(vs)
        for op, args in steps:
            fn = _U[op] if len(args) == 1 else _B[op]
            nodes.append(fn(*(nodes[i] for i in args)))
        return nodes[-1]

    root = f(*values)
    # Skip graphs where a relu kink sits within eps of a leaf's nudge.
    kinks = [n for n in all_nodes(root) if n.op == "relu" and abs(n.inputs[0].data) < 1e-3]
    if kinks:
        return
    root.backward()
    num = numerical_grad(f, values, eps=1e-6)
    assert [v.data for v in values] == leaves
    for v, g in zip(values, num):
        assert abs(g - v.grad) <= 1e-5 * (1 + abs(v.grad) + abs(root.data)), (g, v.grad)


# --------------------------------------------------------------------------
# Memory: no reference cycles
# --------------------------------------------------------------------------

def _exercise_the_engine():
    x, w, b = Value(2.0, "x"), Value(-1.5, "w"), Value(0.5, "b")
    h = (x * w + b)
    L = h ** 2 + (h.tanh() * h.sigmoid()).exp() - 3 / (x + 4) + 2 ** w + x ** Value(1.5)
    L = L + h.relu() + h.sin() * h.cos() + (x * x).log() - (-h)
    L.backward()
    L.backward_steps()
    L.topological_order()
    with no_grad():
        _ = L * 2
    L.detach()
    numerical_grad(lambda a, c: a * c, [x, w])
    L.zero_grad()
    return L


class _ClosureValue:
    """The micrograd pattern: a _backward closure that captures its output."""

    def __init__(self, data, children=()):
        self.data, self.grad, self._prev = data, 0.0, children
        self._backward = lambda: None

    def __mul__(self, other):
        out = _ClosureValue(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
        out._backward = _backward
        return out


def _unreachable_after(build_and_drop):
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        build_and_drop()
        return gc.collect()
    finally:
        if was_enabled:
            gc.enable()


def test_dropping_a_graph_leaves_no_cyclic_garbage():
    def build_and_drop():
        L = _exercise_the_engine()
        del L
    assert _unreachable_after(build_and_drop) == 0

    # The detector works: a closure-based graph is caught.
    def build_closures():
        a = _ClosureValue(2.0)
        y = a * a * a
        del y
    assert _unreachable_after(build_closures) > 0


def test_graph_is_freed_by_reference_counting_alone():
    x = Value(2.0)
    base = sys.getrefcount(x)
    y = (x * x + x).tanh() ** 2 / (x + 1)
    y.backward()
    assert sys.getrefcount(x) > base
    del y
    assert sys.getrefcount(x) == base


def test_value_has_slots_and_no_dict():
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.something_else = 1


# --------------------------------------------------------------------------
# repr
# --------------------------------------------------------------------------

def test_repr_shows_data_and_grad():
    v = Value(2.5, "w")
    r = repr(v)
    assert r.startswith("Value(") and "2.5" in r and "grad" in r and "w" in r
    v.grad = -0.125
    assert "-0.125" in repr(v)
    y = v * 3
    assert "7.5" in repr(y) and "*" in repr(y)
    assert "data" in repr(y) and "grad" in repr(y)
