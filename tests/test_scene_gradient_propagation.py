"""GradientPropagationScene, run in-process and headless (tests/manim_harness.py).

Each input variant (seed, input vector, target) runs once
(tests/scene_checks.scene_run, which subclasses the scene only to set the
inputs and keep the scene object). Expected numbers come from a fresh model
built here from the seed, run through our engine with L = (out - y)^2
written out by hand; expected colours from manimlib's constants, compared
as hex strings. Every drawn matrix carries `.quantity` (what it shows) and
every drawn number `.number` (the float shown).
"""

import numpy as np
import pytest

from tests.manim_harness import import_manimlib, lecture_module, text_mobjects

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)
GradientPropagationScene = lecture_module().GradientPropagationScene

from tests import scene_checks  # noqa: E402
from tests.scene_checks import (  # noqa: E402
    assert_identities_hold, assert_legible, assert_no_problems, assert_not_blank,
    assert_on_time, hex_of, off_frame, opacity, shows, text_overlaps,
)
from src.autograd import Value  # noqa: E402
from src.models import MLP  # noqa: E402
from src.visualization import LayerPipeline, ValueMatrix  # noqa: E402

VARIANTS = {
    "lecture": None,                          # the class attributes
    "other": (5, (1.0, 1.0), 0.0),            # another seed, input and target
    "dead_relu": (3, (0.5, -1.0), 1.0),       # two hidden units with z1 < 0: ReLU' = 0 there
    "extreme": (8, (-2500.0, 0.0004), 1000.0),  # large, tiny and negative numbers
}
STRESS = {"extreme"}   # make check only (scene_checks.variant_params)
PLANNED_SECONDS = 50.0

# The colour of each drawn quantity's role (brackets and backing of its matrix).
QUANTITY_COLOR = {
    "dL/dW2": style.PARAMETER_COLOR, "dL/dW1": style.PARAMETER_COLOR,   # parameter gradients
    "dL/dout": style.GRADIENT_COLOR, "dL/dh1": style.GRADIENT_COLOR,    # gradients flowing back
    "dL/dz1": style.GRADIENT_COLOR, "dL/dx": style.GRADIENT_COLOR,
    "W2^T": style.PARAMETER_COLOR, "W1^T": style.PARAMETER_COLOR,       # parameters
    "h1^T": style.ACTIVATION_COLOR, "relu'": style.ACTIVATION_COLOR,    # saved activations
    "x^T": style.INPUT_COLOR,                                           # the input
}
STAGE_COLORS = [style.INPUT_COLOR, style.PARAMETER_COLOR, style.ACTIVATION_COLOR,
                style.PARAMETER_COLOR, style.ACTIVATION_COLOR, style.LOSS_COLOR]
BACKWARD_ORDER = ["dL/dout", "dL/dW2", "dL/dh1", "dL/dz1", "dL/dW1", "dL/dx"]


def inputs_of(variant):
    if VARIANTS[variant] is None:
        base = GradientPropagationScene
        return base.seed, tuple(base.inputs), base.target
    return VARIANTS[variant]


# --------------------------------------------------------------------------
# Independent expectations: the model rebuilt from its seed, L written out
# --------------------------------------------------------------------------

def expected(seed, inputs, target):
    """Every quantity the scene may draw, as numpy arrays (rows, cols)."""
    model = MLP(2, [3, 1], activation="relu", seed=seed)
    x = [Value(v) for v in inputs]
    out = model(x)
    loss = (out - target) ** 2
    loss.backward()
    layer1, layer2 = model.layers
    h1 = model.activations[1]
    z1 = [h.inputs[0] for h in h1]
    W1 = np.array([[w.data for w in n.w] for n in layer1.neurons])
    W2 = np.array([[w.data for w in n.w] for n in layer2.neurons])
    return {
        "x^T": np.array([[v.data for v in x]]),
        "W1^T": W1.T,
        "W2^T": W2.T,
        "h1^T": np.array([[h.data for h in h1]]),
        "z1": np.array([[z.data] for z in z1]),
        "relu'": np.array([[1.0 if z.data > 0 else 0.0] for z in z1]),
        "dL/dout": np.array([[out.grad]]),
        "dL/dW2": np.array([[w.grad for w in n.w] for n in layer2.neurons]),
        "dL/dh1": np.array([[h.grad] for h in h1]),
        "dL/dz1": np.array([[z.grad] for z in z1]),
        "dL/dW1": np.array([[w.grad for w in n.w] for n in layer1.neurons]),
        "dL/dx": np.array([[v.grad] for v in x]),
        # single numbers drawn as labels
        "out": out.data, "target": float(target), "L": loss.data,
    }


# --------------------------------------------------------------------------
# Running each variant once
# --------------------------------------------------------------------------

def scene_run(variant):
    seed, inputs, target = inputs_of(variant)
    return scene_checks.scene_run(GradientPropagationScene, variant,
                                  {"seed": seed, "inputs": inputs, "target": target})


@pytest.fixture(scope="module", params=scene_checks.variant_params(VARIANTS, STRESS))
def case(request):
    run, scene = scene_run(request.param)
    return request.param, run, scene


def drawn_matrices(checkpoint):
    """Visible ValueMatrix copies in a checkpoint, by quantity."""
    found = {}
    for mob in checkpoint.mobjects:
        for sm in mob.get_family():
            if isinstance(sm, ValueMatrix) and opacity(sm.entries) > 0:
                found.setdefault(sm.quantity, []).append(sm)
    return found


def drawn_numbers(matrix):
    return np.array([[matrix.entry(i, j).number for j in range(matrix.n_cols)]
                     for i in range(matrix.n_rows)])


def number_labels(checkpoint):
    """Visible number labels (not matrix entries) with a quantity, by quantity."""
    in_matrices = {id(e) for ms in drawn_matrices(checkpoint).values()
                   for m in ms for e in m.all_entries()}
    found = {}
    for mob in checkpoint.mobjects:
        for sm in mob.get_family():
            if hasattr(sm, "number") and id(sm) not in in_matrices and opacity(sm) > 0:
                found.setdefault(getattr(sm, "quantity", None), []).append(sm)
    return found


# --------------------------------------------------------------------------
# Runs, stays in frame, no overlapping text, not blank, timing
# --------------------------------------------------------------------------

def test_scene_runs_to_the_end(case):
    variant, run, scene = case
    assert run.num_plays == len(run.checkpoints) > 20
    assert run.checkpoints[-1].index == run.num_plays - 1
    assert scene.net.loss.data == pytest.approx(expected(*inputs_of(variant))["L"])


def test_everything_visible_is_inside_the_frame(case):
    _, run, _ = case
    assert_no_problems(off_frame(run), "off-frame")


def test_texts_keep_clear_of_the_edges(case):
    """Every visible text stays at least 0.2 units inside the frame."""
    _, run, _ = case
    assert_no_problems(off_frame(run, margin=0.2, texts_only=True), "texts near an edge")


def test_no_two_visible_texts_overlap(case):
    _, run, _ = case
    assert_no_problems(text_overlaps(run, require_text=True), "overlaps")


def test_last_frame_not_blank(case):
    _, run, _ = case
    assert_not_blank(run)


def test_duration_matches_plan(case):
    _, run, _ = case
    assert_on_time(run, PLANNED_SECONDS)


def test_numbers_stay_legible(case):
    _, run, _ = case
    assert_legible(run)


def test_drawn_arithmetic_is_true_as_drawn(case):
    # dL/dout = 2(out - y), the ReLU gate and the outer products entry by entry,
    # W1^T . dL/dz1 row by column
    _, run, _ = case
    assert_identities_hold(run, {"2 * (a - b)", "a*b", "a*b + c*d + e*f"})


# --------------------------------------------------------------------------
# Numbers: the engine's, and the matrix formulas of what is drawn
# --------------------------------------------------------------------------

def test_every_drawn_matrix_equals_the_engine(case):
    variant, run, _ = case
    want = expected(*inputs_of(variant))
    seen = set()
    for cp in run.checkpoints:
        for quantity, matrices in drawn_matrices(cp).items():
            assert quantity in QUANTITY_COLOR, (cp.label, quantity)
            for m in matrices:
                seen.add(quantity)
                assert m.shape == want[quantity].shape, (cp.label, quantity)
                np.testing.assert_allclose(drawn_numbers(m), want[quantity], rtol=0, atol=1e-12,
                                           err_msg=f"{variant} {cp.label} {quantity}")
                for i in range(m.n_rows):
                    for j in range(m.n_cols):
                        assert shows(m.entry(i, j).string, want[quantity][i, j])
    assert seen == set(QUANTITY_COLOR), sorted(set(QUANTITY_COLOR) - seen)


def test_every_drawn_number_label_equals_the_engine(case):
    variant, run, _ = case
    want = expected(*inputs_of(variant))
    seen = set()
    for cp in run.checkpoints:
        for quantity, labels in number_labels(cp).items():
            assert quantity in ("out", "target", "L"), (cp.label, quantity)
            for label in labels:
                seen.add(quantity)
                assert label.number == pytest.approx(want[quantity], abs=1e-12), (cp.label, quantity)
                assert shows(label.string, want[quantity])
    assert seen == {"out", "target", "L"}


def _pairs(run, *quantities):
    """Checkpoints that show all of `quantities`, with their drawn numbers."""
    for cp in run.checkpoints:
        found = drawn_matrices(cp)
        if all(q in found for q in quantities):
            yield cp, [[drawn_numbers(m) for m in found[q]] for q in quantities]


def test_drawn_gradients_are_matrix_products_of_drawn_values(case):
    """dL/dW = outer(upstream, saved input); input gradient = W^T @ upstream;
    through the ReLU, dL/dz1 = dL/dh1 * ReLU'(z1) -- all from what is drawn."""
    _, run, _ = case
    checks = [
        ("dL/dW2", ("dL/dout", "h1^T"), lambda g, h: np.outer(g, h)),
        ("dL/dh1", ("W2^T", "dL/dout"), lambda wt, g: wt @ g),
        ("dL/dz1", ("dL/dh1", "relu'"), lambda g, mask: g * mask),
        ("dL/dW1", ("dL/dz1", "x^T"), lambda g, x: np.outer(g, x)),
        ("dL/dx", ("W1^T", "dL/dz1"), lambda wt, g: wt @ g),
    ]
    for result, operands, product in checks:
        shown = list(_pairs(run, result, *operands))
        assert shown, f"{result} is never shown with {operands}"
        for cp, (results, *operand_lists) in shown:
            for a in operand_lists[0]:
                for b in operand_lists[1]:
                    for r in results:
                        np.testing.assert_allclose(r, product(a, b), rtol=1e-12, atol=1e-12,
                                                   err_msg=f"{cp.label}: {result}")


def test_loss_gradient_is_twice_the_drawn_error(case):
    _, run, _ = case
    for cp in run.checkpoints:
        labels, matrices = number_labels(cp), drawn_matrices(cp)
        if "out" in labels and "dL/dout" in matrices:
            out, target = labels["out"][0].number, labels["target"][0].number
            for m in matrices["dL/dout"]:
                assert drawn_numbers(m)[0, 0] == pytest.approx(2 * (out - target), abs=1e-12)
            return
    raise AssertionError("dL/dout is never shown next to out and y")


def test_gradients_appear_in_backward_order(case):
    _, run, _ = case
    first = {}
    for cp in run.checkpoints:
        for quantity in drawn_matrices(cp):
            first.setdefault(quantity, cp.index)
    order = [first[q] for q in BACKWARD_ORDER]
    assert order == sorted(order) and len(set(order)) == len(order), dict(zip(BACKWARD_ORDER, order))


def test_dead_relu_blocks_the_gradient():
    run, _ = scene_run("dead_relu")
    want = expected(*inputs_of("dead_relu"))
    dead = [i for i in range(3) if want["z1"][i, 0] <= 0]
    assert dead, "the variant must have a dead unit"
    last = {}
    for cp in run.checkpoints:
        last.update({q: ms[0] for q, ms in drawn_matrices(cp).items()})
    mask, dz, dw = (drawn_numbers(last[q]) for q in ("relu'", "dL/dz1", "dL/dW1"))
    for i in dead:
        assert mask[i, 0] == 0.0 and dz[i, 0] == 0.0 and not dw[i].any()
        assert drawn_numbers(last["dL/dh1"])[i, 0] != 0.0  # the gradient arrived, and was blocked


def test_lecture_defaults_keep_every_gradient_nonzero():
    want = expected(*inputs_of("lecture"))
    assert (want["z1"] > 0).all(), "a dead ReLU in the lecture's defaults"
    for q in BACKWARD_ORDER:
        assert np.all(want[q] != 0), q


def test_variants_draw_different_numbers():
    shown = {}
    variants = scene_checks.everyday(VARIANTS, STRESS)
    for variant in variants:
        run, _ = scene_run(variant)
        strings = set()
        for cp in run.checkpoints:
            for quantity, matrices in drawn_matrices(cp).items():
                for m in matrices:
                    strings.add((quantity, tuple(e.string for e in m.all_entries())))
        shown[variant] = frozenset(strings)
    assert len(set(shown.values())) == len(variants)


def test_engine_agrees_with_torch():
    """A second, fully independent oracle for the lecture's numbers."""
    torch = pytest.importorskip("torch")
    seed, inputs, target = inputs_of("lecture")
    want = expected(seed, inputs, target)
    model = MLP(2, [3, 1], activation="relu", seed=seed)
    W1 = torch.tensor([[w.data for w in n.w] for n in model.layers[0].neurons],
                      dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor([[w.data for w in n.w] for n in model.layers[1].neurons],
                      dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[v] for v in inputs], dtype=torch.float64, requires_grad=True)
    h1 = torch.relu(W1 @ x)  # biases start at 0
    out = W2 @ h1
    h1.retain_grad()
    out.retain_grad()
    loss = ((out - target) ** 2).sum()
    loss.backward()
    for name, tensor in (("dL/dW1", W1.grad), ("dL/dW2", W2.grad), ("dL/dx", x.grad),
                         ("dL/dh1", h1.grad), ("dL/dout", out.grad)):
        np.testing.assert_allclose(want[name], tensor.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("variant", scene_checks.variant_params(VARIANTS, STRESS))
def test_matrix_formulas_agree_with_the_engine(variant):
    """The scene draws TwoLayerBackward's arrays (the engine's .data and
    .grad); the textbook matrix formulas give the same gradients."""
    from src.lesson.layer_gradients import TwoLayerBackward
    TwoLayerBackward(*inputs_of(variant)).check()


def test_the_formula_check_catches_a_disagreement():
    from src.lesson.layer_gradients import TwoLayerBackward
    net = TwoLayerBackward(*inputs_of("lecture"))
    net.check()
    net.layer1.neurons[0].w[1].grad += 1e-3  # the engine and the formulas now disagree
    with pytest.raises(AssertionError, match="dL/dW1"):
        net.check()


@pytest.mark.parametrize("seed, inputs, target, message", [
    ("8", (-1.0, 0.5), 1.0, "seed must be an int"),
    (8, (-1.0, 0.5, 2.0), 1.0, r"inputs must be two numbers \(x1, x2\), got \(-1.0, 0.5, 2.0\)"),
    (8, "ab", 1.0, "inputs must be two numbers"),
    (8, (-1.0, None), 1.0, "inputs must be two numbers"),
    (8, (-1.0, 0.5), "1", "target must be a number"),
])
def test_bad_inputs_get_one_clear_error(seed, inputs, target, message):
    """A lecturer's subclass with bad inputs stops with one line naming the input."""
    from src.lesson.layer_gradients import TwoLayerBackward
    with pytest.raises(ValueError, match=message):
        TwoLayerBackward(seed, inputs, target)


# --------------------------------------------------------------------------
# Colours by role, words on screen
# --------------------------------------------------------------------------

def test_matrix_colours_follow_their_role(case):
    _, run, _ = case
    for cp in run.checkpoints:
        for quantity, matrices in drawn_matrices(cp).items():
            want = hex_of(QUANTITY_COLOR[quantity])
            for m in matrices:
                for bracket in m.brackets:
                    assert hex_of(bracket.get_stroke_color()) == want, (cp.label, quantity)
                assert hex_of(m.backing.get_fill_color()) == want, (cp.label, quantity)
                for entry in m.all_entries():
                    for sm in entry.family_members_with_points():
                        assert hex_of(sm.get_fill_color()) == hex_of(mn.WHITE)


def test_pipeline_boxes_by_role(case):
    _, run, _ = case
    for cp in run.checkpoints[1:]:
        pipelines = [m for m in cp.mobjects if isinstance(m, LayerPipeline)]
        assert len(pipelines) == 1, cp.label  # on screen, whole, from the second beat on
        pipeline = pipelines[0]
        assert len(pipeline.stages) == len(STAGE_COLORS)
        for i, color in enumerate(STAGE_COLORS):
            assert hex_of(pipeline.box(i).get_stroke_color()) == hex_of(color), (cp.label, i)
            assert hex_of(pipeline.box(i).get_fill_color()) == hex_of(color), (cp.label, i)


def test_each_layer_splits_into_two_tagged_gradients(case):
    """Both layers show a parameter gradient (blue, 'used for optimization')
    and an input gradient (red, propagated backward)."""
    from src.visualization import GradientEquation
    _, run, _ = case
    tags = {}
    for cp in run.checkpoints:
        for mob in cp.mobjects:
            for sm in mob.get_family():
                if isinstance(sm, GradientEquation) and opacity(sm.tag) > 0:
                    tags[sm.result.quantity] = sm
    assert set(tags) == {"dL/dW2", "dL/dh1", "dL/dW1", "dL/dx"}
    words = {q: eq.tag.label.string for q, eq in tags.items()}
    assert words == {"dL/dW2": "used for optimization", "dL/dW1": "used for optimization",
                     "dL/dh1": "propagated backward", "dL/dx": "could be propagated further"}
    for q, eq in tags.items():
        want = hex_of(style.PARAMETER_COLOR if q.startswith("dL/dW") else style.GRADIENT_COLOR)
        assert hex_of(eq.tag.pill.get_fill_color()) == want, q
        assert hex_of(eq.name.get_fill_color()) == want, q


def test_title_and_key_insight_on_screen(case):
    _, run, _ = case
    first = {t.string for t in text_mobjects(run.checkpoints[0].mobjects) if hasattr(t, "string")}
    assert "Gradient Propagation: Parameters and Inputs" in first
    last = {t.string for t in text_mobjects(run.last.mobjects) if hasattr(t, "string")}
    for words in ("Gradient Propagation: Parameters and Inputs",
                  "Each layer computes TWO gradients",
                  "one for its parameters (to update weights)",
                  "one for its input (to propagate backward)"):
        assert words in last, words
