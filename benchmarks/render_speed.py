"""Render speed of a lecture scene: wall time / video length, with and without
the speed-ups of src/rendering/fast_render.py.

    cd /work/main && .venv/bin/python benchmarks/render_speed.py
    .venv/bin/python benchmarks/render_speed.py --qualities low --modes fast --repeat 3
    .venv/bin/python benchmarks/render_speed.py --scene SummaryScene --check-frames

Each run is the plain manimgl CLI, exactly as a lecturer types it
(`manimgl 01_autograd_visualization.py BackwardPassScene -w -l`), under
`xvfb-run -a` when DISPLAY is unset, with stdin from /dev/null and the video
written into a temporary directory. "fast" runs it as it is; "stock" sets
AUTOGRAD_FAST_RENDER=0, which turns every speed-up off (manimgl 1.7.2 as
shipped). Runs are interleaved (fast, stock, then stock, fast, ...) so that
load from other jobs on a shared machine hits both; medians are reported.

Printed per quality and mode: wall time, CPU time (the render and its
children: Xvfb, ffmpeg), video length (ffprobe), the real-time factor
(wall / length), file size, and what the fast path did (frames drawn,
reused, ...). The header gives the date, the machine's cores, CPU and
OpenGL renderer, and the load average. --check-frames also hashes every raw
frame sent to ffmpeg and says whether fast and stock frames are identical
(it costs time, so timings of such a run are not representative). A fast
run whose speed-up fell back to stock manimgl (another manimgl, see
src/rendering/fast_render.py) prints that warning under its timing, and its
frames are not compared.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUALITY_FLAGS = {"low": "-l", "medium": "-m", "high": "--hd", "4k": "--uhd"}
QUALITY_NAMES = {"low": "480p", "medium": "720p", "high": "1080p", "4k": "2160p"}
TARGETS = {"low": 0.6, "high": 2.0}   # real-time factor asked for on a 2-core machine
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24"]


def manimgl_command() -> list[str]:
    local = Path(sys.executable).with_name("manimgl")
    if local.exists():
        return [str(local)]
    found = shutil.which("manimgl")
    if not found:
        sys.exit("manimgl not found (run from the project's venv: .venv/bin/python ...)")
    return [found]


def headless(command: list[str]) -> list[str]:
    if os.environ.get("DISPLAY"):
        return command
    if not shutil.which("xvfb-run"):
        sys.exit("DISPLAY is unset and xvfb-run is missing: sudo apt-get install -y xvfb xauth")
    return XVFB + command


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def gl_renderer() -> str:
    probe = ("import moderngl; c = moderngl.create_standalone_context(); "
             "print(c.info['GL_RENDERER'], '|', c.info['GL_VERSION'])")
    try:
        out = subprocess.run(headless([sys.executable, "-c", probe]), capture_output=True,
                             text=True, timeout=60, stdin=subprocess.DEVNULL)
        return out.stdout.strip().splitlines()[-1] if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def video_length(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def render_once(scene_file: Path, scene: str, quality: str, mode: str, check_frames: bool,
                keep: Path | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="render_speed_") as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, AUTOGRAD_FAST_RENDER="1" if mode == "fast" else "0",
                   AUTOGRAD_RENDER_STATS="1")
        env.pop("AUTOGRAD_FRAME_HASHES", None)
        hashes = tmp / "frames.md5"
        if check_frames:
            env["AUTOGRAD_FRAME_HASHES"] = str(hashes)
        command = headless(manimgl_command() + [
            str(scene_file), scene, "-w", QUALITY_FLAGS[quality], "--video_dir", str(tmp / "out")])
        load_before = os.getloadavg()[0]
        cpu0, t0 = children_cpu(), time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
        log = done.stdout + done.stderr
        result = {"quality": quality, "mode": mode, "wall": wall, "cpu": cpu,
                  "load_before": load_before, "load_after": os.getloadavg()[0],
                  "ok": done.returncode == 0}
        movie = tmp / "out" / f"{scene}.mp4"
        if not result["ok"] or not movie.exists():
            result["ok"] = False
            result["error"] = "\n".join(log.strip().splitlines()[-15:])
            return result
        result["length"] = video_length(movie)
        result["rtf"] = wall / result["length"]
        result["size"] = movie.stat().st_size
        stats = re.search(r"\[render_speed \w+\] \w+: (.*)", log)
        result["stats"] = stats.group(1) if stats and mode == "fast" else ""
        # the fast path fell back to stock manimgl (src/rendering/fast_render.py)
        fallback = re.search(r"^autograd lecture: render speed-up off .*$", log, re.MULTILINE)
        if fallback:
            result["fallback"] = fallback.group(0)
        if check_frames and hashes.exists():
            result["frame_hashes"] = hashes.read_text().split()
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy2(movie, keep / f"{scene}_{quality}_{mode}.mp4")
        return result


def summarize(runs: list[dict], quality: str, mode: str) -> dict | None:
    mine = [r for r in runs if r["quality"] == quality and r["mode"] == mode and r["ok"]]
    if not mine:
        return None
    walls = [r["wall"] for r in mine]
    return {
        "quality": quality, "mode": mode, "runs": len(mine),
        "wall": statistics.median(walls), "wall_min": min(walls), "wall_max": max(walls),
        "cpu": statistics.median(r["cpu"] for r in mine),
        "length": mine[0]["length"],
        "rtf": statistics.median(r["rtf"] for r in mine),
        "size": mine[0]["size"],
        "stats": mine[-1].get("stats", ""),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scene", default="BackwardPassScene")
    parser.add_argument("--file", default=str(ROOT / "01_autograd_visualization.py"),
                        help="scene file (default: the lecture)")
    parser.add_argument("--qualities", default="low,high",
                        help="comma list of low, medium, high, 4k (default: low,high)")
    parser.add_argument("--modes", default="fast,stock",
                        help="comma list of fast (speed-ups on) and stock (AUTOGRAD_FAST_RENDER=0)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per quality and mode")
    parser.add_argument("--check-frames", action="store_true",
                        help="hash every raw frame and compare fast with stock (slows renders)")
    parser.add_argument("--keep", type=Path, help="copy the rendered videos into this folder")
    parser.add_argument("--json", type=Path, help="also write every run as JSON here")
    args = parser.parse_args(argv)

    qualities = [q.strip() for q in args.qualities.split(",") if q.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for q in qualities:
        if q not in QUALITY_FLAGS:
            parser.error(f"unknown quality {q!r} (low, medium, high, 4k)")
    for m in modes:
        if m not in ("fast", "stock"):
            parser.error(f"unknown mode {m!r} (fast, stock)")
    scene_file = Path(args.file).resolve()

    now = dt.datetime.now(dt.timezone.utc)
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    print(f"render speed of {args.scene} ({scene_file.name})")
    print(f"date: {now:%Y-%m-%d %H:%M} UTC; machine: {cores} cores ({usable} usable), "
          f"{cpu_model()}, {platform.system()} {platform.release()}")
    print(f"OpenGL: {gl_renderer()}; display: "
          f"{'DISPLAY=' + os.environ['DISPLAY'] if os.environ.get('DISPLAY') else 'xvfb-run'}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()

    runs = []
    for rep in range(args.repeat):
        order = modes if rep % 2 == 0 else list(reversed(modes))
        for quality in qualities:
            for mode in order:
                r = render_once(scene_file, args.scene, quality, mode, args.check_frames, args.keep)
                runs.append(r)
                if r["ok"]:
                    print(f"  run {rep + 1}: {QUALITY_NAMES[quality]:>5} {mode:5}  "
                          f"wall {r['wall']:6.1f} s  cpu {r['cpu']:6.1f} s  "
                          f"length {r['length']:5.1f} s  x{r['rtf']:.2f}  "
                          f"(load {r['load_before']:.1f} -> {r['load_after']:.1f})", flush=True)
                    if r.get("fallback"):
                        print(f"    {r['fallback']}", flush=True)
                else:
                    print(f"  run {rep + 1}: {QUALITY_NAMES[quality]:>5} {mode:5}  FAILED\n"
                          f"{r['error']}", flush=True)

    print()
    print(f"{'quality':>7} {'mode':5} {'runs':>4} {'wall (median)':>14} {'min..max':>14} "
          f"{'cpu':>8} {'length':>7} {'real-time factor':>17} {'size':>9}")
    summaries = {}
    for quality in qualities:
        for mode in modes:
            s = summarize(runs, quality, mode)
            if s is None:
                continue
            summaries[quality, mode] = s
            print(f"{QUALITY_NAMES[quality]:>7} {mode:5} {s['runs']:>4} {s['wall']:12.1f} s "
                  f"{s['wall_min']:6.1f}..{s['wall_max']:<6.1f} {s['cpu']:6.1f} s {s['length']:6.1f}s "
                  f"{'x' + format(s['rtf'], '.2f'):>17} {s['size'] / 1024:7.0f}kB")
    print()
    for quality in qualities:
        fast, stock = summaries.get((quality, "fast")), summaries.get((quality, "stock"))
        name = QUALITY_NAMES[quality]
        if fast and stock:
            print(f"{name}: speed-up x{stock['wall'] / fast['wall']:.2f} wall, "
                  f"x{stock['cpu'] / fast['cpu']:.2f} CPU")
        if fast and quality in TARGETS:
            verdict = "met" if fast["rtf"] <= TARGETS[quality] else "NOT met"
            print(f"{name}: target real-time factor <= {TARGETS[quality]}: {verdict} "
                  f"(x{fast['rtf']:.2f})")
        if fast and fast["stats"]:
            print(f"{name} fast path: {fast['stats']}")
    if args.check_frames:
        for quality in qualities:
            hashed = {r["mode"]: r.get("frame_hashes") for r in runs
                      if r["quality"] == quality and r["ok"] and r.get("frame_hashes")}
            fell_back = any(r.get("fallback") for r in runs
                            if r["quality"] == quality and r["mode"] == "fast")
            if fell_back:
                print(f"{QUALITY_NAMES[quality]} raw frames fast vs stock: not compared "
                      "(the fast run fell back to stock manimgl)")
            elif "fast" in hashed and "stock" in hashed:
                a, b = hashed["fast"], hashed["stock"]
                same = sum(x == y for x, y in zip(a, b))
                verdict = "identical" if a == b else "DIFFERENT"
                print(f"{QUALITY_NAMES[quality]} raw frames fast vs stock: {verdict} "
                      f"({same} of {max(len(a), len(b))} frames equal)")
            elif set(modes) == {"fast", "stock"}:
                print(f"{QUALITY_NAMES[quality]} raw frames fast vs stock: not compared "
                      f"(no frame hashes from {', '.join(sorted({'fast', 'stock'} - set(hashed)))})")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        for r in runs:
            r.pop("frame_hashes", None)
        args.json.write_text(json.dumps({"date": now.isoformat(), "cores": cores,
                                         "scene": args.scene, "runs": runs}, indent=1))
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
