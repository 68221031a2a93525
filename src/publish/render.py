#!/usr/bin/env python3
"""Headless render runner for the lecture scenes.

    .venv/bin/python scripts/render.py                       # every scene, 1080p
    .venv/bin/python scripts/render.py -q low --scenes A B   # 480p drafts of A and B
    .venv/bin/python scripts/render.py --frame --scenes A    # last frame of A as PNG
    .venv/bin/python scripts/render.py --list                # scene names, in order

Scenes are the classes of 01_autograd_visualization.py whose base class name
ends in "Scene" (or that derive from such a class defined in the same file),
in definition order, found by parsing the file with `ast` (nothing is
imported). A top-level `SCENES_IN_ORDER = [A, B, ...]` in the file, which
manimgl itself honours, takes precedence.

Output layout (paths relative to the project root):

    videos/<Scene>.mp4            --quality high (the default): the lecture
    videos/<quality>/<Scene>.mp4  --quality low | medium | 4k
    videos/frames/<Scene>.png     --frame (last frame, at the chosen quality)

Each scene is rendered by the manimgl CLI of this Python environment, under
`xvfb-run -a` when DISPLAY is unset, with stdin from /dev/null, into a
hidden temporary directory inside videos/; only a finished, non-empty file is
moved into place with an atomic rename, so a failed render leaves no partial
file behind (an older good file of the same scene stays untouched).

On failure the scene's name and the tail of its output are printed and the
remaining scenes are still tried (use --fail-fast to stop at the first
failure); the exit status is 1 if any scene failed. Missing system programs
are reported up front with the apt-get command that installs them (exit 3);
an unknown scene name lists the available scenes (exit 2).
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENE_FILE = ROOT / "01_autograd_visualization.py"
VIDEOS = ROOT / "videos"

QUALITY_FLAGS = {"low": "-l", "medium": "-m", "high": "--hd", "4k": "--uhd"}
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24"]
TAIL_LINES = 30

# program -> (what it is for, Debian packages that provide it)
TEX_PACKAGES = [
    "texlive-latex-base", "texlive-latex-recommended",
    "texlive-latex-extra", "texlive-fonts-recommended",
]
PROGRAMS = {
    "ffmpeg": ("video encoding", ["ffmpeg"]),
    "latex": ("Tex mobjects", TEX_PACKAGES),
    "dvisvgm": ("Tex mobjects (DVI to SVG)", ["dvisvgm"]),
}
HEADLESS_PROGRAMS = {
    "xvfb-run": ("a virtual X display (DISPLAY is unset)", ["xvfb", "xauth"]),
    "xauth": ("xvfb-run", ["xauth"]),
}


class UsageError(Exception):
    pass


# ---------------------------------------------------------------- discovery

def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):  # e.g. Generic[...]
        return _base_name(node.value)
    return ""


def find_scenes(scene_file: Path) -> list[str]:
    """Scene class names of `scene_file` in definition order (see module doc)."""
    tree = ast.parse(scene_file.read_text(encoding="utf-8"), filename=str(scene_file))
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == "SCENES_IN_ORDER" for t in targets):
            value = node.value
            if isinstance(value, (ast.List, ast.Tuple)):
                return [_base_name(elt) for elt in value.elts if _base_name(elt)]
    scenes: list[str] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
            continue
        bases = [_base_name(b) for b in node.bases]
        if any(b.endswith("Scene") or b in scenes for b in bases):
            scenes.append(node.name)
    return scenes


# ------------------------------------------------------------- dependencies

def missing_dependencies() -> list[str]:
    """One line per missing program, each with the command that installs it."""
    needed = dict(PROGRAMS)
    if not os.environ.get("DISPLAY"):
        needed.update(HEADLESS_PROGRAMS)
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    problems = []
    for program, (purpose, packages) in needed.items():
        if shutil.which(program) is None:
            problems.append(
                f"{program} (needed for {purpose}) not found; install it with:\n"
                f"    {sudo}apt-get install -y --no-install-recommends {' '.join(packages)}"
            )
    return problems


def manimgl_command() -> list[str]:
    """The manimgl CLI of the Python environment running this script."""
    candidate = Path(sys.executable).parent / "manimgl"
    if candidate.exists():
        return [str(candidate)]
    return [sys.executable, "-m", "manimlib"]


def check_manimgl() -> str | None:
    probe = subprocess.run(
        [sys.executable, "-c", "import importlib.util, sys; "
         "sys.exit(importlib.util.find_spec('manimlib') is None)"],
        capture_output=True,
    )
    if probe.returncode != 0:
        return (f"manimgl is not installed for {sys.executable}; run `make venv` "
                f"and use .venv/bin/python scripts/render.py (or `make video`)")
    return None


# ---------------------------------------------------------------- rendering

def output_path(scene: str, quality: str, frame: bool, out_dir: Path) -> Path:
    if frame:
        return out_dir / "frames" / f"{scene}.png"
    if quality == "high":
        return out_dir / f"{scene}.mp4"
    return out_dir / quality / f"{scene}.mp4"


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROGRESS = re.compile(r"\d+it \[|it/s\]|\?it/s")


def tail(text: str, n: int = TAIL_LINES) -> str:
    """Last `n` meaningful lines of manimgl's output, without progress bars."""
    lines = []
    for line in ANSI.sub("", text).split("\n"):
        # Progress bars redraw themselves with carriage returns.
        for seg in line.split("\r"):
            if PROGRESS.search(seg):
                seg = seg.rsplit("]", 1)[-1]  # text printed right after a bar
            if seg.strip():
                lines.append(seg.rstrip())
    return "\n".join(lines[-n:])


FRAMES = re.compile(r"(\d+)/(\d+) \[")
# Files a LectureScene writes beside its movie (src/visualization/narration.py).
SIDECARS = (".narration.json", ".vtt")


def sidecars(movie: Path) -> list[Path]:
    return [movie.with_name(movie.stem + suffix) for suffix in SIDECARS]


class _Progress:
    """Reads manimgl's progress bar ("  412/1239 [") out of its output stream."""

    def __init__(self, callback):
        self.callback = callback
        self.pending = ""

    def feed(self, chunk: str) -> None:
        self.pending += chunk
        *done, self.pending = re.split(r"[\r\n]", self.pending)
        for segment in reversed(done):
            match = FRAMES.search(ANSI.sub("", segment))
            if match:
                self.callback(int(match.group(1)), int(match.group(2)))
                return


def render_scene(scene: str, scene_file: Path, quality: str, frame: bool,
                 out_dir: Path, verbose: bool, timeout: float | None,
                 progress=None, extra_env: dict | None = None) -> tuple[bool, str]:
    """Render one scene. Returns (ok, final path or error tail).

    progress: called as progress(frames_done, frames_total) while rendering.
    The movie's narration and captions (if the scene writes them) are moved
    beside it; older ones of the same scene are removed if none were written.
    """
    final = output_path(scene, quality, frame, out_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Temporary directory on the same file system as the destination, so the
    # final move is an atomic rename.
    tmp = Path(tempfile.mkdtemp(prefix=f".render-{scene}-", dir=out_dir))
    try:
        cmd = manimgl_command() + [
            str(scene_file), scene, "-w", QUALITY_FLAGS[quality],
            "--video_dir", str(tmp), "--file_name", scene,
        ]
        if frame:
            cmd.append("-s")
        elif progress:
            # manimgl then counts the frames first (a run that skips drawing),
            # so its progress bar has a total to report against.
            cmd.append("--prerun")
        if not os.environ.get("DISPLAY"):
            cmd = XVFB + cmd
        env = dict(os.environ)
        env.setdefault("PYTHONWARNINGS", "ignore::UserWarning:manimlib")
        env.update(extra_env or {})
        reader = _Progress(progress) if progress else None
        log_path = tmp / "render.log"
        with open(log_path, "w+", encoding="utf-8", errors="replace") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, errors="replace")
            assert proc.stdout is not None
            # A watchdog, so a render that hangs without output still stops.
            watchdog = threading.Timer(timeout, proc.kill) if timeout else None
            if watchdog:
                watchdog.start()
            returncode = None
            try:
                for chunk in iter(lambda: proc.stdout.read(256), ""):
                    log.write(chunk)
                    if verbose:
                        sys.stdout.write(chunk)
                        sys.stdout.flush()
                    if reader:
                        reader.feed(chunk)
                returncode = proc.wait()
            finally:
                timed_out = watchdog is not None and not watchdog.is_alive() and returncode != 0
                if watchdog:
                    watchdog.cancel()
            log.seek(0)
            output = log.read()
        if timed_out:
            return False, tail(output) + f"\n(timed out after {timeout:g} s)"
        produced = tmp / final.name
        if returncode != 0:
            return False, tail(output) + f"\n(manimgl exited with status {returncode})"
        if not produced.is_file() or produced.stat().st_size == 0:
            return False, tail(output) + f"\n(manimgl exited 0 but wrote no {final.name})"
        if not frame:
            problem = probe_video(produced)
            if problem:
                return False, tail(output) + f"\n({problem})"
            for new, old in zip(sidecars(produced), sidecars(final)):
                if new.is_file():
                    os.replace(new, old)
                elif old.exists():
                    old.unlink()
        os.replace(produced, final)
        return True, str(final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def probe_video(path: Path) -> str | None:
    """None if `path` is a readable video with at least one frame."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    result = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "v:0",
         "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True,
    )
    if result.returncode != 0 or not result.stdout.strip():
        return f"ffprobe cannot read the video: {result.stderr.strip()[-300:]}"
    return None


# --------------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Render the lecture scenes headlessly with manimgl.",
        epilog="Output: videos/<Scene>.mp4 (high), videos/<quality>/<Scene>.mp4 "
               "(low, medium, 4k), videos/frames/<Scene>.png (--frame).",
    )
    parser.add_argument("--scenes", nargs="+", metavar="SCENE",
                        help="scene class names (default: all, in file order)")
    parser.add_argument("-q", "--quality", choices=list(QUALITY_FLAGS), default="high",
                        help="low=480p, medium=720p, high=1080p (default), 4k=2160p")
    parser.add_argument("--frame", action="store_true",
                        help="write only the last frame of each scene as a PNG")
    parser.add_argument("--list", action="store_true", help="print the scene names and exit")
    parser.add_argument("--fail-fast", action="store_true",
                        help="stop at the first failed scene (default: try them all)")
    parser.add_argument("--file", type=Path, default=DEFAULT_SCENE_FILE,
                        help="scene file (default: 01_autograd_visualization.py)")
    parser.add_argument("--out-dir", type=Path, default=VIDEOS,
                        help="output root (default: videos/)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds allowed per scene (default: no limit)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="stream manimgl's output while rendering")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from src.publish.freshness import fingerprint, write_stamp  # it imports this module
    args = parse_args(argv)
    scene_file = args.file.resolve()
    if not scene_file.is_file():
        print(f"error: scene file {scene_file} not found", file=sys.stderr)
        return 2
    try:
        available = find_scenes(scene_file)
    except SyntaxError as exc:
        print(f"error: cannot parse {scene_file}: {exc}", file=sys.stderr)
        return 2
    if args.list:
        print("\n".join(available))
        return 0
    if not available:
        print(f"error: no Scene classes found in {scene_file.name}", file=sys.stderr)
        return 2

    scenes = args.scenes or available
    unknown = [s for s in scenes if s not in available]
    if unknown:
        print(f"error: unknown scene{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}\n"
              f"available scenes in {scene_file.name}:\n  " + "\n  ".join(available),
              file=sys.stderr)
        return 2

    problems = missing_dependencies()
    manim_problem = check_manimgl()
    if manim_problem:
        problems.append(manim_problem)
    if problems:
        print("error: missing dependencies:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 3

    out_dir = args.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    what = "last frame" if args.frame else f"{args.quality} quality video"
    failed: list[str] = []
    for i, scene in enumerate(scenes, 1):
        print(f"[{i}/{len(scenes)}] {scene}: rendering {what}...", flush=True)
        start = time.monotonic()
        inputs = None if args.frame else fingerprint(scene_file, scene, args.quality, ROOT)
        ok, info = render_scene(scene, scene_file, args.quality, args.frame,
                                out_dir, args.verbose, args.timeout)
        elapsed = time.monotonic() - start
        if ok:
            if inputs is not None:   # `make lecture` will not render it again
                write_stamp(Path(info), inputs, render_seconds=round(elapsed, 1))
            shown = os.path.relpath(info, Path.cwd()) if info.startswith(str(Path.cwd())) else info
            print(f"[{i}/{len(scenes)}] {scene}: wrote {shown} ({elapsed:.1f} s)", flush=True)
        else:
            failed.append(scene)
            print(f"[{i}/{len(scenes)}] {scene}: FAILED after {elapsed:.1f} s; "
                  f"last lines of output:\n{info}\n", file=sys.stderr, flush=True)
            if args.fail_fast:
                break

    if failed:
        print(f"{len(failed)} scene(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"all {len(scenes)} scene(s) rendered", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
