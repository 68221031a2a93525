"""The kit's network, matrix, cache and icon pictures, without a whole scene."""
import numpy as np
import pytest

from tests.manim_harness import import_manimlib, run_scene
from tests.scene_checks import assert_clean, hex_of, numbered_labels

mn = import_manimlib()

from src.autograd import Value  # noqa: E402
from src.models import MLP, mse  # noqa: E402
from src.visualization import (  # noqa: E402
    ICON_KINDS, CacheBox, LayerPipeline, NetworkDiagram, ValueMatrix,
    arrow_flash, edge_style, role_arrow, scene_icon, value_to_color,
)


def trained_example(seed=0):
    model = MLP(2, [4, 1], activation="tanh", seed=seed)
    loss = mse(model([0.5, -1.0]), 1.0)
    loss.backward()
    return model, loss


# ---- ValueMatrix ----

def test_matrix_shows_the_engines_numbers_in_place():
    W = [[Value(0.25), Value(-1.5)], [Value(3.0), Value(1e-7)]]
    m = ValueMatrix(W, mn.BLUE_E)
    assert m.shape == (2, 2)
    assert [[m.entry(i, j).number for j in range(2)] for i in range(2)] == [[0.25, -1.5], [3.0, 1e-7]]
    assert m.entry(0, 1).string == "-1.5"
    # rows read top to bottom, columns left to right
    assert m.entry(0, 0).get_y() > m.entry(1, 0).get_y()
    assert m.entry(0, 0).get_x() < m.entry(0, 1).get_x()
    assert hex_of(m.left_bracket.get_stroke_color()) == hex_of(mn.BLUE_E)
    assert hex_of(m.backing.get_fill_color()) == hex_of(mn.BLUE_E)
    assert all(hex_of(e.get_fill_color()) == hex_of(mn.WHITE) for e in m.all_entries())


def test_flat_list_is_a_column_vector():
    v = ValueMatrix([1.0, 2.0, 3.0])
    assert v.shape == (3, 1)
    assert [e.number for e in v.column(0)] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("bad, error", [
    ([], ValueError), (3.0, TypeError), ([[1.0], [1.0, 2.0]], ValueError),
    ([["a"]], TypeError), ([[]], ValueError), ([True], TypeError),
])
def test_matrix_rejects_bad_input_clearly(bad, error):
    with pytest.raises(error, match="ValueMatrix"):
        ValueMatrix(bad)


def test_labelled_matrix_puts_the_name_left():
    group = ValueMatrix([[1.0, 2.0]]).labelled("W_1")
    assert group.name.get_right()[0] <= group.matrix.get_left()[0] + 1e-6


# ---- NetworkDiagram ----

def test_network_has_a_neuron_per_unit_and_a_line_per_weight():
    model, _ = trained_example()
    net = NetworkDiagram(model)
    assert [len(c) for c in net.neurons] == [2, 4, 1]
    assert len(net.all_edges()) == 2 * 4 + 4 * 1
    assert net.parameter(2, 0, 3) is model.layers[1].neurons[0].w[3]
    # edge(k, j, i) runs from neuron i of layer k-1 to neuron j of layer k
    line = net.edge(1, 2, 1)
    assert np.linalg.norm(line.get_start() - net.neurons[0][1].get_center()) == pytest.approx(net.radius, abs=1e-3)
    assert np.linalg.norm(line.get_end() - net.neurons[1][2].get_center()) == pytest.approx(net.radius, abs=1e-3)


def test_edges_show_weights_then_gradients():
    model, _ = trained_example(seed=3)
    net = NetworkDiagram(model)
    weights = [p.data for p in net.all_parameters()]
    biggest = max(abs(w) for w in weights)
    for line, w in zip(net.all_edges(), weights):
        color, width = edge_style(w, biggest)
        assert line.shown_value == w
        assert hex_of(line.get_stroke_color()) == hex_of(color)
        assert line.get_stroke_width() == pytest.approx(width)
    grads = net.edge_values("grad")
    assert grads == [p.grad for p in net.all_parameters()] and any(grads)
    net.style_edges(grads)
    assert [line.shown_value for line in net.all_edges()] == grads


def test_edge_style_encodes_sign_and_size():
    pos, neg = edge_style(0.5, 1.0), edge_style(-0.5, 1.0)
    assert hex_of(pos[0]) == hex_of(value_to_color(0.5)) and hex_of(neg[0]) == hex_of(value_to_color(-0.5))
    assert pos[0] != neg[0] and pos[1] == neg[1]
    assert edge_style(1.0, 1.0)[1] > edge_style(0.1, 1.0)[1]


def test_network_rejects_wrong_lengths():
    model, _ = trained_example()
    net = NetworkDiagram(model)
    with pytest.raises(ValueError, match="one value per edge"):
        net.style_edges([1.0, 2.0])
    with pytest.raises(ValueError, match="layer 1 has 4 neurons"):
        net.light_neurons(1, [1.0])
    with pytest.raises(ValueError, match="'data' or 'grad'"):
        net.edge_values("weights")
    with pytest.raises(TypeError, match="MLP"):
        NetworkDiagram(object())


# ---- the pieces inside a scene: animations, cache, pipeline ----

class KitScene(mn.Scene):
    def construct(self):
        model, loss = trained_example(seed=1)
        self.model = model
        self.net = NetworkDiagram(model).to_edge(mn.RIGHT)
        self.add(self.net)
        self.play(self.net.full_forward_flow(),
                  self.net.restyled(neurons={1: [a.data for a in model.activations[1]]}))
        self.play(self.net.full_backward_flow(),
                  self.net.restyled(edges=self.net.edge_values("grad")))
        self.labels = self.net.value_labels(1, model.activations[1])
        self.add(self.labels)
        x = ValueMatrix([0.5, -1.0], mn.BLUE).to_corner(mn.UL)
        self.box = CacheBox("saved for backward").to_corner(mn.DL)
        self.add(x, self.box)
        self.play(self.box.store(x, ValueMatrix([0.5, -1.0], mn.ORANGE)))
        self.pipe = LayerPipeline([("x", mn.BLUE), ("W_1", mn.BLUE_E), ("L", mn.RED_E)])
        self.pipe.to_edge(mn.DOWN).shift(2 * mn.RIGHT)
        self.add(self.pipe)
        self.play(self.pipe.flow_all())
        self.play(self.pipe.flow_all_back())


@pytest.fixture(scope="module")
def kit_run():
    holder = {}

    class Probe(KitScene):
        def construct(self):
            holder["scene"] = self
            super().construct()

    return run_scene(Probe), holder["scene"]


def test_kit_animations_keep_the_picture_whole(kit_run):
    run, scene = kit_run
    assert_clean(run)
    # the diagram stays one top-level mobject; the flows leave nothing behind
    tops = run.last.mobjects
    assert sum(isinstance(m, NetworkDiagram) for m in tops) == 1
    assert len(tops) == 5  # network, labels, x, cache box, pipeline


def test_restyled_diagram_records_what_it_shows(kit_run):
    _, scene = kit_run
    grads = [p.grad for p in scene.net.all_parameters()]
    assert [line.shown_value for line in scene.net.all_edges()] == grads
    hidden = [a.data for a in scene.model.activations[1]]
    assert [n.shown_value for n in scene.net.neurons[1]] == hidden
    assert [label.number for label in scene.labels] == hidden


def test_cache_box_owns_what_was_stored(kit_run):
    run, scene = kit_run
    assert len(scene.box.contents) == 1
    stored = scene.box.contents[0]
    assert [e.number for e in stored.all_entries()] == [0.5, -1.0]
    assert stored.get_top()[1] <= scene.box.title.get_bottom()[1]
    assert scene.box.frame.get_bottom()[1] <= stored.get_bottom()[1]
    boxes = [m for m in run.last.mobjects if isinstance(m, CacheBox)]
    assert len(boxes) == 1 and [e.number for e in numbered_labels(boxes)] == [0.5, -1.0]


def test_pipeline_orders_its_stages_left_to_right():
    pipe = LayerPipeline([("x", mn.BLUE), ("W", mn.BLUE_E), ("h", mn.ORANGE)])
    xs = [pipe.box(i).get_x() for i in range(3)]
    assert xs == sorted(xs) and len(pipe.arrows) == 2
    assert hex_of(pipe.box(2).get_stroke_color()) == hex_of(mn.ORANGE)
    with pytest.raises(ValueError, match="two stages"):
        LayerPipeline([("x", mn.BLUE)])


@pytest.mark.parametrize("kind", ICON_KINDS)
def test_icons_are_small_and_wordless(kind):
    icon = scene_icon(kind, height=0.5)
    assert icon.get_height() == pytest.approx(0.5) and icon.kind == kind
    assert not any(hasattr(m, "string") for m in icon.get_family())


def test_unknown_icon_is_named():
    with pytest.raises(ValueError, match="unknown icon 'pie'"):
        scene_icon("pie")


def test_flows_are_visible_mid_animation():
    """Half-way through, every flow lights up pixels (manimgl 1.7.2's
    VShowPassingFlash draws nothing along a bare 3-point Line)."""
    model, _ = trained_example()
    net = NetworkDiagram(model)
    pipeline = LayerPipeline([("x", mn.BLUE), ("h", mn.ORANGE), ("L", mn.RED_E)])
    animations = {
        "pipeline.flow_back": pipeline.flow_back(0), "pipeline.flow": pipeline.flow(1),
        "arrow_flash": arrow_flash(role_arrow(mn.ORIGIN, 2 * mn.RIGHT, mn.RED)),
        "net.forward_flow": net.forward_flow(1), "net.backward_flow": net.backward_flow(2),
    }
    for name, animation in animations.items():
        class HalfWay(mn.Scene):
            def construct(self):
                animation.begin()
                animation.interpolate(0.5)
                self.add(animation.mobject)

        image = run_scene(HalfWay).image[..., :3].astype(int)
        lit = (np.abs(image - image[0, 0]).sum(axis=2) > 60).sum()
        assert lit > 100, (name, lit)
