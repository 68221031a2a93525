"""Render progress reads line by line in a log file (src/publish/progress.py)."""
from __future__ import annotations

import io
import time
from pathlib import Path

from src.publish import progress as progress_module
from src.publish.progress import SceneJob, clock, reporting


def test_in_a_log_every_report_is_a_whole_line(monkeypatch):
    monkeypatch.setattr(progress_module, "REPORT_EVERY", 0.05)
    log = io.StringIO()                       # not a terminal, like a CI log
    job = SceneJob("ExplainScene", Path("x.mp4"), reasons=[], inputs={})
    with reporting([job], log) as progress:
        job.start()
        for done in range(0, 120, 20):
            job.frames_done(done, 100 if done < 100 else done)
            time.sleep(0.06)
        progress.say("ExplainScene: rendered")
    text = log.getvalue()
    assert "\r" not in text and "\033" not in text
    lines = text.splitlines()
    assert len(lines) >= 4 and text.endswith("\n")
    assert any("ExplainScene 40/100 frames (40%" in line for line in lines), lines
    assert lines[-1] == "ExplainScene: rendered"


def test_on_a_terminal_one_line_is_redrawn_and_cleared_at_the_end(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

        def fileno(self):
            raise OSError("no real terminal")

    screen = Terminal()
    job = SceneJob("ExplainScene", Path("x.mp4"), reasons=[], inputs={})
    with reporting([job], screen):
        job.start()
        job.frames_done(5, 10)
        time.sleep(0.7)                       # the redraw interval on a terminal is 0.5 s
    text = screen.getvalue()
    assert "\n" not in text and text.count("\r\033[K") >= 2
    assert text.endswith("\r\033[K")
    assert all(len(part) <= 80 for part in text.split("\r\033[K"))   # cut to the width


def test_clock():
    assert [clock(s) for s in (0, 9.4, 59.6, 61, 3725)] == ["0s", "9s", "1m00s", "1m01s", "62m05s"]
