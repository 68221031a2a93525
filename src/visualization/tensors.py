"""Matrices and vectors of engine numbers, and the cache where activations wait.

A layer's weights are many scalar `Value`s; to talk about `h = Wx + b` the
lecture draws them as a matrix. `ValueMatrix` is that picture: a bracketed
grid of the numbers the engine holds (each entry remembers its float as
`.number`), framed in the colour of its role. `CacheBox` is where the
forward pass leaves what the backward pass will need; `CacheBox.store`
returns the animation of a value flying into it.
"""

from __future__ import annotations

import numbers

import numpy as np
from manimlib import (
    DOWN, LEFT, RIGHT, UP, WHITE,
    Animation, RoundedRectangle, Transform, VGroup, VMobject,
)

from src.autograd import Value
from src.lesson.identities import significant
from src.visualization.formulas import plain_tex
from src.visualization.style import ACTIVATION_COLOR, digit_height, math_label, text_label

__all__ = ["ValueMatrix", "CacheBox", "as_number_rows", "reveal_from"]


def as_number_rows(values) -> list:
    """Rows of floats from a matrix (list of rows) or a vector (a column).

    Entries may be floats or `Value`s (their `.data` is taken). A flat list
    is a column vector: one entry per row.
    """
    if isinstance(values, (Value, numbers.Real)):
        raise TypeError("ValueMatrix needs a list of numbers or of rows, got a single number")
    rows = list(values)
    if not rows:
        raise ValueError("ValueMatrix needs at least one entry, got an empty list")
    if all(isinstance(v, (Value, numbers.Real)) for v in rows):
        rows = [[v] for v in rows]
    out = []
    for r, row in enumerate(rows):
        row = list(row)
        if not row:
            raise ValueError(f"ValueMatrix row {r} is empty")
        for c, v in enumerate(row):
            if not isinstance(v, (Value, numbers.Real)) or isinstance(v, bool):
                raise TypeError(f"ValueMatrix entry ({r}, {c}) must be a number or a Value, "
                                f"got {type(v).__name__} {v!r}")
        out.append([float(v.data if isinstance(v, Value) else v) for v in row])
    if len({len(row) for row in out}) != 1:
        raise ValueError(f"ValueMatrix rows must all have the same length, got {[len(r) for r in out]}")
    return out


def _bracket(height: float, side: int, lip: float = 0.12) -> VMobject:
    """A square bracket of `height`; side -1 opens right ("["), +1 opens left ("]")."""
    bracket = VMobject()
    x = -side * lip
    bracket.set_points_as_corners([
        [x, height / 2, 0], [0, height / 2, 0], [0, -height / 2, 0], [x, -height / 2, 0],
    ])
    return bracket


class ValueMatrix(VGroup):
    """A matrix (or column vector) of engine numbers between square brackets.

    `values` is a list of rows, or a flat list for a column vector; entries
    are floats or `Value`s. Entries are white numbers (`entry(i, j).number`
    is the float shown, `.shown` its text: 3 significant digits, or `texts`,
    rows of plain text such as an identity's digits); the brackets and a
    faint backing are drawn in `color`, the colour of the role (parameter,
    activation, gradient).
    """

    def __init__(self, values, color=WHITE, entry_height: float = 0.26,
                 h_buff: float = 0.32, v_buff: float = 0.2, entry_color=WHITE, texts=None):
        super().__init__()
        self.numbers = as_number_rows(values)
        self.color = color
        self.n_rows, self.n_cols = len(self.numbers), len(self.numbers[0])
        if texts is None:
            texts = [[significant(x, 3) for x in row] for row in self.numbers]
        elif [len(row) for row in texts] != [len(row) for row in self.numbers]:
            raise ValueError("ValueMatrix texts must have the shape of its values")
        labels = [[self._entry_label(x, t, entry_height, entry_color) for x, t in zip(row, trow)]
                  for row, trow in zip(self.numbers, texts)]
        cell_w = max(m.get_width() for row in labels for m in row)
        cell_h = max(m.get_height() for row in labels for m in row)
        for i, row in enumerate(labels):
            for j, label in enumerate(row):
                # right-aligned in its cell, so decimal points roughly line up
                label.move_to([j * (cell_w + h_buff) + cell_w / 2, -i * (cell_h + v_buff), 0])
                label.align_to([j * (cell_w + h_buff) + cell_w, 0, 0], RIGHT)
        self.entries = VGroup(*(VGroup(*row) for row in labels))
        height = self.entries.get_height() + 0.24
        self.left_bracket = _bracket(height, -1).set_stroke(color, 3)
        self.right_bracket = _bracket(height, +1).set_stroke(color, 3)
        self.left_bracket.next_to(self.entries, LEFT, buff=0.1)
        self.right_bracket.next_to(self.entries, RIGHT, buff=0.1)
        self.backing = RoundedRectangle(
            width=self.entries.get_width() + 0.3, height=height, corner_radius=0.06)
        self.backing.set_stroke(width=0).set_fill(color, 0.18).move_to(self.entries)
        self.brackets = VGroup(self.left_bracket, self.right_bracket)
        self.add(self.backing, self.brackets, self.entries)

    @staticmethod
    def _entry_label(x: float, text: str, height: float, color):
        label = math_label(plain_tex(text), color)
        # Size by a reference glyph so "1" and "-0.385" share one text height.
        label.scale(height / digit_height())
        label.number, label.shown = x, text
        return label

    @property
    def shape(self) -> tuple:
        return self.n_rows, self.n_cols

    def entry(self, i: int, j: int = 0):
        """The label of row i, column j (a column vector needs only i)."""
        return self.entries[i][j]

    def all_entries(self) -> list:
        return [m for row in self.entries for m in row]

    def row(self, i: int) -> VGroup:
        return self.entries[i]

    def column(self, j: int) -> VGroup:
        return VGroup(*(row[j] for row in self.entries))

    @property
    def entry_scale(self) -> float:
        """How much the entries are scaled from Tex's natural size."""
        entry = self.entry(0, 0)
        return entry.get_height() / math_label(entry.get_tex()).get_height()

    def labelled(self, name_tex: str, name_color=None, side=LEFT,
                 size: float = 1.15, buff: float = 0.15) -> VGroup:
        """The matrix with its name: `name =` on the left (side=LEFT) or the
        bare name above it (side=UP), as one group with `.name`, `.matrix`.

        The name is set at `size` times the entries' font size, so every
        name in a scene has one size whatever its glyphs; in the matrix's
        role colour unless `name_color` is given.
        """
        color = self.color if name_color is None else name_color
        name = math_label(rf"{name_tex} =" if side is LEFT else name_tex, color)
        name.scale(size * self.entry_scale)
        name.next_to(self, side, buff=buff)
        group = VGroup(name, self)
        group.name, group.matrix = name, self
        return group

    def question_marks(self, color=WHITE) -> VGroup:
        """One "?" over each entry: a value that is no longer known."""
        marks = VGroup()
        for entry in self.all_entries():
            mark = math_label("?", color)
            mark.scale(entry.get_height() / math_label(entry.get_tex()).get_height())
            mark.move_to(entry)
            marks.add(mark)
        return marks


class CacheBox(VGroup):
    """A labelled box where the forward pass leaves a value for backward.

    `store(source, content)` returns an animation: a copy of `source` (a
    mobject on screen) turns into `content` (a new mobject, placed in the
    box's next free row), which the box then owns. The box must be on
    screen when the animation is played.
    """

    def __init__(self, title: str, color=ACTIVATION_COLOR, width: float = 2.6,
                 height: float = 1.6, font_size: int = 22, slots: int | None = None):
        super().__init__()
        if slots is not None and slots < 1:
            raise ValueError(f"a cache box needs at least one slot, got {slots}")
        self.slots = slots  # None: items stack downward; k: k items side by side
        self.placed = 0
        self.color = color
        self.frame = RoundedRectangle(width=width, height=height, corner_radius=0.12)
        self.frame.set_stroke(color, 2.5).set_fill(color, 0.08)
        self.title = text_label(title, color, font_size=font_size)
        self.title.set_max_width(width - 0.3)
        self.title.next_to(self.frame.get_top(), DOWN, buff=0.12)
        self.contents = VGroup()
        self.add(self.frame, self.title, self.contents)

    def free_area_top(self) -> np.ndarray:
        """Where the next stored item's top goes."""
        if len(self.contents):
            return self.contents[-1].get_bottom() + 0.12 * DOWN
        return self.title.get_bottom() + 0.15 * DOWN

    def place(self, content) -> "CacheBox":
        """Fit `content` into the box's next free row or slot (no animation).

        Places are handed out here, so several stores can play at once."""
        if self.slots is not None:
            return self._place_in_slot(content)
        room_w = self.frame.get_width() - 0.3
        room_h = self.free_area_top()[1] - (self.frame.get_bottom()[1] + 0.1)
        if room_h <= 0.05:
            raise ValueError("the cache box is full: make it taller or store less")
        content.set_max_width(room_w)
        content.set_max_height(room_h)
        content.move_to(self.free_area_top(), UP).set_x(self.frame.get_x())
        return content

    def slot_width(self) -> float:
        return (self.frame.get_width() - 0.3) / (self.slots or 1)

    def _place_in_slot(self, content):
        if self.placed >= self.slots:
            raise ValueError(f"the cache box has only {self.slots} slots, all taken")
        top = self.title.get_bottom()[1] - 0.18
        room_h = top - (self.frame.get_bottom()[1] + 0.12)
        content.set_max_width(self.slot_width() - 0.15)
        content.set_max_height(room_h)
        left = self.frame.get_left()[0] + 0.15
        content.move_to([left + (self.placed + 0.5) * self.slot_width(), top, 0], UP)
        self.placed += 1
        return content

    def store(self, source, content, run_time: float = 1.2) -> Animation:
        self.place(content)
        return _FlyInto(source, content, self, run_time=run_time)


class _FlyInto(Transform):
    """A copy of `source` becomes `content`, which `owner` then holds.

    The animated mobject is a fresh copy, so nothing already on screen is
    pulled out of its group (manimgl's Scene.add would break it apart).
    """

    def __init__(self, source, content, owner, **kwargs):
        self.content = content
        self.owner = owner
        super().__init__(source.copy(), content.copy(), **kwargs)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        scene.remove(self.mobject)
        self.owner.contents.add(self.content)


class _RevealFrom(Transform):
    """Copies of some sources merge into a copy of `entry`; then the hidden
    entry itself is shown and the copy removed, so the group that owns the
    entry is never taken apart on screen."""

    def __init__(self, entry, sources, opacity: float = 1.0, **kwargs):
        self.entry, self.opacity = entry, opacity
        target = entry.copy().set_opacity(opacity)
        super().__init__(VGroup(*(s.copy() for s in sources)), target, **kwargs)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        scene.remove(self.mobject)
        self.entry.set_opacity(self.opacity)


def reveal_from(entry, sources, run_time: float = 1.0, **kwargs):
    """Animation: copies of `sources` fly to `entry` and become it.

    `entry` is part of a group already on screen but hidden
    (`set_opacity(0)`); it is shown at the end. Other keyword arguments go
    to the Transform (e.g. `path_arc`).
    """
    return _RevealFrom(entry, sources, run_time=run_time, **kwargs)
