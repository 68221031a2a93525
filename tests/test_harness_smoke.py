"""Smoke test of the headless scene harness (tests/manim_harness.py):
a toy scene with Text, Tex and a Circle renders in-process to a non-blank
frame, and the checkpoints see what the scene shows."""
import numpy as np
import pytest

from tests.manim_harness import (
    bboxes_overlap, import_manimlib, is_blank, mobject_in_frame, run_scene,
    text_mobjects,
)

mn = import_manimlib()


class ToyScene(mn.Scene):
    def construct(self):
        title = mn.Text("Autograd").set_color(mn.BLUE).to_edge(mn.UP)
        self.play(mn.Write(title))
        eq = mn.Tex(R"\frac{\partial L}{\partial w} = x").next_to(title, mn.DOWN, buff=1)
        circle = mn.Circle(radius=1).set_stroke(mn.GREEN, 4).to_edge(mn.DOWN)
        self.play(mn.FadeIn(eq), mn.ShowCreation(circle))
        self.wait(0.5)
        number = mn.DecimalNumber(-1.5).next_to(circle, mn.RIGHT)
        self.add(number)
        self.play(mn.FadeOut(eq))


@pytest.fixture(scope="module")
def run():
    return run_scene(ToyScene)


def test_last_frame_not_blank(run):
    assert run.image.dtype == np.uint8 and run.image.ndim == 3
    assert run.image.shape[:2] == (540, 960)
    assert not is_blank(run.image)
    # Title pixels are blue-ish: BLUE (#58C4DD) has more blue than red.
    top = run.image[: run.image.shape[0] // 4, :, :3].reshape(-1, 3).astype(int)
    assert np.any((top[:, 2] - top[:, 0] > 80) & (top[:, 2] > 150))


def test_checkpoints_follow_play_and_wait(run):
    assert [cp.kind for cp in run.checkpoints] == ["play", "play", "wait", "play"]
    assert [cp.index for cp in run.checkpoints] == [0, 1, 2, 3]
    assert run.num_plays == 4
    assert run.checkpoints[0].label == "play #0: Write"


def test_checkpoint_contents_are_snapshots(run):
    kinds = [sorted(type(m).__name__ for m in cp.mobjects) for cp in run.checkpoints]
    assert kinds[0] == ["Text"]
    assert kinds[1] == ["Circle", "Tex", "Text"]
    assert kinds[3] == ["Circle", "DecimalNumber", "Text"]  # eq faded out
    texts = [type(m).__name__ for m in text_mobjects(run.checkpoints[1].mobjects)]
    assert sorted(texts) == ["Tex", "Text"]


def test_everything_in_frame_and_no_text_overlap(run):
    for cp in run.checkpoints:
        for mob in cp.mobjects:
            assert cp.in_frame(mob), (cp.label, mob)
            assert mobject_in_frame(mob, run.frame_width, run.frame_height)
        texts = text_mobjects(cp.mobjects)
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                assert not bboxes_overlap(a, b), (cp.label, a, b)


def test_helpers_detect_problems():
    off = mn.Square().move_to(10 * mn.RIGHT)
    assert not mobject_in_frame(off, 14.22, 8.0)
    a, b = mn.Square(), mn.Square().shift(0.5 * mn.RIGHT)
    assert bboxes_overlap(a, b)
    assert not bboxes_overlap(a, b.copy().shift(5 * mn.RIGHT))


class Dots(mn.Scene):
    count = 2

    def construct(self):
        self.play(mn.FadeIn(mn.VGroup(*(mn.Dot() for _ in range(self.count)))), run_time=0.1)


def test_a_shared_run_refuses_other_inputs_under_its_name():
    """Two test files asking for one (scene, variant) with different inputs
    would otherwise both get whichever ran first."""
    from tests import scene_checks
    run, _ = scene_checks.scene_run(Dots, "smoke", {"count": 3})
    assert scene_checks.scene_run(Dots, "smoke", {"count": 3})[0] is run
    with pytest.raises(AssertionError, match=r"Dots 'smoke' was run with other inputs \(count\)"):
        scene_checks.scene_run(Dots, "smoke", {"count": 4})
    # the class defaults fill in what a caller leaves out
    default, _ = scene_checks.scene_run(Dots, "defaults", {})
    assert scene_checks.scene_run(Dots, "defaults", {"count": 2})[0] is default
