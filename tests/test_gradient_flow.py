"""Gradient-flow report (src/theory/gradient_flow.py) against the same network in torch."""

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from src.autograd import Value
from src.data import MOONS_SETTINGS, make_moons
from src.theory.gradient_flow import FlowReport, LayerFlow, gradient_flow
from src.models import MLP, Layer, hinge

F64 = torch.float64
X_MOONS, Y_MOONS = make_moons(n=100, noise=0.1, seed=1)


# ---- the same network in torch --------------------------------------------------

def torch_run(model, inputs, targets, loss="mse", reduction="mean"):
    """Forward + backward of `model`'s exact weights in torch (float64)."""
    Ws, bs, zs, hs = [], [], [], []
    h = torch.tensor(inputs, dtype=F64)
    for layer in model.layers:
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                         dtype=F64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=F64, requires_grad=True)
        z = h @ W.T + b
        z.retain_grad()
        h = {"relu": torch.relu, "tanh": torch.tanh}.get(layer.activation, lambda t: t)(z)
        Ws.append(W), bs.append(b), zs.append(z), hs.append(h)
    T = torch.tensor(targets, dtype=F64).reshape(h.shape)
    terms = (h - T) ** 2 if loss == "mse" else torch.relu(1 - T * h)
    L = terms.mean() if reduction == "mean" else terms.sum()
    L.backward()
    return L, Ws, bs, zs, hs


def norm(t):
    """L2 norm of torch's gradient values; math.hypot because torch's own
    vector_norm squares first and underflows to 0 below about 1e-154."""
    return math.hypot(*t.reshape(-1).tolist())


def assert_matches_torch(report, model, inputs, targets, loss="mse", reduction="mean"):
    L, Ws, bs, zs, hs = torch_run(model, inputs, targets, loss, reduction)

    def close(ours, theirs):
        assert math.isclose(ours, float(theirs), rel_tol=1e-9, abs_tol=1e-13), (ours, theirs)

    close(report.loss, L.item())
    close(report.total_norm, norm(torch.cat([t.grad.reshape(-1) for pair in zip(Ws, bs) for t in pair])))
    previous = None
    for flow, W, b, z, h in zip(report.layers, Ws, bs, zs, hs):
        close(flow.weight_norm, norm(W.grad))
        close(flow.mean_abs, W.grad.abs().mean())
        close(flow.max_abs, W.grad.abs().max())
        close(flow.bias_norm, norm(b.grad))
        close(flow.upstream_norm, norm(z.grad))
        # the ratio is checked on our own norms (checked above): a ratio of two
        # norms that are rounding noise (~1e-17) differs freely between engines
        if previous:
            assert flow.ratio == flow.weight_norm / previous
        else:
            assert flow.ratio is None
        previous = flow.weight_norm
        if flow.activation == "relu":
            dead_in_torch = tuple(j for j in range(h.shape[1]) if bool((h[:, j] == 0).all()))
            assert flow.dead_units == dead_in_torch
        else:
            assert flow.dead_units is None and flow.dead is None


# ---- against torch ----------------------------------------------------------------

@st.composite
def networks_and_batches(draw):
    nin = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 5), min_size=0, max_size=3))
    nout = draw(st.integers(1, 2))
    activation = draw(st.sampled_from(["tanh", "relu"]))
    model = MLP(nin, hidden + [nout], activation=activation, seed=draw(st.integers(0, 10**6)))
    for p in model.parameters():  # non-zero biases too
        p.data = draw(st.floats(-2, 2))
    n = draw(st.integers(1, 6))
    coord = st.floats(-2, 2)
    inputs = [[draw(coord) for _ in range(nin)] for _ in range(n)]
    loss = draw(st.sampled_from(["mse", "hinge"]))
    target = st.sampled_from([-1, 1]) if loss == "hinge" else st.floats(-2, 2)
    targets = [draw(target) if nout == 1 else [draw(target) for _ in range(nout)]
               for _ in range(n)]
    return model, inputs, targets, loss, draw(st.sampled_from(["mean", "sum"]))


@settings(deadline=None, max_examples=60)
@given(networks_and_batches())
def test_every_number_matches_torch(case):
    model, inputs, targets, loss, reduction = case
    report = gradient_flow(model, inputs, targets, loss, reduction=reduction)
    assert_matches_torch(report, model, inputs, targets, loss, reduction)


def test_lecture_moons_model_matches_torch():
    s = MOONS_SETTINGS
    model = MLP(2, s["sizes"], activation=s["activation"], seed=s["model_seed"])
    report = gradient_flow(model, X_MOONS, Y_MOONS, loss="hinge")
    assert_matches_torch(report, model, X_MOONS, Y_MOONS, loss="hinge")
    assert [f.name for f in report.layers] == ["layer 1 (2→4, tanh)", "layer 2 (4→1, linear)"]


def test_relu_moons_model_matches_torch():
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    report = gradient_flow(model, X_MOONS, Y_MOONS, loss="hinge")
    assert_matches_torch(report, model, X_MOONS, Y_MOONS, loss="hinge")
    assert [f.name for f in report.layers] == [
        "layer 1 (2→16, relu)", "layer 2 (16→16, relu)", "layer 3 (16→1, linear)"]


# ---- dead ReLUs ------------------------------------------------------------------

def test_dead_units_on_engineered_biases():
    model = MLP(2, [6, 5, 1], activation="relu", seed=4)
    # |w . x| <= 4 for inputs in [-2, 2]^2, so a bias of -50 keeps z < 0: dead.
    for j in (1, 4):
        model.layers[0].neurons[j].b.data = -50.0
    model.layers[1].neurons[2].b.data = -50.0
    # alive on part of the batch only: not dead
    model.layers[0].neurons[0].w[0].data, model.layers[0].neurons[0].w[1].data = 1.0, 0.0
    model.layers[0].neurons[0].b.data = -1.0
    inputs = [[-2.0, 0.5], [0.0, 1.0], [2.0, -1.5], [1.0, 1.0]]  # x0 > 1 on input 2 only
    targets = [1.0, -1.0, 0.5, 0.0]
    report = gradient_flow(model, inputs, targets)
    assert_matches_torch(report, model, inputs, targets)

    assert {(1, 1), (1, 4), (2, 2)} <= set(report.dead_units)
    assert (1, 0) not in report.dead_units
    first, second = report.layers[0], report.layers[1]
    assert first.dead_units[:2] == (1, 4) and first.units == 6
    assert first.dead_fraction == first.dead / 6
    assert report.relu_units == 11
    assert report.dead_fraction == len(report.dead_units) / 11
    # a dead unit gets no gradient at all
    for k, j in report.dead_units:
        neuron = model.layers[k - 1].neurons[j]
        assert all(w.grad == 0.0 for w in neuron.w) and neuron.b.grad == 0.0
    assert "dead ReLUs: " in report.table()
    assert f"{second.dead}/5" in report.table()


def test_dead_means_dead_for_the_whole_batch():
    model = MLP(1, [2, 1], activation="relu", seed=0)
    n0, n1 = model.layers[0].neurons
    n0.w[0].data, n0.b.data = 1.0, 0.0    # on for x > 0
    n1.w[0].data, n1.b.data = -1.0, 0.0   # on for x < 0
    assert gradient_flow(model, [[1.0]], [0.0]).layers[0].dead_units == (1,)
    assert gradient_flow(model, [[-1.0]], [0.0]).layers[0].dead_units == (0,)
    assert gradient_flow(model, [[1.0], [-1.0]], [0.0, 0.0]).layers[0].dead_units == ()
    both = gradient_flow(model, [[0.0]], [0.0])  # relu(0) = 0 for both
    assert both.layers[0].dead_units == (0, 1) and both.dead_fraction == 1.0


def test_every_relu_dead_and_no_relu():
    model = MLP(2, [3, 3, 1], activation="relu", seed=1)
    for n in model.layers[0].neurons:
        n.b.data = -100.0
    report = gradient_flow(model, [[0.1, 0.2], [1.0, -1.0]], [1.0, 2.0])
    # layer 2 sees only zeros, and its biases are 0: relu(0) = 0, dead too
    assert report.dead_units == [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert report.layers[0].weight_norm == 0.0 and report.layers[1].ratio is None
    tanh = gradient_flow(MLP(2, [3, 1], seed=1), [[0.1, 0.2]], [1.0])
    assert tanh.dead_units == [] and tanh.relu_units == 0 and tanh.dead_fraction is None
    assert "dead ReLUs" not in tanh.table().splitlines()[-1]


# ---- vanishing and exploding gradients ---------------------------------------------

def rescaled(activation, weight_scale, bias, seed, depth=6, width=16):
    model = MLP(2, [width] * depth + [1], activation=activation, seed=seed)
    for layer in model.layers:
        for neuron in layer.neurons:
            for w in neuron.w:
                w.data *= weight_scale
            neuron.b.data = bias
    return model


X20, Y20 = X_MOONS[:20], [float(t) for t in Y_MOONS[:20]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vanishing_gradients_deep_tanh(seed):
    # Small weights and biases of 1: every unit sits near tanh(1), slope 0.42,
    # and each layer back multiplies the signal by a small weight matrix too.
    model = rescaled("tanh", 0.3, 1.0, seed)
    report = gradient_flow(model, X20, Y20)
    norms = report.weight_norms
    assert norms[0] < 1e-2 * norms[-1]                    # measured ~5e-4
    assert all(f.ratio > 1 for f in report.layers[1:])    # grows toward the output
    ups = [f.upstream_norm for f in report.layers]
    assert all(a < b for a, b in zip(ups, ups[1:]))
    # the same architecture at the default initialisation does not vanish
    plain = gradient_flow(MLP(2, [16] * 6 + [1], activation="tanh", seed=seed), X20, Y20)
    assert plain.weight_norms[0] > 0.1 * plain.weight_norms[-1]
    if seed == 0:
        assert_matches_torch(report, model, X20, Y20)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exploding_gradients_large_weights(seed):
    # tanh with weights x3: the upstream signal grows on every step back,
    # the first layer gets the largest weight gradient, and all are >> 1.
    model = rescaled("tanh", 3.0, 0.0, seed)
    report = gradient_flow(model, X20, Y20)
    ups = [f.upstream_norm for f in report.layers]
    assert all(a > b for a, b in zip(ups, ups[1:]))
    assert report.weight_norms[0] > 5 * report.weight_norms[-1]   # measured 10-25x
    assert min(report.weight_norms) > 10
    # ReLU: doubling every weight multiplies the whole gradient by ~2**13
    normal = gradient_flow(rescaled("relu", 1.0, 0.0, seed), X20, Y20)
    doubled = gradient_flow(rescaled("relu", 2.0, 0.0, seed), X20, Y20)
    assert doubled.total_norm > 1000 * normal.total_norm
    assert min(doubled.weight_norms) > 1e4
    if seed == 0:
        assert_matches_torch(report, model, X20, Y20)


# ---- side effects, API -------------------------------------------------------------

def test_data_unchanged_and_grads_are_the_batch_gradient():
    model = MLP(2, [5, 3, 1], activation="relu", seed=7)
    data = [p.data for p in model.parameters()]
    for p in model.parameters():
        p.grad = 123.0  # stale gradients are replaced, not added to
    X, y = X_MOONS[:10], Y_MOONS[:10]
    gradient_flow(model, X, y, loss="hinge")
    ours = [p.grad for p in model.parameters()]
    assert [p.data for p in model.parameters()] == data

    twin = MLP(2, [5, 3, 1], activation="relu", seed=7)
    hinge([twin(x) for x in X], y).backward()
    assert ours == [p.grad for p in twin.parameters()]
    gradient_flow(model, X, y, loss="hinge")  # again: same, not doubled
    assert ours == [p.grad for p in model.parameters()]
    assert model.activations[0][0].data == X[-1][0]


def test_custom_loss_and_value_inputs():
    model = MLP(2, [3, 2], activation="tanh", seed=2)
    inputs = [[Value(0.5), Value(-1.0)], [0.2, 0.3]]

    def first_output(scores, targets):
        total = scores[0][0] * targets[0]
        for s, t in zip(scores[1:], targets[1:]):
            total = total + s[0] * t
        return total

    report = gradient_flow(model, inputs, [2.0, -1.0], loss=first_output)
    assert report.loss_name == "first_output"
    assert report.layers[-1].name == "layer 2 (3→2, linear)"
    # output 1 plays no part in this loss: its weights get no gradient
    assert all(w.grad == 0.0 for w in model.layers[-1].neurons[1].w)
    assert inputs[0][0].grad != 0.0  # the caller's input Values got gradients


def test_table_and_types():
    s = MOONS_SETTINGS
    model = MLP(2, s["sizes"], activation=s["activation"], seed=s["model_seed"])
    report = gradient_flow(model, X_MOONS, Y_MOONS, loss="hinge")
    assert isinstance(report, FlowReport) and all(isinstance(f, LayerFlow) for f in report.layers)
    text = report.table()
    assert str(report) == text
    lines = text.splitlines()
    assert len(lines) == 2 + len(report.layers)
    assert lines[0].startswith("gradient flow: hinge loss ") and "batch of 100" in lines[0]
    assert lines[1].split()[:3] == ["layer", "|dL/dW|", "mean|g|"]
    assert lines[2].startswith("layer 1 (2→4, tanh)") and lines[3].startswith("layer 2 (4→1, linear)")
    assert f"{report.layers[0].weight_norm:.4g}" in lines[2]
    assert len({len(line) for line in lines[1:]}) <= 2  # aligned columns
    with pytest.raises(Exception):
        report.layers[0].weight_norm = 0.0  # frozen


# ---- errors ---------------------------------------------------------------------

@pytest.mark.parametrize("not_a_model", [Layer(2, 3), [1, 2], None, "MLP"])
def test_not_an_mlp(not_a_model):
    with pytest.raises(TypeError, match="gradient_flow needs an MLP from src.models, got"):
        gradient_flow(not_a_model, [[0.0, 1.0]], [1.0])


def test_bad_batches():
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="at least one input, got an empty list"):
        gradient_flow(model, [], [])
    with pytest.raises(ValueError, match=r"input 1 has 3 entries but the model takes 2 features"):
        gradient_flow(model, [[0.0, 1.0], [1.0, 2.0, 3.0]], [1.0, 1.0])
    with pytest.raises(TypeError, match=r"got a single vector .*wrap it in a list"):
        gradient_flow(model, [0.5, -1.0], [1.0])
    with pytest.raises(TypeError, match="input 1 must be a list of 2 numbers, got int 5"):
        gradient_flow(model, [[0.0, 1.0], 5], [1.0, 1.0])
    with pytest.raises(TypeError, match="inputs must be a batch"):
        gradient_flow(model, 3.0, [1.0])
    with pytest.raises(ValueError, match="one target per input, got 2 inputs and 1 targets"):
        gradient_flow(model, [[0.0, 1.0], [1.0, 0.0]], [1.0])
    with pytest.raises(TypeError, match="targets must be a list with one target per input"):
        gradient_flow(model, [[0.0, 1.0]], 1.0)


def test_bad_losses_and_targets():
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        gradient_flow(model, [[0.0, 1.0]], [1.0], loss="l1")
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got 'max'"):
        gradient_flow(model, [[0.0, 1.0]], [1.0], reduction="max")
    with pytest.raises(TypeError, match="loss must be 'mse', 'hinge' or a function"):
        gradient_flow(model, [[0.0, 1.0]], [1.0], loss=3)
    with pytest.raises(ValueError, match="hinge labels must be"):
        gradient_flow(model, [[0.0, 1.0]], [0.5], loss="hinge")
    with pytest.raises(TypeError, match="the loss function must return a Value, got float"):
        gradient_flow(model, [[0.0, 1.0]], [1.0], loss=lambda s, t: 1.0)
    two = MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match="2 outputs, so target 0 must be a list of 2 numbers"):
        gradient_flow(two, [[0.0, 1.0]], [1.0])


def test_inside_no_grad_the_report_still_builds_its_graph():
    from src.autograd import no_grad
    X, y = make_moons(20, 0.1, 1)
    model = MLP(2, [4, 1], activation="relu", seed=3)
    outside = gradient_flow(model, X, y, loss="hinge").weight_norms
    with no_grad():
        inside = gradient_flow(model, X, y, loss="hinge").weight_norms
    assert inside == outside and all(n > 0 for n in inside)
