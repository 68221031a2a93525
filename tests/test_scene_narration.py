"""The lecture's narration: what each scene says, when, and that it can be read.

Every lecture scene narrates its beats with `LectureScene.say` and marks a
poster frame with `mark_poster` (src/rendering/scene.py). The
captions (src/narration/captions.py `beat_cues`) are cut from those beats, so
these tests check, on the scene's own clock (headless, no video written):

* enough beats (>= 5), in order, inside the scene;
* readable captions: every beat lasts >= 1.5 s and every cue is on screen
  long enough to read (<= 17 characters per second);
* a poster moment inside the scene, on a frame that shows more than the title;
* the chapter title is the scene's first heading and the text on screen at the start;
* the numbers the narration mentions are the engine's: an independent
  computation's numbers appear in it, and a subclass with other inputs
  narrates other numbers;
* LectureScene itself on a tiny synthetic scene (times, duration, errors),
  and its one caption mechanism, `set_caption` (look, place, swap, timing).
"""
from __future__ import annotations

import math
import re

import pytest

from src.data import MOONS_SETTINGS, make_moons, train
from src.lesson.graph_text import format_number
from src.models import MLP, hinge, mse
from src.narration.captions import beat_cues
from tests.manim_harness import lecture_module, run_scene
from tests.scene_checks import opacity, scene_run, visible_texts

lecture = lecture_module()
from manimlib import UP, FadeIn, Square  # noqa: E402  (after the harness set manimlib up)

from src.rendering.scene import PAUSE_AFTER_SPEECH, LectureScene  # noqa: E402

MIN_BEATS = 5
MIN_BEAT_SECONDS = 1.5
MAX_CHARS_PER_SECOND = 17.0

SCENES = ["ChainRuleScene", "ComputationGraphScene", "ParametersVsActivationsScene",
          "GradientPropagationScene", "BackwardPassScene", "MLPAutogradScene", "SummaryScene"]

# Other inputs for each scene: the "other" variants of the per-scene test
# files (same variant names and attributes, so a whole-suite run reuses
# those runs; see tests/scene_checks.py scene_run).
OTHER = {
    "ChainRuleScene": {"x": -1.5, "chain_x": -0.1},                       # test_scene_chain_rule
    "ComputationGraphScene": {"x": 1.0, "w": 3.0, "b": -2.0},             # test_scenes
    "BackwardPassScene": {"x": 1.0, "w": 3.0, "b": -2.0},                 # test_scenes
    "ParametersVsActivationsScene": {"seed": 15, "x_input": (1.0, -0.6),  # test_scene_params_activations
                                     "target": -0.5},
    "GradientPropagationScene": {"seed": 5, "inputs": (1.0, 1.0),         # test_scene_gradient_propagation
                                 "target": 0.0},
    "MLPAutogradScene": {"model_seed": 0, "learning_rate": 0.5},          # test_scene_mlp_autograd
    "SummaryScene": {"seed": 11, "x_input": (-1.2, 0.9), "target": -1.0},  # test_scene_summary
}


def lecture_attributes(name: str) -> dict:
    """The class defaults, spelled as the per-scene test files spell their
    "lecture" variant (the same run is shared with them)."""
    cls = getattr(lecture, name)
    if name in ("ComputationGraphScene", "BackwardPassScene"):
        return {"x": cls.x, "w": cls.w, "b": cls.b}
    if name == "ParametersVsActivationsScene":
        return {"seed": cls.seed, "x_input": cls.x_input, "target": cls.target}
    if name == "GradientPropagationScene":
        return {"seed": cls.seed, "inputs": tuple(cls.inputs), "target": cls.target}
    return {}


def run_of(name: str, variant: str):
    attributes = lecture_attributes(name) if variant == "lecture" else OTHER[name]
    return scene_run(getattr(lecture, name), variant, attributes)


@pytest.fixture(scope="module", params=SCENES)
def case(request):
    run, scene = run_of(request.param, "lecture")
    return request.param, run, scene, scene.narration()


def spans(story):
    beats = story["beats"]
    return [(b["start"], beats[i + 1]["start"] if i + 1 < len(beats) else story["duration"],
             b["text"]) for i, b in enumerate(beats)]


# --------------------------------------------------------------------------
# Beats, pacing, poster, title
# --------------------------------------------------------------------------

def test_enough_beats(case):
    name, _, _, story = case
    assert story["scene"].startswith(name)
    assert len(story["beats"]) >= MIN_BEATS, [b["text"] for b in story["beats"]]
    assert all(b["text"].strip() for b in story["beats"])


def test_beats_in_order_inside_the_scene(case):
    _, run, _, story = case
    starts = [b["start"] for b in story["beats"]]
    assert story["duration"] == pytest.approx(run.time, abs=1e-3)
    assert starts[0] >= 0
    assert all(a < b for a, b in zip(starts, starts[1:])), starts
    assert starts[-1] < story["duration"]


def test_every_beat_long_enough(case):
    _, _, _, story = case
    short = [f"{start:.2f}-{end:.2f} s: {text!r}" for start, end, text in spans(story)
             if end - start < MIN_BEAT_SECONDS]
    assert not short, "beats shorter than 1.5 s:\n" + "\n".join(short)


def test_every_cue_readable(case):
    _, _, _, story = case
    cues = beat_cues(story["beats"], story["duration"])
    assert cues and cues[0].start == pytest.approx(story["beats"][0]["start"])
    assert cues[-1].end == pytest.approx(story["duration"], abs=1e-3)
    fast = [f"{c.start:.2f}-{c.end:.2f} s, {len(c.text) / (c.end - c.start):.1f} chars/s: {c.text!r}"
            for c in cues if len(c.text) > MAX_CHARS_PER_SECOND * (c.end - c.start)]
    assert not fast, "cues too fast to read:\n" + "\n".join(fast)


def test_poster_inside_the_scene_on_a_full_frame(case):
    _, run, _, story = case
    poster = story["poster"]
    assert poster is not None, "the scene never calls mark_poster()"
    assert 0 < poster < story["duration"]
    # the scene's state at the poster time: the last checkpoint reached by then
    shown = [cp for cp in run.checkpoints if cp.time <= poster + 1e-6][-1]
    others = [t for t in visible_texts(shown.mobjects)
              if getattr(t, "text", None) != story["title"]]
    assert len(shown.mobjects) >= 3 and len(others) >= 2, (
        f"{shown.label}: the poster frame shows little besides the title")


def test_title_is_the_first_heading_drawn_at_the_start(case):
    _, run, scene, story = case
    assert story["title"] == scene.heading_text
    first = run.checkpoints[:2]
    drawn = [t for cp in first for t in visible_texts(cp.mobjects)
             if type(t).__name__ == "Text" and opacity(t) > 0.9]
    assert story["title"] in [" ".join(t.text.split()) for t in drawn], (
        story["title"], [t.text for t in drawn])


# --------------------------------------------------------------------------
# Numbers: the engine's, and other inputs give other numbers
# --------------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?")


def numbers_said(story) -> list:
    return [n for b in story["beats"] for n in NUMBER.findall(b["text"])]


def relu_mlp_loss(seed, x_input, target):
    model = MLP(2, [3, 1], activation="relu", seed=seed)
    out = model(list(x_input))
    return out.data, mse(out, target).data


def expected_numbers(name: str, scene) -> list:
    """Numbers the narration must mention, computed here without the scene."""
    if name == "ChainRuleScene":
        x, c = scene.x, scene.chain_x
        g3 = (3 * c - 1) ** 2
        chain_grad = (1 - math.tanh(g3) ** 2) * 2 * (3 * c - 1) * 3
        return [(x + 2) ** 2, 2 * (x + 2), chain_grad]
    if name in ("ComputationGraphScene", "BackwardPassScene"):
        x, w, b = scene.x, scene.w, scene.b
        h2 = x * w + b
        if name == "ComputationGraphScene":
            return [x, w, b, x * w, h2, h2 ** 2]
        return [2 * h2 * x, 2 * h2, w + 1]   # dL/dw, dL/db; f = x*w + x: df/dx = w + 1
    if name == "ParametersVsActivationsScene":
        out, loss = relu_mlp_loss(scene.seed, scene.x_input, scene.target)
        return [out, loss]
    if name == "GradientPropagationScene":
        out, loss = relu_mlp_loss(scene.seed, scene.inputs, scene.target)
        return [out, loss, 2 * (out - scene.target)]
    if name == "MLPAutogradScene":
        s = MOONS_SETTINGS
        X, y = make_moons(s["n"], s["noise"], s["data_seed"])
        model = MLP(2, s["sizes"], activation=s["activation"], seed=scene.model_seed)
        first = hinge([model(x) for x in X], y).data
        history = train(MLP(2, s["sizes"], activation=s["activation"], seed=scene.model_seed),
                        X, y, loss="hinge", steps=3, lr=scene.learning_rate)
        assert history.loss[0] == pytest.approx(first)
        return [len(X), first, history.loss[1], history.loss[2]]
    if name == "SummaryScene":
        model = MLP(2, [3, 1], activation="tanh", seed=scene.seed)
        return [mse(model(list(scene.x_input)), scene.target).data]
    raise KeyError(name)


@pytest.mark.parametrize("variant", ["lecture", "other"])
@pytest.mark.parametrize("name", SCENES)
def test_narration_mentions_the_engines_numbers(name, variant):
    _, scene = run_of(name, variant)
    said = numbers_said(scene.narration())
    missing = [format_number(v) for v in expected_numbers(name, scene)
               if format_number(v) not in said]
    assert not missing, f"{name} ({variant}) never says {missing}; it says {said}"


@pytest.mark.parametrize("name", SCENES)
def test_other_inputs_narrate_other_numbers(name):
    said = {variant: numbers_said(run_of(name, variant)[1].narration())
            for variant in ("lecture", "other")}
    assert said["lecture"], f"{name} mentions no number"
    assert said["lecture"] != said["other"], said


# --------------------------------------------------------------------------
# LectureScene on a synthetic scene
# --------------------------------------------------------------------------

def narrate(body):
    """Run a LectureScene whose construct() is `body(scene)`; returns the scene."""
    holder = {}

    class Tiny(LectureScene):
        def construct(self):
            holder["scene"] = self
            body(self)

    run_scene(Tiny)
    return holder["scene"]


def test_beats_follow_the_scene_clock():
    def body(scene):
        scene.say("one")
        scene.play(FadeIn(Square()), run_time=1.0)
        scene.say("two")
        scene.wait(2.0)

    story = narrate(body).narration()
    assert [(b["start"], b["text"]) for b in story["beats"]] == [(0.0, "one"), (1.0, "two")]
    assert story["duration"] == pytest.approx(3.0)
    assert story["poster"] is None
    cues = beat_cues(story["beats"], story["duration"])
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 1.0, "one"), (1.0, 3.0, "two")]


def test_saying_nothing_is_an_error():
    with pytest.raises(ValueError, match="needs some words"):
        narrate(lambda scene: scene.say("  "))


def test_a_beat_waits_for_the_previous_beats_speech():
    def body(scene):
        scene.say("first, a longer sentence to say")
        scene.say("second")

    story = narrate(body).narration()
    first, second = story["beats"]
    assert second["start"] == pytest.approx(first["speech"] + PAUSE_AFTER_SPEECH, abs=1e-3)
    assert story["duration"] == pytest.approx(
        second["start"] + second["speech"] + PAUSE_AFTER_SPEECH, abs=1e-3)
