"""How a node is stored: one object for the garbage collector, operands in order.

The engine keeps a node's operands in slots instead of a tuple per node (the
collector's work per training step roughly halves; see benchmarks/RESULTS.md).
These tests pin that design and prove the public view (`inputs`,
`topological_order`) is unchanged by it.
"""

from __future__ import annotations

import gc

from hypothesis import given

from src.autograd import Value, no_grad
from tests.test_autograd_semantics import DAG_SETTINGS, build, dags


def tracked_objects_made_by(make) -> tuple:
    """(result of make(), how many new gc-tracked objects are alive after it)."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        result = make()
        return result, len(gc.get_objects()) - before
    finally:
        if was_enabled:
            gc.enable()


def test_one_gc_tracked_object_per_operation():
    x, w = Value(0.5), Value(1.5)

    def chain():
        y = x
        for _ in range(5000):
            y = (y * w).tanh() + x  # three operations, three nodes
        return y

    y, tracked = tracked_objects_made_by(chain)
    nodes = len(y.topological_order()) - 2  # minus the two leaves made before
    assert nodes == 15000
    assert tracked <= nodes + 10, f"{tracked} tracked objects for {nodes} nodes"


def test_a_node_with_more_than_two_operands_keeps_them_all_in_order():
    a, b, c, d = (Value(float(i), n) for i, n in enumerate("abcd", 1))
    y = Value._result(10.0, "sum4", (a, b, c, d), lambda node: (1.0, 1.0, 1.0, 1.0))
    assert y.inputs == (a, b, c, d) and not y.is_leaf
    assert y.topological_order() == [a, b, c, d, y]
    (y * y).backward()
    assert [v.grad for v in (a, b, c, d)] == [20.0] * 4
    with no_grad():
        leaf = Value._result(10.0, "sum4", (a, b, c, d), lambda node: (1.0,) * 4)
    assert leaf.is_leaf and leaf.inputs == () and leaf.op == ""


def test_inputs_of_leaves_unary_and_binary_nodes():
    x, y = Value(2.0), Value(3.0)
    assert x.inputs == () and x.is_leaf
    assert x.exp().inputs == (x,)
    assert (x * y).inputs == (x, y) and (x * x).inputs == (x, x)
    assert (x ** 2).inputs == (x,)


def reference_topological_order(root) -> list:
    """The engine's earlier algorithm ((node, done) pairs on a stack)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for inp in reversed(node.inputs):
            if inp not in seen:
                stack.append((inp, False))
    return order


@DAG_SETTINGS
@given(dags(max_steps=25))
def test_topological_order_is_the_same_as_before_the_slot_layout(dag):
    # Drawn graphs are laid out in this order: it must not have moved.
    root = build(dag)[-1]
    assert root.topological_order() == reference_topological_order(root)


class _DoublingRule:
    """A local rule with its own chain-rule step: d(out)/d(a) = 2, applied as 2 * upstream."""

    def __init__(self):
        self.seen_upstreams = []

    def __call__(self, node):
        return (2.0,)

    def vjp(self, node, upstream):
        self.seen_upstreams.append(upstream)
        return (2.0 * upstream,)


def test_an_operation_may_apply_the_chain_rule_itself():
    a = Value(1.5)
    rule = _DoublingRule()
    y = Value._result(3.0, "double", (a,), rule)
    L = y * 5.0
    L.backward()
    assert rule.seen_upstreams == [5.0] and a.grad == 10.0
    # backward_steps and grad() use the local derivative itself
    step = next(s for s in L.backward_steps() if s.node is y)
    assert step.contributions[0].local == 2.0 and step.contributions[0].added == 10.0


def test_backward_with_a_seed_scales_every_gradient_like_torch():
    import pytest
    import torch
    x, w = Value(0.7), Value(-1.2)
    y = (x * w).tanh() + x ** 2
    y.backward(gradient=-2.5)
    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)
    ((tx * tw).tanh() + tx ** 2).backward(gradient=torch.tensor(-2.5, dtype=torch.float64))
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-14)
    assert w.grad == pytest.approx(tw.grad.item(), rel=1e-14)
    x2, w2 = Value(0.7), Value(-1.2)
    ((x2 * w2).tanh() + x2 ** 2).backward()
    assert (x.grad, w.grad) == pytest.approx((-2.5 * x2.grad, -2.5 * w2.grad), rel=1e-15)


def test_a_bad_seed_is_a_clear_error():
    import pytest
    y = Value(2.0) * 3.0
    with pytest.raises(TypeError, match=r"backward\(\) gradient expects a finite real number \(int or float\), got str"):
        y.backward("1")
    with pytest.raises(ValueError, match=r"backward\(\) gradient expects a finite real number, got nan"):
        y.backward(float("nan"))
