"""Every scene, with other inputs, through the manimgl CLI as a lecturer runs it.

A scene file of the lecturer's own (outside the project) subclasses each of
the lecture's scenes through `src.lecture`, overriding its inputs; one
`manimgl` call renders the last frame of every subclass. In-process tests
(tests/test_scene_*.py) check the numbers such variants draw; this proves
the documented way of giving a scene other inputs works through the CLI.
"""
from __future__ import annotations

import subprocess
import numpy as np
import pytest

from tests.manim_harness import import_manimlib
from tests.test_readme import ROOT, png_pixels, scratch_project

# scene -> class attributes a lecturer might change (each differs from the default)
VARIANTS = {
    "ChainRuleScene": {"x": -1.5, "chain_x": -0.1},
    "ComputationGraphScene": {"x": 1.0, "w": 3.0, "b": -2.0},
    "ParametersVsActivationsScene": {"seed": 15, "x_input": (1.0, -0.6), "target": -0.5},
    "GradientPropagationScene": {"seed": 5, "inputs": (1.0, 1.0), "target": 0.0},
    "BackwardPassScene": {"x": 1.0, "w": 3.0, "b": -2.0},
    "MLPAutogradScene": {"model_seed": 0, "learning_rate": 0.5},
    "SummaryScene": {"seed": 11, "x_input": (-1.2, 0.9), "target": -1.0},
}


def variant_source() -> str:
    lines = [f"from src.lecture import {', '.join(VARIANTS)}", ""]
    for scene, attributes in VARIANTS.items():
        lines.append(f"class My{scene}({scene}):")
        lines += [f"    {name} = {value!r}" for name, value in attributes.items()]
        lines.append("")
    return "\n".join(lines)


def test_every_scene_has_a_variant():
    import_manimlib()  # configured for tests before src.lecture imports it
    import src.lecture as lecture
    assert set(VARIANTS) == set(lecture.scene_classes()), "add a CLI variant for every scene"
    for scene, attributes in VARIANTS.items():
        cls = getattr(lecture, scene)
        for name, value in attributes.items():
            assert hasattr(cls, name), f"{scene} has no input {name!r}"
            assert getattr(cls, name) != value, f"{scene}.{name} variant equals the default"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    project = scratch_project(tmp_path_factory.mktemp("lecturer"))
    elsewhere = tmp_path_factory.mktemp("own_files") / "lecture_variants.py"
    elsewhere.write_text(variant_source())
    names = [f"My{scene}" for scene in VARIANTS]
    result = subprocess.run(
        ["xvfb-run", "-a", str(ROOT / ".venv" / "bin" / "manimgl"), str(elsewhere), *names,
         "-w", "-s", "-l"],
        cwd=project, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return project / "videos"


@pytest.mark.slow
@pytest.mark.parametrize("scene", list(VARIANTS))
def test_variant_renders_through_the_cli(rendered, scene):
    image = png_pixels(rendered / f"My{scene}.png")
    assert image.shape[0] == 480
    assert image.std() > 5  # not a blank frame


@pytest.mark.slow
def test_only_the_subclasses_are_rendered(rendered):
    assert sorted(p.name for p in rendered.glob("*.png")) == sorted(f"My{s}.png" for s in VARIANTS)


@pytest.mark.slow
def test_variants_differ(rendered):
    images = [png_pixels(rendered / f"My{s}.png") for s in VARIANTS]
    assert len({np.asarray(i).tobytes() for i in images}) == len(images)

