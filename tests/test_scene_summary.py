"""SummaryScene (scene 7), run in-process and headless.

The closing network must show a real forward and backward pass: neurons lit
by the activations and edges coloured by the gradients that a fresh engine
computation of the same model gives.
"""
import pytest

from tests.manim_harness import import_manimlib, lecture_module
from tests.scene_checks import (
    everyday, variant_params,
    assert_clean, assert_legible, assert_not_blank, assert_on_time, hex_of, scene_run,
    visible_texts,
)

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)
lecture = lecture_module()

from src.models import MLP, mse  # noqa: E402
from src.visualization import (  # noqa: E402
    ComputationNode, NetworkDiagram, edge_style, value_to_color,
)

VARIANTS = {"lecture": {}, "other": {"seed": 11, "x_input": (-1.2, 0.9), "target": -1.0},
            "extreme": {"x_input": (250.0, -0.004), "target": -300.0}}  # large, tiny, negative
STRESS = {"extreme"}   # make check only (scene_checks.variant_params)
PLANNED_SECONDS = 20.0


def summary_run(variant):
    return scene_run(lecture.SummaryScene, variant, VARIANTS[variant])


@pytest.fixture(scope="module", params=variant_params(VARIANTS, STRESS))
def case(request):
    return (request.param, *summary_run(request.param))


def expected_model(scene):
    model = MLP(2, [3, 1], activation="tanh", seed=scene.seed)
    loss = mse(model(list(scene.x_input)), scene.target)
    loss.backward()
    return model, loss


def final_network(run):
    nets = [m for m in run.last.mobjects if isinstance(m, NetworkDiagram)]
    assert len(nets) == 1
    return nets[0]


def test_runs_clean_and_on_time(case):
    _, run, _ = case
    assert_clean(run)
    assert_not_blank(run)
    assert_on_time(run, PLANNED_SECONDS)


def test_numbers_stay_legible(case):
    _, run, _ = case
    assert_legible(run)


def test_five_takeaways_appear_one_by_one(case):
    _, run, scene = case
    sentences = [s for _, s in scene.TAKEAWAYS]
    assert len(sentences) == 5
    first_seen = []
    for sentence in sentences:
        index = next(i for i, cp in enumerate(run.checkpoints)
                     if any(getattr(t, "text", None) == sentence for t in visible_texts(cp.mobjects)))
        first_seen.append(index)
    assert first_seen == sorted(first_seen) and len(set(first_seen)) == 5


def test_closing_words_and_title(case):
    _, run, _ = case
    words = {getattr(t, "text", "") for t in visible_texts(run.last.mobjects)}
    assert "This is how PyTorch's autograd works!" in words
    assert "Automatic Differentiation: Key Takeaways" in words


def test_network_shows_the_engines_forward_and_backward(case):
    _, run, scene = case
    model, _ = expected_model(scene)
    net = final_network(run)
    grads = [p.grad for layer in model.layers for n in layer.neurons for p in n.w]
    shown = [line.shown_value for line in net.all_edges()]
    assert shown == pytest.approx(grads, abs=1e-12)
    biggest = max(abs(g) for g in grads)
    for line, g in zip(net.all_edges(), grads):
        color, width = edge_style(g, biggest)
        assert hex_of(line.get_stroke_color()) == hex_of(color)
        assert line.get_stroke_width() == pytest.approx(width)
    for k, layer in enumerate(model.activations):
        values = [v.data for v in layer]
        assert [n.shown_value for n in net.neurons[k]] == pytest.approx(values, abs=1e-12)
        biggest = max(abs(v) for v in values)
        for neuron, v in zip(net.neurons[k], values):
            assert hex_of(neuron.get_fill_color()) == hex_of(value_to_color(v, biggest))


def test_roles_keep_their_colours(case):
    _, run, _ = case
    net = final_network(run)
    for k, column in enumerate(net.neurons):
        want = mn.BLUE if k == 0 else style.ACTIVATION_COLOR
        assert all(hex_of(n.get_stroke_color()) == hex_of(want) for n in column)
    nodes = [m for top in run.last.mobjects for m in top.get_family()
             if isinstance(m, ComputationNode)]
    assert [hex_of(n.shape.get_stroke_color()) for n in nodes] == [hex_of(style.LOSS_COLOR)]


def test_other_inputs_draw_other_gradients():
    shown = []
    for variant in everyday(VARIANTS, STRESS):
        run, _ = summary_run(variant)
        shown.append(tuple(round(line.shown_value, 9) for line in final_network(run).all_edges()))
    assert shown[0] != shown[1]
