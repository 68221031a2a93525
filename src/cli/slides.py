"""`make slides`: the lecture as beat-by-beat slides that work offline.

    .venv/bin/python -m src.cli.slides --quality low [--jobs 2]

First the scenes are brought up to date exactly as `make lecture` does it
(src/cli/lecture.py), then src/publish/slides.py cuts every scene at its
narration beats into slides/ (reveal.js, PowerPoint, manim-slides).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from src.cli import lecture
from src.publish import build
from src.publish.assemble import AssemblyError
from src.publish.render import DEFAULT_SCENE_FILE, QUALITY_FLAGS, VIDEOS
from src.publish.slides import MANIM_SLIDES, SlidesError, build_slides


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Render what is stale (as `make lecture`), then cut every scene at its "
                    "narration beats into slides: slides/lecture.html (reveal.js, offline), "
                    "slides/lecture.pptx and manim-slides presentation files.")
    parser.add_argument("-q", "--quality", choices=list(QUALITY_FLAGS), default="high")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="scenes rendered at once (default: the machine's cores)")
    parser.add_argument("--file", type=Path, default=DEFAULT_SCENE_FILE)
    parser.add_argument("--out-dir", type=Path, default=VIDEOS)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds allowed per scene render")
    parser.add_argument("--no-render", action="store_true",
                        help="use the scene videos as they are: render nothing, package nothing")
    parser.add_argument("--force", action="store_true", help="cut every scene again")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.no_render:
        forwarded = ["--quality", args.quality, "--jobs", str(args.jobs),
                     "--file", str(args.file), "--out-dir", str(args.out_dir)]
        if args.timeout is not None:
            forwarded += ["--timeout", str(args.timeout)]
        code = lecture.main(forwarded)
        if code:
            return code
    try:
        scenes = build.lecture_scenes(args.file.resolve())
    except build.BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    folder = build.lecture_folder(args.quality, args.out_dir.resolve())
    started = time.monotonic()
    try:
        result = build_slides(scenes, folder, force=args.force)
    except (SlidesError, build.BuildError, AssemblyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    rel = os.path.relpath(result.folder)
    print(f"slides in {time.monotonic() - started:.1f} s: {len(result.slides)} slides from "
          f"{len(scenes)} scenes ({len(result.cut)} cut, {len(scenes) - len(result.cut)} up to "
          f"date)\n  {rel}/lecture.html   open it in a browser; S shows the speaker notes\n"
          f"  {rel}/lecture.pptx   PowerPoint/Keynote"
          f"{' (unchanged)' if not result.pptx_written else ''}\n"
          f"  cd {rel} && manim-slides present --folder {MANIM_SLIDES} {' '.join(scenes)}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
