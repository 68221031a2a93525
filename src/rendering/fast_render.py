"""Faster manimgl 1.7.2 renders with the same pixels.

    from src.rendering.fast_render import FastRenderMixin

    class LectureScene(FastRenderMixin, InteractiveScene): ...

Every lecture scene derives from LectureScene, so the plain CLI
(`manimgl 01_autograd_visualization.py BackwardPassScene -w -l`) and
`make video` get the speed-ups; `AUTOGRAD_FAST_RENDER=0` turns them all
off (stock manimgl behaviour), for side-by-side measurements
(benchmarks/render_speed.py) and for the frame-identity tests
(tests/test_render_speed.py). Nothing is patched globally: the mixin binds
its methods on the scene's own camera and file writer, and only when the
scene renders off-screen (no preview window) with the manimgl it was
written for (see "What it relies on" below).

Where a 1.7.2 render spends its time (benchmarks/RENDER_SPEED.md): every
group of filled shapes is drawn into a float texture twice the frame size,
which is cleared and then composited over the whole frame with a
full-screen quad. Under Mesa's software rasteriser that clear + composite
costs ~20 ms per group at 1080p, however small the shapes are. What this
module changes, each exact (same bytes in every raw frame):

1. Fill passes touch only the pixels their shapes can cover. The
   conservative screen box of every curve triangle (its control points, its
   base point and the anti-aliased border around it, projected with the
   same matrices as the shaders) marks tiles of a coarse grid; the texture
   is cleared (glClearTexSubImage) and composited only inside those tiles,
   with the *same* full-screen quad under a scissor rectangle, so every
   composited pixel is computed exactly as before. Outside the tiles the
   texture would hold zero alpha, which the composite shader discards, so
   those pixels were never changed anyway. A group without any visible fill
   skips the pass. Groups with a fill border and bevel or miter joints
   (which can reach arbitrarily far) or with depth test keep manimgl's own
   full-screen pass.
2. Unchanged frames are not drawn again. Each render group is reduced to
   what the GPU gets from it: its shader programs, the bytes of its vertex
   buffers (compared whenever manimgl re-reads them), its uniforms and
   textures (by identity: manimlib loads an image file into a texture once
   and never writes it again), plus the camera's uniforms. A frame whose inputs equal the
   previous frame's (most of every `wait()`, and any animation step that
   changes nothing) is not drawn: its raw bytes are sent to ffmpeg again.
   A wait with an updater that moves or recolours something, or with a
   moving camera, changes these inputs and renders every frame.
3. The unchanged leading groups (title, graph, code panels behind an
   animated caption) are kept as a snapshot of the framebuffer: a frame
   whose first k groups are unchanged restores the snapshot (a texture
   copy) and draws only the rest.
   2 and 3 rely on each draw being self-contained: every uniform its GL
   programs use is set by the draw itself (checked by introspecting the
   programs), so skipping earlier draws cannot change it.
4. The frame is read straight from the render framebuffer (manimgl first
   blits it into a second framebuffer with GL_LINEAR: a full-screen copy
   through a shader in software GL).
5. Frames go to ffmpeg from a writer thread through a queue of up to
   ~128 MB, so drawing overlaps with encoding, and libx264 runs with
   `-preset veryfast -crf 18` (manimgl: preset medium, CRF 23): about 40%
   less x264 CPU, closer to the raw frames, files ~27% larger (figures in
   benchmarks/RENDER_SPEED.md).

What the fast path cannot prove equal renders the frame exactly as stock
manimgl does: a mobject in two render groups, a clip plane, a program
uniform the draw does not set itself, a mobject with its own render(), a
multisampled camera, a preview window. Depth-tested draws are supported but
switch off the colour-only snapshot for that frame.

What it relies on, and falling back. The fast path uses manimgl 1.7.2's
internals: the camera's framebuffers and uniforms, the shader wrappers'
buffers, programs and fill canvas, the file writer's ffmpeg settings; it
re-implements Camera.capture and get_raw_fbo_data, Mobject.render,
VShaderWrapper.render and render_fill, SceneFileWriter.open_movie_pipe and
write_frame, and its region bound models the fill and stroke shaders.
MANIMGL_NEEDS lists every one of these members (parameters for methods; for
what is re-implemented or modelled, the md5 of its 1.7.2 source). When a
scene is created, the installed manimgl is checked against MANIMGL_VERSION
and every entry (~1 ms; ~0.1 s for the first scene of a process, mostly
compiling the probe's shaders, which the scene would compile anyway). If
anything is off, or installing raises, the scene renders with stock manimgl
and one line goes to stderr, once per process, e.g.

    autograd lecture: render speed-up off for manimgl 1.8.0 (made for 1.7.2;
    Camera.fbo_for_files missing and 2 more); rendering with stock manimgl

(one line; the scene's `fast_render_problems` lists everything). An
exception in the fast path while drawing or reading a frame is caught as
well: the blending and scissor state the fast path changes is reset, that
frame is drawn again by stock manimgl (which clears the frame and draws
everything), and so is every later frame; the same warning names the error.
The file writer's replacements (ffmpeg command, writer thread) rely on the
start-up check alone: an error writing to ffmpeg would be one with stock
manimgl too.

One manimgl 1.7.2 bug is worked around with the speed-ups on or off, as it
changes stock frames too: stale uniform records (`forget_uniform_mirrors`).
set_program_uniform skips a uniform whose value equals the one recorded for
that program in PROGRAM_UNIFORM_MIRRORS, keyed by id(program) and never
pruned. Once a process has compiled more programs than get_shader_program's
cache holds (128; every scene compiles its own, for its own GL context), the
programs of released contexts are freed, and a program compiled for a later
scene can get a freed one's address, and with it its record: the uniforms
whose values match (the camera's view, frame_rescale_factors) are never set
and stay 0 in GL, so everything that program draws (e.g. every fill) is
missing. The mixin empties the records when a scene is created and when it
starts running; an empty record only means every uniform is set once more.

Environment:
    AUTOGRAD_FAST_RENDER=0        all of the above off (stock manimgl 1.7.2),
                                  except forgetting the uniform records;
                                  manimgl is not checked, nothing is printed
    AUTOGRAD_X264_PRESET=medium   another libx264 preset ("" = manimgl's)
    AUTOGRAD_X264_CRF=23          another CRF ("" = libx264's default, 23)
    AUTOGRAD_RENDER_STATS=1       print what the fast path did at the end
                                  (or every reason it was off)
    AUTOGRAD_FRAME_HASHES=FILE    append the md5 of every raw frame sent to
                                  ffmpeg to FILE (with the speed-ups on or
                                  off), to compare two renders frame by frame
                                  (off, with one warning, if the entries of
                                  MANIMGL_NEEDS marked hashes=True fail)
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import itertools
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import moderngl
import numpy as np
import OpenGL.GL as gl

from src.visualization.manimgl_internals import (
    MANIMGL_VERSION, fallback_line, manimgl_version, source_problem, text_md5,
)

__all__ = [
    "FastRenderMixin", "FastFrames", "RenderStats", "fast_render_enabled",
    "encoder_args", "ENV_SWITCH", "MANIMGL_VERSION", "MANIMGL_NEEDS", "manimgl_version",
    "manimgl_problems", "warn_fallback", "forget_uniform_mirrors",
]

ENV_SWITCH = "AUTOGRAD_FAST_RENDER"
ENV_PRESET = "AUTOGRAD_X264_PRESET"
ENV_CRF = "AUTOGRAD_X264_CRF"
ENV_STATS = "AUTOGRAD_RENDER_STATS"
ENV_HASHES = "AUTOGRAD_FRAME_HASHES"

DEFAULT_PRESET = "veryfast"
DEFAULT_CRF = "18"

# joint_type codes of manimlib's stroke shader (VMobject.joint_type_map)
NO_JOINT, AUTO_JOINT = 0, 1
# |step + shift * tangent| <= 1 + max|shift|; for the auto joint, max|shift|
# over every joint angle is 4.39 (quadratic_bezier/stroke/geom.glsl,
# step_to_corner); bevel and miter joints are unbounded near 180 / 0 degrees.
AUTO_JOINT_REACH = 5.5
PAD_TEXELS = 3            # extra margin around every box, fill-texture texels
QUEUE_BYTES = 128 * 2**20  # raw frames queued for ffmpeg at most
MAX_RECTS = 48            # more scissor rectangles than this: one box per row band


# ------------------------------------------------------------------ what it relies on
# Everything the fast path takes from manimgl (and moderngl) beyond the plain
# Scene API, in one place. `manimgl_problems` checks every entry when a scene
# is created; a missing or changed one means stock rendering and one warning
# line (`FastRenderMixin`). Entries:
#   call(where, params)   a method or function, with its parameter names (the
#                         fast path calls it, or replaces it on the scene's own
#                         camera / file writer and manimgl calls the replacement)
#   same=md5              re-implemented or modelled here: its source (a shader:
#                         its code) must be 1.7.2's, first 12 hex digits of the md5
#   attrs(owner, names)   attributes set by the owner's __init__, checked on the
#                         scene's camera and file writer and on a probe VMobject
#                         and its shader wrapper (moderngl: module attributes)
#   keys(owner, names)    keys of a dict: the camera's uniforms (after
#                         refresh_uniforms), a VMobject's uniforms, the fields of
#                         its vertex data
#   hashes=True           the frame-hash recorder (AUTOGRAD_FRAME_HASHES, also
#                         used with the speed-up off) needs it too


@dataclass(frozen=True)
class Need:
    owner: str
    names: tuple
    kind: str                       # "call", "attr", "key" or "text"
    params: str | None = None
    same: str | None = None
    hashes: bool = False


def call(where: str, params: str, same: str | None = None, hashes: bool = False) -> Need:
    owner, name = where.rsplit(".", 1)
    return Need(owner, (name,), "call", params, same, hashes)


def attrs(owner: str, names: str, hashes: bool = False) -> Need:
    return Need(owner, tuple(names.split()), "attr", hashes=hashes)


def keys(owner: str, names: str) -> Need:
    return Need(owner, tuple(names.split()), "key")


def text(owner: str, key: str, same: str) -> Need:
    return Need(owner, (key,), "text", same=same)


MANIMGL_NEEDS = (
    attrs("Scene", "window camera file_writer", hashes=True),
    # the camera: capture and get_raw_fbo_data are replaced on the scene's camera
    call("Camera.capture", "self, *mobjects", same="f01e180d011b"),
    call("Camera.get_raw_fbo_data", "self, dtype", same="c7f6db0a1c2c", hashes=True),
    call("Camera.refresh_uniforms", "self"),
    call("Camera.get_pixel_shape", "self"),
    attrs("Camera", "ctx", hashes=True),
    attrs("Camera", "window fbo fbo_for_files background_rgba n_channels fps uniforms"),
    keys("Camera.uniforms", "view frame_scale frame_rescale_factors pixel_size"),
    # a render group: read and drawn as Mobject.render does
    call("Mobject.render", "self, ctx, camera_uniforms", same="ef2f355bd8ae"),
    call("Mobject.get_shader_wrapper_list", "self, ctx", same="307b0b823f5a"),
    call("Mobject.family_members_with_points", "self"),
    call("Mobject.get_family", "self, recurse"),
    call("Mobject.get_shader_wrapper", "self, ctx"),
    call("Mobject.get_shader_data", "self"),
    call("iterables.batch_by_property", "items, property_func"),
    attrs("VMobject", "_data_has_changed shader_wrapper"),
    keys("VMobject.uniforms", "is_fixed_in_frame joint_type anti_alias_width scale_stroke_with_zoom"),
    keys("VMobject.data_dtype", "point fill_rgba base_normal fill_border_width"),
    # shader wrappers: what the GPU gets from a draw, and the fill pass
    call("ShaderWrapper.read_in", "self, data_list", same="e653bf7673ac"),
    call("ShaderWrapper.update_program_uniforms", "self, camera_uniforms", same="f71687a16667"),
    call("ShaderWrapper.get_id", "self"),
    call("ShaderWrapper.use_clip_plane", "self"),
    call("ShaderWrapper.pre_render", "self"),
    call("ShaderWrapper.render", "self"),
    call("VShaderWrapper.render_fill", "self", same="05b75658509b"),
    call("VShaderWrapper.render_stroke", "self"),
    call("VShaderWrapper.render", "self", same="680710a8eb6c"),
    call("VShaderWrapper.get_fill_canvas", "ctx", same="b73d14e2ad9a"),
    attrs("VShaderWrapper", "vert_data vbo programs mobject_uniforms texture_names_to_ids "
                            "textures render_primitive depth_test stroke_behind fill_vao "
                            "fill_border_vao fill_canvas"),
    # the region bound (fill_rects) models these shaders
    text("VShaderWrapper.program_code", "fill_vert", same="e9f5c11157bd"),
    text("VShaderWrapper.program_code", "fill_geom", same="5c8d221c492b"),
    text("VShaderWrapper.program_code", "stroke_vert", same="83395e7efb1f"),
    text("VShaderWrapper.program_code", "stroke_geom", same="7695bc769243"),
    # the file writer: open_movie_pipe, write_frame, close_movie_pipe are replaced
    call("SceneFileWriter.open_movie_pipe", "self, file_path", same="3019169afc47"),
    call("SceneFileWriter.write_frame", "self, camera", same="06fe6894dcdb", hashes=True),
    call("SceneFileWriter.close_movie_pipe", "self"),
    call("SceneFileWriter.set_progress_display_description", "self, file, sub_desc"),
    attrs("SceneFileWriter", "write_to_movie writing_process progress_display", hashes=True),
    attrs("SceneFileWriter", "quiet total_frames ffmpeg_bin video_codec pixel_format "
                             "saturation gamma"),
    attrs("moderngl", "Uniform UniformBlock"),
)

_MODULES = {
    "Scene": ("manimlib.scene.scene", "Scene"),
    "Camera": ("manimlib.camera.camera", "Camera"),
    "Mobject": ("manimlib.mobject.mobject", "Mobject"),
    "VMobject": ("manimlib.mobject.types.vectorized_mobject", "VMobject"),
    "ShaderWrapper": ("manimlib.shader_wrapper", "ShaderWrapper"),
    "VShaderWrapper": ("manimlib.shader_wrapper", "VShaderWrapper"),
    "SceneFileWriter": ("manimlib.scene.scene_file_writer", "SceneFileWriter"),
    "iterables": ("manimlib.utils.iterables", None),
    "moderngl": ("moderngl", None),
}


class _Missing(Exception):
    """An owner that cannot be reached; the message names it."""


def _parameters(function) -> str:
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    return ", ".join(prefix.get(p.kind, "") + p.name
                     for p in inspect.signature(function).parameters.values())


class _Owners:
    """What the needs are checked on, reached lazily; a failure is a _Missing."""

    def __init__(self, scene):
        self.scene = scene
        self._cache = {}

    def _lookup(self, key: str, find, what: str):
        if key not in self._cache:
            try:
                self._cache[key] = find()
            except _Missing as missing:
                self._cache[key] = missing
            except Exception as error:
                self._cache[key] = _Missing(f"{what}: {type(error).__name__}: {error}")
        found = self._cache[key]
        if isinstance(found, _Missing):
            raise found
        return found

    def get(self, name: str):
        """A manimlib class (or module) by its short name in _MODULES."""
        return self._lookup(name, lambda: self._find(name), name)

    def _find(self, name: str):
        module_name, attribute = _MODULES[name]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise _Missing(f"{module_name} missing") from None
        if attribute is None:
            return module
        if not hasattr(module, attribute):
            raise _Missing(f"{module_name}.{attribute} missing")
        return getattr(module, attribute)

    def instance(self, name: str):
        """The object whose __init__ sets `name`'s attributes."""
        return self._lookup("instance of " + name, lambda: self._instance(name), "probe " + name)

    def _instance(self, name: str):
        scene = self.scene
        if name == "Scene":
            return scene
        if name == "Camera":
            return self._member(scene, "Scene", "camera")
        if name == "SceneFileWriter":
            return self._member(scene, "Scene", "file_writer")
        if name == "VMobject":
            return self.get("VMobject")()
        if name == "VShaderWrapper":
            ctx = self._member(self.instance("Camera"), "Camera", "ctx")
            return self.instance("VMobject").get_shader_wrapper(ctx)
        if name == "moderngl":
            return self.get("moderngl")
        raise KeyError(name)

    def mapping(self, name: str):
        """The dict (or field names) a `keys` or `text` need looks into."""
        owner, member = name.split(".")
        if name == "Camera.uniforms":
            camera = self.instance("Camera")
            camera.refresh_uniforms()   # as every capture does first
            return self._member(camera, owner, member)
        if name == "VMobject.data_dtype":
            return self._member(self.get("VMobject"), owner, member).names or ()
        return self._member(self.instance(owner), owner, member)

    @staticmethod
    def _member(obj, owner: str, member: str):
        if not hasattr(obj, member):
            raise _Missing(f"{owner}.{member} missing")
        return getattr(obj, member)


def _check(need: Need, owners: _Owners) -> list[str]:
    """What is wrong with one need ([] if nothing)."""
    try:
        if need.kind == "call":
            (name,) = need.names
            where = f"{need.owner}.{name}"
            function = owners._member(owners.get(need.owner), need.owner, name)
            try:
                found = _parameters(function)
            except (TypeError, ValueError):
                return [f"{where} is not a function"]
            if found != need.params:
                return [f"{where}({found}) instead of ({need.params})"]
            problem = need.same and source_problem(where, function, need.same)
            return [problem] if problem else []
        if need.kind == "attr":
            obj = owners.instance(need.owner)
            return [f"{need.owner}.{name} missing" for name in need.names if not hasattr(obj, name)]
        found = owners.mapping(need.owner)
        if need.kind == "key":
            return [f"{need.owner}[{name!r}] missing" for name in need.names if name not in found]
        (key,) = need.names
        code = found.get(key) if isinstance(found, dict) else None
        if not isinstance(code, str):
            return [f"{need.owner}[{key!r}] missing"]
        if text_md5(code) != need.same:
            return [f"{need.owner}[{key!r}] differs from {MANIMGL_VERSION}'s"]
        return []
    except _Missing as missing:
        return [str(missing)]


def manimgl_problems(scene, hashes_only: bool = False) -> tuple[str, list[str]]:
    """(manimgl's version, what is missing or changed for `scene`: [] if nothing).

    Checks every entry of MANIMGL_NEEDS (with `hashes_only`, those the
    frame-hash recorder needs); the version is reported, not judged here."""
    owners = _Owners(scene)
    problems = []
    for need in MANIMGL_NEEDS:
        if need.hashes or not hashes_only:
            for problem in _check(need, owners):
                if problem not in problems:   # e.g. one failed probe, many needs
                    problems.append(problem)
    return manimgl_version(), problems


_warned = False   # the fallback warning is printed once per process


def warn_fallback(version: str, problems: list[str], what: str = "render speed-up",
                  then: str = "rendering with stock manimgl") -> None:
    """One line on stderr, the first time only in this process."""
    global _warned
    if _warned:
        return
    _warned = True
    print(fallback_line(version, problems, what, then), file=sys.stderr, flush=True)


def forget_uniform_mirrors() -> None:
    """Empty manimlib's records of the uniform values set on each GL program.

    manimlib.utils.shaders.set_program_uniform (1.7.2) does not set a uniform
    whose value equals PROGRAM_UNIFORM_MIRRORS[id(program)][name]. Nothing
    removes a freed program's record, so a program created later at the same
    address inherits it and keeps GL's 0 for every uniform the record
    matches: its draws vanish, in stock and fast renders alike (see the
    module docstring). An empty record is always right: each uniform is then
    set on its next use. Does nothing if manimlib has no such records."""
    try:
        from manimlib.utils import shaders
    except Exception:
        return
    mirrors = getattr(shaders, "PROGRAM_UNIFORM_MIRRORS", None)
    if isinstance(mirrors, dict):
        mirrors.clear()


def fast_render_enabled() -> bool:
    """False when AUTOGRAD_FAST_RENDER is 0/false/no/off."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def encoder_args(codec: str | None) -> list[str]:
    """Extra ffmpeg output options for `codec` (libx264 only)."""
    if not codec or not codec.startswith("libx264"):
        return []
    args = []
    preset = os.environ.get(ENV_PRESET, DEFAULT_PRESET).strip()
    crf = os.environ.get(ENV_CRF, DEFAULT_CRF).strip()
    if preset:
        args += ["-preset", preset]
    if crf:
        args += ["-crf", crf]
    return args


def _freeze(value):
    if isinstance(value, np.ndarray):
        return tuple(value.ravel().tolist())
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _uniform_key(uniforms: dict) -> tuple:
    return tuple((k, _freeze(uniforms[k])) for k in sorted(uniforms))


@dataclass
class RenderStats:
    frames_written: int = 0
    frames_drawn: int = 0
    frames_reused: int = 0          # not drawn: same inputs as the frame before
    frames_plain: int = 0           # drawn by stock manimgl (not provably cacheable)
    groups_drawn: int = 0
    groups_restored: int = 0        # came from the framebuffer snapshot
    fill_passes_full: int = 0       # stock full-screen pass
    fill_passes_tiled: int = 0
    fill_passes_skipped: int = 0    # nothing visible to fill
    tiled_area: float = 0.0         # sum over tiled passes of the covered fraction
    capture_seconds: float = 0.0
    readback_seconds: float = 0.0
    pipe_wait_seconds: float = 0.0  # main thread blocked on a full frame queue
    stock_reasons: dict = field(default_factory=dict)
    gave_up: str = ""               # why the fast path stopped mid-render, if it did

    def summary(self) -> str:
        tiled = self.fill_passes_tiled
        mean_area = self.tiled_area / tiled if tiled else 0.0
        return (
            f"frames written {self.frames_written}: drawn {self.frames_drawn}, "
            f"reused {self.frames_reused}, stock {self.frames_plain}; "
            f"groups drawn {self.groups_drawn}, restored from snapshot {self.groups_restored}; "
            f"fill passes: tiled {tiled} (mean {100 * mean_area:.1f}% of the frame), "
            f"full {self.fill_passes_full}, skipped {self.fill_passes_skipped}; "
            f"capture {self.capture_seconds:.1f} s, read-back {self.readback_seconds:.1f} s, "
            f"waiting on ffmpeg {self.pipe_wait_seconds:.1f} s"
            + (f"; stock frames because of: {self.stock_reasons}" if self.stock_reasons else "")
            + (f"; gave up: {self.gave_up}" if self.gave_up else "")
        )


_tokens = itertools.count(1)
_ZERO_TEXEL = np.zeros(4, dtype=np.float16)  # what fbo.clear() writes into the fill texture


@dataclass
class _Snapshot:
    fbo: object
    camera_key: tuple = ()
    signatures: tuple = ()


def _unbind(obj, names) -> None:
    """Remove the FastFrames methods bound on `obj` (a camera or file writer)."""
    for name in names:
        bound = vars(obj).get(name) if hasattr(obj, "__dict__") else None
        if isinstance(getattr(bound, "__self__", None), FastFrames):
            delattr(obj, name)


class FastFrames:
    """The per-scene machinery; `FastRenderMixin` installs it."""

    def __init__(self, scene, fast: bool = True):
        self.scene = scene
        self.camera = scene.camera
        self.writer = scene.file_writer
        self.fast = fast
        self.stats = RenderStats()
        self.ctx = self.camera.ctx
        self._last_frame = None          # (camera key, signatures) of the fbo's content
        self._last_signatures: tuple = ()
        self._last_camera_key = None
        self._snapshot: _Snapshot | None = None
        self._serial = 0                 # bumps whenever the fbo is drawn
        self._bytes = None               # (serial, raw bytes) of the last frame read
        self._hash_file = None
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._pipe_error: BaseException | None = None
        self._clear_texture = None       # glClearTexSubImage, or False if unavailable

        from manimlib.camera.camera import Camera
        from manimlib.mobject.mobject import Mobject
        from manimlib.scene.scene_file_writer import SceneFileWriter
        from manimlib.shader_wrapper import ShaderWrapper, VShaderWrapper
        self._Camera, self._Mobject, self._Writer = Camera, Mobject, SceneFileWriter
        self._ShaderWrapper, self._VShaderWrapper = ShaderWrapper, VShaderWrapper

        hashes = os.environ.get(ENV_HASHES)
        if hashes:
            self._hash_file = open(hashes, "a", encoding="ascii")
        # bound last, on the scene's own camera and writer (uninstall() undoes it)
        writer = self.writer
        if fast:
            self.camera.capture = self.capture
            self.camera.get_raw_fbo_data = self.get_raw_fbo_data
            writer.open_movie_pipe = self.open_movie_pipe
            writer.close_movie_pipe = self.close_movie_pipe
        writer.write_frame = self.write_frame

    def give_up(self, error: BaseException, where: str) -> None:
        """The fast path failed while drawing or reading a frame: stock manimgl
        draws and reads every frame from now on (this one included). Only the
        GL state the fast path changes and stock drawing does not set itself
        is reset; a stock capture clears the frame and redraws everything."""
        reason = f"{type(error).__name__} in {where}: {error}"
        self.stats.gave_up = reason
        warn_fallback(manimgl_version(), [reason])
        self.fast = False
        self._last_frame = self._snapshot = self._bytes = None
        self.ctx.scissor = None
        gl.glBlendFunc(gl.GL_SRC_ALPHA, gl.GL_ONE_MINUS_SRC_ALPHA)
        gl.glBlendEquation(gl.GL_FUNC_ADD)
        self.camera.fbo.use()
        _unbind(self.camera, ("capture", "get_raw_fbo_data"))

    # ------------------------------------------------------------ eligibility
    def _camera_ok(self) -> bool:
        cam = self.camera
        return cam.window is None and cam.fbo is cam.fbo_for_files and cam.fbo.samples == 0

    def _stock_capture(self, mobjects, reason: str) -> None:
        self.stats.stock_reasons[reason] = self.stats.stock_reasons.get(reason, 0) + 1
        self._last_frame = None
        self._last_signatures = ()
        self._snapshot = None
        self._serial += 1
        self.stats.frames_plain += 1
        self._Camera.capture(self.camera, *mobjects)
        # stock rendering re-read buffers behind our back: forget what we knew
        for group in mobjects:
            for wrapper in getattr(group, "shader_wrappers", ()):
                wrapper._fast_token = None

    def _families_disjoint(self, groups) -> bool:
        seen = set()
        total = 0
        for group in groups:
            family = group.get_family()
            total += len(family)
            seen.update(map(id, family))
        return len(seen) == total

    # ------------------------------------------------------------ data reading
    def _read_group(self, group) -> None:
        """Mobject.render's re-read (get_shader_wrapper_list), noting content changes."""
        from manimlib.utils.iterables import batch_by_property
        ctx = self.ctx
        family = group.family_members_with_points()
        batches = batch_by_property(family, lambda sm: sm.get_shader_wrapper(ctx).get_id())
        wrappers = []
        for submobs, _ in batches:
            wrapper = submobs[0].shader_wrapper
            data_list = [sm.get_shader_data() for sm in submobs]
            wrapper.read_in(data_list)
            self._note_content(wrapper, sum(map(len, data_list)) > 0)
            wrappers.append(wrapper)
        group.shader_wrappers = wrappers
        group._data_has_changed = False

    @staticmethod
    def _note_content(wrapper, has_data: bool) -> None:
        """Give the wrapper a new token when the bytes in its vertex buffer changed."""
        old = getattr(wrapper, "_fast_data", None)
        token = getattr(wrapper, "_fast_token", None)
        if not has_data:  # read_in cleared the buffer: nothing is drawn
            if token is None or old is not None:
                wrapper._fast_data = None
                wrapper._fast_token = next(_tokens)
            return
        new = np.ascontiguousarray(wrapper.vert_data)
        if (token is None or old is None or old.dtype != new.dtype or old.shape != new.shape
                or not np.array_equal(old.view(np.uint8), new.view(np.uint8))):
            wrapper._fast_data = new.copy()
            wrapper._fast_token = next(_tokens)

    def _inert(self, wrapper) -> bool:
        """A wrapper without shaders (e.g. the camera frame's) draws nothing."""
        return type(wrapper) is self._ShaderWrapper and not wrapper.programs

    def _missing_uniforms(self, wrapper) -> frozenset:
        """Uniforms the wrapper's programs use but do not get from the wrapper's
        update_program_uniforms (its mobject's uniforms, the camera's, its
        texture ids). Such a uniform keeps whatever the previous draw with the
        same program set, so the draw would depend on what came before it."""
        key = (tuple(map(id, wrapper.programs)), frozenset(wrapper.mobject_uniforms),
               frozenset(wrapper.texture_names_to_ids))
        cached = getattr(wrapper, "_fast_missing", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        given = set(wrapper.mobject_uniforms) | set(self.camera.uniforms)
        given |= set(wrapper.texture_names_to_ids)
        missing = set()
        for program in wrapper.programs:
            if program is None:
                continue
            for name in program:
                member = program[name]
                if isinstance(member, moderngl.UniformBlock) or (
                        isinstance(member, moderngl.Uniform) and name not in given):
                    missing.add(name)
        wrapper._fast_missing = (key, frozenset(missing))
        return wrapper._fast_missing[1]

    def _signature(self, wrapper) -> tuple | None:
        """Everything the GPU gets from this wrapper, or None if not cacheable."""
        if self._inert(wrapper):
            return ("inert",)
        if wrapper.use_clip_plane() or self._missing_uniforms(wrapper):
            return None
        if getattr(wrapper, "_fast_token", None) is None:
            # never re-read by us (drawn by stock manimgl before): take its content now
            has = wrapper.vbo is not None and len(wrapper.vert_data) > 0
            self._note_content(wrapper, has)
        return (
            type(wrapper), wrapper._fast_token, tuple(map(id, wrapper.programs)),
            wrapper.render_primitive, bool(wrapper.depth_test),
            bool(getattr(wrapper, "stroke_behind", False)),
            tuple(sorted(wrapper.texture_names_to_ids.items())),
            tuple(map(id, wrapper.textures)),
            _uniform_key(wrapper.mobject_uniforms),
        )

    def _why_not(self, group) -> str:
        for wrapper in group.shader_wrappers:
            if wrapper.use_clip_plane():
                return "clip plane"
            missing = self._missing_uniforms(wrapper)
            if missing:
                return f"{type(wrapper).__name__} uniforms set elsewhere: {', '.join(sorted(missing))}"
        return "?"

    # ------------------------------------------------------------ the frame
    def capture(self, *mobjects) -> None:
        """Camera.capture: draw the render groups into the camera's framebuffer."""
        t0 = time.perf_counter()
        try:
            self._capture(mobjects)
        except Exception as error:
            self.give_up(error, "capture")
            self._stock_capture(mobjects, "the fast path failed")
        finally:
            self.stats.capture_seconds += time.perf_counter() - t0

    def _capture(self, groups) -> None:
        cam = self.camera
        Mobject = self._Mobject
        if not self._camera_ok():
            return self._stock_capture(groups, "window or multisampled camera")
        if any(type(g).render is not Mobject.render
               or type(g).get_shader_wrapper_list is not Mobject.get_shader_wrapper_list
               for g in groups):
            return self._stock_capture(groups, "a mobject with its own render()")
        if not self._families_disjoint(groups):
            return self._stock_capture(groups, "a mobject in two render groups")
        cam.refresh_uniforms()
        camera_key = _uniform_key(cam.uniforms)
        signatures = []
        depth = False
        for group in groups:
            if group._data_has_changed:
                self._read_group(group)
            sig = tuple(self._signature(w) for w in group.shader_wrappers)
            if None in sig:
                return self._stock_capture(groups, self._why_not(group))
            signatures.append(sig)
            depth = depth or any(w.depth_test for w in group.shader_wrappers)
        signatures = tuple(signatures)

        frame = (camera_key, signatures)
        if frame == self._last_frame:
            self.stats.frames_reused += 1
            return

        # the leading groups unchanged since the last frame
        stable = 0
        if camera_key == self._last_camera_key:
            for a, b in zip(signatures, self._last_signatures):
                if a != b:
                    break
                stable += 1
        # a snapshot holds colour only: not with depth-tested draws in the frame
        snap = None if depth else self._snapshot
        start = 0
        if (snap is not None and snap.camera_key == camera_key
                and signatures[:len(snap.signatures)] == snap.signatures):
            start = len(snap.signatures)
        take_at = stable if stable > start and not depth else None

        fbo = cam.fbo
        fbo.use()
        if start:
            self.ctx.copy_framebuffer(fbo, snap.fbo)
            fbo.use()
        else:
            fbo.clear(*cam.background_rgba)
        self.stats.groups_restored += start
        for index in range(start, len(groups)):
            for wrapper in groups[index].shader_wrappers:
                if self._inert(wrapper):
                    continue
                wrapper.update_program_uniforms(cam.uniforms)
                wrapper.pre_render()
                if type(wrapper) is self._VShaderWrapper:
                    self._draw(wrapper, camera_key)
                else:
                    wrapper.render()
            self.stats.groups_drawn += 1
            if take_at is not None and index + 1 == take_at:
                self._take_snapshot(camera_key, signatures[:take_at])
        self._serial += 1
        self.stats.frames_drawn += 1
        self._last_frame = frame
        self._last_signatures = signatures
        self._last_camera_key = camera_key

    def _take_snapshot(self, camera_key, signatures) -> None:
        cam = self.camera
        if self._snapshot is None:
            size = cam.fbo.size
            self._snapshot = _Snapshot(self.ctx.framebuffer(
                color_attachments=self.ctx.texture(size, components=cam.n_channels)))
        snap = self._snapshot
        self.ctx.copy_framebuffer(snap.fbo, cam.fbo)
        cam.fbo.use()
        snap.camera_key = camera_key
        snap.signatures = signatures

    def _draw(self, wrapper, camera_key) -> None:
        """VShaderWrapper.render with the fill pass limited to its tiles."""
        if wrapper.stroke_behind:
            wrapper.render_stroke()
            self._fill(wrapper, camera_key)
        else:
            self._fill(wrapper, camera_key)
            wrapper.render_stroke()

    def _fill(self, wrapper, camera_key) -> None:
        if wrapper.fill_vao is None:
            return
        rects = None if wrapper.depth_test else self._fill_rects(wrapper, camera_key)
        if rects is None:
            self.stats.fill_passes_full += 1
            wrapper.render_fill()
            return
        if not rects:
            self.stats.fill_passes_skipped += 1
            return
        ctx = self.ctx
        target = ctx.fbo
        fill_fbo, quad, _ = wrapper.fill_canvas
        self._clear_texels(fill_fbo, rects)
        fill_fbo.use()
        ctx.disable(moderngl.DEPTH_TEST)  # as render_fill (the wrapper has no depth test)
        gl.glBlendFuncSeparate(gl.GL_SRC_ALPHA, gl.GL_ONE_MINUS_SRC_ALPHA,
                               gl.GL_ONE_MINUS_DST_ALPHA, gl.GL_ONE)
        wrapper.fill_vao.render()
        gl.glBlendFunc(gl.GL_ONE, gl.GL_ONE)
        gl.glBlendEquation(gl.GL_MAX)
        wrapper.fill_border_vao.render()
        target.use()
        gl.glBlendFunc(gl.GL_ONE, gl.GL_ONE_MINUS_SRC_ALPHA)
        gl.glBlendEquation(gl.GL_FUNC_ADD)
        for rect in rects:
            ctx.scissor = rect
            quad.render()
        ctx.scissor = None
        gl.glBlendFunc(gl.GL_SRC_ALPHA, gl.GL_ONE_MINUS_SRC_ALPHA)
        self.stats.fill_passes_tiled += 1
        width, height = self.camera.fbo.size
        self.stats.tiled_area += sum(w * h for _, _, w, h in rects) / (width * height)

    def _clear_texels(self, fill_fbo, rects) -> None:
        """Zero the fill texture under `rects` (frame pixels; the texture is 2x)."""
        if self._clear_texture is None:
            try:  # GL 4.4 / ARB_clear_texture: a plain fill, no draw
                ok = bool(gl.glClearTexSubImage) and "GL_ARB_clear_texture" in self.ctx.extensions
            except Exception:
                ok = False
            self._clear_texture = gl.glClearTexSubImage if ok else False
        texture = fill_fbo.color_attachments[0]
        if self._clear_texture:
            for x, y, w, h in rects:
                self._clear_texture(texture.glo, 0, 2 * x, 2 * y, 0, 2 * w, 2 * h, 1,
                                    gl.GL_RGBA, gl.GL_HALF_FLOAT, _ZERO_TEXEL)
        else:
            for x, y, w, h in rects:
                fill_fbo.clear(viewport=(2 * x, 2 * y, 2 * w, 2 * h))

    # ------------------------------------------------------------ fill regions
    def _fill_rects(self, wrapper, camera_key):
        key = (wrapper._fast_token, _uniform_key(wrapper.mobject_uniforms), camera_key)
        cached = getattr(wrapper, "_fast_rects", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        rects = fill_rects(wrapper._fast_data, wrapper.mobject_uniforms, self.camera.uniforms,
                           self.camera.fbo.size, wrapper.fill_canvas[0].size)
        wrapper._fast_rects = (key, rects)
        return rects

    # ------------------------------------------------------------ read-back and ffmpeg
    def get_raw_fbo_data(self, dtype: str = "f1") -> bytes:
        """Camera.get_raw_fbo_data without the blit into a second framebuffer."""
        cam = self.camera
        if not self._camera_ok():
            return self._Camera.get_raw_fbo_data(cam, dtype)
        t0 = time.perf_counter()
        try:
            data = cam.fbo.read(viewport=cam.fbo.viewport, components=cam.n_channels, dtype=dtype)
        except Exception as error:
            self.give_up(error, "get_raw_fbo_data")
            return self._Camera.get_raw_fbo_data(cam, dtype)
        self.stats.readback_seconds += time.perf_counter() - t0
        return data

    def _frame_bytes(self) -> bytes:
        if self.fast and self._bytes is not None and self._bytes[0] == self._serial:
            return self._bytes[1]
        data = self.camera.get_raw_fbo_data()
        self._bytes = (self._serial, data)
        return data

    def write_frame(self, camera) -> None:
        writer = self.writer
        if not writer.write_to_movie:
            return
        data = self._frame_bytes()
        self.stats.frames_written += 1
        if self._hash_file is not None:
            self._hash_file.write(hashlib.md5(data).hexdigest() + "\n")
        if self._queue is not None:
            if self._pipe_error is not None:
                raise self._pipe_error
            t0 = time.perf_counter()
            self._queue.put(data)
            self.stats.pipe_wait_seconds += time.perf_counter() - t0
        else:
            writer.writing_process.stdin.write(data)
        if writer.progress_display is not None:
            writer.progress_display.update()

    def open_movie_pipe(self, file_path: str) -> None:
        """SceneFileWriter.open_movie_pipe with encoder options and a writer thread."""
        writer = self.writer
        stem, ext = os.path.splitext(file_path)
        writer.final_file_path = file_path
        writer.temp_file_path = stem + "_temp" + ext
        width, height = self.camera.get_pixel_shape()
        command = [
            writer.ffmpeg_bin, "-y",
            "-f", "rawvideo", "-s", f"{width}x{height}", "-pix_fmt", "rgba",
            "-r", str(self.camera.fps), "-i", "-",
            "-vf", f"vflip,eq=saturation={writer.saturation}:gamma={writer.gamma}",
            "-an", "-loglevel", "error",
        ]
        if writer.video_codec:
            command += ["-vcodec", writer.video_codec]
        command += encoder_args(writer.video_codec)
        if writer.pixel_format:
            command += ["-pix_fmt", writer.pixel_format]
        command += [writer.temp_file_path]
        writer.writing_process = subprocess.Popen(command, stdin=subprocess.PIPE)
        self._pipe_error = None
        # frames waiting for ffmpeg: up to ~128 MB (15 at 1080p, 78 at 480p)
        self._queue = queue.Queue(maxsize=max(3, min(96, QUEUE_BYTES // (4 * width * height))))
        self._thread = threading.Thread(
            target=self._pump, args=(self._queue, writer.writing_process.stdin),
            name="ffmpeg-writer", daemon=True)
        self._thread.start()
        if not writer.quiet:
            from tqdm.auto import tqdm
            writer.progress_display = tqdm(range(writer.total_frames), leave=False,
                                           dynamic_ncols=True)
            writer.set_progress_display_description()

    def _pump(self, frames: queue.Queue, stdin) -> None:
        while True:
            data = frames.get()
            if data is None:
                return
            if self._pipe_error is not None:
                continue  # drain, so the producer never blocks
            try:
                stdin.write(data)
            except BaseException as error:  # e.g. BrokenPipeError when ffmpeg failed
                self._pipe_error = error

    def close_movie_pipe(self) -> None:
        if self._queue is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None
        self._Writer.close_movie_pipe(self.writer)
        if self._pipe_error is not None:
            error, self._pipe_error = self._pipe_error, None
            raise RuntimeError(f"writing frames to ffmpeg failed: {error!r}") from error

    def finish(self) -> None:
        if self._hash_file is not None:
            self._hash_file.close()
            self._hash_file = None


def fill_rects(data, uniforms: dict, camera_uniforms: dict, frame_size, canvas_size):
    """Scissor rectangles (x, y, w, h in frame pixels) that hold every pixel
    VShaderWrapper.render_fill can change for this vertex data, [] if none,
    or None when no safe bound is known (draw the stock full-screen pass).

    `data` is the wrapper's vertex data (VMobject.data_dtype, one triangle
    per three rows: a quadratic curve's control points). The fill geometry
    shader draws, per curve, the triangle (base point, v0, v2) and the
    triangle (v0, v1, v2), unless v0 == v1 (end marker) or the three fill
    alphas are zero; the border pass strokes the curve with
    fill_border_width, reaching at most AUTO_JOINT_REACH * (width + aaw) / 2
    from it. Boxes are projected as emit_gl_Position does.
    """
    if data is None or len(data) < 3:
        return []
    width, height = frame_size
    if tuple(canvas_size) != (2 * width, 2 * height):
        return None
    n = len(data) - len(data) % 3
    points = data["point"][:n].astype(np.float64)
    v0, v1, v2 = points[0::3], points[1::3], points[2::3]
    alpha = data["fill_rgba"][:n, 3]
    drawn = (((v0[:, 0] != v1[:, 0]) | (v0[:, 1] != v1[:, 1]) | (v0[:, 2] != v1[:, 2]))
             & ((alpha[0::3] != 0) | (alpha[1::3] != 0) | (alpha[2::3] != 0)))
    if not drawn.any():
        return []
    v0, v1, v2 = v0[drawn], v1[drawn], v2[drawn]
    base = data["base_normal"][:n:3][drawn].astype(np.float64)
    lo = np.minimum(np.minimum(v0, v1), np.minimum(v2, base))
    hi = np.maximum(np.maximum(v0, v1), np.maximum(v2, base))
    border = data["fill_border_width"][:n, 0].astype(np.float64)
    border = np.maximum(np.maximum(border[0::3], border[1::3]), border[2::3])[drawn]
    if np.any(border > 0):
        joint = int(round(float(uniforms["joint_type"])))
        if joint not in (NO_JOINT, AUTO_JOINT):
            return None
        reach = 1.0 if joint == NO_JOINT else AUTO_JOINT_REACH
        zoom = float(uniforms.get("scale_stroke_with_zoom", 0.0))
        frame_scale = float(camera_uniforms["frame_scale"])
        stroke = 0.01 * border * ((1 - zoom) * frame_scale + zoom)
        aaw = max(float(uniforms["anti_alias_width"]) * float(camera_uniforms["pixel_size"]), 1e-8)
        radius = np.where(border > 0, 0.5 * (stroke + aaw) * reach, 0.0)[:, None]
        lo -= radius
        hi += radius

    # emit_gl_Position: q = mix(view * p, p, is_fixed_in_frame) * frame_rescale_factors,
    # w = 1 - q.z. Each of q.x, q.y, q.z is affine in p, so over a box it
    # ranges over centre +- |row| . half-extent, exactly.
    view = np.array(camera_uniforms["view"], dtype=np.float64).reshape(4, 4).T
    fixed = float(uniforms.get("is_fixed_in_frame", 0.0))
    matrix = (1 - fixed) * view + fixed * np.eye(4)
    rescale = np.asarray(camera_uniforms["frame_rescale_factors"], dtype=np.float64)
    rows = matrix[:3, :3] * rescale[:, None]
    shift = matrix[:3, 3] * rescale
    centre = 0.5 * (lo + hi) @ rows.T + shift          # (T, 3)
    extent = 0.5 * (hi - lo) @ np.abs(rows).T          # (T, 3)
    q_lo, q_hi = centre - extent, centre + extent
    w_lo, w_hi = 1.0 - q_hi[:, 2], 1.0 - q_lo[:, 2]
    if not (np.all(w_lo > 1e-6) and np.all(np.isfinite(q_lo)) and np.all(np.isfinite(q_hi))):
        return None
    # bounds of x / w for x in [x_lo, x_hi], w in [w_lo, w_hi], w > 0
    ndc_lo = np.where(q_lo[:, :2] >= 0, q_lo[:, :2] / w_hi[:, None], q_lo[:, :2] / w_lo[:, None])
    ndc_hi = np.where(q_hi[:, :2] >= 0, q_hi[:, :2] / w_lo[:, None], q_hi[:, :2] / w_hi[:, None])
    # fill-texture texels (2x the frame): X = (ndc + 1) * W; then the frame
    # pixels [p0, p1) holding those texels, with a margin
    px0 = np.floor(((ndc_lo[:, 0] + 1) * width - PAD_TEXELS) / 2)
    px1 = np.floor(((ndc_hi[:, 0] + 1) * width + PAD_TEXELS) / 2) + 1
    py0 = np.floor(((ndc_lo[:, 1] + 1) * height - PAD_TEXELS) / 2)
    py1 = np.floor(((ndc_hi[:, 1] + 1) * height + PAD_TEXELS) / 2) + 1
    on = (px1 > 0) & (px0 < width) & (py1 > 0) & (py0 < height)
    if not on.any():
        return []
    return _tile_rects(
        np.clip(px0[on], 0, width), np.clip(px1[on], 0, width),
        np.clip(py0[on], 0, height), np.clip(py1[on], 0, height),
        width, height,
    )


def _tile_rects(x0, x1, y0, y1, width, height):
    """Disjoint rectangles covering the tiles that the boxes [x0, x1) x [y0, y1) touch."""
    tile = max(8, int(round(width / 60)))
    nx, ny = -(-width // tile), -(-height // tile)
    c0 = (x0 // tile).astype(np.int64)
    c1 = np.minimum(-(-x1 // tile), nx).astype(np.int64)
    r0 = (y0 // tile).astype(np.int64)
    r1 = np.minimum(-(-y1 // tile), ny).astype(np.int64)
    # 2D difference array: +1 at (r0, c0) and (r1, c1), -1 at (r0, c1) and (r1, c0)
    stride, cells = nx + 1, (ny + 1) * (nx + 1)
    marks = (np.bincount(r0 * stride + c0, minlength=cells)
             + np.bincount(r1 * stride + c1, minlength=cells)
             - np.bincount(r0 * stride + c1, minlength=cells)
             - np.bincount(r1 * stride + c0, minlength=cells)).reshape(ny + 1, nx + 1)
    covered = marks.cumsum(axis=0).cumsum(axis=1)[:ny, :nx] > 0

    # horizontal runs of covered tiles, row by row, merged downwards when equal
    padded = np.zeros((ny, nx + 2), dtype=np.int8)
    padded[:, 1:-1] = covered
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    rects = []
    open_runs = {}
    for row, a, b in zip(rows.tolist(), starts.tolist(), ends.tolist()):
        rect = open_runs.get((a, b))
        if rect is not None and rect[3] == row:
            rect[3] = row + 1
        else:
            rect = [a, b, row, row + 1]
            open_runs[(a, b)] = rect
            rects.append(rect)
    if len(rects) > MAX_RECTS:
        # one box per band of consecutive non-empty rows
        busy = np.flatnonzero(covered.any(axis=1))
        rects = []
        for band in np.split(busy, np.flatnonzero(np.diff(busy) > 1) + 1):
            cols = np.flatnonzero(covered[band[0]:band[-1] + 1].any(axis=0))
            rects.append([int(cols[0]), int(cols[-1]) + 1, int(band[0]), int(band[-1]) + 1])
    out = []
    for a, b, r, s in rects:
        x, y = a * tile, r * tile
        out.append((x, y, min(b * tile, width) - x, min(s * tile, height) - y))
    return out


class FastRenderMixin:
    """Put first in a Scene's bases: faster off-screen renders, same pixels.

    Reads AUTOGRAD_FAST_RENDER when the scene is created (0 = stock manimgl),
    then checks manimgl (MANIMGL_VERSION, MANIMGL_NEEDS): if anything is off,
    or installing fails, the scene renders with stock manimgl and one warning
    line is printed (once per process); `self.fast_render_problems` lists
    why. `self.render_stats` says what happened (printed at the end with
    AUTOGRAD_RENDER_STATS=1). Either way, manimlib's uniform records are
    emptied when the scene is created and run (`forget_uniform_mirrors`).
    """

    def __init__(self, *args, **kwargs):
        forget_uniform_mirrors()    # a manimgl bug, with the speed-ups on or off
        super().__init__(*args, **kwargs)
        self.fast_frames = None
        self.fast_render_problems: list[str] = []
        fast = fast_render_enabled() and getattr(self, "window", None) is None
        hashes = bool(os.environ.get(ENV_HASHES))
        if fast:
            version, problems = manimgl_problems(self)
            if version != MANIMGL_VERSION or problems:
                if version != MANIMGL_VERSION:
                    self.fast_render_problems.append(
                        f"manimgl {version} (made for {MANIMGL_VERSION})")
                self.fast_render_problems += problems
                warn_fallback(version, problems)
                fast = False
        if hashes and not fast:
            version, problems = manimgl_problems(self, hashes_only=True)
            if version != MANIMGL_VERSION or problems:
                warn_fallback(version, problems, what="frame hashes",
                              then="frames are not hashed")
                hashes = False
        if not (fast or hashes):
            return
        try:
            frames = FastFrames(self, fast=fast)
        except Exception as error:
            _unbind(self.camera, ("capture", "get_raw_fbo_data"))
            _unbind(self.file_writer, ("open_movie_pipe", "close_movie_pipe", "write_frame"))
            reason = f"{type(error).__name__} while installing: {error}"
            self.fast_render_problems.append(reason)
            warn_fallback(manimgl_version(), [reason])
            return
        self.fast_frames = frames

    def run(self):
        # programs freed since the scene was created (e.g. by another scene
        # run in between) may have left records too
        forget_uniform_mirrors()
        return super().run()

    @property
    def render_stats(self) -> RenderStats | None:
        return self.fast_frames.stats if self.fast_frames else None

    def tear_down(self):
        try:
            super().tear_down()
        finally:
            frames = self.fast_frames
            if frames is not None:
                frames.finish()
            if os.environ.get(ENV_STATS, "").strip() not in ("", "0"):
                if self.fast_render_problems:
                    print(f"[render_speed off] {type(self).__name__}: "
                          f"{'; '.join(self.fast_render_problems)}", file=sys.stderr)
                elif frames is not None:
                    mode = "fast" if frames.fast else "stock"
                    print(f"[render_speed {mode}] {type(self).__name__}: "
                          f"{frames.stats.summary()}", file=sys.stderr)
