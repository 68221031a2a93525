"""The lecture's scenes, run in-process and headless (tests/manim_harness.py).

Each (scene, inputs) pair runs once (tests/scene_checks.scene_run, which
subclasses the scene only to set other inputs and keep the scene object).
Expected numbers come from a fresh, independent engine computation of
L = (x*w + b)^2 (and f = x*w + x); expected colours from manimlib's
constants, compared as hex strings.
"""
import numpy as np
import pytest

from tests.manim_harness import import_manimlib, lecture_module, text_mobjects

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)
lecture = lecture_module()

from tests import scene_checks  # noqa: E402
from tests.scene_checks import (  # noqa: E402
    assert_identities_hold, assert_legible, assert_no_problems, assert_not_blank,
    assert_on_time, hex_of, off_frame, opacity, text_overlaps,
)
from src.autograd import Value  # noqa: E402
from src.visualization.formulas import number_tex  # noqa: E402
from src.visualization import ComputationGraph, ComputationNode  # noqa: E402
from src.visualization.graph_beats import order_badges  # noqa: E402

SCENES = ["ComputationGraphScene", "BackwardPassScene"]
VARIANTS = {
    "lecture": (2.0, -1.5, 0.5),
    "other": (1.0, 3.0, -2.0),
    "zero_h2": (2.0, -1.5, 3.0),      # h2 = 0: L = 0 and every gradient 0 (some -0.0)
    "large": (100.0, 300.0, -2.0),    # gradients in the millions: e-notation labels
    # large, tiny and negative at once (issue 19): 1 + (-0.000321) is drawn exactly
    "huge": (123456.789, -0.000321, 98765.4321),
}
STRESS = {"huge"}   # make check only (scene_checks.variant_params)
PLANNED_SECONDS = 45.0
ROLE_COLOR = {"input": style.INPUT_COLOR, "parameter": style.PARAMETER_COLOR,
              "operation": style.OPERATION_COLOR, "activation": style.ACTIVATION_COLOR,
              "output": style.LOSS_COLOR}


# --------------------------------------------------------------------------
# Independent expectations
# --------------------------------------------------------------------------

def expected_lecture(x, w, b):
    """name -> (data, grad) and the backward steps, from a fresh engine graph."""
    xv, wv, bv = Value(x), Value(w), Value(b)
    h1 = xv * wv
    h2 = h1 + bv
    L = h2 ** 2
    steps = L.backward_steps()
    L.backward()
    nodes = {"x": xv, "w": wv, "b": bv, "h1": h1, "h2": h2, "L": L}
    return {k: (v.data, v.grad) for k, v in nodes.items()}, steps, nodes


def expected_shared(x, w):
    xv, wv = Value(x), Value(w)
    u = xv * wv
    f = u + xv
    f.backward()
    return {"x": (xv.data, xv.grad), "w": (wv.data, wv.grad),
            "u": (u.data, u.grad), "f": (f.data, f.grad)}


def expected_role(name):
    return {"x": "input", "w": "parameter", "b": "parameter",
            "h1": "activation", "h2": "activation", "L": "output",
            "u": "activation", "f": "output"}[name]


# --------------------------------------------------------------------------
# Running each scene once
# --------------------------------------------------------------------------

def scene_run(scene_name, variant):
    x, w, b = VARIANTS[variant]
    return scene_checks.scene_run(getattr(lecture, scene_name), variant, {"x": x, "w": w, "b": b})


CASES = [pytest.param((s, v), id=f"{s}-{v}",
                      marks=[pytest.mark.slow] if v in STRESS else [])
         for s in SCENES for v in VARIANTS]


@pytest.fixture(scope="module", params=CASES)
def case(request):
    scene_name, variant = request.param
    run, scene = scene_run(scene_name, variant)
    return scene_name, variant, run, scene


@pytest.fixture(scope="module",
                params=scene_checks.variant_params(VARIANTS, STRESS, "ComputationGraphScene"))
def graph_case(request):
    run, scene = scene_run("ComputationGraphScene", request.param)
    return request.param, run, scene


@pytest.fixture(scope="module",
                params=scene_checks.variant_params(VARIANTS, STRESS, "BackwardPassScene"))
def backward_case(request):
    run, scene = scene_run("BackwardPassScene", request.param)
    return request.param, run, scene


# --------------------------------------------------------------------------
# Every scene: runs, stays in frame, no overlapping text, not blank, timing
# --------------------------------------------------------------------------

def test_scene_runs_to_the_end(case):
    scene_name, variant, run, scene = case
    assert run.num_plays == len(run.checkpoints) > 10
    assert run.checkpoints[-1].index == run.num_plays - 1
    assert scene.loss.data == pytest.approx(expected_lecture(*VARIANTS[variant])[0]["L"][0])


def test_everything_visible_is_inside_the_frame(case):
    _, _, run, _ = case
    assert_no_problems(off_frame(run), "off-frame")


def test_no_two_visible_texts_overlap(case):
    _, _, run, _ = case
    assert_no_problems(text_overlaps(run, require_text=True), "overlaps")


def test_last_frame_not_blank(case):
    _, _, run, _ = case
    assert_not_blank(run)


def test_duration_matches_plan(case):
    scene_name, variant, run, _ = case
    if variant == "huge":  # the voice paces the scene: twelve-digit numbers take long to say
        times = [cp.time for cp in run.checkpoints]
        assert times == sorted(times) and run.time <= 2 * PLANNED_SECONDS
        return
    assert_on_time(run, PLANNED_SECONDS)


def test_numbers_stay_legible(case):
    _, _, run, _ = case
    assert_legible(run)


DRAWN_ARITHMETIC = {
    "ComputationGraphScene": {"a * b", "a + b", "a**(2.0)"},   # each operation, in numbers
    "BackwardPassScene": {"a * b", "a + b"},    # chain-rule products, the accumulation
}


def test_drawn_arithmetic_is_true_as_drawn(case):
    scene_name, _, run, _ = case
    assert_identities_hold(run, DRAWN_ARITHMETIC[scene_name])


def test_accumulation_is_drawn_exactly(backward_case):
    variant, run, scene = backward_case
    x, w, _ = VARIANTS[variant]
    sums = [i for i in scene_checks.drawn_identities(run) if i.formula == "a + b"]
    assert len(sums) == 1
    parts = [float(t) for t in sums[0].operands]
    assert sorted(parts) == pytest.approx(sorted([1.0, w]), rel=1e-2, abs=1e-12)
    if variant == "huge":  # the example: not "= 1"
        assert (sums[0].operands, sums[0].result) == (("1", "-0.000321"), "0.999679")


# --------------------------------------------------------------------------
# Visiting-order badges: a badge is never read as part of a value
# --------------------------------------------------------------------------

BADGE_MARGIN = 0.1  # units (6 px at 480p) between a badge and any value label


def _gap(a, b) -> float:
    """Distance between two bounding boxes (0 when they touch or overlap)."""
    (ax0, ay0, _), (ax1, ay1, _) = a.get_bounding_box()[[0, 2]]
    (bx0, by0, _), (bx1, by1, _) = b.get_bounding_box()[[0, 2]]
    dx, dy = max(bx0 - ax1, ax0 - bx1, 0.0), max(by0 - ay1, ay0 - by1, 0.0)
    return float(np.hypot(dx, dy))


def test_order_badges_stand_clear_of_every_value_label(backward_case):
    variant, run, scene = backward_case
    badges = order_badges(scene.graph, scene.steps)  # as the scene builds them, on its graph
    assert [b.order for b in badges] == list(range(1, len(scene.steps) + 1))
    nodes = scene.graph.value_nodes
    close = [(b.order, describe_label(label), round(_gap(b, label), 3))
             for b in badges for value, node in nodes.items()
             # every value label; the names of the other nodes (its own sits in its circle)
             for label in (node.value_label, *([node.name_label] if value is not b.value else []))
             if _gap(b, label) < BADGE_MARGIN]
    assert not close, f"{variant}: badges too close to value labels: {close}"
    for a in badges:
        for b in badges:
            assert a is b or _gap(a, b) >= BADGE_MARGIN, (variant, a.order, b.order)
    # and on screen: the beat that shows them keeps them clear of the value labels
    def is_badge(m) -> bool:
        return isinstance(getattr(m, "order", None), int)

    shown = [cp for cp in run.checkpoints
             if any(is_badge(m) for top in cp.mobjects for m in top.get_family())]
    assert shown, "the badges are never on screen"
    for cp in shown:
        family = [m for top in cp.mobjects for m in top.get_family()]
        on_screen = [m for m in family if is_badge(m)]
        values = [m for m in family if isinstance(m, ComputationNode) and m.role != "operation"]
        for badge in on_screen:
            for node in values:
                assert _gap(badge, node.value_label) >= BADGE_MARGIN, (cp.label, badge.order)


def test_order_badges_look_like_badges(backward_case):
    # a filled disc with a dark number: its own shape and colour, not a value's white text
    _, _, scene = backward_case
    for badge in order_badges(scene.graph, scene.steps):
        disc = next(m for m in badge.get_family() if isinstance(m, mn.Circle))
        digit = next(m for m in badge.get_family() if isinstance(m, mn.Text))
        assert disc.get_fill_opacity() == 1.0
        assert hex_of(disc.get_fill_color()) == hex_of(mn.YELLOW)
        assert hex_of(digit.get_fill_color()) == hex_of(mn.BLACK)
        assert digit.text == str(badge.order)
        assert disc.get_center() == pytest.approx(digit.get_center(), abs=1e-6)


def describe_label(label) -> str:
    return getattr(label, "string", "?")


# --------------------------------------------------------------------------
# Colours and numbers on the main graph, as last shown
# --------------------------------------------------------------------------

def shown_graph(run, root):
    """The copy of the graph of `root` at the last checkpoint that shows it."""
    for cp in reversed(run.checkpoints):
        for mob in cp.mobjects:
            if isinstance(mob, ComputationGraph) and mob.root is root:
                return cp, mob
    raise AssertionError("the graph is never shown as a whole")


def value_nodes_in(graph_copy):
    """Value nodes in a checkpoint copy (their parts are the copy's own)."""
    return [m for m in graph_copy.get_family()
            if isinstance(m, ComputationNode) and m.role != "operation"]


def _check_colours(graph_copy, names):
    nodes = [m for m in graph_copy.get_family() if isinstance(m, ComputationNode)]
    assert len(nodes) == len(names) + sum(1 for v in names if not v.is_leaf)
    for node in nodes:
        role = "operation" if node.role == "operation" else expected_role(names[node.value])
        assert node.role == role
        want = hex_of(ROLE_COLOR[role])
        assert hex_of(node.shape.get_stroke_color()) == want, (names[node.value], role)
        assert hex_of(node.shape.get_fill_color()) == want, (names[node.value], role)
    edges = [m for m in graph_copy.get_family() if type(m).__name__ == "ComputationEdge"]
    assert len(edges) == sum(len(v.inputs) + 1 for v in names if not v.is_leaf)
    for edge in edges:
        assert hex_of(edge.get_fill_color()) == hex_of(mn.GREY_B)


def test_graph_scene_colours(graph_case):
    variant, run, scene = graph_case
    _, graph = shown_graph(run, scene.loss)
    _check_colours(graph, scene.graph.names)


def test_backward_scene_colours(backward_case):
    variant, run, scene = backward_case
    _, graph = shown_graph(run, scene.loss)
    _check_colours(graph, scene.graph.names)
    for node in value_nodes_in(graph):
        for sm in node.grad_label.family_members_with_points():
            assert hex_of(sm.get_fill_color()) == hex_of(style.GRADIENT_COLOR)


def test_value_labels_equal_engine(case):
    scene_name, variant, run, scene = case
    expected, _, _ = expected_lecture(*VARIANTS[variant])
    _, graph = shown_graph(run, scene.loss)
    nodes = value_nodes_in(graph)
    assert sorted(scene.graph.names[n.value] for n in nodes) == sorted(expected)
    for node in nodes:
        name = scene.graph.names[node.value]
        assert node.value_label.number == node.value.data
        assert node.value_label.number == pytest.approx(expected[name][0], abs=1e-12), (variant, name)
        assert node.value_label.string == number_tex(expected[name][0])
        assert opacity(node.value_label) > 0
        for sm in node.value_label.family_members_with_points():
            assert hex_of(sm.get_fill_color()) == hex_of(mn.WHITE), (variant, name)


def test_backward_gradient_labels_equal_engine(backward_case):
    variant, run, scene = backward_case
    expected, _, _ = expected_lecture(*VARIANTS[variant])
    _, graph = shown_graph(run, scene.loss)
    for node in value_nodes_in(graph):
        name = scene.graph.names[node.value]
        label = node.grad_label
        assert label.number == pytest.approx(expected[name][1], abs=1e-12), (variant, name)
        assert label.string == number_tex(expected[name][1]), (variant, name)
        assert not label.string.startswith("-0") or label.string.startswith("-0.")
        assert opacity(label) > 0, (variant, name)
    # the live graph agrees with what was shown
    for v, node in scene.graph.value_nodes.items():
        assert node.grad_label.number == pytest.approx(expected[scene.graph.names[v]][1], abs=1e-12)


def test_backward_code_annotations_are_running_totals(backward_case):
    variant, _, scene = backward_case
    _, steps, nodes = expected_lecture(*VARIANTS[variant])
    name_of = {id(v): k for k, v in nodes.items()}
    totals, expected = {"L": 1.0}, [1.0]
    for step in steps:
        for c in step.contributions:
            name = name_of[id(c.input)]
            totals[name] = totals.get(name, 0.0) + c.added
            expected.append(totals[name])
    assert len(scene.code.lines) == len(expected)
    assert sorted(scene.code.annotations) == list(range(len(expected)))
    for index, value in enumerate(expected):
        label = scene.code.annotations[index]
        assert label.number == pytest.approx(value, abs=1e-12), (variant, index)
        assert label.string == number_tex(value)
    grads, _, _ = expected_lecture(*VARIANTS[variant])
    for name in ("x", "w", "b", "h1", "h2"):
        assert totals[name] == pytest.approx(grads[name][1])


def test_backward_accumulation_graph(backward_case):
    variant, run, scene = backward_case
    x, w, _ = VARIANTS[variant]
    expected = expected_shared(x, w)
    graphs = [m for m in run.mobjects if isinstance(m, ComputationGraph)]
    assert len(graphs) == 1 and graphs[0].root is not scene.loss
    graph = graphs[0]
    assert sorted(graph.names.values()) == ["f", "u", "w", "x"]
    _check_colours(graph, graph.names)
    for v, node in graph.value_nodes.items():
        name = graph.names[v]
        assert node.value_label.number == pytest.approx(expected[name][0])
        assert node.grad_label.number == pytest.approx(expected[name][1], abs=1e-12), (variant, name)
        assert graph.drawn_gradients[v] == pytest.approx(expected[name][1], abs=1e-12)
        assert opacity(node.grad_label) > 0
        for sm in node.grad_label.family_members_with_points():
            assert hex_of(sm.get_fill_color()) == hex_of(style.GRADIENT_COLOR)


def test_graph_scene_rule_cards_show_local_derivatives(graph_case):
    variant, run, scene = graph_case
    _, steps, nodes = expected_lecture(*VARIANTS[variant])
    by_name = {k: s for s in steps for k, v in nodes.items() if v is s.node}
    ops = scene.graph.operations()
    assert [scene.graph.names[v] for v in ops] == ["h1", "h2", "L"]
    assert len(scene.cards) == len(ops)
    for value, card in zip(ops, scene.cards):
        step = by_name[scene.graph.names[value]]
        numbers = [m for m in card.get_family() if hasattr(m, "number")]
        assert len(numbers) == len(step.contributions)
        for label, contribution in zip(numbers, step.contributions):
            assert label.number == contribution.local
            assert label.string == number_tex(contribution.local), (variant, label.string)
    # the cards are on screen at the end
    last_texts = {t.string for t in text_mobjects(run.last.mobjects) if hasattr(t, "string")}
    for card in scene.cards:
        for m in card.get_family():
            if hasattr(m, "string"):
                assert m.string in last_texts


@pytest.mark.parametrize("scene_name", ["BackwardPassScene"])   # its xdist group: its runs
def test_variants_draw_different_numbers(scene_name):
    shown = {}
    variants = scene_checks.everyday(VARIANTS, STRESS)
    for variant in variants:
        run, scene = scene_run(scene_name, variant)
        _, graph = shown_graph(run, scene.loss)
        shown[variant] = sorted((scene.graph.names[n.value], n.value_label.string,
                                 n.grad_label.string) for n in value_nodes_in(graph))
    assert len({tuple(v) for v in shown.values()}) == len(variants)
