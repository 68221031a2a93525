"""Numbers and formulas as labels: each number remembers what it shows.

`number_label(x)` is one engine number as a Tex with `.number = x` (tests
compare it with the engine). `typeset_row(pieces)` typesets a formula once,
as TeX would, and hands it back as one Tex per piece, so a factor can be
coloured, highlighted or moved on its own and a number in it is still a
`number_label`.
"""

from __future__ import annotations

from manimlib import RIGHT, WHITE, RoundedRectangle, Tex, VGroup

from src.autograd import Value
from src.lesson.graph_text import tex_number
from src.visualization.style import PARAMETER_COLOR, math_label
from src.visualization.style import digit_height as zero_height  # typeset_row has a digit_height argument

__all__ = ["number_label", "typeset_row", "tag_labels", "parameter_backing"]


def number_label(x: float, color=WHITE, digits: int = 3, bracket_negative: bool = False,
                 signed: bool = False, key=None, **tags) -> Tex:
    """A number as LaTeX (tex_number), with `.number = x` for checks and
    tests, `.digits` and an optional `.key` naming what it is.

    `bracket_negative` writes (-1.5); `signed` writes +1 for a positive
    number. Other keywords (e.g. `kind="grad", step=3`) become attributes,
    so a test can tell what a drawn number stands for.
    """
    x = float(x.data if isinstance(x, Value) else x)  # a Value shows its data
    text = tex_number(x, digits)
    if bracket_negative and text.startswith("-"):
        text = f"({text})"
    if signed and x > 0:
        text = "+" + text
    label = math_label(text, color)
    label.number = x
    label.digits = digits
    label.key = key
    for name, value in tags.items():
        setattr(label, name, value)
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
    whole = Tex(" ".join("{" + label.tex_string + "}" if hasattr(label, "number")
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
