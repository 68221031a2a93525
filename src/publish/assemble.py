"""One lecture video from the scenes' videos, with a chapter per scene.

    chapters = chapter_list([("Chain rule", Path("A.mp4")), ("Graph", Path("B.mp4"))])
    join_videos([Path("A.mp4"), Path("B.mp4")], Path("lecture.mp4"), chapters, "Title")

The scenes are rendered with the same codec, size and frame rate, so ffmpeg's
concat demuxer joins them by copying the streams: no re-encoding, no loss,
seconds instead of minutes. Chapters go in as ffmetadata; `ffprobe
-show_chapters lecture.mp4` lists them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class AssemblyError(RuntimeError):
    pass


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float


def run_tool(cmd: list[str], what: str) -> str:
    """Run ffmpeg/ffprobe; AssemblyError naming `what` failed (or how to install it)."""
    if shutil.which(cmd[0]) is None:
        raise AssemblyError(f"{cmd[0]} not found (needed to {what}); install it with:\n"
                            "    sudo apt-get install -y --no-install-recommends ffmpeg")
    result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise AssemblyError(f"could not {what}: {result.stderr.strip()[-600:]}")
    return result.stdout


def probe(video: Path) -> dict:
    """ffprobe's view of a video: format, streams and chapters."""
    out = run_tool(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                "-show_streams", "-show_chapters", str(video)], f"read {video.name}")
    return json.loads(out)


def duration(video: Path) -> float:
    return float(probe(video)["format"]["duration"])


def chapter_list(parts: list[tuple[str, Path]]) -> list[Chapter]:
    """Chapters back to back, each as long as its video."""
    chapters, t = [], 0.0
    for title, video in parts:
        length = duration(video)
        chapters.append(Chapter(title, t, t + length))
        t += length
    return chapters


def _meta_escape(text: str) -> str:
    for ch in "\\=;#\n":
        text = text.replace(ch, "\\" + ch)
    return text


def ffmetadata(chapters: list[Chapter], title: str) -> str:
    lines = [";FFMETADATA1", f"title={_meta_escape(title)}"]
    for ch in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(ch.start * 1000)}",
                  f"END={round(ch.end * 1000)}", f"title={_meta_escape(ch.title)}"]
    return "\n".join(lines) + "\n"


def _same_format(videos: list[Path]) -> None:
    """Stream copy needs one codec, size and frame rate in every part."""
    shapes = {}
    for video in videos:
        streams = [s for s in probe(video)["streams"] if s.get("codec_type") == "video"]
        if not streams:
            raise AssemblyError(f"{video} has no video stream")
        s = streams[0]
        shapes[video.name] = (s.get("codec_name"), s.get("width"), s.get("height"),
                              s.get("r_frame_rate"), s.get("pix_fmt"))
    if len(set(shapes.values())) > 1:
        listing = "\n".join(f"  {name}: {shape}" for name, shape in shapes.items())
        raise AssemblyError("the scenes were rendered with different settings and cannot be "
                            f"joined without re-encoding; render them at one quality:\n{listing}")


def join_videos(videos: list[Path], out: Path, chapters: list[Chapter], title: str) -> Path:
    """Write `out` (atomically): the videos one after another, with chapters."""
    if not videos:
        raise AssemblyError("no videos to join")
    _same_format(videos)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".join-") as tmp:
        listing = Path(tmp) / "parts.txt"
        listing.write_text("".join(
            "file '" + str(v.resolve()).replace("'", "'\\''") + "'\n" for v in videos))
        meta = Path(tmp) / "chapters.txt"
        meta.write_text(ffmetadata(chapters, title), encoding="utf-8")
        partial = Path(tmp) / out.name
        run_tool(["ffmpeg", "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
              "-f", "ffmetadata", "-i", str(meta), "-map", "0", "-map_metadata", "1",
              "-map_chapters", "1", "-c", "copy", "-movflags", "+faststart", str(partial)],
             f"join {len(videos)} videos into {out.name}")
        os.replace(partial, out)
    return out
