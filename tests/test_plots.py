"""Tests for src/visualization/plots.py (decision-boundary plot, training
curves) and src/lesson/training_record.py (one recorded training run).

The record is checked against an independent run of `src.data.train`; the
plot's pictures are read back (pixels of the written raster, points of the
dot clouds) rather than trusted.
"""
import math

import numpy as np
import pytest

from tests.manim_harness import import_manimlib, run_scene

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)

from manimlib.utils.color import color_to_hex, color_to_rgb  # noqa: E402
from PIL import Image  # noqa: E402

from src.data import MOONS_SETTINGS, accuracy, evaluate_grid, make_moons, train  # noqa: E402
from src.models import MLP, hinge  # noqa: E402
from src.lesson.training_record import record_training  # noqa: E402
from src.visualization.plots import (  # noqa: E402
    CLASS_COLORS, DecisionBoundaryPlot, RegionImage, TrainingCurves, TrainingStatus,
    class_color, pixel_class, region_pixels, zero_contour,
)


def hex_of(color):
    return color_to_hex(color).upper()


def linear_grid(f, x_range=(-1.0, 1.0), y_range=(-1.0, 1.0), n=(41, 31)):
    xs = [x_range[0] + (x_range[1] - x_range[0]) * i / (n[0] - 1) for i in range(n[0])]
    ys = [y_range[0] + (y_range[1] - y_range[0]) * j / (n[1] - 1) for j in range(n[1])]
    return xs, ys, [[f(x, y) for x in xs] for y in ys]


# --------------------------------------------------------------------------
# The recorded run
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run():
    return record_training()


@pytest.fixture(scope="module")
def independent():
    """MOONS_SETTINGS trained by src.data.train directly, parameters per step."""
    s = MOONS_SETTINGS
    X, y = make_moons(s["n"], s["noise"], s["data_seed"])
    model = MLP(2, s["sizes"], activation=s["activation"], seed=s["model_seed"])
    params = [[p.data for p in model.parameters()]]
    history = train(model, X, y, loss=s["loss"], steps=s["steps"], lr=s["lr"],
                    callback=lambda k, m, loss: params.append([p.data for p in m.parameters()]))
    return X, y, history, params


def test_record_equals_an_independent_training_run(run, independent):
    X, y, history, params = independent
    assert run.X == X and run.y == y
    assert run.history.loss == history.loss
    assert run.history.accuracy == history.accuracy
    assert [list(p) for p in run.params] == params
    assert run.steps == MOONS_SETTINGS["steps"] and len(run.params) == run.steps + 1


def test_each_update_is_exactly_sgd(run):
    lr = MOONS_SETTINGS["lr"]
    for k in range(run.steps):
        for before, grad, after in zip(run.params[k], run.grads[k], run.params[k + 1]):
            assert after == before - lr * grad


def test_recorded_gradients_are_the_engines(run):
    for k in (0, 1, 57):
        model = run.model_at(k, with_grad=False)
        loss = hinge([model(x) for x in run.X], run.y)
        model.zero_grad()
        loss.backward()
        assert loss.data == run.loss_at(k)
        assert [p.grad for p in model.parameters()] == list(run.grads[k])


def test_model_at_step_scores_loss_and_accuracy(run):
    for k in (0, 3, run.steps):
        model = run.model_at(k)
        assert [p.data for p in model.parameters()] == list(run.params[k])
        scores = [model(x).data for x in run.X]
        assert run.scores_at(k) == scores
        assert run.predictions_at(k) == [1 if s > 0 else -1 for s in scores]
        assert run.accuracy_at(k) == accuracy(scores, run.y)
    final = run.model_at(run.steps)
    assert run.loss_at(run.steps) == hinge([final(x) for x in run.X], run.y).data
    assert run.accuracy_at(run.steps) >= 0.95


def test_point_pass_is_the_engines_forward(run):
    p = run.point_pass(2, 17)
    model = run.model_at(2)
    score = model(run.X[17])
    assert p.score == score.data and p.x == tuple(run.X[17]) and p.label == run.y[17]
    assert p.activations[1] == tuple(v.data for v in model.activations[1])
    assert p.term == max(0.0, 1 - run.y[17] * score.data)
    assert p.predicted == (1 if score.data > 0 else -1)


def test_weights_in_edge_order(run):
    labels = run.weight_labels()
    assert labels[:3] == ["L1.n0.w0", "L1.n0.w1", "L1.n1.w0"] and labels[-1] == "L2.n0.w3"
    assert len(labels) == 12
    k = 4
    assert run.weights_at(k)[2] == run.params[k][run.parameter_index("L1.n1.w0")]
    assert run.weight_grads_at(k)[11] == run.grads[k][run.parameter_index("L2.n0.w3")]
    assert run.max_abs_weight() == max(abs(w) for k in range(run.steps + 1) for w in run.weights_at(k))


def test_grid_at_is_evaluate_grid_and_cached(run):
    args = ((-1.0, 2.0), (-0.5, 1.0), (7, 5))
    grid = run.grid_at(5, *args)
    assert grid == evaluate_grid(run.model_at(5), *args)
    assert run.grid_at(5, *args) is grid


def test_record_is_cached_and_settings_are_checked(run):
    assert record_training() is run
    assert record_training(lr=MOONS_SETTINGS["lr"]) is run
    other = record_training(model_seed=0, lr=0.5, steps=5)
    assert other is not run and other.steps == 5 and other.params[0] != run.params[0]
    with pytest.raises(ValueError, match="unknown training settings"):
        record_training(learning_rate=0.1)
    with pytest.raises(ValueError, match="step must be"):
        run.model_at(run.steps + 1)


# --------------------------------------------------------------------------
# Pixels and contour (no scene needed)
# --------------------------------------------------------------------------

def test_region_pixels_colour_by_predicted_class_with_the_top_row_first():
    xs, ys, scores = linear_grid(lambda x, y: y)   # positive in the upper half
    pixels = region_pixels(scores)
    assert pixels.shape == (len(ys), len(xs), 3) and pixels.dtype == np.uint8
    assert pixel_class(pixels[0, 5]) == 1          # top row: y = +1
    assert pixel_class(pixels[-1, 5]) == -1        # bottom row: y = -1
    xs, ys, scores = linear_grid(lambda x, y: x)
    pixels = region_pixels(scores)
    assert pixel_class(pixels[3, -1]) == 1 and pixel_class(pixels[3, 0]) == -1


def test_region_pixels_brighter_away_from_the_boundary():
    pixels = region_pixels([[0.05, 0.5, 2.0], [-0.05, -0.5, -2.0]])
    blue = pixels[1].astype(int)  # rows flipped: the positive row is the bottom one
    red = pixels[0].astype(int)
    assert blue[0].sum() < blue[1].sum() < blue[2].sum()
    assert red[0].sum() < red[1].sum() < red[2].sum()
    assert all(pixel_class(p) == 1 for p in pixels[1])
    assert all(pixel_class(p) == -1 for p in pixels[0])


def test_class_colours_are_the_plans_positive_and_negative():
    assert hex_of(class_color(1)) == hex_of(mn.BLUE) == hex_of(CLASS_COLORS[1])
    assert hex_of(class_color(-1)) == hex_of(style.NEGATIVE_COLOR)
    assert pixel_class(np.array(color_to_rgb(mn.BLUE)) * 255) == 1
    assert pixel_class(np.array(color_to_rgb(style.NEGATIVE_COLOR)) * 255) == -1
    with pytest.raises(ValueError):
        class_color(0)


def test_zero_contour_of_a_straight_boundary():
    lines = zero_contour(linear_grid(lambda x, y: x - 0.3))
    assert len(lines) == 1
    assert all(abs(x - 0.3) < 1e-12 for x, _ in lines[0])
    ys = sorted(y for _, y in lines[0])
    assert ys[0] == pytest.approx(-1.0) and ys[-1] == pytest.approx(1.0)


def test_zero_contour_of_a_circle_is_one_closed_loop():
    lines = zero_contour(linear_grid(lambda x, y: 0.5 - x * x - y * y, n=(61, 61)))
    assert len(lines) == 1
    loop = lines[0]
    assert loop[0] == loop[-1] and len(loop) > 40
    for x, y in loop:
        assert math.hypot(x, y) == pytest.approx(math.sqrt(0.5), abs=0.01)


def test_zero_contour_saddle_and_empty_cases():
    assert zero_contour(linear_grid(lambda x, y: 1.0)) == []
    lines = zero_contour(([0.0, 1.0], [0.0, 1.0], [[1.0, -1.0], [-1.0, 1.0]]))
    assert len(lines) == 2 and all(len(line) == 2 for line in lines)
    with pytest.raises(ValueError):
        zero_contour(([0.0], [0.0], [[1.0]]))


# --------------------------------------------------------------------------
# The plot in a scene
# --------------------------------------------------------------------------

X_SMALL = [[-1.0, 0.5], [1.5, -0.5], [0.2, 0.9], [0.9, 0.1]]
Y_SMALL = [-1, 1, -1, 1]


def make_plot():
    plot = DecisionBoundaryPlot(X_SMALL, Y_SMALL, (-1.5, 2.5), (-1.0, 1.5), width=6.0)
    plot.shift(2 * mn.LEFT + 0.5 * mn.UP)
    return plot


def test_plot_geometry_and_grid_spec():
    plot = make_plot()
    assert plot.frame.get_width() == pytest.approx(6.0)
    assert plot.frame.get_height() == pytest.approx(6.0 * 2.5 / 4.0)
    assert np.allclose(plot.coords_to_point(-1.5, -1.0), plot.frame.get_corner(mn.DL))
    assert np.allclose(plot.coords_to_point(2.5, 1.5), plot.frame.get_corner(mn.UR))
    x_range, y_range, (nx, ny) = plot.grid_spec(40)
    assert (nx, ny) == (40, 25)
    assert x_range[0] == pytest.approx(-1.5 + 0.05) and y_range[1] == pytest.approx(1.5 - 0.05)


def test_dots_sit_at_their_data_points_in_their_class_colour():
    plot = make_plot()
    for label in (1, -1):
        cloud = plot.dots[label]
        assert hex_of(cloud.get_color()) == hex_of(class_color(label))
        expected = [plot.coords_to_point(*p) for p, t in zip(X_SMALL, Y_SMALL) if t == label]
        assert np.allclose(cloud.get_points(), expected)


def test_region_image_is_placed_over_the_data_and_reads_back_by_class():
    plot = make_plot()
    grid = evaluate_grid(_LinearModel(), *plot.grid_spec(80))
    plot.set_boundary(grid)
    region = plot.region
    assert isinstance(region, RegionImage)
    assert np.allclose(region.get_corner(mn.DL), plot.frame.get_corner(mn.DL), atol=1e-6)
    assert np.allclose(region.get_corner(mn.UR), plot.frame.get_corner(mn.UR), atol=1e-6)
    # the PNG on disk is the pixels kept on the mobject
    assert np.array_equal(np.array(Image.open(region.image_path).convert("RGB")), region.pixels)
    # score = x1 - x2: +1 below the diagonal, -1 above it
    assert plot.region_class_at(plot.coords_to_point(2.0, -0.8)) == 1
    assert plot.region_class_at(plot.coords_to_point(-1.0, 1.2)) == -1
    # z-order: region first, then contour, dots above both
    family = plot.submobjects
    assert family.index(region) < family.index(plot.contour) < family.index(plot.dots[1])


class _LinearModel:
    """A stand-in model: score = x1 - x2 (for evaluate_grid)."""

    def __call__(self, x):
        from src.autograd import Value
        return Value(x[0] - x[1])


class _Morph(mn.InteractiveScene):
    def construct(self):
        self.plot = make_plot()
        self.plot.set_boundary(evaluate_grid(_LinearModel(), *self.plot.grid_spec(40)))
        self.first = self.plot.region
        self.add(self.plot)
        self.parts_before = list(self.plot.submobjects)
        flipped = evaluate_grid(lambda x: -_LinearModel()(x), *self.plot.grid_spec(40))
        self.play(self.plot.boundary_transition(flipped))
        self.flipped = flipped


def test_boundary_transition_replaces_the_region_and_keeps_dots_on_top():
    holder = {}

    class Probe(_Morph):
        def construct(self):
            holder["scene"] = self
            super().construct()

    result = run_scene(Probe)
    scene = holder["scene"]
    plot = scene.plot
    regions = [m for m in plot.submobjects if isinstance(m, RegionImage)]
    assert regions == [plot.region] and plot.region is not scene.first
    assert plot.region.grid[2] == [list(map(float, row)) for row in scene.flipped[2]]
    assert float(plot.region.data["opacity"].min()) == 1.0
    assert plot.region_class_at(plot.coords_to_point(2.0, -0.8)) == -1   # flipped
    assert plot.contour.grid is scene.flipped
    # the cross-fade's helpers are gone: same parts, with the region swapped
    before = [m for m in scene.parts_before if m is not scene.first]
    assert [m for m in plot.submobjects if m is not plot.region] == before
    assert float(plot.contour.get_stroke_opacity()) == 1.0
    assert np.allclose(plot.contour.get_points(), plot.contour_line(scene.flipped).get_points())
    # only the plot is on screen: the animation added nothing on top of the dots
    assert [type(m).__name__ for m in result.mobjects] == ["DecisionBoundaryPlot"]
    family = plot.submobjects
    assert family.index(plot.region) < family.index(plot.dots[-1])


# --------------------------------------------------------------------------
# Curves and status
# --------------------------------------------------------------------------

def test_training_curves_show_until_and_trace():
    losses = [1.0, 0.8, 0.5, 0.4, 0.2]
    accs = [0.2, 0.5, 0.6, 0.9, 1.0]
    curves = TrainingCurves(losses, accs)
    assert curves.shown_until == 0
    curves.show_until(3)
    panel = curves.loss_panel
    assert np.allclose(panel.curve.get_points()[-1], panel.point(3, 0.4))
    assert np.allclose(curves.accuracy_panel.marker.get_center(), curves.accuracy_panel.point(3, 0.9))
    assert hex_of(panel.curve.get_stroke_color()) == hex_of(style.LOSS_COLOR)
    status = TrainingStatus()
    anim = curves.trace(1, 4, status)
    anim.begin()
    anim.interpolate(0.5)
    k = curves.shown_until
    assert 1 < k < 4 and status.shown == (k, losses[k], accs[k])
    anim.finish()
    assert curves.shown_until == 4 and status.shown == (4, 0.2, 1.0)
    assert status.loss_number.number == 0.2 and status.accuracy_number.number == 100.0
    assert status.step_number.number == 4
    assert hex_of(status.loss_number.get_fill_color()) == hex_of(style.LOSS_COLOR)
