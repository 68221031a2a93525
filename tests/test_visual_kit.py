"""src/visualization.py without a whole scene: graphs, colours, numbers,
gradient accumulation, the code panel.

Expected numbers come from the engine (fresh graphs, `backward()`), expected
colours from manimlib's own constants, compared as hex strings.
"""
import numpy as np
import pytest

from tests.manim_harness import (
    bboxes_overlap, import_manimlib, mobject_in_frame, run_scene, text_mobjects,
)

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)

from manimlib.utils.color import color_to_hex, color_to_rgb  # noqa: E402

from src.autograd import Value  # noqa: E402
from src.lesson.examples import lecture_loss, shared_input  # noqa: E402
from src.lesson.graph_text import backward_code, graph_names  # noqa: E402
from src.visualization.formulas import number_tex  # noqa: E402
from src import visualization as vis  # noqa: E402
from src.visualization import (  # noqa: E402
    CodePanel, ComputationGraph, GradientFlow, seed_gradient, value_to_color,
)

HALF_W, HALF_H = mn.FRAME_WIDTH / 2, mn.FRAME_HEIGHT / 2
EPS = 1e-6


def hex_of(color) -> str:
    return color_to_hex(color).upper()


def same_color(a, b) -> bool:
    return hex_of(a) == hex_of(b)


def opacity(mob) -> float:
    """Largest fill opacity among the parts that draw (a Tex has no points itself)."""
    parts = mob.family_members_with_points()
    assert parts, mob
    return max(float(sm.get_fill_opacity()) for sm in parts)


# --------------------------------------------------------------------------
# Expressions (built fresh each time: a Value graph is never reused)
# --------------------------------------------------------------------------

def lecture(x=2.0, w=-1.5, b=0.5):
    L, (_, wv, bv) = lecture_loss(x, w, b)
    return L, [wv, bv]


def square():
    a = Value(-3.0, "a")
    f = a * a
    f.label = "f"
    return f, []


def deep_chain():
    v = Value(0.3, "x")
    for i in range(8):
        v = (v * 2).tanh() if i % 2 else v + 1
    return v, []


def wide_sum():
    xs = [Value(0.5 * i - 1.2, f"x{i}") for i in range(6)]
    total = xs[0]
    for v in xs[1:]:
        total = total + v
    total.label = "s"
    return total, []


def shared():
    f, (_, w) = shared_input(2.0, -1.5)
    return f, [w]


def const_minus():
    x = Value(0.7, "x")
    return 2 - x, []


def cube():
    x = Value(-1.5, "x")
    return x ** 3, []


def tanh():
    x = Value(0.6, "x")
    return x.tanh(), []


def relu():
    x = Value(-0.6, "x")
    return x.relu(), []


EXPRESSIONS = {f.__name__: f for f in (lecture, square, deep_chain, wide_sum, shared,
                                       const_minus, cube, tanh, relu)}


@pytest.fixture(scope="module")
def graphs():
    out = {}
    for name, build in EXPRESSIONS.items():
        root, params = build()
        out[name] = (root, ComputationGraph(root, parameters=params))
    return out


def shapes_of(graph):
    return [n.shape for n in (*graph.value_nodes.values(), *graph.op_nodes.values())]


# --------------------------------------------------------------------------
# Construction and layout
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_graph_has_one_node_per_value_and_op(graphs, name):
    root, graph = graphs[name]
    order = root.topological_order()
    assert set(graph.value_nodes) == set(order)
    assert set(graph.op_nodes) == {v for v in order if not v.is_leaf}
    for v, node in graph.value_nodes.items():
        assert node.value is v
    n_edges = sum(len(v.inputs) + 1 for v in order if not v.is_leaf)
    assert len(graph.edges) == n_edges


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_graph_fits_in_frame(graphs, name):
    _, graph = graphs[name]
    for sm in graph.family_members_with_points():
        assert mobject_in_frame(sm), (name, sm)
    assert graph.get_width() <= mn.FRAME_WIDTH - 1.0 + EPS
    assert graph.get_height() <= mn.FRAME_HEIGHT - 2.0 + EPS


@pytest.mark.parametrize("name", ["lecture", "deep_chain", "wide_sum", "shared"])
def test_graph_respects_requested_size(name):
    root, params = EXPRESSIONS[name]()
    graph = ComputationGraph(root, parameters=params, max_width=8.0, max_height=3.6)
    assert graph.get_width() <= 8.0 + EPS
    assert graph.get_height() <= 3.6 + EPS
    for sm in graph.family_members_with_points():
        assert mobject_in_frame(sm, 8.0, 3.6, center=graph.get_center()), (name, sm)


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_node_shapes_do_not_overlap(graphs, name):
    _, graph = graphs[name]
    shapes = shapes_of(graph)
    for i, a in enumerate(shapes):
        for b in shapes[i + 1:]:
            assert not bboxes_overlap(a, b), (name, a, b)


def _all_gradients_drawn(root, params, **kwargs):
    """A graph with every node's gradient label landed, as a scene would end."""
    graph = ComputationGraph(root, parameters=params, **kwargs)
    for step in root.backward_steps():
        for index, contribution in enumerate(step.contributions):
            flow = GradientFlow(graph, step.node, index, contribution)
            flow.node.set_gradient_label(flow.new_label)
    seed = graph.node(root).gradient_label(1.0)
    graph.node(root).set_gradient_label(seed)
    return graph


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_text_labels_do_not_overlap(graphs, name):
    _, graph = graphs[name]
    texts = text_mobjects([graph])
    assert len(texts) >= len(graph.value_nodes) * 2  # names and values at least
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not bboxes_overlap(a, b), (name, a, b)


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_text_labels_do_not_overlap_with_gradients_drawn(name):
    root, params = EXPRESSIONS[name]()
    graph = _all_gradients_drawn(root, params)
    texts = text_mobjects([graph])
    grads = [n.grad_label for n in graph.value_nodes.values()]
    assert all(any(t is g for t in texts) for g in grads)  # they are visible now
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not bboxes_overlap(a, b), (name, a, b)
    for sm in graph.family_members_with_points():
        assert mobject_in_frame(sm), (name, sm)


# --------------------------------------------------------------------------
# Roles and colours
# --------------------------------------------------------------------------

EXPECTED_ROLE_COLOR = {
    "input": style.INPUT_COLOR, "parameter": style.PARAMETER_COLOR,
    "operation": style.OPERATION_COLOR, "activation": style.ACTIVATION_COLOR,
    "output": style.LOSS_COLOR, "constant": style.CONSTANT_COLOR,
}


def expected_role(root, params, v):
    if v is root:
        return "output"
    if not v.is_leaf:
        return "activation"
    if any(v is p for p in params):
        return "parameter"
    return "input" if v.label else "constant"


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_roles_and_colours(graphs, name):
    root, graph = graphs[name]
    params = list(graph.parameters)
    for v, node in graph.value_nodes.items():
        role = expected_role(root, params, v)
        assert node.role == role, (name, graph.names[v])
        assert same_color(node.shape.get_stroke_color(), EXPECTED_ROLE_COLOR[role])
        assert same_color(node.shape.get_fill_color(), EXPECTED_ROLE_COLOR[role])
        assert node.shape.get_fill_opacity() > 0
        for label in (node.name_label, node.value_label):
            for sm in label.family_members_with_points():
                assert same_color(sm.get_fill_color(), mn.WHITE)
    for v, node in graph.op_nodes.items():
        assert node.role == "operation"
        assert same_color(node.shape.get_stroke_color(), style.OPERATION_COLOR)
        assert same_color(node.shape.get_fill_color(), style.OPERATION_COLOR)
    for edge in graph.edges:
        assert same_color(edge.get_fill_color(), mn.GREY_B)
        assert edge.get_fill_opacity() > 0


def test_lecture_graph_has_every_role():
    root, params = lecture()
    graph = ComputationGraph(root, parameters=params)
    roles = {graph.names[v]: n.role for v, n in graph.value_nodes.items()}
    assert roles == {"x": "input", "w": "parameter", "b": "parameter",
                     "h1": "activation", "h2": "activation", "L": "output"}


# The palette's shades and the plan's hues: tests/test_colours.py.


# --------------------------------------------------------------------------
# Numbers drawn
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_value_labels_show_engine_numbers(graphs, name):
    _, graph = graphs[name]
    for v, node in graph.value_nodes.items():
        assert node.value_label.number == v.data
        assert node.value_label.string == number_tex(v.data)
        assert opacity(node.grad_label) == 0  # placeholder, invisible


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_drawn_gradients_equal_engine_gradients(name):
    root, params = EXPRESSIONS[name]()
    graph = _all_gradients_drawn(root, params)
    fresh, _ = EXPRESSIONS[name]()  # an independent graph for the expected numbers
    fresh.backward()
    expected = [v.grad for v in fresh.topological_order()]
    for v, grad in zip(root.topological_order(), expected):
        label = graph.node(v).grad_label
        assert label.number == pytest.approx(grad, rel=1e-12, abs=1e-12), graph.names[v]
        assert label.string == number_tex(grad)
        for sm in label.family_members_with_points():
            assert same_color(sm.get_fill_color(), style.GRADIENT_COLOR)
            assert sm.get_fill_opacity() > 0


# --------------------------------------------------------------------------
# Gradient accumulation
# --------------------------------------------------------------------------

def test_two_flows_into_one_node_sum():
    f, params = shared()
    x = f.inputs[1]
    graph = ComputationGraph(f, parameters=params)
    flows = []
    for step in f.backward_steps():
        for index, contribution in enumerate(step.contributions):
            if contribution.input is x:
                flows.append((contribution.added, GradientFlow(graph, step.node, index, contribution)))
    assert len(flows) == 2
    (first_added, first), (second_added, second) = flows
    assert first.total == pytest.approx(first_added)
    assert second.total == pytest.approx(first_added + second_added)
    fresh, _ = shared()
    fresh.backward()
    assert graph.drawn_gradients[x] == pytest.approx(fresh.inputs[1].grad)  # -1.5 + 1 = -0.5
    assert second.new_label.number == pytest.approx(fresh.inputs[1].grad)


def _flow_scene(build):
    class FlowScene(mn.Scene):
        def construct(self):
            root, params = build()
            self.root = root
            self.graph = ComputationGraph(root, parameters=params)
            self.add(self.graph)
            self.play(seed_gradient(self.graph))
            for step in root.backward_steps():
                for index, contribution in enumerate(step.contributions):
                    self.play(GradientFlow(self.graph, step.node, index, contribution))
    return FlowScene


@pytest.mark.parametrize("build", [shared, square, lecture], ids=lambda f: f.__name__)
def test_played_flows_accumulate_and_land(build):
    holder = {}
    Scene = _flow_scene(build)
    original = Scene.construct

    def construct(self):
        holder["scene"] = self
        original(self)
    Scene.construct = construct
    run = run_scene(Scene, copy=False)
    scene = holder["scene"]
    graph = scene.graph
    fresh, _ = build()
    fresh.backward()
    for v, expected in zip(scene.root.topological_order(),
                           [u.grad for u in fresh.topological_order()]):
        node = graph.node(v)
        assert graph.drawn_gradients[v] == pytest.approx(expected)
        assert node.grad_label.number == pytest.approx(expected)
        assert node.grad_label in node.submobjects  # the landed label is the node's own
        assert opacity(node.grad_label) > 0
        assert same_color(node.grad_label[0].get_fill_color(), style.GRADIENT_COLOR)
    # only the graph is left on screen: the flows removed their travellers
    assert [type(m).__name__ for m in run.mobjects] == ["ComputationGraph"]
    texts = text_mobjects(run.mobjects)
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not bboxes_overlap(a, b), (a, b)


def test_gradient_flow_rejects_wrong_contribution():
    f, params = shared()
    graph = ComputationGraph(f, parameters=params)
    step = f.backward_steps()[0]
    with pytest.raises(ValueError):
        GradientFlow(graph, step.node, 0, step.contributions[1])


# --------------------------------------------------------------------------
# value_to_color
# --------------------------------------------------------------------------

def _distance(a, b):
    return float(np.linalg.norm(np.array(color_to_rgb(a)) - np.array(color_to_rgb(b))))


def test_value_to_color_sign_and_magnitude():
    BLUE, RED = style.POSITIVE_COLOR, style.NEGATIVE_COLOR
    assert same_color(value_to_color(1.0), BLUE)
    assert same_color(value_to_color(-1.0), RED)
    assert same_color(value_to_color(7.0, max_abs=2.0), BLUE)
    assert same_color(value_to_color(-7.0, max_abs=2.0), RED)
    for small, big in [(0.1, 0.6), (0.3, 0.9)]:
        assert _distance(value_to_color(big), BLUE) < _distance(value_to_color(small), BLUE)
        assert _distance(value_to_color(-big), RED) < _distance(value_to_color(-small), RED)
    for x in (0.05, 0.4, 0.8):
        pos, neg = value_to_color(x), value_to_color(-x)
        assert _distance(pos, BLUE) < _distance(pos, RED)
        assert _distance(neg, RED) < _distance(neg, BLUE)
    with pytest.raises(ValueError):
        value_to_color(1.0, max_abs=0)


# --------------------------------------------------------------------------
# CodePanel
# --------------------------------------------------------------------------

def lecture_panel():
    root, _ = lecture()
    lines = [line for line, _, _ in backward_code(root, graph_names(root))]
    return CodePanel("# Backward", lines), root


def test_code_panel_lines():
    panel, root = lecture_panel()
    assert len(panel.lines) == 1 + sum(len(s.contributions) for s in root.backward_steps())
    for above, below in zip(panel.lines, panel.lines[1:]):
        assert above.get_y() > below.get_y()
        assert not bboxes_overlap(above, below)
    for line in panel.lines:
        for sm in line.family_members_with_points():
            assert same_color(sm.get_fill_color(), mn.WHITE)


@pytest.mark.parametrize("index", [0, 3, 5])
def test_code_panel_highlight_covers_its_line(index):
    panel, _ = lecture_panel()
    panel.to_edge(mn.DOWN)
    anim = panel.highlight(index)
    bar = anim.target_mobject
    line = panel.lines[index]
    assert bar.get_fill_opacity() > 0
    assert abs(bar.get_y() - line.get_y()) < 1e-6
    assert bar.get_left()[0] <= line.get_left()[0]
    assert bar.get_right()[0] >= line.get_right()[0]
    assert bar.get_height() < 1.5 * (panel.lines[0].get_y() - panel.lines[1].get_y())
    for other in panel.lines:
        if other is not line:
            assert abs(other.get_y() - bar.get_y()) > bar.get_height() / 2
    hidden = panel.highlight(None).target_mobject
    assert hidden.get_fill_opacity() == 0


def _place_like_scene(panel):
    panel.to_edge(mn.DOWN, buff=0.3)
    panel.shift((mn.FRAME_X_RADIUS - 1.3 - panel.get_right()[0]) * mn.RIGHT)


def _check_annotations(panel, values, place):
    for index, x in enumerate(values):
        panel.annotate(index, x)
    for index, x in enumerate(values):
        label = panel.annotations[index]
        line = panel.lines[index]
        assert label.number == x
        assert label.string == number_tex(x)
        assert label.get_left()[0] >= line.get_right()[0]
        assert line.get_bottom()[1] - EPS <= label.get_y() <= line.get_top()[1] + EPS
        for sm in label.family_members_with_points():
            assert same_color(sm.get_fill_color(), style.GRADIENT_COLOR)
        assert label in panel.submobjects
        assert mobject_in_frame(label), (place, index, x, label.get_right())
    texts = text_mobjects([panel])
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not bboxes_overlap(a, b), (a, b)


@pytest.mark.parametrize("place", ["like_scene", "right_edge", "center"])
def test_code_panel_annotations_right_of_line_and_in_frame(place):
    panel, root = lecture_panel()
    if place == "like_scene":
        _place_like_scene(panel)
    elif place == "right_edge":
        panel.to_edge(mn.RIGHT)
    assert mobject_in_frame(panel)
    # the running totals the lecture writes, from the engine
    totals, values = {root: 1.0}, [1.0]
    for step in root.backward_steps():
        for c in step.contributions:
            totals[c.input] = totals.get(c.input, 0.0) + c.added
            values.append(totals[c.input])
    _check_annotations(panel, values, place)


def test_code_panel_wide_annotations_stay_in_frame():
    # Big inputs give gradients like -1.23e5: still inside the frame
    # when the panel is placed as BackwardPassScene places it.
    panel, _ = lecture_panel()
    _place_like_scene(panel)
    assert mobject_in_frame(panel)
    _check_annotations(panel, [1.0, -123456.0, 0.000012345, -2.5, 7.5, -10.0], "like_scene")


def test_code_panel_reannotate_replaces():
    panel, _ = lecture_panel()
    panel.annotate(2, 1.0)
    old = panel.annotations[2]
    panel.annotate(2, -4.0)
    assert panel.annotations[2] is not old
    assert old not in panel.submobjects
    assert panel.annotations[2].number == -4.0
    assert len([m for m in panel.submobjects if getattr(m, "number", None) is not None]) == 1
