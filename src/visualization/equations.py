"""Matrix equations on screen: a gradient's formula beside its numbers.

(The numbers themselves come from src/lesson/layer_gradients.py.)

* Pictures of matrix formulas: `formula` / `number` / `formula_line` (a
  line of TeX pieces, engine numbers and `ValueMatrix`es), `GradientEquation`
  (two aligned lines:  name = symbolic formula   [role tag]
                              = A . B = result)
  `role_tag` / `math_tag` (a pill naming what a gradient is for, or which
  gradient it is), `role_arrow` / `arrow_flash` (an arrow in a role's
  colour, and a glow along it), and `fork_arrows` (one gradient splitting
  into two computations).

Every drawn number carries `.number` (the float shown); every drawn matrix
carries `.quantity` (what it is, e.g. "dL/dW2", "h1^T"), so tests can find
it in any checkpoint and compare it with an independent computation.
"""

from __future__ import annotations

from manimlib import (
    DOWN, LEFT, RIGHT, WHITE,
    Arrow, RoundedRectangle, VGroup, VShowPassingFlash, interpolate_color,
)

from src.lesson.identities import shown_matrix_product
from src.visualization.formulas import number_label, record_identity
from src.visualization.network import flash_path
from src.visualization.style import math_label, text_label
from src.visualization.tensors import ValueMatrix

__all__ = [
    "ENTRY_HEIGHT", "FORMULA_SCALE",
    "formula", "formula_number", "formula_matrix", "matrix_identity", "formula_line",
    "GradientEquation", "role_tag", "math_tag", "role_arrow", "arrow_flash", "fork_arrows",
]


ENTRY_HEIGHT = 0.22   # height of a digit in a matrix entry
FORMULA_SCALE = 0.68  # TeX formulas: a digit is ~0.22 high, like the entries


def formula(tex: str, color=WHITE):
    """A TeX formula at the scene's formula size (colour really set)."""
    return math_label(tex, color).scale(FORMULA_SCALE)


def formula_number(x: float, color=WHITE, quantity: str | None = None, text: str | None = None,
                   bracket_negative: bool = False):
    """One engine number as TeX at the formula size, remembering `.number`
    (`text`: the digits an identity chose)."""
    label = number_label(x, color, text=text, bracket_negative=bracket_negative)
    label.scale(FORMULA_SCALE)
    label.quantity = quantity
    return label


def formula_matrix(values, color, quantity: str, texts=None) -> ValueMatrix:
    """A `ValueMatrix` at the scene's size, tagged with what it shows
    (`texts`: its entries' digits, when an identity chose them)."""
    m = ValueMatrix(values, color, entry_height=ENTRY_HEIGHT, h_buff=0.26, v_buff=0.14,
                    texts=texts)
    m.quantity = quantity
    return m


def matrix_identity(a, b, c, quantities, colors, elementwise: bool = False) -> tuple:
    """Three `formula_matrix`es for a . b = c (or a (.) b = c, `elementwise`)
    with digits that make every entry of c true as drawn (each entry of c
    records its identity)."""
    values = [[[float(x) for x in row] for row in m] for m in (a, b, c)]
    *texts, identities = shown_matrix_product(*values, elementwise=elementwise)
    matrices = [formula_matrix(v, color, q, texts=t)
                for v, color, q, t in zip(values, colors, quantities, texts)]
    for entry, identity in zip(matrices[2].all_entries(), identities):
        record_identity(entry, identity)
    return tuple(matrices)


def formula_line(*pieces, buff=0.1) -> VGroup:
    """Pieces side by side, centred on one line: str -> TeX, float -> number,
    a mobject as it is. `buff` is one gap, or a list of the gaps between
    consecutive pieces (TeX's own spacing is lost between separate pieces)."""
    parts = VGroup()
    for piece in pieces:
        if isinstance(piece, str):
            parts.add(formula(piece))
        elif isinstance(piece, (int, float)):
            parts.add(formula_number(piece))
        else:
            parts.add(piece)
    gaps = [buff] * (len(parts) - 1) if isinstance(buff, (int, float)) else list(buff)
    if len(gaps) != len(parts) - 1:
        raise ValueError(f"{len(parts)} pieces need {len(parts) - 1} gaps, got {len(gaps)}")
    for previous, part, gap in zip(parts[:-1], parts[1:], gaps):
        part.next_to(previous, RIGHT, buff=gap)
        part.set_y(previous.get_y())
    return parts


def role_tag(text: str, color, font_size: int = 22) -> VGroup:
    """A pill saying what a gradient is for, filled in its role's colour."""
    return _pill(text_label(text, WHITE, font_size=font_size), color)


def math_tag(tex: str, color) -> VGroup:
    """A pill with a white formula in it (e.g. dL/dW), filled in its role's colour."""
    return _pill(formula(tex, WHITE), color)


def _pill(label, color) -> VGroup:
    pill = RoundedRectangle(width=label.get_width() + 0.3, height=label.get_height() + 0.2,
                            corner_radius=0.12)
    pill.set_stroke(color, 2).set_fill(color, 0.55)
    pill.move_to(label)
    tag = VGroup(pill, label)
    tag.pill, tag.label, tag.color = pill, label, color
    return tag


def role_arrow(start, end, color, buff: float = 0.08) -> Arrow:
    """A plain arrow in a role's colour (fill only: manimgl arrows are filled)."""
    arrow = Arrow(start, end, buff=buff, thickness=3.0)
    return arrow.set_fill(color).set_stroke(color, width=0)


class GradientEquation(VGroup):
    """One gradient, symbolically and with the engine's numbers:

        name = symbolic            [tag]
             = A  op  B  =  result

    `a`, `b`, `result` are matrices (see `matrix`); the name is drawn in
    `color`, the role's colour. Parts: `.name`, `.symbolic`, `.tag`,
    `.numeric` (the second line), `.a`, `.op`, `.b`, `.equals`, `.result`.
    The second line starts under the first line's "=".
    """

    def __init__(self, name_tex: str, symbolic_tex: str, a, op_tex: str, b, result,
                 color, tag_text: str):
        super().__init__()
        self.name = formula(name_tex, color)
        self.symbolic = formula(rf"= {symbolic_tex}")
        self.symbolic.next_to(self.name, RIGHT, buff=0.12)
        self.a, self.b, self.result = a, b, result
        self.lead = formula("=")
        self.op = formula(op_tex)
        self.equals = formula("=")
        self.numeric = VGroup(self.lead, a, self.op, b, self.equals, result)
        self.numeric.arrange(RIGHT, buff=0.14)
        self.numeric.next_to(self.symbolic, DOWN, buff=0.14, aligned_edge=LEFT)
        self.tag = role_tag(tag_text, color)
        self.tag.next_to(self.symbolic, RIGHT, buff=0.4)
        self.add(self.name, self.symbolic, self.tag, self.numeric)

    def first_line(self) -> VGroup:
        return VGroup(self.name, self.symbolic)

    def parts(self) -> list:
        """Every piece, in reading order."""
        return [self.name, self.symbolic, self.tag, *self.numeric]

    def without(self, *kept) -> VGroup:
        """Every piece but `kept` (e.g. fade the rest while the result moves on)."""
        return VGroup(*(p for p in self.parts() if all(p is not k for k in kept)))


def arrow_flash(arrow, color=None, width: float = 9.0, run_time: float = 0.8):
    """A glow running along `arrow` (a new mobject; the arrow stays as it is),
    by default a light tint of the arrow's own colour so it shows on top of it."""
    if color is None:
        color = interpolate_color(arrow.get_fill_color(), WHITE, 0.6)
    path = flash_path(arrow.get_start(), arrow.get_end(), color, width)
    return VShowPassingFlash(path, time_width=0.6, run_time=run_time)


def fork_arrows(source, targets, colors, buff: float = 0.15) -> VGroup:
    """Arrows from the right of `source` to the left of each target: one
    gradient feeding several computations."""
    start = source.get_right() + buff * RIGHT
    return VGroup(*(role_arrow(start, target.get_left() + buff * LEFT, color, buff=0.0)
                    for target, color in zip(targets, colors)))
