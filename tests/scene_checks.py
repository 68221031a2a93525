"""Checks every scene test runs on a SceneRun (tests/manim_harness.py).

    run, scene = scene_run(SceneClass, "other", {"x": 1.0})  # once per (class, variant)
    problems = off_frame(run)        # [] when everything visible stays in frame
    problems = text_overlaps(run)    # [] when no two visible texts overlap
    labels = numbered_labels(cp.mobjects)   # drawn numbers (mobjects with .number)
    problems = small_numbers(run)    # [] when every number is >= 9 px tall at 480p
    problems = identity_problems(run)  # [] when every drawn identity holds as drawn
    identities = drawn_identities(run)  # the identities drawn (to check some are)

Each check returns human-readable lines naming the checkpoint and the
mobjects, so a failing assertion says what went wrong where.
"""
from __future__ import annotations

import ast
import re
from fractions import Fraction

import pytest
from manimlib.utils.color import color_to_hex

from src.lesson.expression import MIN_LABEL_PIXELS
from src.visualization.style import digit_height, math_label
from tests.manim_harness import (
    bboxes_overlap, is_blank, outermost, run_scene, text_mobjects,
)


def hex_of(color) -> str:
    return color_to_hex(color).upper()


def opacity(mob) -> float:
    """Largest fill opacity among the parts that draw (a Tex has no points itself)."""
    parts = mob.family_members_with_points()
    return max((float(sm.get_fill_opacity()) for sm in parts), default=0.0)


def describe(mob) -> str:
    text = getattr(mob, "string", None) or getattr(mob, "text", "")
    return f"{type(mob).__name__}({text[:40]!r})"


_RUNS = {}
_INPUTS = {}   # (class, variant) -> the attributes its run was made with


def variant_params(variants, stress=(), scene: str = "") -> list:
    """A scene's variants as fixture params; those in `stress` (inputs chosen
    to strain the drawing: large, tiny, negative numbers) are marked slow,
    so make check (CI) runs them and make test checks the lecture's own and
    the other everyday inputs. With `scene`, each id names it
    ("BackwardPassScene-large"): conftest.py then runs the test in that
    scene's xdist group, where its runs are already made."""
    return [pytest.param(v, marks=[pytest.mark.slow] if v in stress else [],
                         id=f"{scene}-{v}" if scene else str(v))
            for v in variants]


def everyday(variants, stress=()) -> list:
    """The variants make test runs (see variant_params)."""
    return [v for v in variants if v not in stress]


def scene_run(base_cls, variant: str, attributes: dict):
    """(run, scene) of `base_cls` with `attributes` set on a subclass.

    Runs once per (class, variant); a failed run is cached too, and every
    later call raises an AssertionError for it without running again. Test
    files that share a run spell its inputs each in their own words; a call
    whose inputs differ from the run's (the class defaults filling in what
    either leaves out) fails, rather than getting whichever ran first.
    """
    key = (base_cls, variant)
    if key in _RUNS:
        first = _INPUTS[key]
        names = set(first) | set(attributes)
        differ = sorted(n for n in names if first.get(n, getattr(base_cls, n, None))
                        != attributes.get(n, getattr(base_cls, n, None)))
        assert not differ, (f"{base_cls.__name__} {variant!r} was run with other inputs "
                            f"({', '.join(differ)}): {first} vs {attributes}")
    else:
        _INPUTS[key] = dict(attributes)
        holder = {}

        class Probe(base_cls):
            def construct(self):
                holder["scene"] = self
                super().construct()

        for name, value in attributes.items():
            setattr(Probe, name, value)
        Probe.__name__ = f"{base_cls.__name__}_{variant}"
        try:
            _RUNS[key] = (run_scene(Probe), holder["scene"], None)
        except Exception as error:  # run once; every test then reports it
            _RUNS[key] = (None, holder.get("scene"), error)
    run, scene, error = _RUNS[key]
    if error is not None:
        raise AssertionError(f"{base_cls.__name__} with {variant} inputs failed: "
                             f"{error!r}") from error
    return run, scene


def off_frame(run, margin: float = 0.0, texts_only: bool = False) -> list:
    """Visible parts (or only visible texts) not at least `margin` inside the frame."""
    problems = []
    for cp in run.checkpoints:
        for sm in visible_texts(cp.mobjects) if texts_only else cp.family:
            if not cp.in_frame(sm, margin=margin):
                (x0, y0, _), (x1, y1, _) = sm.get_bounding_box()[[0, 2]]
                problems.append(f"{cp.label}: {describe(sm)} "
                                f"x[{x0:.2f}, {x1:.2f}] y[{y0:.2f}, {y1:.2f}]")
    return problems


def visible_texts(mobjects) -> list:
    texts = [t for t in text_mobjects(mobjects) if opacity(t) > 0]
    return list({id(t): t for t in texts}.values())


def text_overlaps(run, require_text: bool = False) -> list:
    """Overlapping visible texts; with `require_text`, also every checkpoint
    after the first that shows no text at all."""
    problems = []
    for cp in run.checkpoints:
        texts = visible_texts(cp.mobjects)
        if require_text and not texts and cp.index != 0:
            problems.append(f"{cp.label}: no visible text")
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if bboxes_overlap(a, b):
                    problems.append(f"{cp.label}: {describe(a)} / {describe(b)}")
    return problems


def numbered_labels(mobjects) -> list:
    """Visible mobjects in the families of `mobjects` that show a number."""
    seen, out = set(), []
    for mob in mobjects:
        for sm in mob.get_family():
            if id(sm) in seen:
                continue
            seen.add(id(sm))
            if isinstance(getattr(sm, "number", None), float) and opacity(sm) > 0:
                out.append(sm)
    return out


# --------------------------------------------------------------------------
# Legibility: every number at least MIN_LABEL_PIXELS tall at 480p
# --------------------------------------------------------------------------

SCRIPT_SIZE = 0.7   # TeX sets an exponent (10^{5}) at 7/10 of the text size
# A text that is a number on its own (a badge "3", a tick "0.5", "97%").
_NUMBER_TEXT = re.compile(r"^[-\u2212+(]*\d[\d.,]*\)?%?$")
_NATURAL = {}


def _natural_height(tex: str) -> float:
    if tex not in _NATURAL:
        _NATURAL[tex] = math_label(tex).get_height()
    return _NATURAL[tex]


def shows_a_number(mob) -> bool:
    """A drawn number: a label with a numeric `.number`, or a text that is a number."""
    number = getattr(mob, "number", None)
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        return True
    text = getattr(mob, "text", None) or getattr(mob, "string", None)
    return isinstance(text, str) and bool(_NUMBER_TEXT.match(text.strip()))


def digit_height_of(mob) -> float:
    """Height (units) of the smallest digit `mob` draws.

    A Tex is measured by its scale against the same TeX at its natural size
    (a digit is `digit_height()` there; an exponent's digits 7/10 of that);
    a Text or DecimalNumber by its tallest glyph (its digits)."""
    tex = getattr(mob, "tex_string", None)
    if isinstance(tex, str) and tex.strip():
        natural = _natural_height(tex)
        if natural <= 0:
            return 0.0
        height = mob.get_height() / natural * digit_height()
        return height * (SCRIPT_SIZE if "^" in tex else 1.0)
    return max((sm.get_height() for sm in mob.family_members_with_points()), default=0.0)


def small_numbers(run, min_pixels: float = MIN_LABEL_PIXELS, pixels_high: int = 480) -> list:
    """Visible numbers whose digits are below `min_pixels` in a `pixels_high` video."""
    problems, seen = [], set()
    for cp in run.checkpoints:
        per_unit = pixels_high / cp.frame_height
        for mob in _drawn_numbers(cp.mobjects):
            pixels = digit_height_of(mob) * per_unit
            key = (describe(mob), round(pixels, 1))
            if pixels + 1e-6 < min_pixels and key not in seen:
                seen.add(key)
                problems.append(f"{cp.label}: {describe(mob)} is {pixels:.1f} px tall")
    return problems


def _drawn_numbers(mobjects) -> list:
    """Outermost visible mobjects that show a number (not their glyphs again)."""
    return outermost(mobjects, shows_a_number, lambda mob: opacity(mob) > 0)


# --------------------------------------------------------------------------
# Drawn arithmetic: every identity true at the precision it is drawn
# --------------------------------------------------------------------------
# Re-evaluated here, independently of src/lesson/identities.py, from the
# text of the drawn number labels: a sum must show the exact sum of its
# drawn terms; anything else the exact value of its drawn operands rounded
# at the result's last digit, with 3 significant digits unless exact.

def drawn_number(text: str) -> tuple:
    """(value, unit of the last digit) of a drawn number's TeX, as Fractions:
    "(-1.5)" -> (-3/2, 1/10), "1.23\\mathrm{e}{-4}" -> (123/10^6, 1/10^6)."""
    t = text.replace("\\mathrm{e}", "e").replace("{", "").replace("}", "").replace(" ", "")
    t = t.replace("\\times10^", "e").strip("()").lstrip("+")
    match = re.fullmatch(r"(-?)(\d*)\.?(\d*)(?:e(-?\d+))?", t)
    assert match and (match.group(2) or match.group(3)), f"not a number: {text!r}"
    sign, whole, decimals, exponent = match.groups()
    unit = Fraction(10) ** (int(exponent or 0) - len(decimals))
    value = int(whole + decimals or "0") * unit
    return (-value if sign else value), unit


def shows(tex: str, value: float) -> bool:
    """Does a drawn number's TeX show `value`? Rounded at its own last digit
    (an identity may give a number more digits than 3), or, for the exact
    sum of rounded terms an identity may draw, to 3 significant digits."""
    drawn, unit = drawn_number(tex)
    if abs(float(drawn) - value) <= float(unit) / 2 * (1 + 1e-9):
        return True
    return f"{float(drawn):.3g}" == f"{value:.3g}"


def _reevaluate(node, values):
    """The formula on the drawn numbers: exact, or a float once a function enters."""
    import math
    if isinstance(node, ast.Name):
        return values[ord(node.id) - ord("a")]
    if isinstance(node, ast.Constant):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp):
        return -_reevaluate(node.operand, values)
    if isinstance(node, ast.Call):
        x = float(_reevaluate(node.args[0], values))
        return {"sigmoid": lambda v: 1 / (1 + math.exp(-v)), "relu": lambda v: max(v, 0.0),
                "abs": abs}.get(node.func.id, getattr(math, node.func.id, None))(x)
    left, right = _reevaluate(node.left, values), _reevaluate(node.right, values)
    op = type(node.op)
    if op is ast.Pow and not (isinstance(right, Fraction) and right.denominator == 1):
        return float(left) ** float(right)
    return {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
            ast.Mult: lambda: left * right, ast.Div: lambda: left / right,
            ast.Pow: lambda: left ** int(right)}[op]()


def _significant_digits(text: str) -> int:
    t = re.sub(r"\\mathrm\{e\}.*|\\times.*", "", text).strip("()+-{} ")
    return len(t.replace(".", "").lstrip("0"))


def identity_failure(identity, drawn_texts) -> str | None:
    """Why a drawn identity is false as drawn (None if it holds); its
    numbers are read from `drawn_texts`, the TeX of the labels drawn."""
    by_plain = {_plain(t): t for t in drawn_texts}
    texts = []
    for number in (*identity.operands, identity.result):
        if number not in by_plain:
            return f"{number} is not drawn (drawn: {sorted(by_plain)[:8]})"
        texts.append(by_plain[number])
    *operands, result = [drawn_number(t) for t in texts]
    tree = ast.parse(identity.formula, mode="eval").body
    value = _reevaluate(tree, [v for v, _ in operands])
    shown, unit = result
    gap = abs(Fraction(value) - shown)
    slack = 0 if isinstance(value, Fraction) else Fraction(1e-9) * (abs(shown) + unit)
    said = f"{identity.formula} on {[t for t in texts[:-1]]} is {float(value):.12g}"
    plain_sum = all(isinstance(n, (ast.Name, ast.BinOp, ast.UnaryOp)) and
                    not (isinstance(n, ast.BinOp) and type(n.op) not in (ast.Add, ast.Sub))
                    for n in ast.walk(tree) if not isinstance(n, (ast.operator, ast.unaryop,
                                                                    ast.Load)))
    if plain_sum and identity.relation == "=" and not identity.exact:
        return f"{said}: a drawn sum not marked exact"
    if identity.relation == "=" and identity.exact:
        return None if gap <= slack else f"{said}, drawn as {texts[-1]} (not exact)"
    if gap > unit / 2 + slack:
        return f"{said}, which does not round to {texts[-1]}"
    if identity.relation == "=" and isinstance(value, Fraction) and gap == unit / 2:
        return f"{said}, exactly halfway: drawn as {texts[-1]}, read half up as another"
    if identity.relation == "=" and gap > slack and _significant_digits(texts[-1]) < 3:
        return f"{said}, drawn as {texts[-1]} with under 3 significant digits"
    return None


def _plain(tex: str) -> str:
    """A drawn number's TeX as plain text ("(-1.23\\mathrm{e}{-4})" -> "-1.23e-4")."""
    t = tex.replace("\\mathrm{e}", "e").replace("{", "").replace("}", "").replace(" ", "")
    return t.strip("()").lstrip("+")


def identity_problems(run) -> list:
    """Every identity recorded by a visible result label (`.identities`)
    that does not hold as drawn while its operands are on screen with it,
    or whose operands are never on screen with it."""
    problems, checked, whole = [], set(), {}
    for cp in run.checkpoints:
        labels = _drawn_numbers(cp.mobjects)
        drawn = [m.tex_string for m in labels if hasattr(m, "tex_string")]
        plain = {_plain(t) for t in drawn}
        for label in labels:
            for identity in getattr(label, "identities", ()):
                complete = all(n in plain for n in identity.operands)
                whole[identity] = whole.get(identity, False) or complete
                key = (identity, tuple(sorted(drawn)))
                if not complete or key in checked:
                    continue  # a result can stay on screen after its operands go
                checked.add(key)
                failure = identity_failure(identity, drawn)
                if failure:
                    problems.append(f"{cp.label}: {failure}")
    problems += [f"never drawn with its operands: {identity}"
                 for identity, complete in whole.items() if not complete]
    return problems


def drawn_identities(run) -> list:
    """The identities whose result is on screen at some checkpoint."""
    return list({identity: None for cp in run.checkpoints
                 for label in _drawn_numbers(cp.mobjects)
                 for identity in getattr(label, "identities", ())})


def assert_legible(run) -> None:
    """Every visible number at every checkpoint at least 9 px tall at 480p."""
    assert_no_problems(small_numbers(run), f"numbers under {MIN_LABEL_PIXELS:g} px at 480p")


def assert_identities_hold(run, formulas) -> None:
    """Every identity drawn holds as drawn, and among them are identities of
    each of `formulas` (so a scene that stops recording them fails)."""
    assert_no_problems(identity_problems(run), "identities false as drawn")
    drawn = {identity.formula for identity in drawn_identities(run)}
    assert set(formulas) <= drawn, f"no drawn identity of {sorted(set(formulas) - drawn)}"


def assert_not_blank(run) -> None:
    """The last frame is an RGBA image with something drawn on it."""
    assert run.image.ndim == 3 and run.image.shape[2] == 4
    assert not is_blank(run.image)


def assert_on_time(run, planned_seconds: float) -> None:
    """Checkpoint times never go back, end at run.time, and run.time is
    within -30%/+40% of the plan (the voice paces the scenes: a beat lasts at
    least as long as its speech)."""
    times = [cp.time for cp in run.checkpoints]
    assert times == sorted(times) and times[-1] == pytest.approx(run.time)
    assert 0.7 * planned_seconds <= run.time <= 1.4 * planned_seconds, run.time


def assert_no_problems(problems, what: str) -> None:
    assert not problems, f"{len(problems)} {what}:\n" + "\n".join(problems[:15])


def assert_clean(run) -> None:
    """In frame and free of overlapping text at every checkpoint."""
    assert_no_problems(off_frame(run), "off-frame")
    assert_no_problems(text_overlaps(run), "overlaps")
