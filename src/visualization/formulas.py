"""Numbers and formulas as labels: each number remembers what it shows.

`number_label(x)` is one engine number as a Tex with `.number = x` (tests
compare it with the engine). `typeset_row(pieces)` typesets a formula once,
as TeX would, and hands it back as one Tex per piece, so a factor can be
coloured, highlighted or moved on its own and a number in it is still a
`number_label`.
"""

from __future__ import annotations

from manimlib import RIGHT, WHITE, Tex, VGroup

from src.autograd import Value
from src.graph_text import tex_number
from src.visualization.style import math_label

__all__ = ["number_label", "typeset_row"]


def number_label(x: float, color=WHITE, digits: int = 3, bracket_negative: bool = False,
                 key=None) -> Tex:
    """A number as LaTeX (tex_number), with `.number = x` for checks and
    tests, `.digits` and an optional `.key` naming what it is."""
    x = float(x.data if isinstance(x, Value) else x)  # a Value shows its data
    text = tex_number(x, digits)
    if bracket_negative and text.startswith("-"):
        text = f"({text})"
    label = math_label(text, color)
    label.number = x
    label.digits = digits
    label.key = key
    return label


def typeset_row(pieces, height: float | None = None, scale: float | None = None) -> VGroup:
    """A formula from pieces, each a `Tex` (or a prepared label such as
    `number_label`) or a (tex, colour) pair, typeset as one formula and
    returned as a VGroup with one Tex per piece, exactly where TeX placed it.

    Pieces keep the default font size, so glyphs match. Pass `scale` to
    give several rows the same glyph size (a digit is 0.318 tall at scale
    1), or `height` to fit one row to a height.
    """
    labels = [p if isinstance(p, Tex) else math_label(*p) if isinstance(p, tuple)
              else math_label(p) for p in pieces]
    whole = Tex(" ".join(label.tex_string for label in labels))
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
    if scale is not None:
        row.scale(scale)
    if height is not None:
        row.set_height(height)
    return row
