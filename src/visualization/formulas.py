r"""Numbers and formulas as labels: each number remembers what it shows.

`number_label(x)` is one engine number as a Tex with `.number = x` (tests
compare it with the engine). `typeset_row(pieces)` typesets a formula once,
as TeX would, and hands it back as one Tex per piece, so a factor can be
coloured, highlighted or moved on its own and a number in it is still a
`number_label`.

Numbers are drawn as `number_tex` writes them: 3 significant digits, and
"1.23e5" (not 1.23 x 10^5) from 1000 up and under 0.0001, so a large
or tiny number keeps full-size digits in a small label.

An arithmetic identity (a sum, a product, an update) is drawn from
`shown_identity` (src/lesson/identities.py), which picks the digits of its
operands and result together so that it holds as drawn:

    shown = shown_identity("a * b", [upstream, local], added)
    a, b, r = identity_labels(shown, [upstream, local], added, bracket_negative=True)
    row = typeset_row([a, r"\cdot", b, relation_tex(shown), r])

The result label records the identity (`r.identities`, see
`record_identity`): tests re-evaluate it from the drawn text whenever the
result is on screen.
"""

from __future__ import annotations

from manimlib import RIGHT, WHITE, RoundedRectangle, Tex, VGroup

from src.autograd import Value
from src.lesson.identities import APPROX, ShownIdentity, significant
from src.visualization import parsed_svg
from src.visualization.style import PARAMETER_COLOR, math_label
from src.visualization.style import digit_height as zero_height  # typeset_row has a digit_height argument

__all__ = ["number_tex", "plain_tex", "number_label", "identity_labels", "relation_tex",
           "record_identity", "typeset_row", "tag_labels", "parameter_backing"]


def plain_tex(text: str) -> str:
    """A plain number ("-0.5", "1.23e5", "2e-7") as the kit's TeX: the
    exponent stays on the line ("1.23\\mathrm{e}5"), as Python prints it,
    so its digits are as tall as the others."""
    if "e" in text:
        mantissa, exponent = text.split("e")
        exponent = exponent.lstrip("+")
        return rf"{mantissa}\mathrm{{e}}{{{exponent}}}" if exponent.startswith("-") else \
            rf"{mantissa}\mathrm{{e}}{exponent}"
    return text


def number_tex(x: float, digits: int = 3) -> str:
    """`x` to `digits` significant digits as the kit draws it (see plain_tex)."""
    return plain_tex(significant(x, digits))


def number_label(x: float, color=WHITE, digits: int = 3, bracket_negative: bool = False,
                 signed: bool = False, key=None, text: str | None = None, **tags) -> Tex:
    """A number as LaTeX (number_tex), with `.number = x` for checks and
    tests, `.digits`, `.shown` (the plain text drawn) and an optional `.key`
    naming what it is.

    `text` draws that plain text instead of `x` to `digits` digits (an
    identity's digits, see `identity_labels`). `bracket_negative` writes
    (-1.5); `signed` writes +1 for a positive number. Other keywords (e.g.
    `kind="grad", step=3`) become attributes, so a test can tell what a
    drawn number stands for.
    """
    x = float(x.data if isinstance(x, Value) else x)  # a Value shows its data
    shown = significant(x, digits) if text is None else text
    tex = plain_tex(shown)
    if bracket_negative and tex.startswith("-"):
        tex = f"({tex})"
    if signed and x > 0:
        tex = "+" + tex
    label = math_label(tex, color)
    label.number = x
    label.digits = digits
    label.shown = shown
    label.key = key
    for name, value in tags.items():
        setattr(label, name, value)
    return label


def identity_labels(shown: ShownIdentity, operands, result, operand_color=WHITE,
                    result_color=WHITE, bracket_negative=True, **options) -> list:
    """Number labels for an identity's operands and result, with the digits
    `shown` chose; `.number` stays the engine's value. `operand_color` and
    `bracket_negative` are one value or a list, one per operand; other
    keywords go to number_label."""
    def each(option) -> list:
        return list(option) if isinstance(option, list) else [option] * len(operands)
    labels = [number_label(x, c, text=t, bracket_negative=b, **options)
              for x, t, c, b in zip(operands, shown.operands, each(operand_color),
                                    each(bracket_negative))]
    total = number_label(result, result_color, text=shown.result, **options)
    return labels + [record_identity(total, shown)]


def relation_tex(shown: ShownIdentity) -> str:
    """"=" or, when only rounding makes it true, "\\approx"."""
    return r"\approx" if shown.relation == APPROX else "="


def record_identity(label, *shown: ShownIdentity):
    """Note on `label`, the identity's result (drawn once its operands are),
    the identities it completes (`.identities`): a test re-evaluates them
    from the drawn text whenever the label is on screen."""
    label.identities = [*getattr(label, "identities", []), *shown]
    return label


def typeset_row(pieces, height: float | None = None, scale: float | None = None,
                digit_height: float | None = None) -> VGroup:
    """A formula from pieces, each a `Tex` (or a prepared label such as
    `number_label`) or a (tex, colour) pair, typeset as one formula and
    returned as a VGroup with one Tex per piece, exactly where TeX placed it.

    Pieces keep the default font size, so glyphs match. Pass `scale` or
    `digit_height` (the height a digit gets) to give several rows the same
    glyph size, or `height` to fit one row to a height. A number label is
    set as one braced atom, so TeX reads its minus as a sign.
    """
    labels = [p if isinstance(p, Tex) else math_label(*p) if isinstance(p, tuple)
              else math_label(p) for p in pieces]
    whole = parsed_svg.Tex(" ".join("{" + label.tex_string + "}" if hasattr(label, "number")
                                    else label.tex_string for label in labels))
    glyphs = whole.family_members_with_points()
    counts = [len(label.family_members_with_points()) for label in labels]
    if sum(counts) != len(glyphs):  # TeX merged or split something: lay out by hand
        row = VGroup(*labels).arrange(RIGHT, buff=0.15)
    else:
        start = 0
        for label, count in zip(labels, counts):
            if count:
                label.move_to(VGroup(*glyphs[start:start + count]))
            start += count
        row = VGroup(*labels)
    if digit_height is not None:
        scale = digit_height / zero_height()
    if scale is not None:
        row.scale(scale)
    if height is not None:
        row.set_height(height)
    return row


def tag_labels(labels, kind: str, step: int, index: int | None = None):
    """Mark number labels (e.g. NetworkDiagram.value_labels) with what they show."""
    for position, label in enumerate(labels):
        label.kind, label.step, label.position, label.point = kind, step, position, index
    return labels


def parameter_backing(label, color=PARAMETER_COLOR):
    """A rounded box in the parameter colour behind a (white) weight number."""
    box = RoundedRectangle(width=label.get_width() + 0.16, height=label.get_height() + 0.14,
                           corner_radius=0.06)
    box.set_stroke(color, 2).set_fill(color, 0.45).move_to(label)
    return box
