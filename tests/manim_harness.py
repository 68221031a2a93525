"""In-process, headless runner for manimgl 1.7.2 scenes, for tests.

    from tests.manim_harness import run_scene, text_mobjects, bboxes_overlap

    run = run_scene(MyScene)               # runs construct() with skip_animations
    for cp in run.checkpoints:             # one per play()/wait(), in order
        for mob in cp.mobjects:            # visible top-level mobjects (copies)
            assert cp.in_frame(mob), (cp.label, mob)
        texts = text_mobjects(cp.mobjects)
        ...
    assert run.image.std() > 0             # last frame, H x W x 4 uint8 (RGBA)

Importing manimlib has side effects this module takes care of (call
`prepare_manimlib()` before anything imports manimlib; the project's root
conftest.py does so for the whole pytest session):

* manimlib parses sys.argv when first imported: sys.argv is set to
  ``["manimgl", "-r", "960x540", "--config_file", <root>/custom_config.yml]``
  (exact 16:9, so frame width/height are those of the 1080p render, and the
  project's TeX template whatever the working directory). pytest's own argv
  is kept in ORIGINAL_ARGV.
* manimlib imports pyglet's window module, which needs an X display. When
  DISPLAY is unset, pyglet is switched to headless mode (EGL) and scenes get
  an EGL standalone OpenGL context (Mesa llvmpipe), so no X server is needed.
  Under X (e.g. `xvfb-run -a`, as `make test` does) manimgl's default X11
  standalone context is used. MANIM_HARNESS_GL=egl|x11 forces one.

Every scene's OpenGL context is released after the run (otherwise memory
grows by tens of MB per scene).
"""
from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "custom_config.yml"
LECTURE_MODULE = "01_autograd_visualization"
# Exactly 16:9 like the 1080p render (-l would be 854x480, a 14.233-wide frame).
RESOLUTION = "960x540"
MANIM_ARGV = ["manimgl", "-r", RESOLUTION, "--config_file", str(CONFIG_FILE)]

ORIGINAL_ARGV: list[str] = list(sys.argv)
_gl_backend: str | None = None  # "egl" or "x11", fixed by prepare_manimlib()


# ------------------------------------------------------------------ set-up

def prepare_manimlib() -> str:
    """Make the first `import manimlib` safe in a test process.

    Idempotent. Returns the OpenGL backend in use ("egl" or "x11"). Must run
    before manimlib (or pyglet.window) is first imported to take full effect;
    if manimlib was already imported, its configuration is left as it is.
    """
    global _gl_backend
    if _gl_backend is not None:
        return _gl_backend
    wanted = os.environ.get("MANIM_HARNESS_GL", "auto").lower()
    if wanted not in ("auto", "egl", "x11"):
        raise ValueError(f"MANIM_HARNESS_GL must be auto, egl or x11, not {wanted!r}")
    if wanted == "auto":
        wanted = "x11" if os.environ.get("DISPLAY") else "egl"
    if "manimlib" not in sys.modules:
        if wanted == "egl" and "pyglet.window" not in sys.modules:
            import pyglet
            pyglet.options["headless"] = True
        sys.argv = list(MANIM_ARGV)
    _gl_backend = wanted
    return wanted


def import_manimlib():
    """Import manimlib (once), configured for tests; returns the module."""
    prepare_manimlib()
    if "manimlib" not in sys.modules:
        cwd = os.getcwd()
        os.chdir(ROOT)  # custom_config.yml is also read from the cwd
        try:
            import warnings
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                import manimlib  # noqa: F401
        finally:
            os.chdir(cwd)
    import manimlib
    _patch_camera_context()
    return manimlib


def lecture_module():
    """The lecture's scene module, 01_autograd_visualization.py (imported once)."""
    import_manimlib()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(LECTURE_MODULE)


def _patch_camera_context() -> None:
    """Give window-less cameras an EGL context when running headless."""
    from manimlib.camera import camera as camera_module
    Camera = camera_module.Camera
    if getattr(Camera.init_context, "_harness_patched", False):
        return
    original = Camera.init_context

    def init_context(self) -> None:
        if self.window is None and _gl_backend == "egl":
            import moderngl
            self.ctx = moderngl.create_standalone_context(backend="egl")
            self.ctx.enable(moderngl.PROGRAM_POINT_SIZE)
            self.ctx.enable(moderngl.BLEND)
        else:
            original(self)

    init_context._harness_patched = True  # type: ignore[attr-defined]
    Camera.init_context = init_context


# ------------------------------------------------------------- results

@dataclass
class Checkpoint:
    """The scene's state right after one play() or wait() call."""

    index: int                  # 0-based; equals the play/wait count before the call
    kind: str                   # "play" or "wait"
    label: str                  # e.g. "play #3: Write, FadeIn"
    time: float                 # scene time after the call (s)
    mobjects: list              # visible top-level mobjects (copies unless copy=False)
    family: list                # every visible family member of those, with points
    frame_center: np.ndarray    # camera frame at this point
    frame_width: float
    frame_height: float
    image: np.ndarray | None = None   # H x W x 4 uint8, only with capture_frames=True

    def in_frame(self, mob, margin: float = 0.0) -> bool:
        """Is `mob`'s bounding box inside the camera frame of this checkpoint?"""
        return mobject_in_frame(mob, self.frame_width, self.frame_height,
                                margin=margin, center=self.frame_center)

    def texts(self) -> list:
        return text_mobjects(self.mobjects)


@dataclass
class SceneRun:
    scene_name: str
    checkpoints: list[Checkpoint]
    image: np.ndarray            # last frame, H x W x 4 uint8 (RGBA)
    frame_width: float           # manim units of the final camera frame
    frame_height: float
    num_plays: int
    time: float                  # total scene time (s)
    mobjects: list = field(default_factory=list)  # visible top-level mobjects at the end

    @property
    def last(self) -> Checkpoint:
        return self.checkpoints[-1]

    def __repr__(self) -> str:
        return (f"SceneRun({self.scene_name}: {len(self.checkpoints)} checkpoints, "
                f"{self.time:.1f} s, image {self.image.shape})")


# ------------------------------------------------------------- running

def family_state(mob) -> tuple:
    """Everything about `mob` that a check can read, member by member: which
    objects make up its family, their points, colours and widths (the data
    array), their uniforms, and a drawn number's value. Equal states mean a
    copy made earlier still shows `mob` exactly as it is now."""
    state = []
    for member in mob.get_family():
        uniforms = tuple((key, value.tobytes() if isinstance(value, np.ndarray) else value)
                         for key, value in member.uniforms.items())
        state.append((id(member), type(member), member.data.tobytes(), uniforms,
                      getattr(member, "number", None)))
    return tuple(state)


def run_scene(
    scene_cls,
    *,
    copy: bool = True,
    capture_frames: bool = False,
    **scene_kwargs: Any,
) -> SceneRun:
    """Run `scene_cls` headlessly in this process and record what it shows.

    copy: store copies of the mobjects at each checkpoint (so later changes do
        not leak into earlier checkpoints); copy=False keeps live references
        (faster; then only the last checkpoint is exact).
    capture_frames: also render an image at every checkpoint (slower).
    scene_kwargs: passed to the Scene, e.g. end_at_animation_number=3.
        skip_animations defaults to True.
    Exceptions from construct() propagate; the GL context is released anyway.
    """
    import_manimlib()
    scene_kwargs.setdefault("skip_animations", True)
    scene = scene_cls(**scene_kwargs)
    checkpoints: list[Checkpoint] = []

    copies: dict = {}   # id(top-level mobject) -> (its state, the copy made of it)

    def snapshot(mob):
        """A copy of `mob`, or the previous checkpoint's copy if nothing in
        its family changed since (most of a scene stands still while one part
        moves; copying all of it at every checkpoint was a fifth of a run)."""
        state = family_state(mob)
        kept = copies.get(id(mob))
        if kept is not None and kept[0] == state:
            return kept[1]
        duplicate = mob.copy()
        copies[id(mob)] = (state, duplicate)
        return duplicate

    def record(kind: str, args: Sequence[Any]) -> None:
        names = ", ".join(type(a).__name__ for a in args) if kind == "play" else ""
        index = scene.num_plays - 1
        tops = visible_top_level(scene)
        if copy:
            tops = [snapshot(m) for m in tops]
        frame = scene.camera.frame
        image = None
        if capture_frames:
            scene.camera.capture(*scene.render_groups)
            image = np.array(scene.camera.get_image())
        checkpoints.append(Checkpoint(
            index=index, kind=kind,
            label=f"{kind} #{index}" + (f": {names}" if names else ""),
            time=float(scene.time), mobjects=tops, family=visible_family(tops),
            frame_center=np.array(frame.get_center()),
            frame_width=float(frame.get_width()), frame_height=float(frame.get_height()),
            image=image,
        ))

    original_play, original_wait = scene.play, scene.wait

    def play(*args, **kwargs):
        before = scene.num_plays
        result = original_play(*args, **kwargs)
        if scene.num_plays > before:
            record("play", args)
        return result

    def wait(*args, **kwargs):
        before = scene.num_plays
        result = original_wait(*args, **kwargs)
        if scene.num_plays > before:
            record("wait", ())
        return result

    scene.play, scene.wait = play, wait
    try:
        scene.run()
        scene.update_frame(force_draw=True)
        image = np.array(scene.get_image())
        frame = scene.camera.frame
        return SceneRun(
            scene_name=type(scene).__name__, checkpoints=checkpoints, image=image,
            frame_width=float(frame.get_width()), frame_height=float(frame.get_height()),
            num_plays=scene.num_plays, time=float(scene.time),
            mobjects=visible_top_level(scene),
        )
    finally:
        release_scene(scene)


def release_scene(scene) -> None:
    """Free the scene's OpenGL context (and the buffers that live in it)."""
    camera = getattr(scene, "camera", None)
    ctx = getattr(camera, "ctx", None)
    if ctx is not None:
        try:
            ctx.release()
        except Exception:
            pass
        camera.ctx = None
    scene.play = scene.wait = None  # break the wrapper <-> scene cycle


# ----------------------------------------------------- mobject helpers

def is_visible(mob) -> bool:
    """Does `mob` itself draw anything (points, and some opacity)?"""
    if not mob.has_points():
        return False
    if hasattr(mob, "has_fill") and hasattr(mob, "has_stroke"):  # VMobject
        return bool(mob.has_fill() or mob.has_stroke())
    names = getattr(getattr(mob, "data", None), "dtype", np.dtype([])).names or ()
    if "rgba" in names:  # points, surfaces, images
        return bool(np.any(mob.data["rgba"][:, 3] > 0))
    return True


def visible_top_level(scene) -> list:
    """Top-level mobjects of `scene` that show something (camera frame excluded)."""
    frame = scene.camera.frame
    return [m for m in scene.mobjects
            if m is not frame and any(is_visible(sm) for sm in m.get_family())]


def visible_family(mobjects: Iterable) -> list:
    """Every visible member of the families of `mobjects`, without duplicates."""
    seen, out = set(), []
    for mob in mobjects:
        for sm in mob.get_family():
            if id(sm) not in seen and is_visible(sm):
                seen.add(id(sm))
                out.append(sm)
    return out


def _text_types() -> tuple[type, ...]:
    from manimlib.mobject.numbers import DecimalNumber
    from manimlib.mobject.svg.old_tex_mobject import SingleStringTex
    from manimlib.mobject.svg.string_mobject import StringMobject
    # StringMobject covers Text, MarkupText, Code, Tex, TexText, Brace labels...
    return (StringMobject, SingleStringTex, DecimalNumber)


def text_mobjects(mobjects: Iterable) -> list:
    """Outermost text-like mobjects (Text, Tex, TexText, DecimalNumber, Integer, ...)
    found in the families of `mobjects`; their glyph submobjects are not listed
    separately. Invisible ones are skipped."""
    types = _text_types()
    return outermost(mobjects, lambda mob: isinstance(mob, types),
                     lambda mob: any(is_visible(sm) for sm in mob.get_family()))


def outermost(mobjects: Iterable, matches, keep) -> list:
    """The outermost mobjects in the families of `mobjects` that `matches`
    (not searched further down: a label, not its glyphs again), each listed
    once, and only if `keep(mob)`."""
    out, seen = [], set()

    def walk(mob) -> None:
        if id(mob) in seen:
            return
        seen.add(id(mob))
        if matches(mob):
            if keep(mob):
                out.append(mob)
            return
        for sub in mob.submobjects:
            walk(sub)

    for mob in mobjects:
        walk(mob)
    return out


def bbox_2d(obj) -> np.ndarray:
    """[[xmin, ymin], [xmax, ymax]] of a mobject or of a manim bounding box
    (3 x 3 array [min, mid, max]) or of a 2 x 2 array."""
    if hasattr(obj, "get_bounding_box"):
        box = np.asarray(obj.get_bounding_box())
        return np.array([box[0, :2], box[-1, :2]], dtype=float)
    box = np.asarray(obj, dtype=float)
    return np.array([box[0, :2], box[-1, :2]])


def bboxes_overlap(a, b, tolerance: float = 0.0) -> bool:
    """Do the 2D bounding boxes of `a` and `b` overlap by more than `tolerance`
    (manim units) in both x and y? Touching edges do not count."""
    (ax0, ay0), (ax1, ay1) = bbox_2d(a)
    (bx0, by0), (bx1, by1) = bbox_2d(b)
    overlap_x = min(ax1, bx1) - max(ax0, bx0)
    overlap_y = min(ay1, by1) - max(ay0, by0)
    return overlap_x > tolerance and overlap_y > tolerance


def overlapping_pairs(mobjects: Sequence, tolerance: float = 0.0) -> list[tuple]:
    """All pairs among `mobjects` whose bounding boxes overlap (see bboxes_overlap)."""
    return [(a, b) for i, a in enumerate(mobjects) for b in mobjects[i + 1:]
            if bboxes_overlap(a, b, tolerance)]


def mobject_in_frame(mob, frame_width: float | None = None, frame_height: float | None = None,
                     margin: float = 0.0, center=(0.0, 0.0)) -> bool:
    """Is the bounding box of `mob` inside a frame of the given size centred at
    `center` (default: manimlib's FRAME_WIDTH x FRAME_HEIGHT at the origin),
    shrunk by `margin` on every side?"""
    if frame_width is None or frame_height is None:
        from manimlib.constants import FRAME_HEIGHT, FRAME_WIDTH
        frame_width = FRAME_WIDTH if frame_width is None else frame_width
        frame_height = FRAME_HEIGHT if frame_height is None else frame_height
    (x0, y0), (x1, y1) = bbox_2d(mob)
    cx, cy = float(center[0]), float(center[1])
    half_w, half_h = frame_width / 2 - margin, frame_height / 2 - margin
    eps = 1e-6
    return (x0 >= cx - half_w - eps and x1 <= cx + half_w + eps
            and y0 >= cy - half_h - eps and y1 <= cy + half_h + eps)


def is_blank(image: np.ndarray, background=None, tolerance: int = 8) -> bool:
    """True if every pixel of `image` is within `tolerance` of the background
    colour (default: the colour of the top-left pixel)."""
    img = np.asarray(image)[..., :3].astype(int)
    bg = img[0, 0] if background is None else np.asarray(background)[:3]
    return bool(np.all(np.abs(img - bg) <= tolerance))
