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
* every number a beat says is the engine's: each beat names its numbers, and
  each name's value is computed here independently (torch, closed forms),
  for the default inputs and for other inputs; no say() template types or
  formats a number itself (read from the source with `ast`);
* the voice is never cut off (a beat lasts its speech and the pause after
  it), and the whole lecture stays under 6.5 minutes;
* LectureScene itself on a tiny synthetic scene (times, duration, errors),
  and its one caption mechanism, `set_caption` (look, place, swap, timing).
"""
from __future__ import annotations

import ast
import math
import re

import pytest
import torch

from src.data import make_moons
from src.lesson.graph_text import format_number
from src.lesson.layer_gradients import TwoLayerBackward
from src.models import MLP
from src.narration.captions import beat_cues
from tests.manim_harness import ROOT, lecture_module, run_scene
from tests.scene_checks import opacity, scene_run, visible_texts

lecture = lecture_module()
from manimlib import UP, FadeIn, Square  # noqa: E402  (after the harness set manimlib up)

from src.rendering.scene import PAUSE_AFTER_SPEECH, LectureScene  # noqa: E402

MIN_BEATS = 5
MIN_BEAT_SECONDS = 1.5
MAX_CHARS_PER_SECOND = 17.0
LECTURE_LIMIT_SECONDS = 6.5 * 60

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
    "MLPAutogradScene": {"model_seed": 0, "learning_rate": 0.5,           # test_scene_mlp_autograd
                         "grid_resolution": 48},
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


def named_texts(beat: dict) -> dict:
    """Each named number of a beat as it is written and said: the digits a
    drawn identity gave it (beat["digits"]), else format_number's."""
    digits = beat.get("digits", {})
    return {k: digits.get(k) or format_number(v) for k, v in beat.get("numbers", {}).items()}


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
# Numbers: every number a beat says is the engine's, checked by name
# --------------------------------------------------------------------------
#
# A beat names the numbers it says (`self.say("The loss is {L}.", L=...)`),
# and records them under those names (beat["numbers"]). For each scene the
# test computes every name's value here, from the scene's inputs only (torch
# and closed forms, not the scene's objects), and checks each beat's numbers
# by name; a name it does not know fails. What a name means:
#   a float                     that number, wherever it is said
#   InOrder([...])              the k-th beat saying it says the k-th item
#   a function of the context   a number that depends on what was said before
#                               (the latest value of each name, this beat's
#                               included), e.g. the loss of the step just named

NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?")


class InOrder(list):
    """The values a name takes, in the order the beats say them."""


def torch_graph(leaves: dict, ops: list, root: str) -> dict:
    """Every number graph_beats' sentences may name, for a graph given as
    (name, function of earlier nodes, input names) in forward order, by torch:
    values ("h1"), gradients of the root ("dL_dh1"), local derivatives
    ("local_dh2_dh1") and what each node sends back to each input ("dL_dx_via_h1")."""
    t = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
         for k, v in leaves.items()}
    for name, fn, inputs in ops:
        t[name] = fn(*(t[i] for i in inputs))
        t[name].retain_grad()
    t[root].backward()
    out = {k: float(v.detach()) for k, v in t.items()}
    out.update({f"d{root}_d{k}": float(v.grad) for k, v in t.items() if k != root})
    out[f"d{root}_d{root}"] = 1.0
    for name, fn, inputs in ops:
        # a partial derivative: each input a fresh leaf, so no path runs past it
        args = [t[j].detach().requires_grad_() for j in inputs]
        locals_ = torch.autograd.grad(fn(*args), args)
        for i, local in zip(inputs, locals_):
            out[f"local_d{name}_d{i}"] = float(local)
            out[f"d{root}_d{i}_via_{name}"] = out[f"d{root}_d{name}"] * float(local)
    return out


def lecture_loss_numbers(x, w, b) -> dict:
    """L = (x*w + b)^2 with h1 = x*w, h2 = h1 + b, as scenes 2 and 5 name it."""
    return torch_graph({"x": x, "w": w, "b": b}, [
        ("h1", lambda x, w: x * w, ["x", "w"]),
        ("h2", lambda h1, b: h1 + b, ["h1", "b"]),
        ("L", lambda h2: h2 ** 2, ["h2"]),
    ], "L")


def torch_mlp(seed: int, sizes, activation: str):
    """The engine's freshly initialised MLP(2, sizes) as torch float64 weights
    [(W, b), ...] (the initial numbers only: the arithmetic is torch's)."""
    model = MLP(2, list(sizes), activation=activation, seed=seed)
    return [(torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                          dtype=torch.float64, requires_grad=True),
             torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                          requires_grad=True)) for layer in model.layers]


def torch_forward(layers, x, activation: str):
    """Hidden layers with `activation`, the last one linear; every
    pre-activation kept (with its gradient)."""
    act = {"relu": torch.relu, "tanh": torch.tanh}[activation]
    h, pre = x, []
    for k, (W, b) in enumerate(layers):
        z = h @ W.T + b
        if z.requires_grad:
            z.retain_grad()
        pre.append(z)
        h = act(z) if k < len(layers) - 1 else z
    return h, pre


def two_layer_numbers(seed, inputs, target) -> dict:
    """Scenes 3 and 4: one pass of MLP(2, [3, 1], relu) on one input, in torch."""
    layers = torch_mlp(seed, [3, 1], "relu")
    x = torch.tensor(list(inputs), dtype=torch.float64)
    out, (z1, _) = torch_forward(layers, x, "relu")
    out.retain_grad()
    loss = ((out - target) ** 2).sum()
    loss.backward()
    return {"x": x.numpy(), "z1": z1.detach().numpy(), "dL/dz1": z1.grad.numpy(),
            "dL/dW1": layers[0][0].grad.numpy(), "out": float(out.detach()),
            "L": float(loss.detach()), "dL/dout": float(out.grad)}


def moons_numbers(scene) -> tuple:
    """Scene 6's run retrained in torch: the mean hinge loss before each
    step, and the accuracy (percent) after the last one."""
    X, y = make_moons(scene.n_points, scene.noise, scene.data_seed)
    X, y = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    layers = torch_mlp(scene.model_seed, scene.layer_sizes, scene.activation)
    params = [p for layer in layers for p in layer]
    losses = []
    for _ in range(scene.steps):
        scores = torch_forward(layers, X, scene.activation)[0][:, 0]
        loss = torch.relu(1 - y * scores).mean()
        losses.append(float(loss.detach()))
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= scene.learning_rate * p.grad
    with torch.no_grad():
        scores = torch_forward(layers, X, scene.activation)[0][:, 0]
    predicted = torch.where(scores > 0, 1.0, -1.0)
    return len(X), losses, 100 * float((predicted == y).double().mean())


def expected_numbers(name: str, scene) -> dict:
    """Every name the scene's beats may say -> its value, computed here."""
    if name == "ChainRuleScene":
        x, h, c = scene.x, scene.h, scene.chain_x
        g, g2 = x + 2, 3 * c - 1
        return {"g": g, "F": g ** 2, "dF_dg": 2 * g, "dg_dx": 1.0, "dF_dx": 2 * g,
                "slope": ((x + h + 2) ** 2 - (x - h + 2) ** 2) / (2 * h),
                "chain_dF_dx": (1 - math.tanh(g2 ** 2) ** 2) * 2 * g2 * 3}
    if name == "ComputationGraphScene":
        return lecture_loss_numbers(scene.x, scene.w, scene.b)
    if name == "BackwardPassScene":
        shared = torch_graph({"x": scene.x, "w": scene.w}, [
            ("u", lambda x, w: x * w, ["x", "w"]),
            ("f", lambda u, x: u + x, ["u", "x"])], "f")
        return {**lecture_loss_numbers(scene.x, scene.w, scene.b), **shared}
    if name == "ParametersVsActivationsScene":
        t = two_layer_numbers(scene.seed, scene.x_input, scene.target)
        # The entry the scene boxes on screen, as the lesson kit records it.
        i, j = TwoLayerBackward(scene.seed, tuple(scene.x_input),
                                scene.target).largest_entry("dL/dW1")
        return {"h2": t["out"], "L": t["L"], "dL_dh1_i": t["dL/dz1"][i], "x_j": t["x"][j],
                "dL_dW1_ij": t["dL/dW1"][i, j]}
    if name == "GradientPropagationScene":
        t = two_layer_numbers(scene.seed, scene.inputs, scene.target)
        return {"L": t["L"], "out": t["out"], "target": scene.target,
                "dL_dout": t["dL/dout"], "active": float((t["z1"] > 0).sum()),
                "units": float(len(t["z1"]))}
    if name == "MLPAutogradScene":
        points, losses, accuracy = moons_numbers(scene)
        return {"points": points, "step": InOrder(scene.shown_steps),
                "loss": lambda said: losses[int(said["step"])],
                "next_step": lambda said: said["step"] + 1,
                "remaining": scene.steps - (scene.shown_steps[-1] + 1),
                "steps": scene.steps, "accuracy": accuracy}
    if name == "SummaryScene":
        layers = torch_mlp(scene.seed, [3, 1], "tanh")
        out = torch_forward(layers, torch.tensor(scene.x_input, dtype=torch.float64), "tanh")[0]
        return {"L": float(((out - scene.target) ** 2).sum().detach())}
    raise KeyError(name)


def number_problems(name: str, scene) -> list:
    """Each beat's named numbers against the expectations: what is wrong."""
    expected, said, order, problems = expected_numbers(name, scene), {}, {}, []
    for beat in scene.narration()["beats"]:
        numbers = beat.get("numbers", {})
        said.update(numbers)
        for key, value in numbers.items():
            if key not in expected:
                problems.append(f"{beat['text']!r}: the test does not know {key!r} = {value}")
                continue
            want = expected[key]
            if isinstance(want, InOrder):
                k = order[key] = order.get(key, -1) + 1
                want = want[k] if k < len(want) else None
            elif callable(want):
                want = want(said)
            if want is None or value != pytest.approx(float(want), rel=1e-9, abs=1e-12):
                problems.append(f"{beat['text']!r}: {key} = {value}, the engine's is {want}")
    return problems


@pytest.mark.parametrize("variant", ["lecture", "other"])
@pytest.mark.parametrize("name", SCENES)
def test_every_number_said_is_the_engines(name, variant):
    _, scene = run_of(name, variant)
    assert any(b.get("numbers") for b in scene.narration()["beats"]), f"{name} says no number"
    problems = number_problems(name, scene)
    assert not problems, f"{name} ({variant}):\n" + "\n".join(problems)


@pytest.mark.parametrize("variant", ["lecture", "other"])
@pytest.mark.parametrize("name", SCENES)
def test_every_number_in_a_caption_is_a_named_one(name, variant):
    # A number typed into a beat, or formatted into it unnamed, is caught here.
    _, scene = run_of(name, variant)
    for beat in scene.narration()["beats"]:
        named = set(named_texts(beat).values())
        unnamed = [n for n in NUMBER.findall(beat["text"]) if n not in named]
        assert not unnamed, (beat["text"], unnamed, beat.get("numbers"))


@pytest.mark.parametrize("name", SCENES)
def test_other_inputs_narrate_other_numbers(name):
    said = {variant: [b.get("numbers") for b in run_of(name, variant)[1].narration()["beats"]]
            for variant in ("lecture", "other")}
    assert said["lecture"] != said["other"], said


def test_the_checks_know_a_wrong_number():
    # The check itself: a slope without its division by 2h, or the entry
    # from the wrong row, is reported (the scenes are run for real above).
    scene = type("Fake", (), {"x": 3.0, "h": 1e-3, "chain_x": 0.2, "narration": None})()
    slope = ((3 + 1e-3 + 2) ** 2 - (3 - 1e-3 + 2) ** 2)
    scene.narration = lambda: {"beats": [{"text": "s", "numbers": {"slope": slope}},
                                         {"text": "t", "numbers": {"made_up": 1.0}}]}
    problems = number_problems("ChainRuleScene", scene)
    assert len(problems) == 2 and "slope" in problems[0] and "made_up" in problems[1]


# --------------------------------------------------------------------------
# What say() is given: named numbers, never typed or formatted ones
# --------------------------------------------------------------------------

SCENE_FILES = [ROOT / "01_autograd_visualization.py", ROOT / "src/rendering/explainer.py"]
KIT_FILE = ROOT / "src/visualization/graph_beats.py"


# A digit that starts a token: a number ("2", "-1.5"), not a name ("h1", "W2").
TYPED_NUMBER = re.compile(r"\b\d")
# What a template may join in besides words: the name of a node.
NODE_NAME = re.compile(r"(^|\.)root_name$")


def _class_attribute(classdef, name):
    for node in classdef.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name
                                                for t in node.targets):
            return node.value
    return None


def _bound(function, name) -> list:
    """What `name` is bound to in `function`: assignments, and the matching
    field of a for loop over literal tuples (or over zip(...) of them)."""
    found = []
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if getattr(target, "id", None) == name:
                    found.append(node.value)
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    found += [v for t, v in zip(target.elts, node.value.elts)
                              if getattr(t, "id", None) == name]
        if isinstance(node, ast.For):
            found += _loop_fields(node.target, node.iter, name)
    return found


def _loop_fields(target, source, name) -> list:
    if getattr(target, "id", None) == name:
        return [source]                       # the whole iterable: its items are checked
    if isinstance(target, ast.Tuple):
        if isinstance(source, ast.Call) and getattr(source.func, "id", None) == "zip":
            return [f for t, s in zip(target.elts, source.args) for f in _loop_fields(t, s, name)]
        if isinstance(source, (ast.Tuple, ast.List)):
            return [f for row in source.elts if isinstance(row, ast.Tuple)
                    for t, item in zip(target.elts, row.elts) for f in _loop_fields(t, item, name)]
        return [f for t in target.elts for f in _loop_fields(t, source, name)] and [source]
    return []


def template_problems(node, function, classdef, depth=0) -> list:
    """Why the template expression `node` may put a number into a beat
    unnamed: an f-string, a digit in a literal, a call this check cannot read."""
    if depth > 8:
        return [f"line {node.lineno}: cannot follow {ast.unparse(node)}"]
    follow = lambda n: template_problems(n, function, classdef, depth + 1)  # noqa: E731
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and TYPED_NUMBER.search(node.value):
            return [f"line {node.lineno}: a number typed in {node.value!r}"]
        return []
    if isinstance(node, ast.JoinedStr):
        return [f"line {node.lineno}: an f-string {ast.unparse(node)}"]
    if isinstance(node, ast.IfExp):
        return follow(node.body) + follow(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return follow(node.left) + follow(node.right)
    if isinstance(node, (ast.Tuple, ast.List)):
        return [p for e in node.elts for p in follow(e)]
    if isinstance(node, ast.Dict):
        return [p for v in node.values for p in follow(v)]
    if NODE_NAME.search(ast.unparse(node)):
        return []                             # a node's name ("x", "t1"), not a number
    if isinstance(node, ast.Name):
        bound = _bound(function, node.id)
        return [p for b in bound for p in follow(b)] if bound else \
            [f"line {node.lineno}: cannot read what {node.id} is"]
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "self":
        value = _class_attribute(classdef, node.attr)
        return follow(value) if value is not None else \
            [f"line {node.lineno}: cannot read self.{node.attr}"]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "get":
        return follow(node.func.value) + [p for a in node.args[1:] for p in follow(a)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "join" and isinstance(node.func.value, ast.Constant):
        return follow(node.func.value)        # names joined: no number goes in unnamed
    return [f"line {node.lineno}: cannot read {ast.unparse(node)}"]


def say_calls():
    """(file, class, function, call) of every self.say(...) in the scene files."""
    for path in SCENE_FILES:
        tree = ast.parse(path.read_text())
        for classdef in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            for function in [n for n in classdef.body if isinstance(n, ast.FunctionDef)]:
                for node in ast.walk(function):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                            and node.func.attr == "say" and ast.unparse(node.func.value) in
                            ("self", "super()")):
                        yield path.name, classdef, function, node


def sentence_helpers() -> set:
    tree = ast.parse(KIT_FILE.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)
            and n.name.endswith("_sentence")}


def test_no_digit_and_no_fstring_in_any_say_template():
    helpers, problems, calls = sentence_helpers(), [], list(say_calls())
    assert len(calls) > 50
    for file, classdef, function, call in calls:
        if function.name == "say":               # the explainer's say() passes its own on
            continue
        templates = list(call.args[:2]) + [k.value for k in call.keywords if k.arg == "spoken"]
        for k in call.keywords:
            if k.arg is None:                    # say(**helper(...)): the kit's sentence
                ok = isinstance(k.value, ast.Call) and getattr(k.value.func, "id", None) in helpers
                ok = ok or (isinstance(k.value, ast.Name) and all(
                    isinstance(b, ast.Call) and getattr(b.func, "id", None) in helpers
                    or isinstance(b, ast.Dict) and not any(isinstance(v, ast.Constant)
                                                           for v in b.values)
                    for b in _bound(function, k.value.id)))
                if not ok:
                    problems.append(f"{file} line {call.lineno}: say(**{ast.unparse(k.value)})")
            elif k.arg != "spoken":              # a named number: never a literal
                if isinstance(k.value, ast.Constant):
                    problems.append(f"{file} line {call.lineno}: {k.arg}={k.value.value!r} typed")
        for template in templates:
            problems += [f"{file} {classdef.name}.{function.name}: {p}"
                         for p in template_problems(template, function, classdef)]
    assert not problems, "\n".join(problems)


def test_the_kits_sentences_type_no_number():
    # graph_beats' sentence helpers build templates from names only: every
    # number goes in as a {field} (no f-string, no format_number, no digit).
    tree = ast.parse(KIT_FILE.read_text())
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)
                 and (n.name.endswith("_sentence") or n.name in ("_beat", "_mention"))]
    actions = [n for n in tree.body if isinstance(n, ast.Assign)
               and getattr(n.targets[0], "id", None) == "_ACTIONS"]
    assert len(functions) >= 10 and actions
    problems = []
    docstrings = {id(f.body[0].value) for f in functions if ast.get_docstring(f)}
    for node in [n for f in functions + actions for n in ast.walk(f)
                 if id(n) not in docstrings]:
        if isinstance(node, ast.JoinedStr):
            problems.append(f"line {node.lineno}: f-string")
        if isinstance(node, ast.Name) and node.id in ("format_number", "tex_number"):
            problems.append(f"line {node.lineno}: {node.id}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and TYPED_NUMBER.search(node.value):
            problems.append(f"line {node.lineno}: a number typed in {node.value!r}")
    assert not problems, problems


def test_the_template_check_finds_typed_numbers():
    source = '''
class S:
    def construct(self):
        self.say(f"The loss is {loss}.")
        self.say("Step 2 of the run.")
        self.say("Fine: {L}.", L=2.5)
        self.say("At " + format_number(x))
'''
    tree = ast.parse(source)
    classdef = tree.body[0]
    function = classdef.body[0]
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)
             and getattr(n.func, "attr", None) == "say"]
    found = [template_problems(c.args[0], function, classdef) for c in calls]
    assert [bool(f) for f in found] == [True, True, False, True]
    assert calls[2].keywords[0].value.value == 2.5   # and a typed keyword (checked above)


# --------------------------------------------------------------------------
# Timing: the voice is never cut off; the lecture's length
# --------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["lecture", "other"])
@pytest.mark.parametrize("name", SCENES)
def test_no_beat_ends_before_its_speech(name, variant):
    story = run_of(name, variant)[1].narration()
    for start, end, text in spans(story):
        beat = next(b for b in story["beats"] if b["start"] == start)
        assert end >= start + beat["speech"] + PAUSE_AFTER_SPEECH - 1e-3, (
            f"{text!r}: {beat['speech']:.2f} s of speech in a {end - start:.2f} s beat")


@pytest.mark.slow   # make check: it needs all seven scenes again in one worker (33 s)
def test_the_lecture_is_under_six_and_a_half_minutes():
    lengths = {name: run_of(name, "lecture")[0].time for name in SCENES}
    assert sum(lengths.values()) < LECTURE_LIMIT_SECONDS, lengths


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
