"""Scene 3, ParametersVsActivationsScene, run in-process and headless.

Each input variant runs once (tests/scene_checks.scene_run, which subclasses
the scene only to set other inputs and keep the scene object). Expected
numbers come from an independent engine computation: the same MLP rebuilt
from the seed with src.models, run forward and backward here; expected
colours from manimlib's constants, compared as hex strings.
"""
import re

import numpy as np
import pytest

from tests.manim_harness import (
    import_manimlib, lecture_module, mobject_in_frame, text_mobjects,
)

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)

ParametersVsActivationsScene = lecture_module().ParametersVsActivationsScene

from tests import scene_checks  # noqa: E402
from tests.scene_checks import (  # noqa: E402
    assert_identities_hold, assert_legible, assert_no_problems, assert_not_blank,
    assert_on_time, hex_of, off_frame, opacity, shows, text_overlaps,
)
from src.models import MLP, mse  # noqa: E402

# (seed, input vector, target)
VARIANTS = {
    "lecture": (ParametersVsActivationsScene.seed, ParametersVsActivationsScene.x_input,
                ParametersVsActivationsScene.target),
    "other": (15, (1.0, -0.6), -0.5),        # larger gradients (about 9)
    "dead_relu": (3, (0.5, 1.0), -1.0),      # two hidden ReLUs dead: zeros drawn
    "extreme": (38, (1234.5, -0.00321), -500.0),  # large, tiny and negative numbers
}
STRESS = {"extreme"}   # make check only (scene_checks.variant_params)
PLANNED_SECONDS = 50.0


def tex_of(mob):
    return mob.get_tex() if hasattr(mob, "get_tex") else getattr(mob, "text", "")


# --------------------------------------------------------------------------
# Independent expectations
# --------------------------------------------------------------------------

def expected(seed, x, target):
    """Every number of the scene, from a fresh model, forward and backward."""
    model = MLP(2, [3, 1], activation="relu", seed=seed)
    out = model(list(x))
    loss = mse(out, target)
    loss.backward()
    hidden = model.activations[1]
    l1, l2 = model.layers
    e = {
        "W_1": [[w.data for w in n.w] for n in l1.neurons],
        "b_1": [[n.b.data] for n in l1.neurons],
        "W_2": [[w.data for w in n.w] for n in l2.neurons],
        "b_2": [[n.b.data] for n in l2.neurons],
        "x": [[v] for v in x],
        "h_1": [[a.inputs[0].data] for a in hidden],     # relu's input: the pre-activation
        "a_1": [[a.data] for a in hidden],
        "h_2": [[out.data]],                            # linear output layer
        "L": loss.data,
        "target": float(target),
        "upstream": [[out.grad]],                       # dL/dh2
        "upstream1": [[a.inputs[0].grad] for a in hidden],  # dL/dh1
        "W_1.grad": [[w.grad for w in n.w] for n in l1.neurons],
        "W_2.grad": [[w.grad for w in n.w] for n in l2.neurons],
    }
    return e


def numbers_of(matrix):
    return [[entry.number for entry in row] for row in matrix.entries]


def strings_of(matrix):
    return [[tex_of(entry) for entry in row] for row in matrix.entries]


# --------------------------------------------------------------------------
# Running each variant once
# --------------------------------------------------------------------------

def scene_run(variant):
    seed, x_input, target = VARIANTS[variant]
    return scene_checks.scene_run(ParametersVsActivationsScene, variant,
                                  {"seed": seed, "x_input": x_input, "target": target})


@pytest.fixture(scope="module", params=scene_checks.variant_params(VARIANTS, STRESS))
def case(request):
    run, scene = scene_run(request.param)
    return request.param, run, scene


# --------------------------------------------------------------------------
# Runs, stays in frame, no overlapping text, not blank, timing
# --------------------------------------------------------------------------

def test_scene_runs_to_the_end(case):
    variant, run, scene = case
    assert run.num_plays == len(run.checkpoints) > 20
    assert run.checkpoints[-1].index == run.num_plays - 1
    assert scene.loss.data == pytest.approx(expected(*VARIANTS[variant])["L"], abs=1e-12)


def test_everything_visible_is_inside_the_frame(case):
    _, run, _ = case
    assert_no_problems(off_frame(run), "off-frame")


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
    # L = (out - y)^2, one entry g . a = product, each outer product entry by entry
    _, run, _ = case
    assert_identities_hold(run, {"(a - b)**2", "a * b", "a*b"})


# --------------------------------------------------------------------------
# Colours by role
# --------------------------------------------------------------------------

def _assert_matrix_colour(matrix, color, what):
    want = hex_of(color)
    for bracket in matrix.brackets:
        assert hex_of(bracket.get_stroke_color()) == want, what
    assert hex_of(matrix.backing.get_fill_color()) == want, what
    assert 0 < matrix.backing.get_fill_opacity() < 0.5, what
    for entry in matrix.all_entries():
        for sm in entry.family_members_with_points():
            assert hex_of(sm.get_fill_color()) == hex_of(mn.WHITE), what


def test_colours_by_role(case):
    _, _, scene = case
    for name, matrix in scene.param_matrices.items():
        _assert_matrix_colour(matrix, style.PARAMETER_COLOR, name)
    _assert_matrix_colour(scene.cached["x"].matrix, mn.BLUE, "x (input)")
    for name in ("h_1", "a_1", "h_2"):
        _assert_matrix_colour(scene.cached[name].matrix, style.ACTIVATION_COLOR, name)
    _assert_matrix_colour(scene.saved_row, style.ACTIVATION_COLOR, "saved a1 as a row")
    _assert_matrix_colour(scene.input_row, mn.BLUE, "saved x as a row")
    for matrix, what in ((scene.upstream_matrix, "dL/dh2"), (scene.product, "outer product"),
                         (scene.engine_grad, "engine W2.grad"), (scene.upstream1_matrix, "dL/dh1"),
                         (scene.product1, "outer product, layer 1 (engine W1.grad)")):
        _assert_matrix_colour(matrix, style.GRADIENT_COLOR, what)
    assert hex_of(scene.cache.frame.get_stroke_color()) == hex_of(style.ACTIVATION_COLOR)
    assert hex_of(scene.cache.title.get_fill_color()) == hex_of(style.ACTIVATION_COLOR)
    assert hex_of(scene.param_header.head.get_fill_color()) == hex_of(style.PARAMETER_COLOR)
    assert hex_of(scene.act_header.head.get_fill_color()) == hex_of(style.ACTIVATION_COLOR)
    # the names next to the matrices are in their role's colour too
    for item in scene.cached.values():
        assert hex_of(item.name.get_fill_color()) == hex_of(item.matrix.color)


def test_colours_as_drawn(case):
    """The checkpoint copies (what was on screen) carry the same colours."""
    _, run, _ = case
    shown = [m for top in run.last.mobjects for m in top.get_family()]
    caches = [m for m in shown if type(m).__name__ == "CacheBox"]
    assert len(caches) == 1
    assert hex_of(caches[0].frame.get_stroke_color()) == hex_of(style.ACTIVATION_COLOR)
    matrices = [m for m in shown if type(m).__name__ == "ValueMatrix"]
    by_colour = {}
    for matrix in matrices:
        by_colour.setdefault(hex_of(matrix.color), []).append(matrix)
        _assert_matrix_colour(matrix, matrix.color, "matrix on screen")
    # 4 parameter matrices; x and its row x^T; h1, a1, h2; dL/dh1 and W1.grad
    assert {k: len(v) for k, v in by_colour.items()} == {
        hex_of(style.PARAMETER_COLOR): 4, hex_of(style.INPUT_COLOR): 2,
        hex_of(style.ACTIVATION_COLOR): 3, hex_of(style.GRADIENT_COLOR): 2}


# --------------------------------------------------------------------------
# Numbers: every one equals the independent engine computation
# --------------------------------------------------------------------------

def _assert_matrix_numbers(matrix, rows, what):
    assert matrix.shape == (len(rows), len(rows[0])), what
    assert np.allclose(numbers_of(matrix), rows, rtol=0, atol=1e-12), what
    assert all(shows(t, v) for trow, row in zip(strings_of(matrix), rows)
               for t, v in zip(trow, row)), (what, strings_of(matrix))


def test_parameters_are_the_models(case):
    variant, _, scene = case
    e = expected(*VARIANTS[variant])
    for name, matrix in scene.param_matrices.items():
        _assert_matrix_numbers(matrix, e[name], (variant, name))
    # biases are shown as they are: zero at initialisation
    assert all(v == 0 for row in numbers_of(scene.param_matrices["b_1"]) for v in row)


def test_cache_holds_the_activations(case):
    variant, run, scene = case
    e = expected(*VARIANTS[variant])
    assert list(scene.cached) == ["x", "h_1", "a_1", "h_2"]
    assert list(scene.cache.contents) == list(scene.cached.values())
    frame = scene.cache.frame
    for name, item in scene.cached.items():
        _assert_matrix_numbers(item.matrix, e[name], (variant, name))
        assert mobject_in_frame(item, frame.get_width(), frame.get_height(),
                                center=frame.get_center()), name
        assert opacity(item.matrix.entry(0)) == 1.0
    # side by side, in the order they were stored
    xs = [item.get_x() for item in scene.cached.values()]
    assert xs == sorted(xs)


def test_loss_caption_is_mse(case):
    variant, _, scene = case
    e = expected(*VARIANTS[variant])
    numbers = [m.number for m in scene.loss_row if hasattr(m, "number")]
    assert numbers == pytest.approx([e["h_2"][0][0], e["target"], e["L"]], abs=1e-12)


def test_weight_gradient_is_the_outer_product(case):
    variant, _, scene = case
    e = expected(*VARIANTS[variant])
    _assert_matrix_numbers(scene.upstream_matrix, e["upstream"], (variant, "dL/dh2"))
    _assert_matrix_numbers(scene.saved_row, [[row[0] for row in e["a_1"]]], (variant, "a1^T"))
    _assert_matrix_numbers(scene.engine_grad, e["W_2.grad"], (variant, "engine W2.grad"))
    _assert_matrix_numbers(scene.product, e["W_2.grad"], (variant, "product"))
    # the drawn matrix is the numpy outer product of the drawn factors
    g = np.array(numbers_of(scene.upstream_matrix))[:, 0]
    a = np.array(numbers_of(scene.saved_row))[0]
    assert np.allclose(numbers_of(scene.product), np.outer(g, a), rtol=0, atol=1e-12)
    assert np.allclose(numbers_of(scene.engine_grad), np.outer(g, a), rtol=0, atol=1e-12)
    # and the saved row is the cached a1, read across
    cached = np.array(numbers_of(scene.cached["a_1"].matrix))[:, 0]
    assert np.array_equal(a, cached)


def test_layer_one_gradient_is_the_outer_product(case):
    variant, _, scene = case
    e = expected(*VARIANTS[variant])
    _assert_matrix_numbers(scene.upstream1_matrix, e["upstream1"], (variant, "dL/dh1"))
    _assert_matrix_numbers(scene.input_row, [[row[0] for row in e["x"]]], (variant, "x^T"))
    # the product drawn is the engine's W1.grad, as the text beside it says
    _assert_matrix_numbers(scene.product1, e["W_1.grad"], (variant, "product = W1.grad"))
    assert "W_1.\\text{grad}" in tex_of(scene.engine_claim[0][0])
    g = np.array(numbers_of(scene.upstream1_matrix))[:, 0]
    x = np.array(numbers_of(scene.input_row))[0]
    assert scene.product1.shape == (3, 2)
    assert np.allclose(numbers_of(scene.product1), np.outer(g, x), rtol=0, atol=1e-12)
    assert np.array_equal(x, np.array(numbers_of(scene.cached["x"].matrix))[:, 0])


NUMBER_TEX = re.compile(r"^\(?-?\d+(\.\d+)?( \\times 10\^\{-?\d+\})?\)?$")


def test_every_number_drawn_is_an_engine_number(case):
    """At every checkpoint, every text that shows a number is a label with
    `.number`, shows that number (scene_checks.shows), and it is one
    the engine computed (or an input/target the scene was given)."""
    variant, run, _ = case
    e = expected(*VARIANTS[variant])
    allowed = [e["L"], e["target"]]
    for key in ("W_1", "b_1", "W_2", "b_2", "x", "h_1", "a_1", "h_2", "upstream",
                "upstream1", "W_1.grad", "W_2.grad"):
        allowed += [v for row in e[key] for v in row]
    seen = 0
    for cp in run.checkpoints:
        for t in text_mobjects(cp.mobjects):
            tex = tex_of(t)
            if hasattr(t, "number"):
                seen += 1
                assert shows(tex, t.number), (cp.label, tex)
                assert min(abs(t.number - v) for v in allowed) <= 1e-12, (cp.label, tex)
            else:
                assert not NUMBER_TEX.match(tex), f"{cp.label}: {tex!r} drawn without .number"
                assert not re.search(r"\d\.\d", tex), f"{cp.label}: typed number in {tex!r}"
    assert seen > 30


def _entry_captions(run, marker):
    """(g, input, product) shown by the entry captions whose text has `marker`."""
    found = {}
    for cp in run.checkpoints:
        for top in cp.mobjects:
            family = top.get_family()
            labels = [m for m in family if hasattr(m, "number")]
            heads = [tex_of(m) for m in family if marker in tex_of(m)]
            if len(labels) == 3 and heads:  # one caption per entry, however long it stays
                found[heads[0]] = tuple(m.number for m in labels)
    return list(found.values())


@pytest.mark.parametrize("variant", scene_checks.variant_params(VARIANTS, STRESS))
def test_entry_captions_multiply_the_drawn_factors(variant):
    """Layer 2: one caption per entry, g * a_j = entry (1, j). Layer 1: one
    spelled-out entry g_i * x_j, the largest of dL/dW1."""
    run, scene = scene_run(variant)
    e = expected(*VARIANTS[variant])
    g = e["upstream"][0][0]
    layer2 = _entry_captions(run, r"\partial (W_2)")
    assert sorted(a for _, a, _ in layer2) == sorted(row[0] for row in e["a_1"])
    for g_shown, a_shown, p_shown in layer2:
        assert g_shown == pytest.approx(g, abs=1e-12)
        assert p_shown == pytest.approx(g_shown * a_shown, abs=1e-12)
    (g1, x1, p1), = _entry_captions(run, r"\partial (W_1)")
    w1_grad = np.array(e["W_1.grad"])
    assert abs(p1) == pytest.approx(np.abs(w1_grad).max(), abs=1e-12)
    assert g1 in [row[0] for row in e["upstream1"]] and x1 in [row[0] for row in e["x"]]
    assert p1 == pytest.approx(g1 * x1, abs=1e-12)


@pytest.mark.parametrize("variant", scene_checks.variant_params(VARIANTS, STRESS))
def test_drawn_model_is_the_shared_two_layer_model(variant):
    """Scenes 3 and 4 draw one model (src/lesson/layer_gradients.py): the
    scene's numbers are its arrays, and its matrix formulas agree with the
    engine for these inputs too."""
    _, scene = scene_run(variant)
    a = scene.net.check()
    assert scene.net.seed == VARIANTS[variant][0]
    e = expected(*VARIANTS[variant])
    assert np.array_equal(a["dL/dW2"], e["W_2.grad"]) and np.array_equal(a["dL/dW1"], e["W_1.grad"])
    assert np.array_equal(a["z1"][:, 0], [row[0] for row in e["h_1"]])


def test_default_inputs_keep_every_relu_alive():
    """The class defaults were picked so that no hidden ReLU is dead and
    every weight gradient on screen is non-trivial."""
    e = expected(*VARIANTS["lecture"])
    assert min(row[0] for row in e["h_1"]) > 0.1
    assert all(abs(v) > 0.1 for row in e["W_2.grad"] for v in row)
    assert all(abs(v) > 0.01 for row in e["W_1.grad"] for v in row)


def test_without_the_cache_the_product_is_unknown():
    run, scene = scene_run("lecture")
    n = scene.saved_row.n_cols
    marks = [[t for t in text_mobjects(cp.mobjects) if tex_of(t) == "?"] for cp in run.checkpoints]
    assert max(len(m) for m in marks) == 2 * n * scene.product.n_rows
    assert not marks[-1]
    # at the end the row and the product are back, fully visible
    for entry in (*scene.saved_row.all_entries(), *scene.product.all_entries()):
        assert opacity(entry) == 1.0


def test_variants_draw_different_numbers():
    shown = {}
    variants = scene_checks.everyday(VARIANTS, STRESS)
    for variant in variants:
        run, _ = scene_run(variant)
        shown[variant] = sorted(tex_of(t) for t in text_mobjects(run.last.mobjects)
                                if hasattr(t, "number"))
    assert len({tuple(v) for v in shown.values()}) == len(variants)
