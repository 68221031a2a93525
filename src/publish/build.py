"""`make lecture`: render the scenes that are stale, then package the lecture.

    .venv/bin/python -m src.publish.build --quality low --jobs 2

Steps, each skipped when there is nothing to do:
1. find the scenes (plan order) and which are stale (src/publish/freshness.py);
2. render the stale ones with the manimgl CLI, JOBS at a time, showing
   frames done of the total and the time left for each;
3. package every scene's video, narration and captions into, beside the
   scene videos (videos/ for high quality, videos/<quality>/ otherwise):
       lecture.mp4           all scenes, one chapter per scene (stream copy)
       lecture.vtt .srt      captions of the whole lecture
       lecture.txt           the narration as speaker notes (and <Scene>.txt)
       <Scene>.vtt           captions of one scene (written by the scene)
       posters/<Scene>.png   the frame each scene marks as its poster
       posters/lecture.png   contact sheet of the posters
       index.html            the page that plays it all, offline
       lecture.json          what the page shows (chapters, cues, files)
4. print a summary: each scene's length, render time and real-time factor.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from src.publish import freshness
from src.publish.assemble import AssemblyError, Chapter, duration, join_videos
from src.publish.captions import Cue, beat_cues, script_text, to_srt, to_vtt
from src.publish.posters import contact_sheet, content_share, cut_frame
from src.publish.progress import SceneJob, clock, reporting
from src.publish.render import (
    DEFAULT_SCENE_FILE, QUALITY_FLAGS, ROOT, VIDEOS, check_manimgl, find_scenes,
    missing_dependencies, output_path, render_scene, sidecars,
)

LECTURE_TITLE = "How Autograd Works"


class BuildError(RuntimeError):
    pass


def lecture_folder(quality: str, out_dir: Path = VIDEOS) -> Path:
    return output_path("lecture", quality, False, out_dir).parent


def render_jobs(jobs: list[SceneJob], scene_file: Path, quality: str, workers: int,
                out_dir: Path, timeout: float | None, stream=None) -> None:
    """Render every job, `workers` at a time, reporting progress on `stream`."""
    cores = os.cpu_count() or 1
    # Mesa's rasteriser starts a thread per core in every render: share them.
    env = {"LP_NUM_THREADS": str(max(1, cores // workers))} if workers > 1 else {}

    def run(job: SceneJob) -> None:
        job.start()
        ok, info = render_scene(job.scene, scene_file, quality, False, out_dir,
                                verbose=False, timeout=timeout, progress=job.frames_done,
                                extra_env=env)
        job.elapsed = time.monotonic() - job.started
        job.ok = ok
        if ok:
            done, total = job.frames
            job.frames = (total or done, total)   # the bar's last refresh may be missed
            freshness.write_stamp(job.movie, job.inputs, render_seconds=round(job.elapsed, 1),
                                  rendered=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            done, _total = job.frames
            frames = f"{done} frames " if done else ""
            progress.say(f"{job.scene}: rendered {frames}in {clock(job.elapsed)}")
        else:
            job.error = info
            progress.say(f"{job.scene}: FAILED after {clock(job.elapsed)}:\n{info}\n")

    with reporting(jobs, stream) as progress, ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, jobs))


# ------------------------------------------------------------ packaging

def read_narration(movie: Path) -> dict:
    path = sidecars(movie)[0]
    try:
        story = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BuildError(f"{path.name} is missing or unreadable ({error}); the scene must be a "
                         "LectureScene (src/visualization/narration.py); render it again with "
                         "`make lecture`") from error
    if not story.get("beats"):
        raise BuildError(f"{movie.stem} says nothing: add self.say(...) at its beats")
    return story


def package(scenes: list[str], folder: Path, quality: str, title: str = LECTURE_TITLE,
            stream=None) -> dict:
    """Write the lecture's files from the scenes' videos in `folder`; returns the manifest."""
    stream = stream or sys.stdout
    movies = [folder / f"{s}.mp4" for s in scenes]
    missing = [m.name for m in movies if not m.is_file()]
    if missing:
        raise BuildError(f"not rendered yet: {', '.join(missing)}")
    stories = [read_narration(m) for m in movies]

    chapters, cues, scene_entries, offset = [], [], [], 0.0
    for scene, movie, story in zip(scenes, movies, stories):
        length = duration(movie)
        chapter = Chapter(story["title"], offset, offset + length)
        chapters.append(chapter)
        scene_cues = beat_cues(story["beats"], min(story["duration"], length))
        cues += [c.shifted(offset) for c in scene_cues]
        (folder / f"{scene}.txt").write_text(
            script_text(story["title"], story["beats"], length), encoding="utf-8")
        if story.get("poster") is None:
            raise BuildError(f"{scene} marks no poster frame: call self.mark_poster() "
                             "where its frame shows what the scene is about")
        poster = cut_frame(movie, story["poster"], folder / "posters" / f"{scene}.png")
        share = content_share(poster)
        if share < 0.01:
            stream.write(f"warning: the poster of {scene} at {story['poster']:.1f} s is nearly "
                         f"empty ({share:.1%} drawn below the title)\n")
        scene_entries.append({
            "scene": scene, "title": story["title"], "video": movie.name,
            "poster": f"posters/{scene}.png", "captions": f"{scene}.vtt",
            "script": f"{scene}.txt", "duration": round(length, 3),
            "cues": [_cue_dict(c) for c in scene_cues], "beats": story["beats"],
        })
        offset += length

    join_videos(movies, folder / "lecture.mp4", chapters, title)
    (folder / "lecture.vtt").write_text(to_vtt(cues), encoding="utf-8")
    (folder / "lecture.srt").write_text(to_srt(cues), encoding="utf-8")
    (folder / "lecture.txt").write_text("\n".join(
        script_text(st["title"], st["beats"], ch.end - ch.start)
        for st, ch in zip(stories, chapters)), encoding="utf-8")
    contact_sheet([(folder / e["poster"], str(i), e["title"])
                   for i, e in enumerate(scene_entries, 1)], folder / "posters" / "lecture.png")

    manifest = {
        "title": title, "quality": quality,
        "video": "lecture.mp4", "poster": scene_entries[0]["poster"],
        "captions": "lecture.vtt", "srt": "lecture.srt", "script": "lecture.txt",
        "duration": round(offset, 3),
        "cues": [_cue_dict(c) for c in cues],
        "chapters": [{"scene": s, "title": c.title, "start": round(c.start, 3),
                      "end": round(c.end, 3)} for s, c in zip(scenes, chapters)],
        "scenes": scene_entries, "contact_sheet": "posters/lecture.png",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    (folder / "lecture.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    from src.publish.page import write_page
    write_page(folder, manifest)
    return manifest


def _cue_dict(cue: Cue) -> dict:
    return {"start": cue.start, "end": cue.end, "text": cue.text}


# ------------------------------------------------------------ main

def summary(jobs: dict[str, SceneJob | None], folder: Path, scenes: list[str]) -> str:
    rows = [("scene", "length", "render", "x real time", "")]
    for scene in scenes:
        movie = folder / f"{scene}.mp4"
        length = duration(movie) if movie.is_file() else 0.0
        job = jobs.get(scene)
        if job is None:
            stamp = freshness.read_stamp(movie) or {}
            seconds = stamp.get("render_seconds")
            note = "up to date"
        else:
            seconds = job.elapsed
            note = "rendered" if job.ok else "FAILED"
        factor = f"{seconds / length:.1f}x" if seconds and length else "-"
        rows.append((scene, f"{length:.1f} s", clock(seconds) if seconds else "-", factor, note))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in rows)


def lecture_scenes(scene_file: Path) -> list[str]:
    """The scenes of `scene_file` in plan order; BuildError if there are none."""
    if not scene_file.is_file():
        raise BuildError(f"scene file {scene_file} not found")
    scenes = find_scenes(scene_file)
    if not scenes:
        raise BuildError(f"no scenes found in {scene_file.name}")
    return scenes


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
