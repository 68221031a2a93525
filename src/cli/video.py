"""`make video` and `make frame`: render scenes headlessly with manimgl.

    .venv/bin/python -m src.cli.video                       # every scene, 1080p
    .venv/bin/python -m src.cli.video -q low --scenes A B   # 480p drafts of A and B
    .venv/bin/python -m src.cli.video --frame --scenes A    # last frame of A as PNG
    .venv/bin/python -m src.cli.video --list                # scene names, in order

Each scene renders through src/publish/render.py (the manimgl CLI under
xvfb-run, into a temporary folder, moved into place only when finished) and
is stamped as up to date for `make lecture` (src/publish/freshness.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from src.narration.voice import VoiceError
from src.publish.freshness import fingerprint, voice_input, write_stamp
from src.publish.render import (
    DEFAULT_SCENE_FILE, QUALITY_FLAGS, ROOT, VIDEOS, check_manimgl, missing_dependencies,
    render_scene,
)
from src.rendering.discovery import find_scenes


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

    if not args.frame:
        try:
            voice_input()                # a voice that cannot be used: one line, before anything
        except VoiceError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
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
