"""`make lecture`: render what is stale, then package the lecture.

    .venv/bin/python -m src.cli.lecture --quality low [--jobs 2]

Each scene renders again only when something its video depends on changed
(src/publish/freshness.py); the stale ones render JOBS at a time with their
progress (src/publish/progress.py); then src/publish/build.py packages the
lecture: one video with a chapter per scene, captions, posters and a page.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from src.narration.voice import VoiceError
from src.publish import explorer, freshness
from src.publish.assemble import AssemblyError
from src.publish.build import (
    BuildError, lecture_folder, lecture_scenes, package, render_jobs, summary,
)
from src.publish.progress import SceneJob
from src.publish.render import (
    DEFAULT_SCENE_FILE, QUALITY_FLAGS, ROOT, VIDEOS, check_manimgl, missing_dependencies,
    sidecars,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Render what is stale and package the lecture (video with chapters, "
                    "captions, posters, index.html).")
    parser.add_argument("-q", "--quality", choices=list(QUALITY_FLAGS), default="high")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="scenes rendered at once (default: the machine's cores)")
    parser.add_argument("--file", type=Path, default=DEFAULT_SCENE_FILE)
    parser.add_argument("--out-dir", type=Path, default=VIDEOS)
    parser.add_argument("--force", action="store_true", help="render every scene again")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds allowed per scene render")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.jobs < 1:
        print(f"error: JOBS must be 1 or more, not {args.jobs}", file=sys.stderr)
        return 2
    scene_file = args.file.resolve()
    try:
        scenes = lecture_scenes(scene_file)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        freshness.voice_input()          # a voice that cannot be used: one line, before anything
    except VoiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out_dir = args.out_dir.resolve()
    folder = lecture_folder(args.quality, out_dir)
    folder.mkdir(parents=True, exist_ok=True)

    jobs: dict[str, SceneJob | None] = {}
    for scene in scenes:
        movie = folder / f"{scene}.mp4"
        inputs = freshness.fingerprint(scene_file, scene, args.quality, ROOT)
        reasons = ["--force"] if args.force else freshness.stale_reasons(
            movie, inputs, needed=sidecars(movie))
        jobs[scene] = SceneJob(scene, movie, reasons, inputs) if reasons else None
    stale = [j for j in jobs.values() if j is not None]
    print(f"{len(scenes)} scenes at {args.quality} quality in {os.path.relpath(folder)}/: "
          f"{len(stale)} to render, {len(scenes) - len(stale)} up to date", flush=True)
    for job in stale:
        print(f"  {job.scene}: {'; '.join(job.reasons)}", flush=True)

    if stale:
        problems = missing_dependencies()
        if (problem := check_manimgl()):
            problems.append(problem)
        if problems:
            print("error: missing dependencies:\n  - " + "\n  - ".join(problems), file=sys.stderr)
            return 3
        workers = min(args.jobs, len(stale))
        print(f"rendering {len(stale)} scene(s), {workers} at a time", flush=True)
        render_jobs(stale, scene_file, args.quality, workers, out_dir, args.timeout)

    print(summary(jobs, folder, scenes), flush=True)
    failed = [j.scene for j in stale if not j.ok]
    if failed:
        print(f"error: {len(failed)} scene(s) failed: {', '.join(failed)}; the lecture was not "
              "packaged (the videos that rendered are kept and will not render again)",
              file=sys.stderr)
        return 1
    started = time.monotonic()
    try:   # the explorer sits beside the lecture, so the page can link to it
        explorer.build(folder / "explorer")
    except explorer.ExplorerError as error:
        print(f"note: the explorer was not built, so the page does not link to it: {error}",
              flush=True)
    try:
        manifest = package(scenes, folder, args.quality)
    except (BuildError, AssemblyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    rel = os.path.relpath(folder)
    print(f"packaged in {time.monotonic() - started:.1f} s: {rel}/lecture.mp4 "
          f"({manifest['duration']:.1f} s, {len(manifest['chapters'])} chapters, "
          f"{len(manifest['cues'])} captions), {rel}/index.html, {rel}/posters/lecture.png",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
