"""spoken_form: every beat the lecture says reaches the voice as plain words.

The table and its pronunciations are checked on examples (and the
pronunciations with Piper's own phonemizer). The beats themselves come from
real runs: every beat of every scene, with its default inputs and with other
inputs, and of the explainer on several expressions, as the voice read it;
graph_beats' sentences are also produced for more expressions. No symbol
reaches the voice, nothing is dropped untranslated, and every number a beat
names is heard in words.
"""
from __future__ import annotations

import re

import pytest

from src.lesson.graph_text import format_number, graph_names
from src.narration.spoken import (SAY, integer_words, number_words, spoken_form, unspeakable,
                                  untranslated)

# --------------------------------------------------------------------------
# The brief's examples
# --------------------------------------------------------------------------

EXAMPLES = {
    "dF/dx = 2g · 1": "d F by d x equals two g times one",
    "∂L/∂W": "d L by d W",
    "dL/dW": "d L by d W",
    "h₂": "h two",
    "h2": "h two",
    "W₂ᵀ": "W two transposed",
    "W2ᵀ": "W two transposed",
    "W^T": "W transposed",
    "−1.5": "minus one point five",
    "-1.5": "minus one point five",
    "0.617": "zero point six one seven",
    "6.25": "six point two five",
    "120": "one hundred twenty",
    "1e-05": "one times ten to the minus five",
    "1.23e5": "one point two three times ten to the five",
    "-1.23e+05": "minus one point two three times ten to the five",
    "x·w": "x times w",
    "x*w": "x times w",
    "3 × 4": "three times four",
    "x + 2": "x plus two",
    "L = 6.25": "L equals six point two five",
    "L ≈ 6.3": "L is about six point three",
    "x²": "x squared",
    "2→3→1": "two to three to one",
    "(x + 2)²": "x plus two, squared",
    "η = 0.1": "eta equals zero point one",
    "Σ": "sum",
    "95%": "ninety-five percent",
    "tanh": "tanch",
    "ReLU": "rayloo",
    "MLP": "M L P",
    "SGD": "S G D",
    "x.grad": "x dot grad",
    "L.backward()": "L dot backward",
    "F = f(g(x))": "F equals f of g of x",
    "a₁ = max(0, h₁)": "eh one equals max of zero, h one",
    "the cached a1": "the cached eh one",
    "A two-layer network": "A two-layer network",
    "t1 = x · w = (2)(-1.5) = -3":
        "t one equals x times w equals two times minus one point five equals minus three",
    "∂L/∂W = ∂L/∂h · xᵀ": "d L by d W equals d L by d h times x transposed",
    "d²L/dx²": "d squared L by d x squared",
    "x - y": "x minus y",
    "x-1": "x minus one",
    "FC₁: h₁ = W₁x + b₁": "F C one: h one equals W one x plus b one",
    "FC2's input": "F C two's input",
    "(W₁)₁₂": "W one one two",
    "f′(x)": "f prime of x",
    "the 2nd step": "the second step",
    "1,000 points": "one thousand points",
    "e.g. this": "for example this",
    "BOTH its parameters AND its input": "both its parameters and its input",
    "zero_grad()": "zero grad",
    "it's x's value": "it's x's value",
}


@pytest.mark.parametrize("text", list(EXAMPLES))
def test_brief_examples(text):
    assert spoken_form(text) == EXAMPLES[text]


@pytest.mark.parametrize("n, words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (42, "forty-two"),
    (100, "one hundred"), (120, "one hundred twenty"), (1000, "one thousand"),
    (1001, "one thousand one"), (250_000, "two hundred fifty thousand"),
    (3_000_017, "three million seventeen"),
])
def test_integer_words(n, words):
    assert integer_words(n) == words


@pytest.mark.parametrize("text, words", [
    ("0.5", "zero point five"), ("-0.765", "minus zero point seven six five"),
    ("1e-05", "one times ten to the minus five"), ("2.5e-07", "two point five times ten to the minus seven"),
    ("1.23e+05", "one point two three times ten to the five"), ("100", "one hundred"),
])
def test_number_words(text, words):
    assert number_words(text) == words


def test_every_format_number_output_is_spoken_as_words():
    # The engine's numbers, as format_number prints them, across magnitudes and signs.
    for mantissa in (1, 1.5, 2.25, 9.99, 0.617, 3):
        for exponent in range(-9, 10):
            for sign in (1, -1):
                text = format_number(sign * mantissa * 10.0 ** exponent)
                spoken = spoken_form(f"The value is {text}.")
                assert unspeakable(spoken) == [], (text, spoken)
                assert spoken.startswith("The value is " + ("minus " if sign < 0 else ""))


def test_unspeakable_names_what_the_voice_cannot_read():
    assert unspeakable("d F by d x equals two g times one.") == []
    assert unspeakable("It's a two-layer network: yes, really; no? fine!") == []
    assert unspeakable("h2 equals 3 = x · η") == ["h2", "3", "=", "·", "η"]
    assert unspeakable("x - y") == ["-"]


def test_nothing_is_dropped_silently_for_known_notation():
    assert untranslated("dF/dx = 2g · 1, η ≈ 0.1, W₂ᵀ, (x + 2)², ✓") == []
    assert untranslated("a ¶ b") == ["¶"]          # unknown: dropped, and named
    assert unspeakable(spoken_form("a ¶ b")) == []


def test_the_table_speaks_plain_words():
    for key, words in SAY.items():
        assert unspeakable(spoken_form(words)) == [], (key, words)
        assert unspeakable(spoken_form(key)) == [], key


# --------------------------------------------------------------------------
# Pronunciations, checked with Piper's own phonemizer (espeak-ng)
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def phonemes():
    from src.narration.voice import phonemes
    return phonemes


def test_tanh_is_said_tanch(phonemes):
    assert phonemes("tanh") == "tˈæn"                       # why the table has it
    assert phonemes(spoken_form("tanh")) == "tˈæntʃ"


def test_relu_is_said_ray_loo(phonemes):
    assert phonemes("ReLU") == "ɹˌiː lˈuː"                  # "ree-loo": wrong
    assert phonemes(spoken_form("ReLU")) == "ɹˈeɪluː"        # "RAY-loo"
    assert phonemes(spoken_form("relu")) == "ɹˈeɪluː"


def test_abbreviations_are_spelled(phonemes):
    assert phonemes(spoken_form("MLP")) == "ˈɛm ˈɛl pˈiː"
    assert phonemes(spoken_form("SGD")) == "ˈɛs dʒˈiː dˈiː"
    assert phonemes(spoken_form("FC1")) == "ˈɛf sˈiː wˌʌn"


def test_variable_a_is_the_letter_not_the_article(phonemes):
    assert phonemes("a one").startswith("ɐ")                # the article
    assert phonemes(spoken_form("a1")).startswith("ˈeɪ")
    assert phonemes(spoken_form("A two-layer network")).startswith("ɐ")


def test_notation_phonemes(phonemes):
    assert phonemes(spoken_form("dF/dx")) == "dˈiːʲ ˈɛf baɪ dˈiːʲ ˈɛks"
    assert "tɹænspˈoʊzd" in phonemes(spoken_form("W₂ᵀ"))
    assert phonemes(spoken_form("η")) == "ˈiːɾə"


# --------------------------------------------------------------------------
# Every beat the lecture says, as it was said
# --------------------------------------------------------------------------
#
# The beats come from real runs: the seven scenes with their default inputs
# and with other inputs (the in-process runs the scene tests share, see
# tests/scene_checks.scene_run), the explainer on several expressions, and
# graph_beats' sentences on more expressions than are worth a run. Each beat
# is {"text": caption, "spoken": what the voice read, "numbers": {...}}.

EXPLAINED = [  # (expression, values): run as scenes
    ("tanh(x*w + b)", {"x": 2.0, "w": -1.5, "b": 0.5}),
    ("x*x + x", {"x": 3.0}),                       # accumulation
    ("x**3 - 2*x", {"x": 0.5}),                    # a power and a constant
    ("sigmoid(x) / y", {"x": 0.5, "y": 4.0}),
]
SENTENCE_EXPRESSIONS = [  # graph_beats' sentences only, from the engine
    ("relu(a*b) - c", "a=2 b=-3 c=0.1"), ("exp(-x) ** 2", "x=12"),
    ("log(x) + sin(y) * cos(y)", "x=2.5 y=1"), ("x ** y", "x=2 y=3"), ("-x / 7", "x=100000"),
    ("x*y + y*z + z*w", "x=0.5 y=-1.5 z=2 w=0.75"), ("x - x", "x=1e-3"),
]


def explainer_beats() -> list:
    from tests.test_explain_scene import run_explainer
    return [beat for text, values in EXPLAINED
            for beat in run_explainer(text, values)[1].narration()["beats"]]


def said(arguments: dict) -> dict:
    """A beat as say() makes it from a sentence helper's arguments (the
    numbers formatted as the scenes draw them)."""
    arguments = dict(arguments)
    text, spoken = arguments.pop("text"), arguments.pop("spoken")
    words = {k: getattr(v, "text", None) or format_number(v) for k, v in arguments.items()}
    caption = text.format(**words)
    return {"text": caption, "spoken": spoken_form((spoken or text).format(**words)),
            "numbers": arguments, "digits": words}


def sentence_beats() -> list:
    """graph_beats' sentences for every node and step of more expressions."""
    from src.lesson.expression import explain
    from src.visualization import graph_beats as gb

    beats = []
    for expression, values in SENTENCE_EXPRESSIONS:
        root = explain(expression, values.split()).root
        names = graph_names(root)
        steps = root.backward_steps()
        by_node = {step.node: step for step in steps}
        beats.append(said(gb.leaves_sentence([v for v in names if v.is_leaf and v.label], names)))
        for node in root.topological_order():
            if not node.is_leaf:
                beats.append(said(gb.operation_sentence(node, names)))
                beats.append(said(gb.rule_sentence(node, by_node[node], names)))
        beats.append(said(gb.result_sentence(root, names)))
        beats.append(said(gb.seed_sentence(root, names)))
        seen = {}
        for step in steps:
            for contribution in step.contributions:
                target = contribution.input
                if target in seen:
                    beats.append(said(gb.accumulate_sentence(root, step, contribution,
                                                             seen[target], names)))
                else:
                    beats.append(said(gb.step_sentence(step, contribution, names, root,
                                                       first=not seen)))
                seen[target] = seen.get(target, 0.0) + contribution.added
    return beats


# Each scene's beats are checked in the xdist group of that scene (conftest.py
# groups by the scene named in a test's id), so they come from the runs its
# own tests already made in that process, not from seven runs more.
SOURCES = ["ChainRuleScene", "ComputationGraphScene", "ParametersVsActivationsScene",
           "GradientPropagationScene", "BackwardPassScene", "MLPAutogradScene", "SummaryScene"]
# fewest beats each source gives (two runs of a scene; four explanations;
# the sentences of seven expressions): a source that went quiet fails
MIN_BEATS = {**{name: 10 for name in SOURCES}, "explainer": 60, "sentences": 80}


def beats_of(source: str) -> list:
    if source == "explainer":
        return explainer_beats()
    if source == "sentences":
        return sentence_beats()
    from tests.test_scene_narration import run_of
    return [beat for variant in ("lecture", "other")
            for beat in run_of(source, variant)[1].narration()["beats"]]


@pytest.fixture(scope="module", params=SOURCES)
def scene_beats(request):
    return beats_of(request.param)


@pytest.fixture(scope="module", params=[*SOURCES, "explainer", "sentences"])
def all_beats(request):
    beats = beats_of(request.param)
    assert len(beats) >= MIN_BEATS[request.param], (request.param, len(beats))
    return beats


def beat_numbers(beat: dict) -> dict:
    """A beat's named numbers as written and said (its drawn digits if any)."""
    from tests.test_scene_narration import named_texts
    return named_texts(beat)


def test_every_beat_is_speakable(all_beats):
    problems = {}
    for beat in all_beats:
        bad, dropped = unspeakable(beat["spoken"]), untranslated(beat["text"])
        if bad or dropped or not beat["spoken"].strip():
            problems[beat["text"]] = (beat["spoken"], bad, dropped)
    assert problems == {}


def test_no_digit_or_symbol_reaches_the_voice(all_beats):
    for beat in all_beats:
        assert not re.search(r"[^A-Za-z\s.,;:?!'\-]", beat["spoken"]), beat


def test_spoken_form_is_idempotent(all_beats):
    # speak() runs spoken_form on whatever it gets: what the voice read is
    # already plain words and comes through unchanged.
    for beat in all_beats:
        assert spoken_form(beat["spoken"]) == beat["spoken"], beat


def test_every_named_number_is_heard(all_beats):
    # Each number a beat names is in what the voice says, in words (a
    # `spoken=` wording that dropped one would go unnoticed otherwise).
    for beat in all_beats:
        for text in beat_numbers(beat).values():
            words = ("minus " if text.startswith("-") else "") + number_words(text.lstrip("-"))
            assert words in beat["spoken"], (beat["text"], text, beat["spoken"])


def test_scene_beats_name_every_number_they_show(scene_beats):
    # Every number in a scene's caption is one of its named numbers (the
    # explainer also shows the user's expression, constants and all).
    number = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?")
    for beat in scene_beats:
        named = set(beat_numbers(beat).values())
        assert set(number.findall(beat["text"])) <= named, beat


# The beats the issue heard as wrong, as patterns no scene may say again.
HEARD_WRONG = {
    "code read out": r"\w+: upstream \S+ times local",
    "a variable called out": r"\bout =|dL/dout",
    "notation for the ear": r"F = f\(g\(x\)\), so",
    "no verb": r"For W2: upstream times",
    "code, not speech": r"L\.backward\(\) fills",
    "a contradiction (issue 19)": r"forward again, with another point",
}


@pytest.mark.parametrize("why", list(HEARD_WRONG))
def test_no_beat_sounds_wrong_again(scene_beats, why):
    assert not [b["text"] for b in scene_beats if re.search(HEARD_WRONG[why], b["text"])]


CAPTION_LIKE = [
    # on-screen captions of the scenes, should they ever be said
    "FC\u2081: h\u2081 = W\u2081x + b\u2081, kept for ReLU's backward",
    "ReLU: a\u2081 = max(0, h\u2081), the input FC\u2082 will need",
    "FC\u2082: h\u2082 = W\u2082a\u2081 + b\u2082, the output, kept for the loss",
    "loss.backward(): gradients flow back, and need what was cached",
    "Forward, backward, update \u2014 117 more times (each drawn state is a real step)",
    "dF/dx = dF/dg \u00b7 dg/dx on F = (x + 2)\u00b2, checked by central differences",
    "\u2202L/\u2202W = \u2202L/\u2202h \u00b7 x\u1d40 entry by entry",
    "a 2\u21923\u21921 network's parameters; W\u2082\u1d40 times the upstream",
    "Each layer computes gradients for BOTH its parameters AND its input",
    "SGD with \u03b7 = 1.0: w \u2190 w \u2212 \u03b7\u00b7\u2202L/\u2202w",
    "\u03a3 of 100 loss terms \u2248 0.312, 95% correct",
]


@pytest.mark.parametrize("caption", CAPTION_LIKE)
def test_captions_could_be_said_too(caption):
    assert untranslated(caption) == [] and unspeakable(spoken_form(caption)) == []


def test_real_beats_read_well():
    # A few of today's beats as a student hears them.
    cases = {
        "When one function feeds another, their derivatives multiply.":
            "When one function feeds another, their derivatives multiply.",
        "Output 0.617, target 1: the gradient at the output is -0.765.":
            "Output zero point six one seven, target one: the gradient at the output is"
            " minus zero point seven six five.",
        "Upstream times local. For h2: 1 times -5 gives -5.":
            "Upstream times local. For h two: one times minus five gives minus five.",
        "In the output layer, that input is the cached a1.":
            "In the output layer, that input is the cached eh one.",
        "After 120 steps, 99% of the points are classified correctly.":
            "After one hundred twenty steps, ninety-nine percent of the points are"
            " classified correctly.",
        "They add up: 1 + (-1.5) = -0.5.":
            "They add up: one plus minus one point five equals minus zero point five.",
        "ReLU lets it through only where a unit was active: 3 of 3.":
            "rayloo lets it through only where a unit was active: three of three.",
        "Their product, -2.34, is x.grad.":
            "Their product, minus two point three four, is x dot grad.",
    }
    for text, spoken in cases.items():
        assert spoken_form(text) == spoken
