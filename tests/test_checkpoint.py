"""Gradient checkpointing (src/theory/checkpoint.py) against plain backward and torch.

- Gradients through checkpoints equal plain backward's on deep chains (a
  tanh chain and a chain using every kind of operation), for many segment
  counts: bit for bit when every weight serves one layer (the recomputed
  segment's backward is seeded with the upstream gradient, so it forms the
  same products in the same order), to 1e-12 relative when weights are
  shared across segments (their contributions are summed per segment
  first, then across segments).
- Against torch float64 autograd on the same chain, and numerical_grad on a
  small one; repeated backward accumulates exactly.
- `grad()` and a backward run inside `no_grad()` go through checkpoints.
- A segment that reads a Value it was not given is an error, not a lost
  gradient; every other misuse gets a one-line error.
- Memory, measured in bytes with tracemalloc: checkpointing a 1024-layer
  chain needs far less than plain backward, and for a chain with shared
  weights the peak grows like sqrt(n).
"""

from __future__ import annotations

import gc
import math
import random
import tracemalloc

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from src.autograd import Value, grad, no_grad, numerical_grad
from src.theory.checkpoint import checkpoint, checkpoint_sequential, split_evenly

REL = 1e-12


# --------------------------------------------------------------------------
# Chains
# --------------------------------------------------------------------------

def tanh_layer(x, w, b):
    return (w * x + b).tanh()


def mixed_layer(x, w, b):
    """Every kind of operation, numbers as constants; stays bounded."""
    h = (w * x + b).tanh()
    g = (x * b).sin() * 0.3 + (x * 0.5).cos() * w * 0.2
    s = (x - b).sigmoid() - (x * x + 1.0).log() * 0.1
    r = (h + 0.25).relu() ** 2 + (x * 0.2).exp() / (2.0 + b * b)
    q = (s + 2.0) ** Value(0.5) - (-h) * 0.1
    return 0.5 * h + g + s * 0.3 - r * 0.2 + q * 0.1


def make_layers(n, seed=0, fn=tanh_layer):
    rng = random.Random(seed)
    return [(fn, (Value(rng.uniform(-1.5, 1.5), f"w{i}"), Value(rng.uniform(-0.5, 0.5), f"b{i}")))
            for i in range(n)]


def parameters(layers):
    return [p for _, ps in layers for p in ps]


def plain_chain(layers, x):
    for fn, params in layers:
        x = fn(x, *params)
    return x


def grads_of(build, layers, x0=0.3):
    """(output data, gradients of [x, *params]) of one backward pass."""
    x = Value(x0, "x")
    leaves = [x] + parameters(layers)
    for v in leaves:
        v.grad = 0.0
    out = build(layers, x)
    out.backward()
    return out.data, [v.grad for v in leaves]


def worst_rel(got, want):
    return max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(got, want))


def assert_close(got, want, rel=REL):
    for i, (a, b) in enumerate(zip(got, want)):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=1e-300), (i, a, b)


# --------------------------------------------------------------------------
# Same gradients as plain backward
# --------------------------------------------------------------------------

def test_deep_tanh_chain_matches_plain_backward():
    layers = make_layers(400)
    data, want = grads_of(plain_chain, layers)
    assert any(abs(g) > 1e-6 for g in want[-20:])  # the chain is not dead
    worst = 0.0
    for segments in (1, 2, 3, 7, 20, 50, 399, 400, None):
        got_data, got = grads_of(lambda L, x: checkpoint_sequential(L, x, segments), layers)
        assert got_data == data  # the forward values are bit-identical
        assert_close(got, want)
        worst = max(worst, worst_rel(got, want))
    print(f"\nmax relative difference, checkpointed vs plain (400 tanh layers): {worst:.3g}")
    assert worst < REL


def test_mixed_chain_matches_plain_backward():
    layers = make_layers(60, seed=3, fn=mixed_layer)
    data, want = grads_of(plain_chain, layers)
    assert all(math.isfinite(g) for g in want) and any(abs(g) > 1e-3 for g in want)
    for segments in (2, 8, 60):
        got_data, got = grads_of(lambda L, x: checkpoint_sequential(L, x, segments), layers)
        assert got_data == data
        assert_close(got, want)


def test_one_segment_is_exact_when_it_is_the_whole_expression():
    # With the checkpoint's output as the loss, its upstream is exactly 1:
    # then the segment's own backward gives plain backward's very numbers.
    layers = make_layers(30)
    _, want = grads_of(plain_chain, layers)
    x = Value(0.3)
    params = parameters(layers)
    for p in params:
        p.grad = 0.0
    out = checkpoint(lambda x, *ps: plain_chain(
        [(tanh_layer, ps[i:i + 2]) for i in range(0, len(ps), 2)], x), x, *params)
    out.backward()
    assert [x.grad] + [p.grad for p in params] == want


@settings(deadline=None, max_examples=25)
@given(n=st.integers(1, 40), seed=st.integers(0, 10_000), data=st.data())
def test_any_chain_and_segment_count_matches(n, seed, data):
    segments = data.draw(st.integers(1, n))
    shared = data.draw(st.booleans())
    layers = make_layers(n, seed)
    if shared:  # a recurrence: every layer reads the same two weights
        layers = [(tanh_layer, layers[0][1])] * n
    out, want = grads_of(plain_chain, layers)
    got_out, got = grads_of(lambda L, x: checkpoint_sequential(L, x, segments), layers)
    assert got_out == out
    assert_close(got, want)


def test_matches_torch_float64():
    n = 300
    layers = make_layers(n, seed=7)
    _, got = grads_of(lambda L, x: checkpoint_sequential(L, x), layers)
    x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    ts = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True)
          for p in parameters(layers)]
    h = x
    for i in range(n):
        h = torch.tanh(ts[2 * i] * h + ts[2 * i + 1])
    h.backward()
    want = [x.grad.item()] + [t.grad.item() for t in ts]
    # math.tanh and torch.tanh may round differently by an ulp; over 300
    # layers that stays far below 1e-10.
    assert_close(got, want, rel=1e-10)


def test_matches_numerical_grad_on_a_small_chain():
    layers = make_layers(6, seed=11, fn=mixed_layer)
    x = Value(0.4)
    params = parameters(layers)
    out = checkpoint_sequential(layers, x, segments=3)
    out.backward()

    def f(x, *ps):  # numerical_grad runs this inside no_grad()
        return checkpoint_sequential([(mixed_layer, ps[i:i + 2]) for i in range(0, 12, 2)], x, 3)

    numeric = numerical_grad(f, [x] + params)
    for got, want in zip([x.grad] + [p.grad for p in params], numeric):
        assert math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-8)


def test_backward_twice_accumulates_exactly():
    layers = make_layers(50)
    x = Value(0.3)
    leaves = [x] + parameters(layers)
    out = checkpoint_sequential(layers, x, 7)
    out.backward()
    once = [v.grad for v in leaves]
    out.backward()
    assert [v.grad for v in leaves] == [2 * g for g in once]  # bit for bit

    _, plain_once = grads_of(plain_chain, layers)
    assert_close(once, plain_once)


def test_a_value_used_twice_and_the_input_used_as_a_parameter():
    x, w = Value(0.7), Value(-1.2)
    out = checkpoint(lambda a, b, c: (a * b + c * a).tanh() * b, x, w, x)
    out.backward()
    x2, w2 = Value(0.7), Value(-1.2)
    ref = (x2 * w2 + x2 * x2).tanh() * w2
    ref.backward()
    assert math.isclose(x.grad, x2.grad, rel_tol=REL)
    assert math.isclose(w.grad, w2.grad, rel_tol=REL)


def test_nested_checkpoints():
    layers = make_layers(24, seed=5)
    _, want = grads_of(plain_chain, layers)

    def nested(L, x):
        outer = []
        for k in range(0, 24, 8):
            chunk = L[k:k + 8]
            ps = parameters(chunk)
            outer.append((lambda x, *ps, chunk=chunk: checkpoint_sequential(
                [(fn, ps[2 * i:2 * i + 2]) for i, (fn, _) in enumerate(chunk)], x, 3), ps))
        return checkpoint_sequential(outer, x, 3)

    _, got = grads_of(nested, layers)
    assert_close(got, want)


def test_graph_shape_and_shared_parameters():
    w, b = Value(0.9, "w"), Value(0.1, "b")
    x = Value(0.3, "x")
    out = checkpoint_sequential([(tanh_layer, (w, b))] * 12, x, 3)
    # last piece runs normally; the two before it are one node each, and a
    # weight shared by every layer is one input of each checkpoint node
    nodes = [v for v in out.topological_order() if v.op == "checkpoint"]
    assert len(nodes) == 2
    assert nodes[0].inputs == (x, w, b)
    assert nodes[1].inputs == (nodes[0], w, b)
    single = checkpoint(tanh_layer, x, w, b)
    assert single.op == "checkpoint" and single.inputs == (x, w, b)
    assert single.data == tanh_layer(x, w, b).data


def test_backward_steps_and_zero_grad_work_through_a_checkpoint():
    x, w, b = Value(0.5, "x"), Value(2.0, "w"), Value(-1.0, "b")
    out = checkpoint(tanh_layer, x, w, b)
    steps = out.backward_steps()
    assert steps[0].node is out and steps[0].upstream == 1.0
    assert [c.input for c in steps[0].contributions] == [x, w, b]
    assert [c.local for c in steps[0].contributions] == pytest.approx([2.0, 0.5, 1.0], rel=REL)
    assert x.grad == w.grad == b.grad == 0.0  # backward_steps changes no grad
    out.backward()
    out.zero_grad()
    assert x.grad == w.grad == b.grad == 0.0


def test_inside_no_grad_it_is_the_plain_result():
    x, w, b = Value(0.5), Value(2.0), Value(-0.3)
    with no_grad():
        out = checkpoint(tanh_layer, x, w, b)
        chain = checkpoint_sequential([(tanh_layer, (w, b))] * 5, x, 2)
    assert out.is_leaf and out.op == "" and out.data == math.tanh(0.7)
    assert chain.is_leaf


def test_constants_made_by_the_segment_are_fine():
    x = Value(0.5)
    out = checkpoint(lambda x: (x * 2.0 + Value(1.0)).tanh() * 3, x)
    out.backward()
    assert math.isclose(x.grad, 6 * (1 - math.tanh(2.0) ** 2), rel_tol=REL)


def test_dropping_a_checkpointed_graph_leaves_no_cyclic_garbage():
    layers = make_layers(40)
    gc.collect()
    gc.disable()
    try:
        out = checkpoint_sequential(layers, Value(0.2), 6)
        out.backward()
        del out
        assert gc.collect() == 0
    finally:
        gc.enable()


# --------------------------------------------------------------------------
# A segment that reads a Value it was not given
# --------------------------------------------------------------------------

def test_reading_an_outside_leaf_is_an_error_not_a_lost_gradient():
    x, w = Value(0.5, "x"), Value(2.0, "w_hidden")
    out = checkpoint(lambda x: (w * x).tanh(), x)  # w is read, not passed
    with pytest.raises(ValueError, match=r"reads a Value \(a leaf, label 'w_hidden', "
                                         r"data=2\) that was not passed to checkpoint"):
        out.backward()
    assert x.grad == 0.0 and w.grad == 0.0  # nothing half-written


def test_reading_an_outside_intermediate_node_is_an_error():
    a, x = Value(1.5, "a"), Value(0.5, "x")
    h = a * a  # a node of the outer graph
    out = checkpoint(lambda x: x * h + 1.0, x) + h
    with pytest.raises(ValueError, match=r"reads a Value \(a '\*' node, data=2\.25\)"):
        out.backward()
    assert a.grad == h.grad == x.grad == 0.0


def test_returning_an_outside_value_is_an_error():
    x, w = Value(0.5), Value(2.0, "w")
    out = checkpoint(lambda x: w, x)
    with pytest.raises(ValueError, match="label 'w'"):
        out.backward()


def test_layer_reading_a_weight_it_does_not_list_is_an_error():
    hidden = Value(0.7, "hidden")
    layers = make_layers(9)
    layers[2] = (lambda x, w, b: (w * x + b * hidden).tanh(), layers[2][1])
    out = checkpoint_sequential(layers, Value(0.1), 3)
    with pytest.raises(ValueError, match="label 'hidden'.*pass every Value"):
        out.backward()


# --------------------------------------------------------------------------
# Other misuse: one-line errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: checkpoint(3.0, Value(1.0)), TypeError, "callable segment first, got float"),
    (lambda: checkpoint(tanh_layer), TypeError, "at least one input Value"),
    (lambda: checkpoint(tanh_layer, Value(1.0), 2.0, Value(0.0)), TypeError,
     "input 1 is float 2.0, not a Value"),
    (lambda: checkpoint(lambda x: 2.0, Value(1.0)), TypeError,
     "returned float 2.0 in the forward pass; it must return a single Value"),
    (lambda: checkpoint(lambda x: [x], Value(1.0)), TypeError, "returned list"),
    (lambda: checkpoint_sequential([(tanh_layer, (Value(1.0), Value(0.0)))], Value(0.1), 0),
     ValueError, r"segments must be between 1 and the number of layers \(1\), got 0"),
    (lambda: checkpoint_sequential(make_layers(4), Value(0.1), 5), ValueError,
     r"between 1 and the number of layers \(4\), got 5"),
    (lambda: checkpoint_sequential(make_layers(4), Value(0.1), 2.0), TypeError,
     "segments must be an int, got float"),
    (lambda: checkpoint_sequential(make_layers(4), Value(0.1), True), TypeError,
     "segments must be an int, got bool"),
    (lambda: checkpoint_sequential([], Value(0.1)), ValueError, "at least one layer"),
    (lambda: checkpoint_sequential(5, Value(0.1)), TypeError, "sequence of \\(fn, params\\)"),
    (lambda: checkpoint_sequential(make_layers(3), 0.1), TypeError, "x must be a Value, got float"),
    (lambda: checkpoint_sequential([tanh_layer], Value(0.1)), TypeError,
     "layer 0 is function .*pair \\(fn, params\\)"),
    (lambda: checkpoint_sequential([(tanh_layer, Value(1.0))], Value(0.1)), TypeError,
     "params of layer 0 must be a tuple or list of Values, got Value"),
    (lambda: checkpoint_sequential([(tanh_layer, (Value(1.0), 0.5))], Value(0.1)), TypeError,
     "layer 0 has a parameter of type float"),
    (lambda: checkpoint_sequential([(lambda x: 1.0, ())] * 2, Value(0.1), 1), TypeError,
     "layer function '.*<lambda>' returned float 1.0"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_non_value_result_inside_no_grad_is_an_error():
    with no_grad(), pytest.raises(TypeError, match="returned float 1.0 inside no_grad"):
        checkpoint(lambda x: 1.0, Value(0.0))


def test_backward_inside_no_grad_still_recomputes():
    # As torch.utils.checkpoint (enable_grad in its backward): the
    # recomputation records its graph whatever the ambient mode.
    x = Value(0.3)
    out = checkpoint(lambda x: x.tanh() * x, x)
    with no_grad():
        out.backward()
    assert math.isclose(x.grad, math.tanh(0.3) + 0.3 * (1 - math.tanh(0.3) ** 2), rel_tol=REL)


def test_functional_grad_goes_through_checkpoints():
    layers = make_layers(30, seed=2)
    x = Value(0.3)
    params = parameters(layers)
    want = grad(plain_chain(layers, x), [x] + params)
    got = grad(checkpoint_sequential(layers, x, 5), [x] + params)
    assert_close([g.data for g in got], [g.data for g in want])
    assert x.grad == 0.0 and all(p.grad == 0.0 for p in params)  # grad() touches no .grad


def test_second_derivatives_cannot_go_through_a_checkpoint():
    x = Value(0.3)
    out = checkpoint(lambda x: x.tanh(), x)
    with pytest.raises(ValueError, match="'checkpoint' node twice"):
        grad(out, x, create_graph=True)


def test_a_segment_that_changes_between_runs_is_an_error():
    rng = random.Random(0)
    out = checkpoint(lambda x: x * rng.random(), Value(1.0))
    with pytest.raises(RuntimeError, match="must compute the same value every time"):
        out.backward()


def test_changing_an_input_before_backward_is_an_error():
    x, w = Value(0.3), Value(1.0)
    out = checkpoint(lambda x, w: x * w, x, w)
    w.data = 2.0
    with pytest.raises(RuntimeError, match="inputs must not change before backward"):
        out.backward()


@given(n=st.integers(1, 500), pieces=st.integers(1, 500))
def test_split_evenly(n, pieces):
    sizes = split_evenly(n, pieces)
    assert len(sizes) == pieces and sum(sizes) == n
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


# --------------------------------------------------------------------------
# Memory (bytes, not time: deterministic enough to assert)
# --------------------------------------------------------------------------

def peak_bytes(build, layers):
    """Peak traced memory of one forward + backward above the parameters."""
    x = Value(0.3)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = build(layers, x)
        out.backward()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_checkpointing_1024_layers_needs_far_less_memory():
    layers = make_layers(1024)
    plain = peak_bytes(plain_chain, layers)
    ckpt = peak_bytes(checkpoint_sequential, layers)
    print(f"\n1024 tanh layers, own weights: plain {plain} B, checkpointed {ckpt} B "
          f"({ckpt / plain:.2f}x)")
    # Every weight still needs a gradient (and a copy during its piece's
    # recomputation): with one weight per activation that floor is O(n).
    assert ckpt < 0.45 * plain


def test_with_shared_weights_the_peak_grows_like_sqrt_n():
    def shared(n):
        return [(tanh_layer, (Value(0.9), Value(0.1)))] * n

    plain = {n: peak_bytes(plain_chain, shared(n)) for n in (1024, 4096)}
    ckpt = {n: peak_bytes(checkpoint_sequential, shared(n)) for n in (1024, 4096)}
    print(f"\nshared weights: plain {plain}, checkpointed {ckpt}")
    assert ckpt[1024] < 0.2 * plain[1024]
    assert 3 < plain[4096] / plain[1024] < 5       # linear: x4
    assert ckpt[4096] / ckpt[1024] < 2.6           # sqrt(4) = 2, not 4


def test_reading_a_passed_value_through_a_closure_says_to_use_the_parameter():
    x = Value(2.0, "x")
    out = checkpoint(lambda a: a * x, x)  # `x`, not the parameter `a`
    with pytest.raises(ValueError, match="reads a Value .*label 'x'.* although it was passed as an input: "
                                         "inside the segment use its parameter"):
        out.backward()


def test_per_layer_weights_get_bit_identical_gradients():
    rng = random.Random(11)
    params = [(Value(rng.uniform(0.5, 1.5)), Value(rng.uniform(-0.2, 0.2))) for _ in range(300)]
    layers = [(lambda x, w, b: x + 0.5 * (w * x + b).tanh(), [w, b]) for w, b in params]

    def gradients(segments):
        for w, b in params:
            w.grad = b.grad = 0.0
        x = Value(0.3)
        checkpoint_sequential(layers, x, segments).backward()
        return [x.grad] + [g for w, b in params for g in (w.grad, b.grad)]

    plain = gradients(1)
    for segments in (2, 7, 17, 40):
        assert gradients(segments) == plain, segments
