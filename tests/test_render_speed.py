"""The render speed-ups (src/rendering/fast_render.py) keep every pixel.

Small scenes are rendered twice in this process, with the speed-ups off
(stock manimgl 1.7.2) and on, through the real SceneFileWriter but with a
stand-in "ffmpeg" that stores the raw RGBA frames it is sent; the two frame
sequences must be byte for byte equal. Other tests pin down when a frame may
be reused instead of drawn: never while an updater moves something or the
camera moves. The last tests change the installed manimgl as an upgrade
could (a member renamed, a signature or source changed, another version):
scenes must then render with stock manimgl, warn in one line once, and give
stock frames; so must a fast path that fails in the middle of a frame.
No timings here: speed is measured by benchmarks/render_speed.py.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.manim_harness import import_manimlib

import_manimlib()

from manimlib import (  # noqa: E402
    BLUE, DL, DOWN, GREEN, LEFT, ORIGIN, RED, RIGHT, UP, WHITE, YELLOW,
    Circle, DotCloud, FadeIn, FadeOut, Polygon, Rectangle, Scene, Square, Text,
    Transform, VGroup,
)

from src.rendering import fast_render as render_speed  # noqa: E402
from src.rendering.fast_render import (  # noqa: E402
    ENV_SWITCH, FastRenderMixin, encoder_args, fill_rects,
)
from src.rendering.scene import LectureScene  # noqa: E402

FAKE_FFMPEG = """#!{python}
# stands in for ffmpeg: stores the raw frames (the last argument is the output)
import shutil, sys
with open(sys.argv[-1], "wb") as out:
    shutil.copyfileobj(sys.stdin.buffer, out)
"""


@pytest.fixture(scope="module")
def fake_ffmpeg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bin") / "ffmpeg"
    path.write_text(FAKE_FFMPEG.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def render_raw(scene_cls, out_dir: Path, ffmpeg: Path, monkeypatch, fast: bool,
               before_run=None):
    """Run `scene_cls` writing a movie; returns (frames N x H x W x 4, scene).
    `before_run(scene)`, if given, is called between creating and running it."""
    monkeypatch.setenv(ENV_SWITCH, "1" if fast else "0")
    monkeypatch.setenv("VOICE", "off")   # the fake ffmpeg writes raw frames: no track to add
    scene = scene_cls(file_writer_config=dict(
        write_to_movie=True, output_directory=str(out_dir), ffmpeg_bin=str(ffmpeg),
        quiet=True, file_name=scene_cls.__name__ + ("_fast" if fast else "_stock"),
    ))
    try:
        if before_run is not None:
            before_run(scene)
        scene.run()
        width, height = scene.camera.get_pixel_shape()
    finally:
        scene.camera.ctx.release()
    raw = Path(scene.file_writer.get_movie_file_path()).read_bytes()
    frames = np.frombuffer(raw, np.uint8)
    assert frames.size % (width * height * 4) == 0
    return frames.reshape(-1, height, width, 4), scene


def assert_same_frames(stock: np.ndarray, fast: np.ndarray) -> None:
    assert stock.shape == fast.shape, (stock.shape, fast.shape)
    assert stock.std() > 0, "the scene drew nothing"
    different = [i for i in range(len(stock)) if not np.array_equal(stock[i], fast[i])]
    if different:
        i = different[0]
        diff = np.abs(stock[i].astype(int) - fast[i].astype(int))
        ys, xs = np.nonzero(diff.max(axis=2))
        pytest.fail(f"{len(different)} of {len(stock)} frames differ; frame {i}: "
                    f"{len(ys)} pixels, max difference {diff.max()}, "
                    f"x {xs.min()}..{xs.max()}, y {ys.min()}..{ys.max()}")


def render_both(scene_cls, tmp_path, fake_ffmpeg, monkeypatch):
    stock, _ = render_raw(scene_cls, tmp_path, fake_ffmpeg, monkeypatch, fast=False)
    fast, scene = render_raw(scene_cls, tmp_path, fake_ffmpeg, monkeypatch, fast=True)
    return stock, fast, scene


# ------------------------------------------------------------------ scenes

class Showcase(FastRenderMixin, Scene):
    """A bit of everything the lecture draws, in a few short beats."""

    def construct(self):
        title = Text("Render speed").to_edge(UP)
        circle = Circle(radius=1).set_fill(BLUE, 0.6).set_stroke(WHITE, 3)
        square = Square(1.5).set_stroke(GREEN, 4).shift(3 * RIGHT)   # stroke only
        # a sharp, filled polygon with a thick fill border: the border's joints
        # reach furthest outside the curve's own box
        spike = Polygon(ORIGIN, 2.5 * RIGHT, 0.3 * UP + 0.2 * RIGHT)
        spike.set_fill(YELLOW, 1).set_stroke(width=0)
        spike.set_style(fill_border_width=6).shift(2 * DOWN + 4 * LEFT)
        outlined = Text("backstroke").set_backstroke(width=8).shift(2.3 * DOWN + 2 * RIGHT)
        self.play(FadeIn(title), FadeIn(circle), FadeIn(square), run_time=0.4)
        self.add(spike, outlined)
        self.wait(0.3)                                    # nothing moves
        self.play(circle.animate.shift(2 * LEFT), run_time=0.3)
        self.play(Transform(square, Circle().shift(3 * RIGHT).set_fill(RED, 1)), run_time=0.3)
        label = Text("fixed in frame").fix_in_frame().to_corner(DL)
        self.add(label)
        self.play(self.frame.animate.scale(1.2).shift(0.5 * UP), run_time=0.3)
        square.add_updater(lambda m, dt: m.rotate(dt))
        self.wait(0.3)                                    # an updater turns the square
        square.clear_updaters()
        partly_off = Rectangle(6, 2).set_fill(GREEN, 0.5).shift(6 * RIGHT + 3 * UP)
        self.play(FadeIn(partly_off), FadeOut(title), run_time=0.3)
        self.wait(0.2)
        # a tilted 3D camera: perspective in the projection of every box
        self.play(self.frame.animate.reorient(25, 60, 10), run_time=0.3)
        self.wait(0.1)


class BevelJoints(FastRenderMixin, Scene):
    """Bevel joints have no safe bound: their fill pass stays full-screen."""

    def construct(self):
        shape = Polygon(ORIGIN, 3 * RIGHT, 0.2 * UP + 0.5 * RIGHT).set_fill(BLUE, 1)
        shape.set_style(fill_border_width=4).set_joint_type("bevel")
        self.play(FadeIn(shape), run_time=0.2)
        self.play(shape.animate.shift(LEFT), run_time=0.2)


class NotVectorOnly(FastRenderMixin, Scene):
    """A dot cloud (not a VMobject) and a depth-tested square."""

    def construct(self):
        dots = DotCloud(np.array([[x, 0.0, 0.0] for x in range(-3, 4)]), radius=0.1)
        deep = Square().set_fill(RED, 0.8).apply_depth_test()
        flat = Circle().set_fill(GREEN, 0.5).shift(2 * DOWN)
        self.play(FadeIn(flat), run_time=0.2)
        self.add(dots, deep)
        self.play(deep.animate.shift(UP), run_time=0.2)
        self.remove(dots, deep)
        self.wait(0.2)


class SegmentLog:
    """Frames drawn and reused per labelled segment of a scene."""

    def mark(self, label: str) -> None:
        stats = self.render_stats
        if stats is None:  # speed-ups off: nothing to count
            return
        now = (stats.frames_drawn + stats.frames_plain, stats.frames_reused)
        if not hasattr(self, "segments"):
            self.segments, self._before = {}, (0, 0)
        self.segments[label] = (now[0] - self._before[0], now[1] - self._before[1])
        self._before = now


class WaitRules(SegmentLog, FastRenderMixin, Scene):
    # half size: which frames are drawn or reused does not depend on it, and
    # its fills still take the tiled path (at 480x270 they would not, and the
    # simulated GL failure below would never be reached)
    default_camera_config = dict(resolution=(960, 540))
    def construct(self):
        square = Square().set_fill(BLUE, 0.5)
        dot = Circle(radius=0.2).set_fill(RED, 1).shift(2 * RIGHT)
        self.add(square, dot)
        self.wait(0.5)
        self.mark("still")
        square.add_updater(lambda m, dt: m.rotate(0.5 * dt))
        self.wait(0.5)
        self.mark("rotating updater")
        square.clear_updaters()
        dot.add_updater(lambda m, dt: m.set_fill(opacity=0.5 + 0.4 * np.sin(self.time)))
        self.wait(0.5)
        self.mark("colour updater")
        dot.clear_updaters()
        self.frame.add_updater(lambda f, dt: f.shift(0.2 * dt * RIGHT))
        self.wait(0.5)
        self.mark("camera moving")
        self.frame.clear_updaters()
        dot.add_updater(lambda m, dt: m.move_to(2 * RIGHT))   # runs, changes nothing
        self.wait(0.5)
        self.mark("idle updater")


# ------------------------------------------------------------------ tests

def test_showcase_frames_identical(tmp_path, fake_ffmpeg, monkeypatch):
    stock, fast, scene = render_both(Showcase, tmp_path, fake_ffmpeg, monkeypatch)
    assert_same_frames(stock, fast)
    stats = scene.render_stats
    # the fast paths were taken, not the stock fallback
    assert stats.frames_plain == 0, stats.stock_reasons
    assert stats.frames_reused > 0
    assert stats.groups_restored > 0
    assert stats.fill_passes_tiled > 0 and stats.fill_passes_skipped > 0
    assert stats.frames_written == len(fast)


def test_bevel_joints_keep_full_fill_pass(tmp_path, fake_ffmpeg, monkeypatch):
    stock, fast, scene = render_both(BevelJoints, tmp_path, fake_ffmpeg, monkeypatch)
    assert_same_frames(stock, fast)
    assert scene.render_stats.fill_passes_full > 0


def test_dot_clouds_and_depth_test_frames_identical(tmp_path, fake_ffmpeg, monkeypatch):
    stock, fast, scene = render_both(NotVectorOnly, tmp_path, fake_ffmpeg, monkeypatch)
    assert_same_frames(stock, fast)
    stats = scene.render_stats
    assert stats.frames_plain == 0, stats.stock_reasons
    assert stats.fill_passes_full > 0          # the depth-tested square's own pass


def plant_stale_uniform_records(scene):
    """Leave manimlib's uniform records as a long test process can: records
    for the programs this scene's VMobjects will draw with, holding the
    values manimgl is about to set, which those new programs do not have.

    manimgl 1.7.2's set_program_uniform skips a uniform whose value equals
    PROGRAM_UNIFORM_MIRRORS[id(program)][name], a record nothing removes when
    the program is freed. get_shader_program caches 128 programs (each scene
    compiles its own, for its own GL context); past that, other scenes'
    programs are freed and a new one can get a freed one's address, and its
    record. Here the record is planted for the very programs instead (the
    cache hands the same ones to the scene), so the state is certain."""
    from manimlib import VMobject
    from manimlib.utils.shaders import PROGRAM_UNIFORM_MIRRORS

    mob = VMobject()
    wrapper = mob.get_shader_wrapper(scene.camera.ctx)   # compiles the scene's programs
    scene.camera.refresh_uniforms()
    values = {**scene.camera.uniforms, **mob.uniforms}
    for program in wrapper.programs:
        record = PROGRAM_UNIFORM_MIRRORS.setdefault(id(program), {})
        for name in ("view", "frame_rescale_factors", "camera_position", "light_position"):
            value = values[name]
            record[name] = tuple(value.flatten()) if isinstance(value, np.ndarray) else value
        # the program itself has none of them: GL starts every uniform at 0
        assert not np.any(program["view"].value)


def test_stale_uniform_records_change_no_frame(tmp_path, fake_ffmpeg, monkeypatch):
    """Under pytest-xdist, with other modules' scenes run before in the same
    process, a stale record made the fill program skip `view` and
    `frame_rescale_factors`, left at 0: the circle of NotVectorOnly vanished
    from one of its two renders ("18 of 18 frames differ; frame 0: 14496
    pixels, max difference 2"). Stock and fast renders must both ignore such
    records (FastRenderMixin forgets them before running)."""
    clean, _ = render_raw(NotVectorOnly, tmp_path / "clean", fake_ffmpeg, monkeypatch,
                          fast=False)
    for fast in (False, True):
        frames, scene = render_raw(
            NotVectorOnly, tmp_path / ("fast" if fast else "stock"), fake_ffmpeg,
            monkeypatch, fast=fast, before_run=plant_stale_uniform_records)
        assert bool(scene.fast_frames and scene.fast_frames.fast) == fast
        assert_same_frames(clean, frames)


class ClipPlane(FastRenderMixin, Scene):
    """A clip plane: frames with it are drawn by stock manimgl."""

    def construct(self):
        circle = Circle(radius=2).set_fill(BLUE, 0.8)
        self.play(FadeIn(circle), run_time=0.2)
        circle.set_clip_plane(RIGHT, 0.5)
        self.wait(0.2)
        circle.deactivate_clip_plane()
        self.play(circle.animate.shift(LEFT), run_time=0.2)


def test_clip_plane_frames_render_as_stock(tmp_path, fake_ffmpeg, monkeypatch):
    stock, fast, scene = render_both(ClipPlane, tmp_path, fake_ffmpeg, monkeypatch)
    assert_same_frames(stock, fast)
    stats = scene.render_stats
    assert stats.stock_reasons == {"clip plane": 6}
    assert stats.frames_drawn > 0              # before and after, the fast path


def test_wait_reuses_frames_only_when_nothing_changes(tmp_path, fake_ffmpeg, monkeypatch):
    stock, fast, scene = render_both(WaitRules, tmp_path, fake_ffmpeg, monkeypatch)
    assert_same_frames(stock, fast)
    drawn, reused = scene.segments["still"]
    assert drawn == 1 and reused == 14            # 0.5 s at 30 fps: one drawn, then reused
    for moving in ("rotating updater", "colour updater", "camera moving"):
        drawn, reused = scene.segments[moving]
        assert reused == 0 and drawn == 15, (moving, drawn, reused)
    # an updater that runs but changes nothing drawn: its frames are reused too
    drawn, reused = scene.segments["idle updater"]
    assert drawn <= 1 and reused >= 14


def test_switch_off_is_stock_manimgl(monkeypatch):
    from manimlib.camera.camera import Camera
    monkeypatch.setenv(ENV_SWITCH, "0")
    monkeypatch.delenv(render_speed.ENV_HASHES, raising=False)
    scene = WaitRules()
    try:
        assert scene.fast_frames is None and scene.render_stats is None
        assert "capture" not in vars(scene.camera)
        assert type(scene.camera).capture is Camera.capture
    finally:
        scene.camera.ctx.release()
    monkeypatch.setenv(ENV_SWITCH, "1")
    scene = WaitRules()
    try:
        assert vars(scene.camera)["capture"] == scene.fast_frames.capture
    finally:
        scene.camera.ctx.release()


def test_lecture_scenes_use_the_mixin():
    from src.rendering.scene import LectureScene
    assert LectureScene.__mro__[1] is FastRenderMixin


def test_harness_checkpoint_images_identical(monkeypatch):
    """The scene tests' path: skipped animations, an image at every checkpoint."""
    from src.rendering.scene import LectureScene
    from tests.manim_harness import run_scene

    class Tiny(LectureScene):
        def construct(self):
            title = self.heading("Tiny lecture")
            self.say("A title.")
            self.play(FadeIn(title))
            dots = VGroup(*(Circle(radius=0.3).set_fill(BLUE, 0.7).shift(x * RIGHT)
                            for x in range(-3, 4)))
            self.say("Some dots.")
            self.play(FadeIn(dots))
            self.wait()
            self.say("They move.")
            self.play(dots.animate.arrange(DOWN).set_fill(RED, 1))
            self.wait()

    runs = {}
    for mode in ("0", "1"):
        monkeypatch.setenv(ENV_SWITCH, mode)
        runs[mode] = run_scene(Tiny, capture_frames=True)
    stock, fast = runs["0"], runs["1"]
    assert len(stock.checkpoints) == len(fast.checkpoints) == 5
    for a, b in zip(stock.checkpoints, fast.checkpoints):
        assert a.image.std() > 0
        assert np.array_equal(a.image, b.image), a.label
    assert np.array_equal(stock.image, fast.image)


def test_encoder_args(monkeypatch):
    monkeypatch.delenv(render_speed.ENV_PRESET, raising=False)
    monkeypatch.delenv(render_speed.ENV_CRF, raising=False)
    assert encoder_args("libx264") == ["-preset", "veryfast", "-crf", "18"]
    assert encoder_args("libx264rgb") == ["-preset", "veryfast", "-crf", "18"]
    assert encoder_args("prores_ks") == [] and encoder_args("") == []
    monkeypatch.setenv(render_speed.ENV_PRESET, "medium")
    monkeypatch.setenv(render_speed.ENV_CRF, "")
    assert encoder_args("libx264") == ["-preset", "medium"]


# ------------------------------------------------------------------ fill_rects

@pytest.fixture(scope="module")
def camera_uniforms():
    scene = Scene()
    try:
        scene.camera.refresh_uniforms()
        yield dict(scene.camera.uniforms), tuple(scene.camera.fbo.size)
    finally:
        scene.camera.ctx.release()


def shader_data(mob):
    return np.concatenate([sm.get_shader_data() for sm in mob.family_members_with_points()])


def test_fill_rects_cover_the_shape_and_little_else(camera_uniforms):
    uniforms, size = camera_uniforms
    width, height = size
    square = Square(2).set_fill(BLUE, 1).set_stroke(width=0)
    rects = fill_rects(shader_data(square), square.uniforms, uniforms, size, (2 * width, 2 * height))
    assert rects
    x0 = min(x for x, _, _, _ in rects)
    x1 = max(x + w for x, _, w, _ in rects)
    y0 = min(y for _, y, _, _ in rects)
    y1 = max(y + h for _, y, _, h in rects)
    px = width / 14.222  # pixels per unit (frame 14.2 units wide)
    centre_x, centre_y = width / 2, height / 2
    assert x0 <= centre_x - px and x1 >= centre_x + px
    assert y0 <= centre_y - px and y1 >= centre_y + px
    covered = sum(w * h for _, _, w, h in rects)
    assert covered < 0.1 * width * height      # a 2x2 square is ~4% of the frame


def test_fill_rects_empty_or_unbounded(camera_uniforms):
    uniforms, size = camera_uniforms
    canvas = (2 * size[0], 2 * size[1])
    outline = Square().set_fill(opacity=0).set_stroke(WHITE, 4)
    assert fill_rects(shader_data(outline), outline.uniforms, uniforms, size, canvas) == []
    assert fill_rects(None, outline.uniforms, uniforms, size, canvas) == []
    beveled = Square().set_fill(BLUE, 1).set_style(fill_border_width=2).set_joint_type("bevel")
    assert fill_rects(shader_data(beveled), beveled.uniforms, uniforms, size, canvas) is None
    solid = Square().set_fill(BLUE, 1)
    assert fill_rects(shader_data(solid), solid.uniforms, uniforms, size, (10, 10)) is None
    far = Square().set_fill(BLUE, 1).shift(40 * RIGHT)
    assert fill_rects(shader_data(far), far.uniforms, uniforms, size, canvas) == []


def test_tile_rects_are_disjoint():
    rng = np.random.default_rng(3)
    width, height = 960, 540
    x0 = rng.uniform(0, width, 200)
    y0 = rng.uniform(0, height, 200)
    x1 = np.minimum(x0 + rng.uniform(1, 80, 200), width)
    y1 = np.minimum(y0 + rng.uniform(1, 80, 200), height)
    rects = render_speed._tile_rects(x0, x1, y0, y1, width, height)
    mask = np.zeros((height, width), int)
    for x, y, w, h in rects:
        assert w > 0 and h > 0
        mask[y:y + h, x:x + w] += 1
    assert mask.max() == 1                     # composited at most once
    for a, b, c, d in zip(x0, x1, y0, y1):     # every box covered
        assert mask[int(c):int(np.ceil(d)), int(a):int(np.ceil(b))].all()


# ------------------------------------------------------------------ falling back to stock
# A manimgl that is not the one the fast path was written for must render with
# stock manimgl, saying so in one line. Each case below changes the installed
# 1.7.2 the way an upgrade could, keeping stock rendering working, and the
# scene must still render, warn once, and give stock manimgl's frames.

class TinyLecture(LectureScene):
    # small frames: its tests check that a changed manimgl renders stock
    # frames, whatever their size (the fast path's own pixels are checked at
    # 1080p by Showcase)
    default_camera_config = dict(resolution=(480, 270))

    def construct(self):
        title = self.heading("Falling back")
        self.say("A title and some shapes.")
        dots = VGroup(*(Circle(radius=0.3).set_fill(BLUE, 0.7).shift(x * RIGHT)
                        for x in range(-3, 4)))
        self.play(FadeIn(title), FadeIn(dots), run_time=0.3)
        self.wait(0.2)
        self.say("They move.")
        self.play(dots.animate.arrange(DOWN).set_fill(RED, 1), run_time=0.3)


def rename_render_fill(monkeypatch):
    from manimlib.shader_wrapper import VShaderWrapper
    monkeypatch.setattr(VShaderWrapper, "draw_fill", VShaderWrapper.render_fill, raising=False)
    monkeypatch.delattr(VShaderWrapper, "render_fill")

    def render(self):
        if self.stroke_behind:
            self.render_stroke()
            self.draw_fill()
        else:
            self.draw_fill()
            self.render_stroke()
    monkeypatch.setattr(VShaderWrapper, "render", render)


def rename_camera_fbo_for_files(monkeypatch):
    from manimlib.camera.camera import Camera
    init_fbo = Camera.init_fbo

    def renamed(self):
        init_fbo(self)
        self.file_fbo = vars(self).pop("fbo_for_files")
    monkeypatch.setattr(Camera, "init_fbo", renamed)


def add_open_movie_pipe_parameter(monkeypatch):
    from manimlib.scene.scene_file_writer import SceneFileWriter
    open_movie_pipe = SceneFileWriter.open_movie_pipe

    def with_index(self, file_path, index=None):
        open_movie_pipe(self, file_path)
    monkeypatch.setattr(SceneFileWriter, "open_movie_pipe", with_index)


def rewrite_mobject_render(monkeypatch):
    from manimlib.mobject.mobject import Mobject

    def render(self, ctx, camera_uniforms):   # same behaviour, other code
        if self._data_has_changed:
            self.shader_wrappers = self.get_shader_wrapper_list(ctx)
            self._data_has_changed = False
        for wrapper in self.shader_wrappers:
            wrapper.update_program_uniforms(camera_uniforms)
            wrapper.pre_render()
            wrapper.render()
    monkeypatch.setattr(Mobject, "render", render)


def change_fill_shader(monkeypatch):
    import manimlib.shader_wrapper as shader_wrapper
    read = shader_wrapper.get_shader_code_from_file

    def changed(filename):
        code = read(filename)
        if filename.endswith(os.path.join("fill", "geom.glsl")):
            code += "\n// a comment: another shader text, same pixels\n"
        return code
    monkeypatch.setattr(shader_wrapper, "get_shader_code_from_file", changed)


def report_another_version(monkeypatch):
    import manimlib
    monkeypatch.setattr(manimlib, "__version__", "1.8.0")


WARNING = "autograd lecture: render speed-up off for manimgl {}; rendering with stock manimgl"
FALLBACKS = {
    "renamed method": (rename_render_fill,
                       "1.7.2 (VShaderWrapper.render_fill missing and 1 more)"),
    "renamed attribute": (rename_camera_fbo_for_files,
                          "1.7.2 (Camera.fbo_for_files missing)"),
    "other signature": (add_open_movie_pipe_parameter,
                        "1.7.2 (SceneFileWriter.open_movie_pipe(self, file_path, index) "
                        "instead of (self, file_path))"),
    "other source": (rewrite_mobject_render, "1.7.2 (Mobject.render differs from 1.7.2's)"),
    "other shader": (change_fill_shader,
                     "1.7.2 (VShaderWrapper.program_code['fill_geom'] differs from 1.7.2's)"),
    "other version": (report_another_version, "1.8.0 (made for 1.7.2)"),
}


@pytest.fixture
def fresh_warning(monkeypatch):
    """As in a new process: the fallback warning not printed yet."""
    monkeypatch.setattr(render_speed, "_warned", False)


@pytest.fixture(scope="module")
def stock_tiny_lecture(tmp_path_factory, fake_ffmpeg):
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.delenv(render_speed.ENV_HASHES, raising=False)
        frames, _ = render_raw(TinyLecture, tmp_path_factory.mktemp("stock"), fake_ffmpeg,
                               monkeypatch, fast=False)
    return frames


def test_every_need_is_met_by_the_installed_manimgl():
    """The list is right for manimgl 1.7.2 (else the speed-up would be off)."""
    scene = Showcase()
    try:
        assert render_speed.manimgl_problems(scene) == ("1.7.2", [])
        assert scene.fast_frames is not None and scene.fast_render_problems == []
    finally:
        scene.camera.ctx.release()


@pytest.mark.parametrize("case", list(FALLBACKS))
def test_changed_manimgl_renders_stock_frames_with_one_warning(
        case, tmp_path, fake_ffmpeg, monkeypatch, capsys, fresh_warning, stock_tiny_lecture):
    change, expected = FALLBACKS[case]
    change(monkeypatch)
    monkeypatch.delenv(render_speed.ENV_HASHES, raising=False)
    frames, scene = render_raw(TinyLecture, tmp_path, fake_ffmpeg, monkeypatch, fast=True)
    # stock manimgl drew and wrote every frame
    assert scene.fast_frames is None and scene.render_stats is None
    assert not {"capture", "get_raw_fbo_data"} & set(vars(scene.camera))
    assert not {"open_movie_pipe", "write_frame"} & set(vars(scene.file_writer))
    assert_same_frames(stock_tiny_lecture, frames)
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if line.startswith("autograd lecture:")] == [
        WARNING.format(expected)]
    # once per process: the next scene falls back without a word
    again = TinyLecture()
    try:
        assert again.fast_frames is None and again.fast_render_problems
    finally:
        again.camera.ctx.release()
    assert "autograd lecture:" not in capsys.readouterr().err


def test_switch_off_says_nothing_about_manimgl(monkeypatch, capsys, fresh_warning):
    report_another_version(monkeypatch)
    monkeypatch.setenv(ENV_SWITCH, "0")
    monkeypatch.delenv(render_speed.ENV_HASHES, raising=False)
    scene = TinyLecture()
    try:
        assert scene.fast_frames is None and scene.fast_render_problems == []
    finally:
        scene.camera.ctx.release()
    assert capsys.readouterr().err == ""


def test_failed_install_leaves_stock_manimgl(monkeypatch, capsys, fresh_warning):
    """An exception after some methods were bound: all of them are removed."""
    from manimlib.camera.camera import Camera
    install = render_speed.FastFrames.__init__

    def install_then_fail(self, scene, fast=True):
        install(self, scene, fast)
        raise RuntimeError("simulated")
    monkeypatch.setattr(render_speed.FastFrames, "__init__", install_then_fail)
    monkeypatch.setenv(ENV_SWITCH, "1")
    monkeypatch.delenv(render_speed.ENV_HASHES, raising=False)
    scene = TinyLecture()
    try:
        assert scene.fast_frames is None
        assert not {"capture", "get_raw_fbo_data"} & set(vars(scene.camera))
        assert not {"open_movie_pipe", "close_movie_pipe", "write_frame"} & set(
            vars(scene.file_writer))
        assert type(scene.camera).capture is Camera.capture
    finally:
        scene.camera.ctx.release()
    assert capsys.readouterr().err.splitlines() == [
        WARNING.format("1.7.2 (RuntimeError while installing: simulated)")]


def test_failure_while_drawing_falls_back_for_the_rest(
        tmp_path, fake_ffmpeg, monkeypatch, capsys, fresh_warning):
    """The fast path raising in the middle of a fill pass (the fill texture
    bound, blending set for it, groups before it drawn) must not kill the
    render: that frame and every later one are drawn by stock manimgl,
    identical to a stock render."""
    import OpenGL.GL

    class FailingGL:
        """OpenGL.GL, but the 11th glBlendEquation (to GL_MAX) raises once it is applied."""
        calls = 0

        def __getattr__(self, name):
            return getattr(OpenGL.GL, name)

        def glBlendEquation(self, mode):
            OpenGL.GL.glBlendEquation(mode)
            self.calls += 1
            if self.calls == 11:
                raise RuntimeError("simulated")
    monkeypatch.setattr(render_speed, "gl", FailingGL())
    monkeypatch.delenv(render_speed.ENV_HASHES, raising=False)
    stock, fast, scene = render_both(WaitRules, tmp_path, fake_ffmpeg, monkeypatch)
    assert_same_frames(stock, fast)
    stats = scene.render_stats
    assert stats.gave_up == "RuntimeError in capture: simulated"
    assert stats.frames_drawn > 0 and stats.frames_plain == 1   # fast, then stock
    assert stats.frames_written == len(fast)
    assert "capture" not in vars(scene.camera)
    assert capsys.readouterr().err.splitlines() == [
        WARNING.format("1.7.2 (RuntimeError in capture: simulated)")]


def test_frame_hashes_outlive_a_fallback_that_spares_them(tmp_path, monkeypatch, capsys,
                                                          fresh_warning):
    """AUTOGRAD_FRAME_HASHES only needs the entries marked hashes=True: with
    the camera's fbo_for_files renamed, frames are still hashed (by stock
    drawing); with write_frame's signature changed, they are not."""
    rename_camera_fbo_for_files(monkeypatch)
    monkeypatch.setenv(ENV_SWITCH, "1")
    monkeypatch.setenv(render_speed.ENV_HASHES, str(tmp_path / "frames.md5"))
    scene = TinyLecture()
    try:
        assert scene.fast_frames is not None and not scene.fast_frames.fast
        assert "capture" not in vars(scene.camera)
        assert vars(scene.file_writer)["write_frame"] == scene.fast_frames.write_frame
        scene.fast_frames.finish()
    finally:
        scene.camera.ctx.release()

    from manimlib.scene.scene_file_writer import SceneFileWriter
    write_frame = SceneFileWriter.write_frame
    monkeypatch.setattr(SceneFileWriter, "write_frame",
                        lambda self, camera, index=0: write_frame(self, camera))
    scene = TinyLecture()
    try:
        assert scene.fast_frames is None
        assert "SceneFileWriter.write_frame(self, camera, index) instead of (self, camera)" \
            in scene.fast_render_problems
    finally:
        scene.camera.ctx.release()
    assert capsys.readouterr().err.splitlines() == [
        WARNING.format("1.7.2 (Camera.fbo_for_files missing)")]
