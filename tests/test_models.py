"""Tests for src/models.py: Module/Neuron/Layer/MLP, SGD, mse, hinge."""

import math
import random

import pytest

from src.autograd import Value
from src.models import MLP, SGD, Layer, Module, Neuron, hinge, mse


def expected_labels(sizes):
    """The documented parameter order and labels for MLP(sizes[0], sizes[1:])."""
    labels = []
    for layer, (nin, nout) in enumerate(zip(sizes, sizes[1:]), start=1):
        for j in range(nout):
            labels += [f"L{layer}.n{j}.w{i}" for i in range(nin)]
            labels.append(f"L{layer}.n{j}.b")
    return labels


# --------------------------------------------------------------------------
# Structure, parameter count and order
# --------------------------------------------------------------------------

@pytest.mark.parametrize("nin, nouts, count", [
    (2, [4, 1], 2 * 4 + 4 + 4 * 1 + 1),     # the lecture's 2 -> 4 -> 1: 17
    (2, [2, 1], 9),                          # XOR 2 -> 2 -> 1
    (3, [4, 4, 1], 16 + 20 + 5),
    (2, [16, 16, 1], 48 + 272 + 17),
])
def test_parameter_count(nin, nouts, count):
    model = MLP(nin, nouts)
    assert len(model.parameters()) == count
    assert len({id(p) for p in model.parameters()}) == count  # all distinct


def test_parameter_order_and_labels():
    model = MLP(3, [4, 2, 1], seed=5)
    params = model.parameters()
    assert [p.label for p in params] == expected_labels([3, 4, 2, 1])
    # The order is layer by layer, neuron by neuron, weights then bias.
    walk = [p for layer in model.layers for n in layer.neurons for p in (*n.w, n.b)]
    assert all(a is b for a, b in zip(params, walk)) and len(params) == len(walk)
    assert model.named_parameters() == [(p.label, p) for p in params]
    assert params[0] is model.layers[0].neurons[0].w[0]
    assert params[3] is model.layers[0].neurons[0].b
    assert params[-1] is model.layers[-1].neurons[0].b


def test_initialisation_weights_uniform_biases_zero():
    model = MLP(2, [16, 16, 1], seed=3)
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    biases = [n.b for layer in model.layers for n in layer.neurons]
    assert all(-1.0 <= w.data <= 1.0 for w in weights)
    assert len({w.data for w in weights}) == len(weights)
    assert all(b.data == 0.0 for b in biases)
    # Drawn from random.Random(seed) in parameter order.
    rng = random.Random(3)
    assert [w.data for w in weights] == [rng.uniform(-1, 1) for _ in weights]


def test_sizes_and_activation_attributes():
    model = MLP(2, [4, 3, 1], activation="relu")
    assert model.sizes == [2, 4, 3, 1]
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert [layer.index for layer in model.layers] == [1, 2, 3]
    assert "ReluNeuron(2)" in repr(model) and "LinearNeuron(3)" in repr(model)


# --------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------

def weights_of(model):
    return [p.data for p in model.parameters()]


def test_same_seed_same_weights():
    assert weights_of(MLP(2, [4, 1], seed=7)) == weights_of(MLP(2, [4, 1], seed=7))


def test_different_seed_different_weights():
    assert weights_of(MLP(2, [4, 1], seed=7)) != weights_of(MLP(2, [4, 1], seed=8))


def test_seed_does_not_touch_global_random_state():
    random.seed(123)
    state = random.getstate()
    a = weights_of(MLP(2, [4, 1], seed=1))
    assert random.getstate() == state
    random.seed(999)  # global state must not influence the model
    assert weights_of(MLP(2, [4, 1], seed=1)) == a


# --------------------------------------------------------------------------
# Forward pass
# --------------------------------------------------------------------------

def manual_forward(model, x):
    """The documented formula, in plain floats."""
    for layer in model.layers:
        out = []
        for n in layer.neurons:
            s = sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data
            out.append({"tanh": math.tanh, "relu": lambda v: max(v, 0.0),
                        "linear": lambda v: v}[n.activation](s))
        x = out
    return x


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_forward_single_output_is_a_value(activation):
    model = MLP(2, [4, 1], activation=activation, seed=2)
    for layer in model.layers:  # nonzero biases so they matter
        for n in layer.neurons:
            n.b.data = 0.3
    out = model([0.5, -1.5])
    assert type(out) is Value
    assert out.data == pytest.approx(manual_forward(model, [0.5, -1.5])[0], abs=1e-15)


def test_forward_several_outputs_is_a_list():
    model = MLP(2, [4, 3], seed=2)
    out = model([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert all(type(v) is Value for v in out)
    assert [v.data for v in out] == pytest.approx(manual_forward(model, [1.0, 2.0]), abs=1e-15)


def test_last_layer_is_linear():
    # Outputs of a ReLU net can be negative only if the last layer is linear.
    model = MLP(2, [4, 1], activation="relu", seed=0)
    outs = [model([x1, x2]) for x1 in (-2, 0, 2) for x2 in (-2, 0, 2)]
    assert all(o.op == "+" for o in outs)  # ... + b, no relu/tanh on top
    assert min(o.data for o in outs) < 0  # a relu output could not be
    hidden = model.activations[1]
    assert all(h.op == "relu" for h in hidden)
    tanh_model = MLP(2, [4, 1])
    tanh_model([1.0, 1.0])
    assert all(h.op == "tanh" for h in tanh_model.activations[1])


def test_input_values_are_used_as_given_and_get_gradients():
    model = MLP(2, [3, 1], seed=4)
    x = [Value(0.5, "a"), Value(-0.2, "b")]
    out = model(x)
    assert model.activations[0][0] is x[0] and model.activations[0][1] is x[1]
    out.backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0


def test_numbers_become_labelled_input_leaves():
    model = MLP(3, [2, 1])
    model([1, 2.5, -3])
    inputs = model.activations[0]
    assert [v.label for v in inputs] == ["x0", "x1", "x2"]
    assert [v.data for v in inputs] == [1.0, 2.5, -3.0]
    assert all(v.is_leaf for v in inputs)


def test_accepts_tuples_and_numpy_rows():
    np = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=1)
    a = model((0.25, 0.75)).data
    assert model(np.array([0.25, 0.75])).data == a
    assert model([0.25, 0.75]).data == a


def test_neuron_and_layer_calls():
    assert [p.label for p in Neuron(3).parameters()] == ["w0", "w1", "w2", "b"]
    n = Neuron(2, "relu", seed=0, prefix="L9.n4")
    assert [p.label for p in n.parameters()] == ["L9.n4.w0", "L9.n4.w1", "L9.n4.b"]
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5
    assert n([1.0, 1.0]).data == 1.5
    assert n([0.0, 1.0]).data == 0.0  # relu clips -0.5
    single = Layer(2, 1, seed=0)
    assert type(single([1.0, 2.0])) is Value
    many = Layer(2, 3, seed=0, index=2)
    out = many([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert many.parameters()[0].label == "L2.n0.w0"


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------

def test_activations_recorded_per_layer():
    model = MLP(2, [4, 3, 1], seed=6)
    assert model.activations == []
    out = model([0.3, -0.7])
    acts = model.activations
    assert [len(a) for a in acts] == [2, 4, 3, 1]
    assert [v.data for v in acts[0]] == [0.3, -0.7]
    assert acts[-1][0] is out
    # Each layer's activations are exactly what the next layer consumed.
    expected = [0.3, -0.7]
    for k, layer in enumerate(model.layers, start=1):
        expected = manual_forward(type("M", (), {"layers": [layer]})(), expected)
        assert [v.data for v in acts[k]] == pytest.approx(expected, abs=1e-15)
    # and they are the graph's own nodes: the output's graph contains them
    nodes = set(out.topological_order())
    assert all(v in nodes for a in acts for v in a)


def test_activations_replaced_by_each_call():
    model = MLP(2, [4, 1], seed=6)
    model([1.0, 0.0])
    first = model.activations
    model([0.0, 1.0])
    assert model.activations is not first
    assert [v.data for v in model.activations[0]] == [0.0, 1.0]


# --------------------------------------------------------------------------
# Gradients against PyTorch (float64, same weights)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("loss_name", ["mse", "hinge"])
def test_gradients_match_torch(activation, loss_name):
    import torch

    model = MLP(3, [4, 3, 1], activation=activation, seed=11)
    rng = random.Random(0)
    for p in model.parameters():  # nonzero biases too
        p.data = rng.uniform(-1, 1)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
    y = [1, -1, 1, 1, -1]

    # ours
    model.zero_grad()
    xs = [[Value(v) for v in x] for x in X]
    scores = [model(x) for x in xs]
    loss = mse(scores, y) if loss_name == "mse" else hinge(scores, y)
    loss.backward()

    # torch, built from the very same numbers
    tw = [[(torch.tensor([w.data for w in n.w], dtype=torch.float64, requires_grad=True),
            torch.tensor(n.b.data, dtype=torch.float64, requires_grad=True))
           for n in layer.neurons] for layer in model.layers]
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    h = tx
    for k, layer in enumerate(tw):
        z = torch.stack([h @ w + b for w, b in layer], dim=1)
        if k < len(tw) - 1:
            z = torch.tanh(z) if activation == "tanh" else torch.relu(z)
        h = z
    s = h[:, 0]
    ty = torch.tensor(y, dtype=torch.float64)
    tloss = ((s - ty) ** 2).mean() if loss_name == "mse" else torch.relu(1 - ty * s).mean()
    tloss.backward()

    assert loss.data == pytest.approx(tloss.item(), abs=1e-12)
    torch_grads = [g for layer in tw for w, b in layer for g in (*w.grad.tolist(), b.grad.item())]
    ours = [p.grad for p in model.parameters()]
    assert len(ours) == len(torch_grads)
    assert any(abs(g) > 1e-3 for g in ours)
    for label, a, b in zip([p.label for p in model.parameters()], ours, torch_grads):
        assert abs(a - b) <= 1e-12, (label, a, b)
    for x, row in zip(xs, tx.grad.tolist()):
        for v, g in zip(x, row):
            assert abs(v.grad - g) <= 1e-12


# --------------------------------------------------------------------------
# SGD
# --------------------------------------------------------------------------

def test_sgd_step_math():
    a, b = Value(1.0), Value(-2.0)
    a.grad, b.grad = 0.5, -4.0
    opt = SGD([a, b], lr=0.1)
    opt.step()
    assert a.data == 1.0 - 0.1 * 0.5 and b.data == -2.0 - 0.1 * -4.0
    assert a.grad == 0.5  # step does not clear gradients
    opt.lr = 0.5
    opt.step()
    assert a.data == (1.0 - 0.1 * 0.5) - 0.5 * 0.5
    opt.zero_grad()
    assert a.grad == 0.0 and b.grad == 0.0


def test_sgd_step_decreases_a_loss():
    model = MLP(2, [4, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.05)
    loss = mse([model([1.0, 2.0])], [3.0])
    opt.zero_grad()
    loss.backward()
    before = [(p.data, p.grad) for p in model.parameters()]
    opt.step()
    assert [p.data for p in model.parameters()] == [d - 0.05 * g for d, g in before]
    assert mse([model([1.0, 2.0])], [3.0]).data < loss.data


def test_module_zero_grad():
    model = MLP(2, [3, 1])
    model([1.0, 1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert Module().parameters() == []


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf")])
def test_sgd_rejects_bad_lr(lr):
    with pytest.raises(ValueError, match="lr"):
        SGD([Value(1.0)], lr=lr)


def test_sgd_rejects_bad_parameters():
    with pytest.raises(ValueError, match="at least one parameter"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="Values"):
        SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match="lr"):
        SGD([Value(1.0)], lr="0.1")


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------

def test_mse_value_and_gradients():
    p = [Value(1.0), Value(3.0), Value(-1.0)]
    loss = mse(p, [0.0, 1.0, -1.0])
    assert type(loss) is Value
    assert loss.data == pytest.approx((1 + 4 + 0) / 3, abs=1e-15)
    loss.backward()
    # d/dp mean((p - t)^2) = 2 (p - t) / n
    assert [v.grad for v in p] == pytest.approx([2 / 3, 4 / 3, 0.0], abs=1e-15)


def test_mse_sum_and_single_prediction():
    p = [Value(1.0), Value(3.0)]
    loss = mse(p, [0, 1], reduction="sum")
    assert loss.data == 5.0
    loss.backward()
    assert [v.grad for v in p] == [2.0, 4.0]
    q = Value(2.0)
    assert mse(q, 5).data == 9.0


def test_hinge_value_and_gradients():
    s = [Value(2.0), Value(0.5), Value(-1.0), Value(0.25)]
    labels = [1, 1, 1, -1]
    loss = hinge(s, labels)
    # relu(1 - 2) = 0, relu(0.5) = 0.5, relu(2) = 2, relu(1 + 0.25) = 1.25
    assert type(loss) is Value
    assert loss.data == pytest.approx((0 + 0.5 + 2 + 1.25) / 4, abs=1e-15)
    loss.backward()
    # d/ds relu(1 - y s) / n = -y / n where the margin is violated, else 0
    assert [v.grad for v in s] == pytest.approx([0.0, -0.25, -0.25, 0.25], abs=1e-15)


def test_hinge_sum():
    assert hinge([Value(0.0), Value(0.0)], [1, -1], reduction="sum").data == 2.0


@pytest.mark.parametrize("loss", [mse, hinge])
def test_losses_reject_mismatched_or_empty(loss):
    with pytest.raises(ValueError, match="2 predictions and 3 targets"):
        loss([Value(1.0), Value(1.0)], [1, 1, 1])
    with pytest.raises(ValueError, match="at least one prediction"):
        loss([], [])
    with pytest.raises(TypeError, match="entry 1"):
        loss([Value(1.0), "x"], [1, 1])
    with pytest.raises(ValueError, match="reduction"):
        loss([Value(1.0)], [1], reduction="max")


def test_hinge_rejects_non_pm1_labels():
    with pytest.raises(ValueError, match=r"\+1 or -1, label 1 is 0"):
        hinge([Value(1.0), Value(1.0)], [1, 0])


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

def test_wrong_input_length():
    model = MLP(2, [4, 1])
    with pytest.raises(ValueError, match="length 2.*got length 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="length 2.*got length 1"):
        model([1.0])


def test_input_not_a_vector_or_bad_entries():
    model = MLP(2, [4, 1])
    with pytest.raises(TypeError, match="list of 2 numbers"):
        model(1.0)
    with pytest.raises(TypeError, match="list of 2 numbers"):
        model("ab")
    with pytest.raises(TypeError, match="entry 1 must be a number or a Value"):
        model([1.0, "2"])
    with pytest.raises(TypeError, match="entry 0"):
        model([True, 1.0])


def test_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'.*'tanh', 'relu'"):
        MLP(2, [4, 1], activation="sigmoid")
    with pytest.raises(ValueError, match="unknown activation"):
        Neuron(2, activation="softmax")


@pytest.mark.parametrize("nin, nouts, error, match", [
    (0, [4, 1], ValueError, "nin.*positive"),
    (-2, [4, 1], ValueError, "nin.*positive"),
    (2, [4, 0], ValueError, r"nouts\[1\].*positive"),
    (2, [], ValueError, "at least one layer"),
    (2, 4, TypeError, "list of layer sizes"),
    (2.0, [4, 1], TypeError, "nin.*int"),
    (2, [4, 1.5], TypeError, r"nouts\[1\].*int"),
])
def test_bad_sizes(nin, nouts, error, match):
    with pytest.raises(error, match=match):
        MLP(nin, nouts)


def test_bad_neuron_and_layer_sizes():
    with pytest.raises(ValueError, match="Neuron nin"):
        Neuron(0)
    with pytest.raises(ValueError, match="Layer nout"):
        Layer(2, 0)
    with pytest.raises(TypeError, match="seed"):
        MLP(2, [1], seed="0")
