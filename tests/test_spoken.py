"""spoken_form: every beat the lecture says reaches the voice as plain words.

The beats are gathered from the code itself: every `self.say(...)` call in
the scene file and in the explainer is read with `ast` and its f-strings are
rendered with plausible engine output (numbers through the real
`format_number`, node names, expressions); the sentences that graph_beats
builds are produced for real, from the engine, for several expressions. A
`say` call of a shape this file cannot render fails
`test_every_say_call_is_gathered`, so a new beat cannot slip past.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from src.lesson.graph_text import format_number, graph_names
from src.narration.spoken import (SAY, integer_words, number_words, spoken_form, unspeakable,
                                  untranslated)

ROOT = Path(__file__).resolve().parent.parent
BEAT_FILES = [ROOT / "01_autograd_visualization.py", ROOT / "src/rendering/explainer.py"]

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
# Every beat the lecture says
# --------------------------------------------------------------------------

NUMBERS = [format_number(x) for x in (0.617, -1.5, 6.25, 1e-05, -123456.0, 120.0, 0.0,
                                       -0.765, 7.5, 2.0, 3.0, -10.0, 0.0736, 2.5e-07)]
NAMES = ["x", "t1", "h2", "L", "W2", "a1", "y", "out", "b", "w", "t3"]
EXPRESSIONS = ["tanh(x*w + b)", "x*x + x", "relu(a*b) - c", "sigmoid(x) / y", "x**3 - 2*x",
               "exp(-x) ** 2", "log(x) + sin(y) * cos(y)"]
COUNTS = ["0", "1", "2", "3", "100", "117", "120"]
# Calls whose sentences come from graph_beats: produced for real below.
FROM_GRAPH_BEATS = {"operation_sentence", "rule_sentence", "step_sentence"}
VARIANTS = 14


def _sample(source: str, k: int) -> str:
    """A plausible value for an f-string field or a non-literal part."""
    if "format_number" in source or source in ("loss", "added"):
        pool = NUMBERS
    elif "percent" in source:
        pool = ["95", "100", "87"]
    elif source == "trend":
        pool = ["falls", "rises"]
    elif "expression.text" in source:
        pool = EXPRESSIONS
    elif "name" in source or "root" in source or source in ("order",):
        pool = NAMES
    elif any(w in source for w in ("len(", "step", "final", "active", "start")):
        pool = COUNTS
    else:
        raise KeyError(f"no sample for f-string field {{{source}}}: add one to _sample")
    return pool[k % len(pool)]


def _is_text(node) -> bool:
    """Does this expression build a string (rather than compute a number)?"""
    return any(isinstance(n, ast.JoinedStr) or isinstance(n, ast.Constant)
               and isinstance(n.value, str) for n in ast.walk(node))


class _Renderer:
    """Renders the argument of a say() call with plausible values."""

    def __init__(self, function: ast.AST, classdef: ast.ClassDef | None):
        self.function, self.classdef = function, classdef

    def render(self, node, k):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts = []
            for i, part in enumerate(node.values):
                if isinstance(part, ast.Constant):
                    parts.append(part.value)
                elif isinstance(part.value, (ast.IfExp, ast.JoinedStr, ast.Name)):
                    parts.append(self.render(part.value, k + i))
                else:
                    parts.append(_sample(ast.unparse(part.value), k + i))
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.render(node.left, k) + self.render(node.right, k)
        if isinstance(node, ast.IfExp):
            return self.render(node.body if k % 2 == 0 else node.orelse, k // 2)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "join" and isinstance(node.func.value, ast.Constant):
                separator, items = node.func.value.value, node.args[0]
                if isinstance(items, (ast.GeneratorExp, ast.ListComp)):
                    return separator.join(self.render(items.elt, k + j) for j in range(3))
                return separator.join(_sample(ast.unparse(items), k + j) for j in range(4))
            if node.func.attr == "get" and ast.unparse(node.func.value) == "self.SPOKEN":
                values = self._class_dict("SPOKEN")
                return values[k % len(values)]
        if isinstance(node, ast.Name):
            # Text bound to the name is rendered; a name bound to a computation
            # (active = sum(...)) is sampled by its name.
            options = [o for o in self._bindings(node.id) if _is_text(o)]
            if options:
                return self.render(options[k % len(options)], k // len(options))
        return _sample(ast.unparse(node), k)

    def _bindings(self, name):
        """What `name` is bound to in the function: assignments whose value
        this renderer can read, or the matching field of a loop over a list
        of tuples (`for name, ..., narration in steps`)."""
        found = []
        for node in ast.walk(self.function):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in node.targets):
                if not (isinstance(node.value, ast.Call)
                        and ast.unparse(node.value.func) in FROM_GRAPH_BEATS):
                    found.append(node.value)
            if isinstance(node, ast.For) and isinstance(node.target, ast.Tuple):
                names = [getattr(t, "id", None) for t in node.target.elts]
                if name in names and isinstance(node.iter, ast.Name):
                    index = names.index(name)
                    for rows in self._bindings(node.iter.id):
                        for row in getattr(rows, "elts", []):
                            item = row.elts[index]
                            if not (isinstance(item, ast.Constant) and item.value is None):
                                found.append(item)
        return [f for f in found if not isinstance(f, ast.List)] or \
            [f for f in found if isinstance(f, ast.List)]

    def _class_dict(self, attribute):
        for node in self.classdef.body:
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == attribute:
                return [v.value for v in node.value.values]
        raise KeyError(attribute)


def _say_calls():
    """(file, line, renderer or None, argument) of every self.say(...) call."""
    for path in BEAT_FILES:
        tree = ast.parse(path.read_text())
        for classdef in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            for function in [n for n in classdef.body if isinstance(n, ast.FunctionDef)]:
                for node in ast.walk(function):
                    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                            and node.func.attr == "say"
                            and ast.unparse(node.func.value) == "self"):
                        yield path.name, node.lineno, _Renderer(function, classdef), node.args[0]


def _graph_beat_call(argument) -> bool:
    call = argument if isinstance(argument, ast.Call) else None
    name = call and ast.unparse(call.func).removeprefix("self.")
    return name in FROM_GRAPH_BEATS


def literal_beats() -> list[str]:
    beats = []
    for _, _, renderer, argument in _say_calls():
        if not _graph_beat_call(argument):
            beats += [renderer.render(argument, k) for k in range(VARIANTS)]
    return sorted(set(beats))


def test_every_say_call_is_gathered():
    calls = list(_say_calls())
    assert len(calls) > 60
    for name, line, renderer, argument in calls:
        if _graph_beat_call(argument):
            continue
        rendered = {renderer.render(argument, k) for k in range(VARIANTS)}
        assert all(isinstance(r, str) and r.strip() for r in rendered), (name, line)


def graph_beat_sentences() -> list[str]:
    """graph_beats' sentences for real, from the engine, on the lecture's
    graph and on several explainer expressions (manimlib is imported)."""
    from src.autograd import Value
    from src.lesson.expression import explain
    from src.visualization.graph_beats import operation_sentence, rule_sentence, step_sentence

    roots = []
    for x, w, b in ((2.0, -1.5, 0.5), (1.0, 3.0, -2.0), (0.001, 250.0, -0.25)):
        xv, wv, bv = Value(x, "x"), Value(w, "w"), Value(b, "b")
        roots.append((xv * wv + bv) ** 2)
        roots[-1].label = "L"
    for expression, values in [
            ("tanh(x*w + b)", "x=2 w=-1.5 b=0.5"), ("x*x + x", "x=3"),
            ("relu(a*b) - c", "a=2 b=-3 c=0.1"), ("sigmoid(x) / y", "x=0.5 y=4"),
            ("x**3 - 2*x", "x=1e-3"), ("exp(-x) ** 2", "x=12"), ("log(x) + sin(y) * cos(y)",
                                                                 "x=2.5 y=1"),
            ("x ** y", "x=2 y=3"), ("-x / 7", "x=100000")]:
        roots.append(explain(expression, values.split()).root)
    sentences = []
    for root in roots:
        names = graph_names(root)
        steps = root.backward_steps()
        by_node = {step.node: step for step in steps}
        for node in root.topological_order():
            if not node.is_leaf:
                sentences.append(operation_sentence(node, names))
                sentences.append(rule_sentence(node, by_node[node], names))
        for step in steps:
            for contribution in step.contributions:
                sentences.append(step_sentence(step, contribution, names))
    return sentences


CAPTION_LIKE = [
    # on-screen captions of the scenes, as the lead may pass them to say()
    "FC\u2081: h\u2081 = W\u2081x + b\u2081, kept for ReLU's backward",
    "ReLU: a\u2081 = max(0, h\u2081), the input FC\u2082 will need",
    "FC\u2082: h\u2082 = W\u2082a\u2081 + b\u2082, the output, kept for the loss",
    "Keep a\u2081 in the cache, and the gradient is there again",
    "loss.backward(): gradients flow back, and need what was cached",
    "Forward, backward, update \u2014 117 more times (each drawn state is a real step)",
    "dF/dx = dF/dg \u00b7 dg/dx on F = (x + 2)\u00b2, checked by central differences",
    "L = (x\u00b7w + b)\u00b2 built node by node",
    "\u2202L/\u2202W = \u2202L/\u2202h \u00b7 x\u1d40 entry by entry",
    "a 2\u21923\u21921 network's parameters; W\u2082\u1d40 times the upstream",
    "Each layer computes gradients for BOTH its parameters AND its input",
    "Step 2, forward pass: all 100 points go through the MLP",
    "SGD with \u03b7 = 1.0: w \u2190 w \u2212 \u03b7\u00b7\u2202L/\u2202w",
    "\u03a3 of 100 loss terms \u2248 0.312, 95% correct",
]


@pytest.fixture(scope="module")
def all_beats():
    return literal_beats() + graph_beat_sentences() + CAPTION_LIKE


def test_every_beat_is_speakable(all_beats):
    assert len(all_beats) > 150
    problems = {}
    for beat in all_beats:
        spoken = spoken_form(beat)
        if unspeakable(spoken) or untranslated(beat) or not spoken:
            problems[beat] = (spoken, unspeakable(spoken), untranslated(beat))
    assert problems == {}


def test_no_digit_or_symbol_reaches_the_voice(all_beats):
    for beat in all_beats:
        spoken = spoken_form(beat)
        assert not re.search(r"[^A-Za-z\s.,;:?!'\-]", spoken), (beat, spoken)


def test_spoken_form_is_idempotent(all_beats):
    # speak() runs spoken_form on whatever it gets: a beat's own spoken
    # wording (already plain words) must come through unchanged.
    for beat in all_beats:
        once = spoken_form(beat)
        assert spoken_form(once) == once, beat


def test_numbers_survive_as_words(all_beats):
    # Every number of a beat is said: as many number words come out as
    # numbers went in (a dropped number would go unnoticed otherwise).
    # (An exponent is said as a power instead: "x ** 2" is "x squared".)
    number = re.compile(r"(?<![\w.^*])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")
    for beat in all_beats:
        for match in number.finditer(re.sub(r"(\*\*|\^)\s*\d+", "", beat)):
            words = number_words(match.group().lstrip("-"))
            assert words in spoken_form(beat), (beat, match.group(), spoken_form(beat))


def test_real_beats_read_well():
    # A few beats as a student would hear them.
    cases = {
        "Backward: L.backward() fills every parameter's gradient.":
            "Backward: L dot backward fills every parameter's gradient.",
        "F = f(g(x)), so dF/dx = dF/dg times dg/dx.":
            "F equals f of g of x, so d F by d x equals d F by d g times d g by d x.",
        "In layer 2, that input is the cached a1.":
            "In layer two, that input is the cached eh one.",
        "After 120 steps: 95% of points correct.":
            "After one hundred twenty steps: ninety-five percent of points correct.",
        "They add up: 3 + (-1.5) = 1.5.":
            "They add up: three plus minus one point five equals one point five.",
        "ReLU passes it only through active units: 2 of 3.":
            "rayloo passes it only through active units: two of three.",
    }
    for text, spoken in cases.items():
        assert spoken_form(text) == spoken
