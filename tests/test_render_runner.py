"""`make video` (src/cli/video.py) and the headless render runner behind it
(src/publish/render.py); scenes found by src/rendering/discovery.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from src.cli import video
from src.publish import render as runner
from src.rendering.discovery import find_scenes

ROOT = Path(__file__).resolve().parents[1]
# The plan's order of the scenes.
LECTURE_SCENES = ["ChainRuleScene", "ComputationGraphScene", "ParametersVsActivationsScene",
                  "GradientPropagationScene", "BackwardPassScene", "MLPAutogradScene",
                  "SummaryScene"]


def test_finds_the_lecture_scenes_in_plan_order():
    scenes = find_scenes(ROOT / "01_autograd_visualization.py")
    # The plan's order: scene 2 before scene 5; nothing that is not a scene.
    assert scenes == LECTURE_SCENES


def test_finds_subclasses_and_respects_an_explicit_order(tmp_path):
    source = tmp_path / "lecture.py"
    source.write_text(
        "class Helper:\n    pass\n"
        "class A(InteractiveScene):\n    pass\n"
        "class B(A):\n    x = 1.0\n"
    )
    assert find_scenes(source) == ["A", "B"]
    source.write_text(source.read_text() + "SCENES_IN_ORDER = [B, A]\n")
    assert find_scenes(source) == ["B", "A"]


def test_list_prints_the_scenes(capsys):
    assert video.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == LECTURE_SCENES


def test_unknown_scene_is_named_with_the_available_ones(capsys):
    assert video.main(["--scenes", "BackwardPasScene"]) == 2
    err = capsys.readouterr().err
    assert "unknown scene: BackwardPasScene" in err
    assert "BackwardPassScene" in err and "ComputationGraphScene" in err


@pytest.mark.parametrize("program", ["ffmpeg", "latex", "dvisvgm"])
def test_missing_program_is_reported_up_front_with_its_install_command(monkeypatch, capsys, tmp_path, program):
    real_which = shutil.which
    monkeypatch.setattr(runner.shutil, "which",
                        lambda name, *a, **k: None if name == program else real_which(name, *a, **k))
    assert video.main(["--scenes", "BackwardPassScene", "--out-dir", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert f"{program} (needed for" in err
    assert "apt-get install" in err
    assert "Traceback" not in err
    assert not any(tmp_path.iterdir()), "nothing may be written before the check passes"


def test_failed_render_leaves_no_file_and_names_the_scene(tmp_path, capsys):
    scene_file = tmp_path / "broken.py"
    scene_file.write_text(
        "from manimlib import *\n"
        "class BrokenScene(Scene):\n"
        "    def construct(self):\n"
        "        self.play(FadeIn(Square()))\n"
        "        raise RuntimeError('the scene broke on purpose')\n"
    )
    out = tmp_path / "videos"
    out.mkdir()
    code = video.main(["--file", str(scene_file), "--out-dir", str(out), "-q", "low"])
    captured = capsys.readouterr()
    assert code == 1
    text = captured.out + captured.err
    assert "BrokenScene" in text
    assert "the scene broke on purpose" in text
    leftovers = [p for p in out.rglob("*") if p.is_file()]
    assert leftovers == [], f"a failed render left files behind: {leftovers}"
