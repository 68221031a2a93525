"""The render runner: one scene through the manimgl CLI, headless and atomic.

    ok, path_or_error = render_scene("BackwardPassScene", scene_file, "low", False, out_dir, ...)

Used by `make video` (src/cli/video.py), `make lecture` (src/cli/lecture.py)
and `make explain` (src/cli/explain.py). Output layout (relative to the
project root):

    videos/<Scene>.mp4            --quality high (the default): the lecture
    videos/<quality>/<Scene>.mp4  --quality low | medium | 4k
    videos/frames/<Scene>.png     --frame (last frame, at the chosen quality)

Each scene is rendered by the manimgl CLI of this Python environment, under
`xvfb-run -a` when DISPLAY is unset, with stdin from /dev/null, into a
hidden temporary directory inside videos/; only a finished, non-empty file is
moved into place with an atomic rename, so a failed render leaves no partial
file behind (an older good file of the same scene stays untouched).
`missing_dependencies()` names each missing system program with the apt-get
command that installs it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
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
                f"and use `make video` (or .venv/bin/python -m src.cli.video)")
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
# Files a LectureScene writes beside its movie (src/rendering/scene.py).
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
