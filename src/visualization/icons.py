"""Small pictograms that stand for the lecture's scenes (used by the summary).

Each icon is a few shapes in the palette's colours, no text, about 1.3 units
wide: a reminder of the picture a scene built, not a copy of it.
"""

from __future__ import annotations

from manimlib import (
    DOWN, LEFT, RIGHT, UP, GREY_B,
    Arrow, Circle, Dot, RoundedRectangle, Square, VGroup,
)

from src.visualization.style import (
    ACTIVATION_COLOR, GRADIENT_COLOR, INPUT_COLOR, LOSS_COLOR, OPERATION_COLOR,
    PARAMETER_COLOR,
)

__all__ = ["scene_icon", "ICON_KINDS"]

ICON_KINDS = ("chain", "graph", "cache", "two_gradients", "reverse")


def _dot(color, radius: float = 0.13) -> Circle:
    circle = Circle(radius=radius)
    circle.set_stroke(color, 2.5).set_fill(color, 0.5)
    return circle


def _diamond(color=OPERATION_COLOR, side: float = 0.2) -> Square:
    return Square(side).rotate(0.785398).set_stroke(color, 2.5).set_fill(color, 0.4)


def _arrow(start, end, color=GREY_B) -> Arrow:
    return Arrow(start, end, buff=0.04, thickness=2.0).set_fill(color)


def _row(*parts, buff: float = 0.28) -> VGroup:
    row = VGroup(*parts).arrange(RIGHT, buff=buff)
    arrows = VGroup(*(_arrow(a.get_right(), b.get_left())
                      for a, b in zip(parts[:-1], parts[1:])))
    return VGroup(arrows, row)


def scene_icon(kind: str, height: float = 0.6) -> VGroup:
    """The pictogram for one idea: chain, graph, cache, two_gradients, reverse."""
    if kind == "chain":  # x -> g -> F
        icon = _row(_dot(INPUT_COLOR), _dot(ACTIVATION_COLOR), _dot(LOSS_COLOR))
    elif kind == "graph":  # two leaves into an operation, into a result
        leaves = VGroup(_dot(INPUT_COLOR), _dot(PARAMETER_COLOR)).arrange(DOWN, buff=0.2)
        op = _diamond().next_to(leaves, RIGHT, buff=0.35)
        out = _dot(LOSS_COLOR).next_to(op, RIGHT, buff=0.3)
        arrows = VGroup(*(_arrow(leaf.get_right(), op.get_left()) for leaf in leaves),
                        _arrow(op.get_right(), out.get_left()))
        icon = VGroup(arrows, leaves, op, out)
    elif kind == "cache":  # a box of saved activations
        box = RoundedRectangle(width=1.2, height=0.7, corner_radius=0.1)
        box.set_stroke(ACTIVATION_COLOR, 2.5).set_fill(ACTIVATION_COLOR, 0.1)
        dots = VGroup(*(Dot(radius=0.07).set_fill(ACTIVATION_COLOR, 1) for _ in range(3)))
        dots.arrange(RIGHT, buff=0.18).move_to(box)
        icon = VGroup(box, dots)
    elif kind == "two_gradients":  # a layer sends one gradient up, one back
        layer = RoundedRectangle(width=0.6, height=0.5, corner_radius=0.08)
        layer.set_stroke(PARAMETER_COLOR, 2.5).set_fill(PARAMETER_COLOR, 0.35)
        up = _arrow(layer.get_top(), layer.get_top() + 0.45 * UP, PARAMETER_COLOR)
        back = _arrow(layer.get_left(), layer.get_left() + 0.6 * LEFT, GRADIENT_COLOR)
        icon = VGroup(layer, up, back)
    elif kind == "reverse":  # nodes visited right to left, gradients flowing back
        nodes = VGroup(_dot(INPUT_COLOR), _dot(ACTIVATION_COLOR), _dot(LOSS_COLOR))
        nodes.arrange(RIGHT, buff=0.32)
        arrows = VGroup(*(_arrow(b.get_left(), a.get_right(), GRADIENT_COLOR)
                          for a, b in zip(nodes[:-1], nodes[1:])))
        icon = VGroup(arrows, nodes)
    else:
        raise ValueError(f"unknown icon {kind!r}; expected one of {', '.join(ICON_KINDS)}")
    icon.set_height(height)
    icon.kind = kind
    return icon
