"""Colours every student can tell apart (README "Colours").

Each role colour of src/visualization/style.py is taken as seen with normal
vision and with full deuteranopia, protanopia and tritanopia (Machado,
Oliveira and Fernandes 2009, severity 1, applied in linear sRGB, clipped to
what a screen can show), and every two roles that share the screen must stay
at least THRESHOLD apart in CIEDE2000. The README's table is this module's
computation (`python -m tests.test_colours` prints it), checked to 0.1.
coloraide does the simulation and the distance (see pyproject.toml for why
not colour-science). The same is then checked on real pixels: each lecture
scene's last frame (its poster), simulated as an image.
"""
from __future__ import annotations

import itertools
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from coloraide import Color

from tests.manim_harness import prepare_manimlib

prepare_manimlib()   # before manimlib is imported (conftest does it under pytest)
from manimlib.utils.color import color_to_hex  # noqa: E402

from src.visualization import style  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 12.0        # CIEDE2000 between two roles on one screen, for every viewer
BACKGROUND = "#333333"  # manimgl's background (custom_config.yml keeps it)
VISIONS = ("normal", "deuteranopia", "protanopia", "tritanopia")
_FILTER = {"deuteranopia": "deutan", "protanopia": "protan", "tritanopia": "tritan"}

# The scheme's roles as the README names them. All of them share the screen:
# a graph shows inputs, parameters, constants, operations, activations and
# the loss with gradients beside them, and the yellow highlight over them.
ROLES = {
    "input": style.INPUT_COLOR,
    "parameter": style.PARAMETER_COLOR,
    "constant": style.CONSTANT_COLOR,
    "operation": style.OPERATION_COLOR,
    "activation": style.ACTIVATION_COLOR,
    "gradient": style.GRADIENT_COLOR,
    "loss": style.LOSS_COLOR,
    "highlight": style.HIGHLIGHT_COLOR,
}
# Roles written as text (labels, numbers, headers): WCAG 2.1 contrast on the
# background, 3:1 at least; gradients are the commonest small numbers.
MIN_CONTRAST = {role: 3.0 for role in ROLES} | {"gradient": 4.0}
# The grey furniture every role is drawn next to (values and notes).
TEXT_GREYS = {"value text": style.VALUE_TEXT_COLOR, "note": style.NOTE_COLOR}


def hex_of(color) -> str:
    return color_to_hex(color).upper()


def seen(color, vision: str) -> Color:
    """`color` (a hex string) as a viewer with `vision` sees it, in sRGB."""
    c = Color(color)
    if vision != "normal":
        c = c.filter(_FILTER[vision], 1.0, method="machado")
    return c.convert("srgb").clip()


def distance(a, b, vision: str) -> float:
    """CIEDE2000 (in CIE Lab, D65) between colours a and b as `vision` sees them."""
    return seen(hex_of(a), vision).delta_e(seen(hex_of(b), vision), method="2000")


def pairs():
    return list(itertools.combinations(ROLES, 2))


@lru_cache(maxsize=None)
def table() -> dict:
    """{(role, role): (normal, deuteranopia, protanopia, tritanopia)}."""
    return {(a, b): tuple(distance(ROLES[a], ROLES[b], v) for v in VISIONS)
            for a, b in pairs()}


def markdown_table() -> str:
    """The README's table."""
    lines = ["| roles | normal | deuteranopia | protanopia | tritanopia |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for (a, b), row in table().items():
        lines.append(f"| {a} – {b} | " + " | ".join(f"{d:.1f}" for d in row) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The palette
# --------------------------------------------------------------------------

@pytest.mark.parametrize("a,b", pairs(), ids=[f"{a}-{b}" for a, b in pairs()])
def test_roles_stay_apart_for_every_viewer(a, b):
    row = dict(zip(VISIONS, table()[a, b]))
    close = {v: round(d, 1) for v, d in row.items() if d < THRESHOLD}
    assert not close, f"{a} {hex_of(ROLES[a])} and {b} {hex_of(ROLES[b])} collapse: {close}"


@pytest.mark.parametrize("role", ["input", "parameter", "operation", "activation",
                                  "gradient", "loss"])
def test_role_colours_stand_out_from_grey_text(role):
    # (The highlight is manim's YELLOW, used by name across the kit; under
    # tritanopia it is 10.3 from white text. The README says so.)
    for grey, color in TEXT_GREYS.items():
        for vision in VISIONS:
            d = distance(ROLES[role], color, vision)
            assert d >= THRESHOLD, f"{role} vs {grey} under {vision}: {d:.1f}"


@pytest.mark.parametrize("role", list(ROLES))
def test_role_colours_are_legible_on_the_background(role):
    ratio = Color(hex_of(ROLES[role])).contrast(BACKGROUND, method="wcag21")
    assert ratio >= MIN_CONTRAST[role], f"{role} {hex_of(ROLES[role])}: {ratio:.2f}:1"


# The plan's named hues (manim's BLUE and BLUE_E, GREEN, ORANGE, RED and
# RED_E sit at OKLCH hue 215-218, 137, 51 and 28): each shade stays in its
# hue's band, coloured (chroma), and the "_E" roles the darker of their pair.
PLAN_HUES = {"input": (200, 250), "parameter": (200, 250), "operation": (125, 165),
             "activation": (40, 65), "gradient": (15, 35), "loss": (15, 35)}


@pytest.mark.parametrize("role", list(PLAN_HUES))
def test_shades_keep_the_plans_hues(role):
    lightness, chroma, hue = Color(hex_of(ROLES[role])).convert("oklch")[:-1]
    low, high = PLAN_HUES[role]
    assert low <= hue <= high and chroma >= 0.07, (role, hex_of(ROLES[role]), hue, chroma)


def test_the_dark_shades_are_the_darker():
    def lightness(role):
        return Color(hex_of(ROLES[role])).convert("oklch")[0]
    assert lightness("parameter") < lightness("input")
    assert lightness("loss") < lightness("gradient")
    assert hex_of(style.INPUT_COLOR) == "#58C4DD"      # manim's BLUE
    assert hex_of(style.HIGHLIGHT_COLOR) == "#FFFF00"  # manim's YELLOW, used by name in the kit


def test_the_stock_shades_were_the_problem():
    """The measurement is the one the issue reported for manim's own shades
    (so the table above measures what it says)."""
    stock = {"GREEN": "#83C167", "ORANGE": "#FF862F", "RED": "#FC6255", "RED_E": "#CF5044"}
    assert round(distance(stock["GREEN"], stock["RED"], "deuteranopia"), 1) == 4.8
    assert round(distance(stock["ORANGE"], stock["RED"], "deuteranopia"), 1) == 7.8
    assert round(distance(stock["RED"], stock["RED_E"], "normal"), 1) == 10.1


@pytest.mark.parametrize("magnitude", [0.01, 0.25, 0.5, 1.0])
def test_value_scale_keeps_its_sign_for_every_viewer(magnitude):
    """value_to_color: a positive and a negative value of the same size
    differ in colour for every viewer, down to the faintest."""
    positive, negative = style.value_to_color(magnitude), style.value_to_color(-magnitude)
    for vision in VISIONS:
        d = distance(positive, negative, vision)
        assert d >= THRESHOLD, f"±{magnitude} under {vision}: {d:.1f}"


def test_readme_table_is_the_measured_one():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Colours", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for a, b, *cells in re.findall(
            r"^\| (\w+) – (\w+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$",
            section, flags=re.M):
        rows[a, b] = tuple(float(c) for c in cells)
    assert set(rows) == set(table()), "README's Colours table has other pairs than the roles"
    for pair, measured in table().items():
        for vision, written, actual in zip(VISIONS, rows[pair], measured):
            assert abs(written - actual) <= 0.1, (pair, vision, written, round(actual, 2))


# --------------------------------------------------------------------------
# Real pixels: each scene's poster (last frame), simulated as an image
# --------------------------------------------------------------------------

SCENES = ("ChainRuleScene", "ComputationGraphScene", "ParametersVsActivationsScene",
          "GradientPropagationScene", "BackwardPassScene", "MLPAutogradScene",
          "SummaryScene")
MIN_PIXELS = 30   # a role "is on" a poster with this many pixels of its exact colour
# manim's stock shades the palette replaces: a kit module that draws a role
# with one of these by name would leave it on a poster.
STOCK_SHADES = {"GREEN": "#83C167", "ORANGE": "#FF862F", "RED": "#FC6255",
                "RED_E": "#CF5044", "BLUE_E": "#1C758A"}


def rgb255(color) -> np.ndarray:
    h = hex_of(color)
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)])


@lru_cache(maxsize=None)
def linear_matrix(vision: str) -> np.ndarray:
    """The simulation as a 3x3 matrix on linear sRGB (it is linear at
    severity 1): coloraide's filter applied to the three primaries."""
    if vision == "normal":
        return np.eye(3)
    columns = [Color("srgb-linear", list(e)).filter(_FILTER[vision], 1.0, method="machado")
               .convert("srgb-linear")[:-1] for e in np.eye(3)]
    return np.array(columns).T


def simulate_image(rgb: np.ndarray, vision: str) -> np.ndarray:
    """An H x W x 3 uint8 sRGB image as `vision` sees it (same encoding)."""
    c = rgb / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    linear = np.clip(linear @ linear_matrix(vision).T, 0.0, 1.0)
    encoded = np.where(linear <= 0.0031308, 12.92 * linear,
                       1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(255 * encoded).astype(np.uint8)


def poster(name: str) -> np.ndarray:
    from tests import scene_checks
    from tests.manim_harness import lecture_module
    from tests.test_scene_narration import lecture_attributes   # the shared run
    run, _ = scene_checks.scene_run(getattr(lecture_module(), name), "lecture",
                                    lecture_attributes(name))
    return run.image[..., :3]


def role_masks(rgb: np.ndarray) -> dict:
    """Pixels drawn in exactly a role's colour (strokes, text), per role on it."""
    masks = {}
    for role, color in ROLES.items():
        mask = np.abs(rgb.astype(int) - rgb255(color)).max(-1) <= 2
        if mask.sum() >= MIN_PIXELS:
            masks[role] = mask
    return masks


@pytest.mark.parametrize("scene", SCENES)
def test_poster_roles_stay_apart_when_simulated(scene):
    rgb = poster(scene)
    masks = role_masks(rgb)
    assert len(masks) >= 3, f"{scene}'s poster shows only {sorted(masks)}"
    for vision in VISIONS:
        image = simulate_image(rgb, vision)
        shown = {role: np.median(image[mask], axis=0) for role, mask in masks.items()}
        for a, b in itertools.combinations(shown, 2):
            ca, cb = (Color("srgb", list(shown[r] / 255)) for r in (a, b))
            d = ca.delta_e(cb, method="2000")
            assert d >= THRESHOLD, f"{scene} poster, {vision}: {a} vs {b} {d:.1f}"
            # the image route agrees with the table's colour-by-colour route
            assert abs(d - table()[(a, b) if (a, b) in table() else (b, a)]
                       [VISIONS.index(vision)]) < 1.0, (scene, vision, a, b)


@pytest.mark.parametrize("scene", SCENES)
def test_poster_draws_no_stock_shade(scene):
    rgb = poster(scene).astype(int)
    drawn = {name: int((np.abs(rgb - rgb255(h)).max(-1) <= 2).sum())
             for name, h in STOCK_SHADES.items()}
    assert not any(drawn.values()), f"{scene}'s poster has manim's stock shades: {drawn}"


if __name__ == "__main__":   # python -m tests.test_colours: the README's table
    print(markdown_table())
