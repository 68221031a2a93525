"""The kit's palette, timing and text furniture (titles, captions, legend).

The plan's colour scheme is defined here once; every picture in the kit and
every scene takes its colours from these names. manimgl 1.7.2 silently
ignores `color=` on Text, Tex and Circle, so labels are always made through
`math_label` / `text_label`, which really set the colour.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from manimlib import (
    FRAME_WIDTH, GREY_A, GREY_D, DOWN, LEFT, RIGHT, UP, WHITE,
    Circle, Dot, Square, Tex, Text, VGroup, interpolate_color,
)

from src.palette import COLORS
from src.visualization import parsed_svg

__all__ = [
    "INPUT_COLOR",
    "PARAMETER_COLOR",
    "OPERATION_COLOR",
    "ACTIVATION_COLOR",
    "GRADIENT_COLOR",
    "LOSS_COLOR",
    "POSITIVE_COLOR",
    "NEGATIVE_COLOR",
    "CONSTANT_COLOR",
    "EDGE_COLOR",
    "VALUE_TEXT_COLOR",
    "FORWARD_FLOW_COLOR",
    "HIGHLIGHT_COLOR",
    "NOTE_COLOR",
    "TRANSFORM_TIME",
    "FADE_TIME",
    "ROLE_COLORS",
    "CODE_FONT",
    "TEXT_FONT",
    "value_to_color",
    "math_label",
    "digit_height",
    "text_label",
    "title_text",
    "caption_rows",
    "legend",
    "bullet_notes",
    "panel_header",
]

# --------------------------------------------------------------------------
# Palette and timing (the plan's scheme, defined once)
# --------------------------------------------------------------------------

# The plan's hues in shades every student can tell apart: src/palette.py.
INPUT_COLOR = COLORS["input"]
PARAMETER_COLOR = COLORS["parameter"]
OPERATION_COLOR = COLORS["operation"]
ACTIVATION_COLOR = COLORS["activation"]
GRADIENT_COLOR = COLORS["gradient"]
LOSS_COLOR = COLORS["loss"]
POSITIVE_COLOR = COLORS["positive"]   # value_to_color: blue for positive,
NEGATIVE_COLOR = COLORS["negative"]   # red for negative
CONSTANT_COLOR = COLORS["constant"]
EDGE_COLOR = COLORS["edge"]
VALUE_TEXT_COLOR = COLORS["text"]
FORWARD_FLOW_COLOR = COLORS["flow"]
HIGHLIGHT_COLOR = COLORS["flow"]  # what is being computed right now; a check that passed
NOTE_COLOR = COLORS["note"]       # asides (the step h of a numerical check)

TRANSFORM_TIME = 1.5  # transforms and moves
FADE_TIME = 0.8       # fades in and out

ROLE_COLORS = {
    "input": INPUT_COLOR,
    "parameter": PARAMETER_COLOR,
    "constant": CONSTANT_COLOR,
    "activation": ACTIVATION_COLOR,
    "output": LOSS_COLOR,
    "operation": OPERATION_COLOR,
}

CODE_FONT = "DejaVu Sans Mono"
TEXT_FONT = "DejaVu Sans"


def value_to_color(x: float, max_abs: float = 1.0):
    """Sign picks blue (positive) or red (negative); magnitude, brightness."""
    if max_abs <= 0:
        raise ValueError(f"max_abs must be positive, got {max_abs}")
    strength = min(abs(x) / max_abs, 1.0)
    end = POSITIVE_COLOR if x >= 0 else NEGATIVE_COLOR
    return interpolate_color(GREY_D, end, 0.25 + 0.75 * strength)


def math_label(tex: str, color=WHITE, height: float | None = None) -> Tex:
    """A Tex with its colour really set (Tex ignores `color=` in 1.7.2)."""
    label = parsed_svg.Tex(tex)   # manimlib's Tex, its SVG parse cached on disk
    label.set_color(color)
    if height is not None:
        label.set_height(height)
    return label


@lru_cache(maxsize=None)
def digit_height() -> float:
    """Height of a "0" in a Tex at its natural size: the unit the kit sizes
    numbers by, so "1" and "-0.385" get one text height. Typeset once."""
    return math_label("0").get_height()


def text_label(text: str, color=WHITE, font_size: int = 28, font: str = TEXT_FONT) -> Text:
    """A Text with its colour really set (Text ignores `color=` in 1.7.2)."""
    label = parsed_svg.Text(text, font=font, font_size=font_size)  # manimlib's, cached
    label.set_color(color)
    return label



# --------------------------------------------------------------------------
# Text furniture: titles, captions, legend, code panel
# --------------------------------------------------------------------------

def title_text(text: str) -> Text:
    """A scene title at the top edge."""
    title = text_label(text, WHITE, font_size=40)
    title.set_max_width(FRAME_WIDTH - 1.0)
    title.to_edge(UP, buff=0.3)
    return title


def caption_rows(*rows) -> VGroup:
    """Stack caption rows, left-aligned, under one another."""
    return VGroup(*rows).arrange(DOWN, aligned_edge=LEFT, buff=0.2)


_ROLE_NAMES = {
    "input": "input", "parameter": "parameter", "constant": "constant",
    "activation": "activation", "output": "loss", "operation": "operation",
}


def legend(roles) -> VGroup:
    """A small key: one coloured marker and word per node role."""
    rows = VGroup()
    for role in roles:
        color = ROLE_COLORS[role]
        if role == "operation":
            marker = Square(0.2).rotate(np.pi / 4)
        else:
            marker = Circle(radius=0.12)
        marker.set_stroke(color, 2).set_fill(color, 0.6)
        word = text_label(_ROLE_NAMES[role], GREY_A, font_size=22)
        rows.add(VGroup(marker, word).arrange(RIGHT, buff=0.12))
    rows.arrange(DOWN, aligned_edge=LEFT, buff=0.12)
    return rows



def bullet_notes(lines, color, font_size: int = 24, text_color=GREY_A) -> VGroup:
    """Short notes, one per line, each after a dot in the role colour.

    `.texts` lists the Text of every line (for indicating one of them).
    """
    rows = VGroup()
    for line in lines:
        dot = Dot(radius=0.06).set_fill(color, 1)
        text = text_label(line, text_color, font_size=font_size)
        rows.add(VGroup(dot, text).arrange(RIGHT, buff=0.18))
    rows.arrange(DOWN, aligned_edge=LEFT, buff=0.14)
    rows.texts = [row[1] for row in rows]
    return rows


def panel_header(title: str, subtitle: str, color, font_size: int = 36) -> VGroup:
    """A panel heading in the role colour, a grey subtitle under it."""
    head = text_label(title, color, font_size=font_size)
    sub = text_label(subtitle, GREY_A, font_size=22)
    group = VGroup(head, sub).arrange(DOWN, buff=0.1)
    group.head, group.sub = head, sub
    return group
