"""MLPAutogradScene (scene 6), run in-process and headless (tests/manim_harness.py).

The scene runs once per variant (the lecture's run, and a subclass with
another model seed and learning rate). Every expectation comes from an
independent training run made here with `src.data.train` (not from the
scene's record): the losses, accuracies, parameters and gradients of each
step, and each step's model rebuilt from its parameters. Drawn numbers are
found in checkpoint copies by the `.kind` / `.step` the kit's panels record
on every number they draw (src/visualization/training_panels.py), the edges
by what the network diagram records it shows (`showing`); the drawn
boundary is read back from the raster's pixels under each drawn dot.
"""

import numpy as np
import pytest

from tests.manim_harness import import_manimlib, lecture_module
from tests.scene_checks import (
    everyday, variant_params,
    assert_identities_hold, assert_legible, assert_no_problems, assert_not_blank,
    assert_on_time, hex_of, off_frame, opacity, shows, text_overlaps,
)
from tests.scene_checks import scene_run as shared_scene_run

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)
MLPAutogradScene = lecture_module().MLPAutogradScene

from src.autograd import no_grad  # noqa: E402
from src.data import MOONS_SETTINGS, accuracy, make_moons, train  # noqa: E402
from src.models import MLP, hinge  # noqa: E402
from src.visualization import NetworkDiagram, ValueMatrix, edge_style  # noqa: E402
from src.visualization.plots import (  # noqa: E402
    DecisionBoundaryPlot, RegionImage, TrainingCurves, TrainingStatus,
)

VARIANTS = {
    "lecture": {},
    # a coarser region picture too (the grid is 25% of a run at 160 columns)
    "other": {"model_seed": 0, "learning_rate": 0.5, "grid_resolution": 48},
    # a large step on noise-free moons: weights reach 10, late gradients are zero
    "large_lr": {"learning_rate": 8.0, "noise": 0.0, "steps": 40},
}
STRESS = {"large_lr"}   # make check only (scene_checks.variant_params)
PLANNED_SECONDS = 60.0


def fill_hexes(mob):
    return {hex_of(sm.get_fill_color()) for sm in mob.family_members_with_points()}


# --------------------------------------------------------------------------
# The independent run
# --------------------------------------------------------------------------

class Expected:
    """One training run made directly with src.data.train, step by step."""

    def __init__(self, overrides):
        s = dict(MOONS_SETTINGS)
        self.model_seed = overrides.get("model_seed", s["model_seed"])
        self.lr = overrides.get("learning_rate", s["lr"])
        self.steps = overrides.get("steps", s["steps"])
        self.sizes = s["sizes"]
        self.X, self.y = make_moons(s["n"], overrides.get("noise", s["noise"]), s["data_seed"])
        model = MLP(2, self.sizes, activation=s["activation"], seed=self.model_seed)
        self.labels = [p.label for p in model.parameters()]
        self.params = [[p.data for p in model.parameters()]]
        self.grads = []

        def keep(k, m, loss):
            self.grads.append([p.grad for p in m.parameters()])
            self.params.append([p.data for p in m.parameters()])

        self.history = train(model, self.X, self.y, loss="hinge", steps=self.steps,
                             lr=self.lr, callback=keep)
        self._scores = {}

    def model(self, k):
        m = MLP(2, self.sizes, activation="tanh", seed=self.model_seed)
        for p, v in zip(m.parameters(), self.params[k]):
            p.data = v
        return m

    def scores(self, k):
        if k not in self._scores:
            m = self.model(k)
            with no_grad():
                self._scores[k] = [m(x).data for x in self.X]
        return self._scores[k]

    def predictions(self, k):
        return [1 if s > 0 else -1 for s in self.scores(k)]

    def loss(self, k):
        if k < self.steps:
            return self.history.loss[k]
        m = self.model(k)
        return hinge([m(x) for x in self.X], self.y).data

    def accuracy(self, k):
        if k < self.steps:
            return self.history.accuracy[k]
        return accuracy(self.scores(k), self.y)

    def param(self, k, label):
        return self.params[k][self.labels.index(label)]

    def grad(self, k, label):
        return self.grads[k][self.labels.index(label)]

    def edge_labels(self):
        return [lab for lab in self.labels if not lab.endswith(".b")]

    def weight_scale(self):
        return max(abs(self.param(k, lab)) for k in range(self.steps + 1)
                   for lab in self.edge_labels())


_EXPECTED = {}


def expected(variant):
    if variant not in _EXPECTED:
        _EXPECTED[variant] = Expected(VARIANTS[variant])
    return _EXPECTED[variant]


# --------------------------------------------------------------------------
# Running the scene once per variant
# --------------------------------------------------------------------------

def scene_run(variant):
    return shared_scene_run(MLPAutogradScene, variant, VARIANTS[variant])


@pytest.fixture(scope="module", params=variant_params(VARIANTS, STRESS))
def case(request):
    run, scene = scene_run(request.param)
    return request.param, run, scene, expected(request.param)


def find(cp, cls):
    found = [m for m in cp.mobjects if isinstance(m, cls)]
    assert len(found) <= 1, (cp.label, cls.__name__)
    return found[0] if found else None


def tagged(cp):
    """Visible mobjects carrying a `.kind` tag (number labels) at a checkpoint."""
    seen, out = set(), []
    for top in cp.mobjects:
        for m in top.get_family():
            if id(m) in seen or not getattr(m, "kind", None):
                continue
            seen.add(id(m))
            if m.family_members_with_points() and opacity(m) > 0:
                out.append(m)
    return out


# --------------------------------------------------------------------------
# Runs, frame, overlaps, blank, timing
# --------------------------------------------------------------------------

def test_scene_runs_to_the_end(case):
    variant, run, scene, exp = case
    assert run.num_plays == len(run.checkpoints) > 40
    assert run.checkpoints[-1].index == run.num_plays - 1
    assert scene.run.steps == exp.steps
    assert scene.caption.text.startswith("Autograd enables efficient training by automatically")


def test_everything_visible_is_inside_the_frame(case):
    """... with the lecture's 0.2-unit margin on every side."""
    _, run, _, _ = case
    assert_no_problems(off_frame(run, margin=0.2), "off-frame")


def test_no_two_visible_texts_overlap(case):
    _, run, _, _ = case
    assert_no_problems(text_overlaps(run, require_text=True), "overlaps")


def test_last_frame_not_blank(case):
    _, run, _, _ = case
    assert_not_blank(run)


def test_duration_matches_plan(case):
    _, run, _, _ = case
    assert_on_time(run, PLANNED_SECONDS)


def test_numbers_stay_legible(case):
    _, run, _, _ = case
    assert_legible(run)


def test_drawn_arithmetic_is_true_as_drawn(case):
    # the SGD update w - eta * dL/dw = new w, at every shown step
    _, run, scene, _ = case
    assert_identities_hold(run, {"a - b * c"})
    steps = {label.step for cp in run.checkpoints for top in cp.mobjects
             for label in top.get_family()
             if getattr(label, "kind", None) == "weight_after" and getattr(label, "identities", 0)}
    assert steps == set(scene.shown_steps)


# --------------------------------------------------------------------------
# The run stated on screen is the run drawn
# --------------------------------------------------------------------------

def test_subtitle_states_the_run(case):
    _, run, scene, exp = case
    text = scene.subtitle.text
    assert "full-batch" in text and f"(seed {exp.model_seed})" in text
    assert f"= {exp.lr:g}" in text
    assert f"{len(exp.X)} moons points (seed {MOONS_SETTINGS['data_seed']})" in text


def test_status_and_curves_equal_the_training_history(case):
    variant, run, scene, exp = case
    shown_steps = []
    for cp in run.checkpoints:
        status = find(cp, TrainingStatus)
        if status is None:
            continue
        k, loss, acc = status.shown
        assert loss == exp.loss(k) and acc == exp.accuracy(k), (cp.label, k)
        assert status.step_number.number == k
        assert status.loss_number.number == exp.loss(k)
        assert status.accuracy_number.number == pytest.approx(100 * exp.accuracy(k), abs=1e-9)
        shown_steps.append(k)
        curves = find(cp, TrainingCurves)
        if curves is not None:
            assert curves.shown_until == k, cp.label
            assert curves.loss_panel.values == [exp.loss(i) for i in range(exp.steps + 1)]
            assert curves.accuracy_panel.values == [exp.accuracy(i) for i in range(exp.steps + 1)]
    want = set(scene.shown_steps) | {scene.shown_steps[-1] + 1, exp.steps}
    want |= {k for k in scene.snapshot_steps if scene.shown_steps[-1] + 1 < k < exp.steps}
    assert set(shown_steps) == want
    assert shown_steps == sorted(shown_steps) and shown_steps[-1] == exp.steps


def test_drawn_numbers_equal_an_independent_run(case):
    variant, run, scene, exp = case
    seen = {}
    for cp in run.checkpoints:
        for m in tagged(cp):
            kind, k = m.kind, m.step
            seen.setdefault(kind, set()).add(k)
            if kind in ("input", "hidden", "output", "score", "term", "predicted", "label"):
                model = exp.model(k)
                score = model(exp.X[m.point])
                acts = [[v.data for v in layer] for layer in model.activations]
                y = exp.y[m.point]
                want = {"input": lambda: acts[0][m.position],
                        "hidden": lambda: acts[1][m.position],
                        "output": lambda: acts[2][m.position],
                        "score": lambda: score.data,
                        "term": lambda: max(0.0, 1.0 - y * score.data),
                        "predicted": lambda: 1.0 if score.data > 0 else -1.0,
                        "label": lambda: float(y)}[kind]()
                assert m.number == pytest.approx(want, abs=1e-12), (cp.label, kind)
            elif kind == "loss":
                assert m.number == exp.loss(k), cp.label
            elif kind == "grad_matrix":
                assert m.number == exp.grad(k, m.weight), (cp.label, m.weight)
            elif kind == "zero_grad":
                assert m.number == 0.0
            elif kind == "weight_before":
                assert m.number == exp.param(k, m.weight)
            elif kind == "grad":
                assert m.number == exp.grad(k, m.weight)
            elif kind == "weight_after":
                assert m.number == exp.param(k + 1, m.weight)
                assert m.number == exp.param(k, m.weight) - exp.lr * exp.grad(k, m.weight)
            elif kind == "learning_rate":
                assert m.number == exp.lr
            elif kind == "final_step":
                assert m.number == exp.steps
            elif kind == "final_accuracy_percent":
                assert k == exp.steps
                assert m.number == pytest.approx(100 * exp.accuracy(exp.steps))
                assert m.text == f"{m.number:.0f}%"
                continue
            else:
                raise AssertionError(f"unexpected kind {kind!r}")
            if hasattr(m, "string") and kind not in ("predicted", "label"):
                assert shows(m.string, m.number), (cp.label, kind, m.string)
    shown = set(scene.shown_steps)
    for kind in ("input", "hidden", "output", "score", "term", "loss", "grad_matrix",
                 "weight_before", "grad", "weight_after"):
        assert seen.get(kind) == shown, kind
    assert seen["final_accuracy_percent"] == {exp.steps}


def test_update_shows_the_largest_gradient_weight(case):
    _, run, scene, exp = case
    shown = {}
    for cp in run.checkpoints:
        for m in tagged(cp):
            if m.kind == "weight_after":
                shown[m.step] = m.weight
    assert set(shown) == set(scene.shown_steps)
    for k, label in shown.items():
        edges = exp.edge_labels()
        assert label == max(edges, key=lambda lab: abs(exp.grad(k, lab)))


@pytest.mark.parametrize("shown, points, message", [
    ((), None, "shown_steps must be increasing"),
    ((2, 1), None, "shown_steps must be increasing"),
    ((0, 2), None, "shown_steps must be consecutive"),
    ((0, 1), (3,), "point_indices needs one point per shown step"),
    ((MOONS_SETTINGS["steps"] - 1, MOONS_SETTINGS["steps"]), None,
     f"shown_steps must be below steps={MOONS_SETTINGS['steps']}"),
    ((-1, 0), None, "step must be an int"),
])
def test_bad_walkthrough_inputs_get_one_clear_error(shown, points, message):
    """A lecturer's subclass choosing steps or points that cannot be shown
    stops with one line (from the lesson layer, before anything is drawn)."""
    from src.lesson.training_record import record_training
    with pytest.raises(ValueError, match=message):
        record_training().walkthrough(shown, points)


def test_walkthrough_follows_the_worst_point_of_each_class():
    _, scene = scene_run("lecture")
    run = scene.run
    for n, (step, index) in enumerate(run.walkthrough(scene.shown_steps)):
        want = 1 if n % 2 == 0 else -1
        scores = run.scores_at(step)
        assert run.y[index] == want
        assert all(1 - want * scores[i] <= 1 - want * scores[index]
                   for i, t in enumerate(run.y) if t == want)


def test_the_lectures_run_reaches_95_percent():
    _, _ = scene_run("lecture")
    exp = expected("lecture")
    assert exp.accuracy(exp.steps) >= 0.95


# --------------------------------------------------------------------------
# The boundary drawn is the model of the step shown
# --------------------------------------------------------------------------

def _cell_corners(grid, x1, x2):
    """Scores at the corners of the grid cell holding (x1, x2)."""
    xs, ys, scores = grid
    i = int(np.clip(np.searchsorted(xs, x1) - 1, 0, len(xs) - 2))
    j = int(np.clip(np.searchsorted(ys, x2) - 1, 0, len(ys) - 2))
    return [scores[j][i], scores[j][i + 1], scores[j + 1][i], scores[j + 1][i + 1]]


def test_boundary_drawn_is_the_model_of_each_step(case):
    variant, run, scene, exp = case
    drawn_steps = set()
    checked = 0
    for cp in run.checkpoints:
        plot = find(cp, DecisionBoundaryPlot)
        if plot is None:
            continue
        regions = [m for m in plot.get_family() if isinstance(m, RegionImage)]
        assert len(regions) == 1, cp.label   # no cross-fade left half-done
        region = regions[0]
        k = region.step
        status = find(cp, TrainingStatus)
        if status is not None:
            assert status.shown[0] == k, cp.label  # the boundary of the step shown
        drawn_steps.add(k)
        # the grid is the model of step k (sampled nodes, exactly)
        xs, ys, scores = region.grid
        model = exp.model(k)
        with no_grad():
            for j in range(0, len(ys), 11):
                for i in range(0, len(xs), 17):
                    assert scores[j][i] == model([xs[i], ys[j]]).data
        # the drawn region under each drawn dot is the class step k's model gives it
        predictions = exp.predictions(k)
        clouds = {c.label: c for c in plot.get_family() if hasattr(c, "label") and
                  type(c).__name__ == "DotCloud"}
        skipped = 0
        for label, cloud in clouds.items():
            indices = [i for i, t in enumerate(exp.y) if t == label]
            points = cloud.get_points()
            assert len(points) == len(indices)
            for point, i in zip(points, indices):
                assert np.allclose(point, plot.coords_to_point(*exp.X[i]), atol=1e-6)
                corners = _cell_corners(region.grid, *exp.X[i])
                if len({s > 0 for s in corners}) > 1:
                    # The boundary crosses this point's grid cell: the raster cannot
                    # say more there. It must really be that close to the boundary.
                    score = exp.scores(k)[i]
                    spread = max(corners) - min(corners)
                    assert min(corners) - spread <= score <= max(corners) + spread, (cp.label, i)
                    skipped += 1
                    continue
                drawn = region.class_at(point)
                assert drawn == predictions[i], (cp.label, k, i)
                if predictions[i] == exp.y[i]:   # right: the dot sits in its own colour
                    assert drawn == label
                checked += 1
        assert skipped <= 0.1 * len(exp.X), (cp.label, skipped)
    start = scene.shown_steps[-1] + 1
    want = set(scene.shown_steps) | {start, exp.steps}
    want |= {k for k in scene.snapshot_steps if start < k < exp.steps}
    assert drawn_steps == want
    assert checked > 0


def test_dots_and_regions_share_class_colours(case):
    """Under every correctly classified dot of the learned model, the region's
    pixel is the dot's own colour faded into the background."""
    _, run, _, exp = case
    plot = find(run.last, DecisionBoundaryPlot)
    region = [m for m in plot.get_family() if isinstance(m, RegionImage)][0]
    background = np.array(mn.utils.color.color_to_rgb("#333333")) * 255
    clouds = [c for c in plot.get_family() if type(c).__name__ == "DotCloud" and hasattr(c, "label")]
    assert sorted(c.label for c in clouds) == [-1, 1]
    right = exp.predictions(region.step)
    checked = 0
    for cloud in clouds:
        want = style.POSITIVE_COLOR if cloud.label == 1 else style.NEGATIVE_COLOR
        assert hex_of(cloud.get_color()) == hex_of(want)
        dot_rgb = np.array(mn.utils.color.color_to_rgb(cloud.get_color())) * 255
        indices = [i for i, t in enumerate(exp.y) if t == cloud.label]
        (x0, y0), (x1, y1) = region.get_corner(mn.DL)[:2], region.get_corner(mn.UR)[:2]
        rows, cols = region.pixels.shape[:2]
        for point, i in zip(cloud.get_points(), indices):
            if right[i] != exp.y[i] or abs(exp.scores(region.step)[i]) < 0.05:
                continue
            c = int((point[0] - x0) / (x1 - x0) * cols)
            r = int((y1 - point[1]) / (y1 - y0) * rows)
            pixel = region.pixels[r, c].astype(float)
            # pixel = background + t * (dot colour - background), 0 < t < 1
            direction = dot_rgb - background
            t = float(np.dot(pixel - background, direction) / np.dot(direction, direction))
            assert 0.1 < t < 1.0, (i, t)
            assert np.allclose(pixel, background + t * direction, atol=2.0), (i, pixel)
            checked += 1
    assert checked >= 0.8 * len(exp.X)


# --------------------------------------------------------------------------
# Colours by role, and the network's edges
# --------------------------------------------------------------------------

KIND_COLOUR = {
    "score": style.ACTIVATION_COLOR, "hidden": mn.WHITE, "input": mn.WHITE,
    "output": mn.WHITE, "term": style.LOSS_COLOR, "loss": style.LOSS_COLOR,
    "grad": style.GRADIENT_COLOR, "grad_matrix": mn.WHITE,
    "zero_grad": mn.WHITE, "weight_before": mn.WHITE, "weight_after": mn.WHITE,
    "learning_rate": mn.WHITE, "final_accuracy_percent": mn.YELLOW,
}


def test_colours_by_role(case):
    _, run, scene, _ = case
    for cp in run.checkpoints:
        for m in tagged(cp):
            if m.kind in ("predicted", "label"):
                want = style.POSITIVE_COLOR if m.number > 0 else style.NEGATIVE_COLOR
            else:
                want = KIND_COLOUR[m.kind]
            assert fill_hexes(m) == {hex_of(want)}, (cp.label, m.kind)
        for top in cp.mobjects:
            for mat in (x for x in top.get_family() if isinstance(x, ValueMatrix)):
                assert hex_of(mat.left_bracket.get_stroke_color()) == hex_of(style.GRADIENT_COLOR)
        status = find(cp, TrainingStatus)
        if status is not None:
            assert fill_hexes(status.loss_number) == {hex_of(style.LOSS_COLOR)}
        curves = find(cp, TrainingCurves)
        if curves is not None:
            assert hex_of(curves.loss_panel.curve.get_stroke_color()) == hex_of(style.LOSS_COLOR)
    diagram = find(run.last, NetworkDiagram)
    for k, column in enumerate(diagram.neurons):
        want = mn.BLUE if k == 0 else style.ACTIVATION_COLOR
        for neuron in column:
            assert hex_of(neuron.get_stroke_color()) == hex_of(want)
    # weights before/after the update sit on parameter-coloured (BLUE_E) backings
    backings = [m for cp in run.checkpoints for top in cp.mobjects for m in top.get_family()
                if type(m).__name__ == "RoundedRectangle" and m.get_fill_opacity() > 0.3]
    assert backings and ({hex_of(b.get_fill_color()) for b in backings}
                         == {hex_of(style.PARAMETER_COLOR)})
    assert hex_of(scene.title.get_fill_color()) == hex_of(mn.WHITE)


def test_edges_show_the_weights_or_gradients_of_the_step(case):
    _, run, scene, exp = case
    labels = exp.edge_labels()
    weight_scale = exp.weight_scale()
    states = set()
    for cp in run.checkpoints:
        diagram = find(cp, NetworkDiagram)
        if diagram is None:
            continue
        what, k = diagram.showing
        states.add((what, k))
        if what == "weights":
            values = [exp.param(k, lab) for lab in labels]
            scale = weight_scale
        else:
            values = [exp.grad(k, lab) for lab in labels]
            scale = max(abs(v) for v in values)
        for line, value in zip(diagram.all_edges(), values):
            assert line.shown_value == value, (cp.label, what, k)
            color, width = edge_style(value, scale)
            assert hex_of(line.get_stroke_color()) == hex_of(color), (cp.label, what, k)
            assert float(line.get_stroke_width()) == pytest.approx(width), (cp.label, what, k)
    assert {k for what, k in states if what == "grads"} == set(scene.shown_steps)
    assert ("weights", exp.steps) in states


# --------------------------------------------------------------------------
# Another seed and learning rate draw another (still correct) run
# --------------------------------------------------------------------------

def test_variants_draw_different_runs():
    drawn = {}
    for variant in everyday(VARIANTS, STRESS):
        run, scene = scene_run(variant)
        losses = sorted((m.step, m.number) for cp in run.checkpoints for m in tagged(cp)
                        if m.kind == "loss")
        status = find(run.last, TrainingStatus).shown
        drawn[variant] = (tuple(losses), status, scene.subtitle.text)
    assert drawn["lecture"][0] != drawn["other"][0]
    assert drawn["lecture"][1] != drawn["other"][1]
    assert drawn["lecture"][2] != drawn["other"][2]
