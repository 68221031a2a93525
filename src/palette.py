"""The lecture's colours, as hex, defined once (no manim).

The plan's scheme: inputs blue, parameters a darker blue, operations green,
activations orange, gradients red, the loss a deeper red; positive values
blue and negative red; forward flow and highlights yellow. The shades are
not manim's stock ones: for a red-green colour-blind viewer manim's GREEN,
ORANGE, RED and RED_E are nearly one olive (GREEN vs RED is CIEDE2000 4.8
under deuteranopia), RED vs RED_E is 10 even with normal vision, and
BLUE_E is 2.4:1 on the #333333 background. These keep every pair of roles
at least 12 apart under normal vision, deuteranopia, protanopia and
tritanopia, and text at least 3:1 (README "Colours"; tests/test_colours.py).

The scenes (src/visualization/style.py), the lecture's page and the
explorer (src/publish/) all read this table.
"""
from __future__ import annotations

__all__ = ["COLORS"]

COLORS = {
    "input": "#58C4DD",       # manim's BLUE
    "parameter": "#3A8CB0",   # a darker blue (for BLUE_E)
    "operation": "#AFEFB8",   # a light green (for GREEN)
    "activation": "#FDA96C",  # a light orange (for ORANGE)
    "gradient": "#E46C6E",    # a light red (for RED)
    "loss": "#FE261B",        # a deep, saturated red (for RED_E)
    "constant": "#BBBBBB",    # manim's GREY_B
    "edge": "#BBBBBB",        # GREY_B
    "flow": "#FFFF00",        # manim's YELLOW: forward flow, highlights
    "note": "#DDDDDD",        # GREY_A: asides
    "dim": "#444444",         # GREY_D: where the value scale starts
    "text": "#FFFFFF",        # numbers on the dark background
    "background": "#333333",  # manimgl's background
}
COLORS["positive"] = COLORS["input"]       # value_to_color: blue for positive,
COLORS["negative"] = COLORS["gradient"]    # red for negative
