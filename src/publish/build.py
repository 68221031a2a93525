"""`make lecture`: render the scenes that are stale, then package the lecture.

    .venv/bin/python -m src.cli.lecture --quality low --jobs 2   (make lecture)

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

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from src.publish import freshness
from src.publish.assemble import Chapter, duration, join_videos, same_sound, video_duration
from src.narration.captions import Cue, beat_cues, script_text, to_srt, to_vtt
from src.publish.posters import contact_sheet, content_share, cut_frame
from src.publish.progress import SceneJob, clock, reporting
from src.publish.render import VIDEOS, output_path, render_scene, sidecars
from src.rendering.discovery import find_scenes

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
                         "LectureScene (src/rendering/scene.py); render it again with "
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
    sound = same_sound(movies)      # before writing anything: a mix cannot be joined

    chapters, cues, scene_entries, offset = [], [], [], 0.0
    for scene, movie, story in zip(scenes, movies, stories):
        length = video_duration(movie)
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
        "title": title, "quality": quality, "sound": sound,
        "video": "lecture.mp4", "poster": scene_entries[0]["poster"],
        "captions": "lecture.vtt", "srt": "lecture.srt", "script": "lecture.txt",
        "duration": round(offset, 3),
        "cues": [_cue_dict(c) for c in cues],
        "chapters": [{"scene": s, "title": c.title, "start": round(c.start, 3),
                      "end": round(c.end, 3)} for s, c in zip(scenes, chapters)],
        "scenes": scene_entries, "contact_sheet": "posters/lecture.png",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if (folder / "explorer" / "index.html").is_file():   # make explorer / make lecture built it
        manifest["explorer"] = "explorer/index.html"
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
