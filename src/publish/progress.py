"""Progress of renders, readable on a terminal and in a log file.

    job = SceneJob("BackwardPassScene", movie, reasons=["never rendered"], inputs={})
    with reporting([job], sys.stderr) as progress:
        job.start()
        render_scene(..., progress=job.frames_done)   # manimgl's frame counter
        progress.say("BackwardPassScene: rendered")

On a terminal one line is redrawn in place; anywhere else (a log file, a
pipe, CI) a full line is written every REPORT_EVERY seconds, so a log reads
line by line instead of as one run-on line of carriage returns.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPORT_EVERY = 10.0      # seconds between progress lines when not on a terminal


def clock(seconds: float) -> str:
    """12s, 3m05s."""
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


@dataclass
class SceneJob:
    scene: str
    movie: Path
    reasons: list[str]
    inputs: dict
    frames: tuple[int, int] = (0, 0)
    first_frame_at: float | None = None
    started: float | None = None
    elapsed: float | None = None
    ok: bool | None = None
    error: str = ""

    def start(self) -> None:
        self.started = time.monotonic()

    def frames_done(self, done: int, total: int) -> None:
        """manimgl's frame counter, as render_scene(progress=...) reports it."""
        if self.first_frame_at is None:
            self.first_frame_at = time.monotonic()
        self.frames = (done, total)

    def status(self, now: float) -> str:
        done, total = self.frames
        if self.started is None:
            return f"{self.scene} waiting"
        if not total:
            return f"{self.scene} preparing ({clock(now - self.started)})"
        text = f"{self.scene} {done}/{total} frames ({100 * done // total}%"
        if done and self.first_frame_at is not None:
            rate = (now - self.first_frame_at) / done
            text += f", ~{clock(rate * (total - done))} left"
        return text + ")"


@dataclass
class Progress:
    """Prints the running jobs' progress: one redrawn line on a terminal,
    otherwise a line every REPORT_EVERY seconds."""

    jobs: list[SceneJob]
    stream: object = None     # sys.stdout at the time of use
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.stream = self.stream or sys.stdout

    def line(self) -> str:
        now = time.monotonic()
        running = [j for j in self.jobs if j.started is not None and j.ok is None]
        finished = sum(j.ok is not None for j in self.jobs)
        parts = [j.status(now) for j in running]
        waiting = sum(j.started is None for j in self.jobs)
        if waiting:
            parts.append(f"{waiting} waiting")
        return f"[{finished}/{len(self.jobs)} done] " + " | ".join(parts)

    def say(self, text: str) -> None:
        with self.lock:
            tty = getattr(self.stream, "isatty", lambda: False)()
            self.stream.write(("\r\033[K" if tty else "") + text + "\n")
            self.stream.flush()

    def run(self) -> None:
        tty = getattr(self.stream, "isatty", lambda: False)()
        while not self.stop.wait(0.5 if tty else REPORT_EVERY):
            with self.lock:
                text = self.line()
                if tty:
                    width = _columns(self.stream)
                    self.stream.write("\r\033[K" + text[: width - 1])
                else:
                    self.stream.write(text + "\n")
                self.stream.flush()


def _columns(stream) -> int:
    """The terminal's width (80 if it cannot say)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 80


@contextmanager
def reporting(jobs: list[SceneJob], stream=None):
    """Report `jobs`' progress from a background thread while the block runs."""
    progress = Progress(jobs, stream)
    reporter = threading.Thread(target=progress.run, daemon=True)
    reporter.start()
    try:
        yield progress
    finally:
        progress.stop.set()
        reporter.join()
        if getattr(progress.stream, "isatty", lambda: False)():
            progress.stream.write("\r\033[K")      # the redrawn line goes away
            progress.stream.flush()
