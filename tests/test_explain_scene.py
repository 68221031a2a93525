"""The expression explainer's scene, run headless in-process (tests/manim_harness.py).

Property tests: random whitelisted expressions within the size limit
(tests/test_explain.py `expressions`), at values from a small grid, each run
as a scene to the end. At every checkpoint: everything in frame, no two
texts overlap, every drawn number (`.number`) is one the engine computed,
and no number label is smaller than src.lesson.expression.MIN_LABEL_HEIGHT. At the
end: every node shows its engine value and gradient (the leaves' gradients
also equal torch's), the code's value column shows the running totals, the
check table shows the engine's and numerical_grad's numbers; the narration
has enough beats, each readable.
Each run takes a few seconds, so make test draws 5 random expressions and
make check (CI) 10; the draws repeat from run to run (conftest.py), and
EXPLAIN_EXAMPLES=40 HYPOTHESIS_PROFILE=hunt makes a longer, new search.
"""
from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.manim_harness import import_manimlib, run_scene

import_manimlib()

import src.lesson.expression as ex  # noqa: E402
from src.lesson.expression import ExplainError, explain  # noqa: E402
from src.narration.captions import beat_cues  # noqa: E402
from src.rendering.explainer import (  # noqa: E402
    ExplainExpressionScene, explainer_layout, number_labels,
)
from src.visualization.graph import ComputationGraph, ComputationNode  # noqa: E402
from tests import scene_checks  # noqa: E402
from tests.scene_checks import (  # noqa: E402
    assert_no_problems, off_frame, opacity, text_overlaps,
)
from tests.test_explain import VALUE_GRID, expressions, torch_gradients  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_BEATS = 5
MAX_CHARS_PER_SECOND = 17.0


def run_explainer(text: str, values):
    """(run, scene) of the explainer on `text` with `values`, made once per
    process and shared (tests/scene_checks.scene_run); tests/test_spoken.py's
    explainer beats run in this module's xdist group (conftest.py), so they
    reuse its examples' runs."""
    return scene_checks.scene_run(ExplainExpressionScene, f"{text} at {values}",
                                  {"expression": text, "values": values})


def run_once(text: str, values):
    """(run, scene) of the explainer, not kept (a random expression is run once)."""
    holder = {}

    class Probe(ExplainExpressionScene):
        expression = text

        def construct(self):
            holder["scene"] = self
            super().construct()

    Probe.values = values
    return run_scene(Probe), holder["scene"]


def allowed_numbers(scene) -> list:
    """Every number the scene may draw: node values, running gradient totals
    (what a node and a code line show after each arrival), each chain-rule
    product's factors and result (the captions and rule cards), the check's
    numbers."""
    e = scene.explanation
    numbers = [v.data for v in e.root.topological_order()] + [1.0]
    totals = {}
    for step in e.steps:
        numbers.append(step.upstream)
        for c in step.contributions:
            totals[c.input] = totals.get(c.input, 0.0) + c.added
            numbers += [totals[c.input], c.local, c.added]
    numbers += list(e.gradients.values()) + list(e.numerical.values())
    return numbers


def check_run(text: str, values: dict, run, scene) -> None:
    e = scene.explanation
    # runs to the end: the check table is up and the last beat is the verdict
    assert run.num_plays == len(run.checkpoints) > 10
    assert scene.check in run.mobjects
    assert scene.beats[-1]["text"].startswith(("They agree", "Some differ"))

    assert_no_problems(off_frame(run), "off-frame")
    assert_no_problems(off_frame(run, margin=0.2 - 1e-6, texts_only=True),
                       "texts closer than 0.2 to an edge")
    assert_no_problems(text_overlaps(run, require_text=True), "overlaps")

    allowed = allowed_numbers(scene)
    smallest = math.inf
    for cp in run.checkpoints:
        for label in number_labels_visible(cp.mobjects):
            assert any(math.isclose(label.number, n, rel_tol=1e-12, abs_tol=1e-12)
                       for n in allowed), (cp.label, label.number, text, values)
            smallest = min(smallest, label.get_height())
    assert smallest >= ex.MIN_LABEL_HEIGHT - 1e-9, (smallest * 60, text)

    # the end: the graph as last shown, node by node
    graph = next(m for m in run.last.mobjects if isinstance(m, ComputationGraph))
    _, torch_grads = torch_gradients(text, values)
    adjoint = {}
    for step in e.steps:
        adjoint[step.node] = step.upstream
    for node in graph.get_family():
        if not isinstance(node, ComputationNode) or node.role == "operation":
            continue
        value = node.value
        assert node.value_label.number == value.data
        if value.is_leaf and not value.label:
            continue  # a constant: no gradient is asked for (as in PyTorch)
        assert opacity(node.grad_label) > 0, node.name
        assert node.grad_label.number == pytest.approx(adjoint[value], abs=1e-12), node.name
        if value.label in torch_grads:
            assert node.grad_label.number == pytest.approx(torch_grads[value.label],
                                                           rel=1e-9, abs=1e-12)
    # the code's value column: the running totals, line by line
    totals, expected = {e.root: 1.0}, [1.0]
    for step in e.steps:
        for c in step.contributions:
            totals[c.input] = totals.get(c.input, 0.0) + c.added
            if c.input.is_leaf and not c.input.label:
                continue
            expected.append(totals[c.input])
    assert [scene.code.annotations[i].number for i in range(len(expected))] == \
        pytest.approx(expected, abs=1e-12)
    # the check table: engine vs numerical_grad, one row per leaf
    rows = scene.check.rows
    assert len(rows) == len(e.leaves)
    for row, name in zip(rows, e.leaves):
        assert row.engine.number == pytest.approx(torch_grads[name], rel=1e-9, abs=1e-12)
        assert row.numerical.number == pytest.approx(torch_grads[name], rel=1e-4, abs=1e-5) \
            or not row.ok
        assert row.ok == e.agrees(name)

    # the narration: enough beats, each long enough to read
    story = scene.narration()
    assert len(story["beats"]) >= MIN_BEATS and story["poster"] is not None
    for cue in beat_cues(story["beats"], story["duration"]):
        chars = len(cue.text.replace("\n", " "))
        assert chars / (cue.end - cue.start) <= MAX_CHARS_PER_SECOND, cue


def number_labels_visible(mobjects) -> list:
    out = {}
    for mob in mobjects:
        for label in number_labels(mob):
            if opacity(label) > 0:
                out[id(label)] = label
    return list(out.values())


# --------------------------------------------------------------------------
# Fixed examples: the README's, a shared subexpression, a deep one
# --------------------------------------------------------------------------

@pytest.mark.parametrize("text, values, arrangement", [
    ("tanh(x*w + b)", {"x": 2.0, "w": -1.5, "b": 0.5}, "stacked"),
    ("x*x + x", {"x": 3.0}, "stacked"),
    ("x*y + y*z + z*w", {"x": 0.5, "y": -1.5, "z": 2.0, "w": 0.75}, "side"),
])
def test_examples(text, values, arrangement):
    run, scene = run_explainer(text, values)
    check_run(text, values, run, scene)
    assert scene.layout.arrangement == arrangement
    if text == "x*x + x":  # x is used three times: its gradient accumulates to 2x + 1
        x = scene.explanation.leaves["x"]
        assert scene.graph.node(x).grad_label.number == pytest.approx(7.0)
        said = " ".join(b["text"] for b in scene.beats)
        assert "x is used again: 1 + 3 = 4." in said and "4 + 3 = 7." in said
    if text.startswith("x*y"):  # y and z are used twice each
        said = " ".join(b["text"] for b in scene.beats)
        assert "z is used again: 0.75 + (-1.5) = -0.75." in said
        assert "y is used again: 2 + 0.5 = 2.5." in said


# --------------------------------------------------------------------------
# Random expressions within the limit
# --------------------------------------------------------------------------

def legible(text: str, values: dict) -> bool:
    try:
        layout = explainer_layout(explain(text, values))
    except ExplainError:
        return False
    return ex.legibility_error(layout.smallest_label) is None


# 5 random expressions in make test, 10 in make check; EXPLAIN_EXAMPLES=40
# for a longer hunt (about 4 s per example)
@settings(max_examples=int(os.environ.get("EXPLAIN_EXAMPLES", "5")), deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(expressions(max_leaves=4), st.lists(st.sampled_from(VALUE_GRID), min_size=3, max_size=3))
# found by a random run: a gradient landing on a leaf at the graph's left edge
@example(text="(-((y - y)) / cos(y))", numbers=[1.0, 2.0, 0.5])
def test_random_expressions(text, numbers):
    try:
        parsed = ex.parse_expression(text)
    except ExplainError:
        assume(False)
    values = dict(zip(parsed.variables, numbers))
    assume(legible(text, values))
    run, scene = run_once(text, values)
    check_run(text, values, run, scene)


# --------------------------------------------------------------------------
# Refusals inside the scene, and the CLI's scene file
# --------------------------------------------------------------------------

def test_scene_refuses_an_illegible_layout_before_drawing(monkeypatch, tmp_path):
    error_file = tmp_path / "error.txt"
    monkeypatch.setenv("EXPLAIN_ERROR_FILE", str(error_file))
    import src.rendering.explainer as kit
    monkeypatch.setattr(kit, "legibility_error", lambda h: ex.legibility_error(h * 0.5))

    played = []

    class Probe(ExplainExpressionScene):
        expression = "x*y + z"
        values = "x=1 y=2 z=3"

        def play(self, *args, **kwargs):
            played.append(args)
            return super().play(*args, **kwargs)

    with pytest.raises(ExplainError, match="too large to stay legible: its smallest number "
                                           r"label would be [\d.]+ px tall at 480p"):
        run_scene(Probe)
    assert played == []
    assert error_file.read_text().startswith("expression too large to stay legible")


def test_scene_refuses_bad_input():
    class Probe(ExplainExpressionScene):
        expression = "log(x)"
        values = {"x": -1.0}

    with pytest.raises(ExplainError, match=r"math error at x=-1: log is only defined"):
        run_scene(Probe)


def test_scene_file_reads_the_environment(monkeypatch):
    monkeypatch.setenv("EXPLAIN_EXPRESSION", "sin(x)*y")
    monkeypatch.setenv("EXPLAIN_VALUES", "x=0.5 y=2")
    spec = importlib.util.spec_from_file_location(
        "explain_expression_probe", os.path.join(ROOT, "explain_expression.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.ExplainExpression.expression == "sin(x)*y"
    assert ex.parse_values(module.ExplainExpression.values) == {"x": 0.5, "y": 2.0}
    assert issubclass(module.ExplainExpression, ExplainExpressionScene)


def test_command_line_reports_the_scenes_refusal(tmp_path):
    """Inside the structural limits but 8.8 px at 480p: the scene refuses
    before drawing, the command prints its one line and writes nothing."""
    result = subprocess.run(
        [sys.executable, "-m", "src.cli.explain", "(x*y + z*w)*(x - w)", "x=0.5", "y=-1.5",
         "z=2", "w=0.75", "--quality", "low", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: expression too large to stay legible: its smallest number "
                           "label would be 8.8 px tall at 480p, below the 9 px minimum")
    assert list(tmp_path.iterdir()) == []
