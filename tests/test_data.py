"""Tests for src/data.py: data sets, train(), accuracy, evaluate_grid, targets."""

import pytest

from src.autograd import Value
from src.data import (MOONS_SETTINGS, XOR_RELU_SETTINGS, XOR_SETTINGS, History,
                      accuracy, evaluate_grid, make_moons, train, xor)
from src.models import MLP, mse


# --------------------------------------------------------------------------
# Moons
# --------------------------------------------------------------------------

def test_moons_shape_and_types():
    X, y = make_moons(100, 0.1, 1)
    assert type(X) is list and type(y) is list
    assert len(X) == len(y) == 100
    assert all(type(p) is list and len(p) == 2 for p in X)
    assert all(type(v) is float for p in X for v in p)
    assert all(type(t) is int for t in y)
    assert set(y) == {-1, 1}
    assert y.count(1) == y.count(-1) == 50


def test_moons_match_sklearn_with_pm1_labels():
    from sklearn.datasets import make_moons as sk

    X, y = make_moons(30, 0.2, 7)
    skX, sky = sk(n_samples=30, noise=0.2, random_state=7)
    assert X == skX.tolist()
    assert y == [2 * int(t) - 1 for t in sky]


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = make_moons(20, 0.0, 0)
    for (a, b), t in zip(X, y):
        if t == -1:  # upper moon: unit circle around (0, 0)
            assert a * a + b * b == pytest.approx(1.0)
        else:        # lower moon: unit circle around (1, 0.5)
            assert (a - 1) ** 2 + (b - 0.5) ** 2 == pytest.approx(1.0)


def test_moons_deterministic_per_seed():
    assert make_moons(50, 0.1, 3) == make_moons(50, 0.1, 3)
    assert make_moons(50, 0.1, 3)[0] != make_moons(50, 0.1, 4)[0]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n=1, noise=0.1, seed=0), ValueError, "n must be an int >= 2"),
    (dict(n=10.0, noise=0.1, seed=0), ValueError, "n must be an int"),
    (dict(n=10, noise=-0.1, seed=0), ValueError, "noise"),
    (dict(n=10, noise=0.1, seed=None), TypeError, "seed must be an int"),
])
def test_moons_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_moons(**kwargs)


# --------------------------------------------------------------------------
# XOR
# --------------------------------------------------------------------------

def test_xor_data():
    X, y = xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [0, 1, 1, 0]
    assert y == [int(a) ^ int(b) for a, b in X]
    Xs, ys = xor(signed=True)
    assert Xs == X and ys == [-1, 1, 1, -1]


# --------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------

def test_accuracy_pm1_and_01_labels():
    assert accuracy([0.3, -0.2, 0.0, 5.0], [1, -1, 1, -1]) == 0.5
    assert accuracy([Value(0.7), Value(0.4)], [1, 0]) == 1.0
    assert accuracy([0.7, 0.4], [0, 1]) == 0.0
    with pytest.raises(ValueError, match="labels in"):
        accuracy([0.1], [2])
    with pytest.raises(ValueError, match="one label per score"):
        accuracy([0.1, 0.2], [1])
    with pytest.raises(ValueError, match="at least one"):
        accuracy([], [])


# --------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------

def test_train_history_decreases():
    X, y = make_moons(40, 0.1, 1)
    model = MLP(2, [4, 1], seed=0)
    h = train(model, X, y, loss="hinge", steps=30, lr=0.1)
    assert isinstance(h, History) and len(h) == 30
    assert len(h.loss) == len(h.accuracy) == len(h.lr) == 30
    # full-batch gradient descent with a small step: every step goes down
    assert all(b < a for a, b in zip(h.loss, h.loss[1:]))
    assert h.loss[-1] < 0.6 * h.loss[0]
    assert all(0.0 <= a <= 1.0 for a in h.accuracy)
    assert h.lr == [0.1] * 30


def test_train_history_is_the_forward_pass_before_each_update():
    X, y = xor()
    model = MLP(2, [2, 1], seed=1)
    first = mse([model(x) for x in X], y).data
    acc = accuracy([model(x) for x in X], y)
    h = train(model, X, y, loss="mse", steps=3, lr=0.1)
    assert h.loss[0] == first and h.accuracy[0] == acc
    assert mse([model(x) for x in X], y).data < h.loss[-1]


def test_train_updates_are_plain_sgd():
    X, y = xor()
    a, b = MLP(2, [2, 1], seed=3), MLP(2, [2, 1], seed=3)
    train(a, X, y, loss="mse", steps=1, lr=0.2)
    loss = mse([b(x) for x in X], y)
    loss.backward()
    assert [p.data for p in a.parameters()] == \
        [p.data - 0.2 * p.grad for p in b.parameters()]


def test_train_lr_schedules_and_callback():
    X, y = xor(signed=True)
    h = train(MLP(2, [2, 1]), X, y, steps=4, lr=1.0, lr_schedule="linear")
    assert h.lr == pytest.approx([1.0, 0.775, 0.55, 0.325])
    seen = []
    h = train(MLP(2, [2, 1]), X, y, steps=3, lr=0.5,
              lr_schedule=lambda k, lr: lr / (k + 1),
              callback=lambda k, model, loss: seen.append((k, loss)))
    assert h.lr == [0.5, 0.25, 0.5 / 3]
    assert [k for k, _ in seen] == [0, 1, 2]
    assert [loss for _, loss in seen] == h.loss


def test_train_weight_decay_and_custom_loss():
    X, y = xor()
    model = MLP(2, [2, 1], seed=2)
    plain = mse([model(x) for x in X], y).data
    penalty = sum(p.data ** 2 for p in model.parameters())
    h = train(MLP(2, [2, 1], seed=2), X, y, loss="mse", steps=1, lr=0.1, weight_decay=0.01)
    assert h.loss[0] == pytest.approx(plain + 0.01 * penalty, abs=1e-14)
    h = train(MLP(2, [2, 1], seed=2), X, y, loss=lambda s, t: mse(s, t, reduction="sum"),
              steps=1, lr=0.1)
    assert h.loss[0] == pytest.approx(4 * plain, abs=1e-14)


def test_train_regression_targets_have_no_accuracy():
    X = [[0.0, 1.0], [1.0, 0.0]]
    h = train(MLP(2, [3, 1]), X, [0.25, -2.0], loss="mse", steps=2, lr=0.01)
    assert h.accuracy == [None, None] and len(h.loss) == 2


def test_train_bad_input():
    X, y = xor()
    model = MLP(2, [2, 1])
    with pytest.raises(ValueError, match="4 examples and 3 labels"):
        train(model, X, y[:3])
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        train(model, X, y, loss="l1")
    with pytest.raises(ValueError, match="steps"):
        train(model, X, y, steps=-1)
    with pytest.raises(ValueError, match="lr"):
        train(model, X, y, steps=1, lr=0)
    with pytest.raises(ValueError, match="lr_schedule"):
        train(model, X, y, steps=1, lr_schedule="cosine")
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        train(model, X, y, loss="hinge", steps=1)  # 0/1 labels


# --------------------------------------------------------------------------
# The lecture's targets (settings stated in src/data.py's docstring)
# --------------------------------------------------------------------------

def test_moons_settings_are_the_documented_ones():
    assert MOONS_SETTINGS == dict(n=100, noise=0.1, data_seed=1, model_seed=2,
                                  sizes=[4, 1], activation="tanh",
                                  loss="hinge", steps=120, lr=1.0)


def test_moons_mlp_2_4_1_reaches_95_percent():
    s = MOONS_SETTINGS
    X, y = make_moons(s["n"], s["noise"], s["data_seed"])
    model = MLP(2, s["sizes"], activation=s["activation"], seed=s["model_seed"])
    assert model.sizes == [2, 4, 1]
    h = train(model, X, y, loss=s["loss"], steps=s["steps"], lr=s["lr"])
    final = accuracy([model(x) for x in X], y)  # after the last update
    assert h.accuracy[-1] >= 0.95 and final >= 0.95
    assert h.accuracy[0] < 0.9  # it is the training that gets it there


def test_xor_settings_are_the_documented_ones():
    assert XOR_SETTINGS == dict(seed=1, sizes=[2, 1], activation="tanh",
                                loss="mse", reduction="sum", steps=400, lr=0.05)
    assert XOR_RELU_SETTINGS == dict(seed=1, sizes=[2, 1], activation="relu",
                                     loss="mse", reduction="sum", steps=100, lr=0.1)


@pytest.mark.parametrize("settings", [XOR_SETTINGS, XOR_RELU_SETTINGS],
                         ids=["tanh-2-2-1", "notebook-relu-2-2-1"])
def test_xor_reaches_summed_squared_loss_1e_3(settings):
    s = settings
    X, y = xor()
    model = MLP(2, s["sizes"], activation=s["activation"], seed=s["seed"])
    h = train(model, X, y, loss=s["loss"], reduction=s["reduction"],
              steps=s["steps"], lr=s["lr"])
    final = mse([model(x) for x in X], y, reduction="sum").data
    assert h.loss[0] > 0.5
    assert final <= 1e-3 and h.loss[-1] <= 1e-3
    assert h.accuracy[-1] == 1.0


def test_xor_tanh_2_2_1_trains_from_many_seeds():
    """The claim behind choosing tanh: it does not depend on a lucky seed.

    Seeds 0..7 at lr 0.05: all but seed 3 (stuck near a loss of 0.5)
    reach a summed squared loss <= 1e-3 within 800 steps.
    """
    X, y = xor()
    trained = []
    for seed in range(8):
        model = MLP(2, [2, 1], activation="tanh", seed=seed)
        train(model, X, y, loss="mse", reduction="sum", steps=800, lr=0.05)
        if mse([model(x) for x in X], y, reduction="sum").data <= 1e-3:
            trained.append(seed)
    assert trained == [0, 1, 2, 4, 5, 6, 7]


# --------------------------------------------------------------------------
# evaluate_grid
# --------------------------------------------------------------------------

def test_evaluate_grid_shape_and_values():
    model = MLP(2, [4, 1], seed=0)
    xs, ys, scores = evaluate_grid(model, (-1.0, 2.0), (-0.5, 1.0), (7, 5))
    assert len(xs) == 7 and len(ys) == 5
    assert xs[0] == -1.0 and xs[-1] == 2.0 and ys[0] == -0.5 and ys[-1] == 1.0
    assert len(scores) == 5 and all(len(row) == 7 for row in scores)
    assert all(type(v) is float for row in scores for v in row)
    for j in (0, 2, 4):
        for i in (0, 3, 6):
            assert scores[j][i] == model([xs[i], ys[j]]).data
    xs, ys, scores = evaluate_grid(model, (0, 1), (0, 1), 3)
    assert xs == [0.0, 0.5, 1.0] and ys == xs and len(scores) == 3


def test_evaluate_grid_records_no_graph_and_keeps_activations():
    model = MLP(2, [4, 1], seed=0)
    model([0.1, 0.2])
    saved = model.activations
    outputs = []
    original_call = MLP.__call__

    class Spy(MLP):
        def __call__(self, x):
            out = original_call(self, x)
            outputs.append(out)
            return out

    model.__class__ = Spy
    evaluate_grid(model, (0, 1), (0, 1), 4)
    assert len(outputs) == 16
    assert all(o.is_leaf and o.op == "" for o in outputs)  # no_grad was on
    assert model.activations is saved
    assert model([0.0, 0.0]).op == "+"  # grad mode restored afterwards


def test_evaluate_grid_bad_input():
    model = MLP(2, [4, 1])
    with pytest.raises(ValueError, match="low < high"):
        evaluate_grid(model, (1, 0), (0, 1), 5)
    with pytest.raises(TypeError, match="pair"):
        evaluate_grid(model, 1.0, (0, 1), 5)
    with pytest.raises(ValueError, match="resolution"):
        evaluate_grid(model, (0, 1), (0, 1), 0)
    with pytest.raises(TypeError, match="one output"):
        evaluate_grid(MLP(2, [4, 2]), (0, 1), (0, 1), 2)
