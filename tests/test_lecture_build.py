"""`make lecture` end to end on a tiny lecture of two short scenes, rendered
for real by the manimgl CLI at 480p: what it writes, that the captions keep
the scenes' clocks, and the up-to-date rule (a second run renders nothing;
editing one scene renders that scene only)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from src.cli import lecture as lecture_cli
from src.publish import build
from src.publish.assemble import duration, probe
from src.narration.captions import parse_cues
from src.narration.soundtrack import SAMPLE_RATE
from src.rendering.scene import PAUSE_AFTER_SPEECH

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")

TINY_LECTURE = '''
from manimlib import Circle, FadeIn, Square, Text, Write
from src.rendering.scene import LectureScene
from src.visualization import math_label


class Opening(LectureScene):
    def construct(self):
        title = self.heading("Opening: a circle")
        self.add(title)
        self.say("A circle appears.")
        self.play(FadeIn(Circle().set_fill("#58C4DD", 0.8)), run_time=1.0)
        self.mark_poster()
        self.say("It stays for a moment.")
        self.wait(1.5)


class Closing(LectureScene):
    side = 2.0

    def construct(self):
        title = self.heading("Closing: a square")
        self.add(title)
        self.say("Now a square.")
        self.play(FadeIn(Square(self.side).set_fill("#FC6255", 0.8)), run_time=1.0)
        self.mark_poster()
        self.say("That is the end.")
        self.wait(1.0)
'''


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    """The tiny lecture after a first and a second `make lecture`."""
    tmp = tmp_path_factory.mktemp("lecture")
    scene_file = tmp / "tiny.py"
    scene_file.write_text(TINY_LECTURE)
    runs = []
    for _ in range(2):
        out = tmp / f"log{len(runs)}.txt"
        code = _build(scene_file, tmp / "videos", out)
        runs.append((code, out.read_text()))
    return tmp, scene_file, tmp / "videos" / "low", runs


def _build(scene_file: Path, out_dir: Path, log: Path) -> int:
    import contextlib
    with open(log, "w") as stream, contextlib.redirect_stdout(stream), \
            contextlib.redirect_stderr(stream):
        return lecture_cli.main(["--quality", "low", "--jobs", "2", "--file", str(scene_file),
                           "--out-dir", str(out_dir), "--timeout", "600"])


def test_first_run_renders_both_scenes_and_packages_the_lecture(lecture):
    _tmp, _file, folder, runs = lecture
    code, log = runs[0]
    assert code == 0, log
    assert "2 to render" in log and "frames" in log and "x real time" in log
    for name in ["lecture.mp4", "lecture.vtt", "lecture.srt", "lecture.txt", "lecture.json",
                 "index.html", "posters/lecture.png", "posters/Opening.png",
                 "posters/Closing.png", "Opening.vtt", "Closing.vtt", "Opening.txt"]:
        assert (folder / name).is_file(), name


def test_the_lecture_has_one_chapter_per_scene_named_by_its_title(lecture):
    _tmp, _file, folder, _runs = lecture
    info = probe(folder / "lecture.mp4")
    titles = [c["tags"]["title"] for c in info["chapters"]]
    assert titles == ["Opening: a circle", "Closing: a square"]
    first = duration(folder / "Opening.mp4")
    assert float(info["chapters"][1]["start_time"]) == pytest.approx(first, abs=0.05)
    assert duration(folder / "lecture.mp4") == pytest.approx(
        first + duration(folder / "Closing.mp4"), abs=0.1)


def test_captions_follow_the_scenes_clocks(lecture):
    _tmp, _file, folder, _runs = lecture
    story = json.loads((folder / "Opening.narration.json").read_text())
    first, second = story["beats"]
    frame = 1 / 15                                  # the clock moves in frames at 15 fps
    # The first beat at 0 s; the second after the 1 s FadeIn, or once the first
    # beat's speech and the pause after it are over, whichever comes later; the
    # scene ends when its 1.5 s wait and the second beat's speech are both done.
    assert first["start"] == 0.0 and first["speech"] > 0 and second["speech"] > 0
    assert second["start"] == pytest.approx(max(1.0, first["speech"] + PAUSE_AFTER_SPEECH),
                                            abs=frame)
    end = second["start"] + max(1.5, second["speech"] + PAUSE_AFTER_SPEECH)
    assert story["duration"] == pytest.approx(end, abs=frame)
    assert duration(folder / "Opening.mp4") == pytest.approx(story["duration"], abs=0.05)
    scene_cues = parse_cues((folder / "Opening.vtt").read_text())
    assert [(c.start, c.end, c.text) for c in scene_cues] == [
        (0.0, pytest.approx(second["start"], abs=1e-3), "A circle appears."),
        (pytest.approx(second["start"], abs=1e-3), pytest.approx(story["duration"], abs=1e-3),
         "It stays for a moment.")]
    # In the lecture, the second scene's cues start where its chapter does.
    cues = parse_cues((folder / "lecture.vtt").read_text())
    assert [c.text for c in cues] == ["A circle appears.", "It stays for a moment.",
                                      "Now a square.", "That is the end."]
    assert cues[2].start == pytest.approx(duration(folder / "Opening.mp4"), abs=0.01)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(cues, cues[1:]))
    assert parse_cues((folder / "lecture.srt").read_text()) == cues


def test_the_lecture_keeps_the_scenes_sound(lecture):
    """lecture.mp4 has a sound track exactly when the scenes have one (VOICE),
    and each scene's sound sits under its own chapter, where it is in the scene."""
    from src.narration.soundtrack import speech_spans
    from src.publish.assemble import has_audio, video_duration
    _tmp, _file, folder, _runs = lecture
    scenes = ["Opening", "Closing"]
    sound = {has_audio(folder / f"{s}.mp4") for s in scenes}
    assert len(sound) == 1, "the scenes of one lecture are all voiced or all silent"
    voiced = sound.pop()
    lecture_mp4 = folder / "lecture.mp4"
    assert has_audio(lecture_mp4) == voiced
    assert json.loads((folder / "lecture.json").read_text())["sound"] == voiced
    if not voiced:
        return
    chapters = probe(lecture_mp4)["chapters"]
    heard = speech_spans(lecture_mp4)
    whole = decoded(lecture_mp4)
    for scene, chapter in zip(scenes, chapters):
        start = float(chapter["start_time"])
        assert start == pytest.approx(sum(video_duration(folder / f"{s}.mp4")
                                          for s in scenes[:scenes.index(scene)]), abs=0.001)
        end = start + video_duration(folder / f"{scene}.mp4")
        shifted = [(a + start, b + start) for a, b in speech_spans(folder / f"{scene}.mp4")]
        inside = [(a, b) for a, b in heard if start - 0.01 <= a < end]
        assert len(inside) == len(shifted), (scene, inside, shifted)
        # Where the scene's sound is in the lecture, to the sample: the lag of
        # best match within +-50 ms (a frame is 67 ms at 15 fps). Comparing
        # where speech crosses -40 dB instead varied by up to 5 ms with the
        # voice's (random) synthesis, the lecture's sound being AAC twice.
        own = decoded(folder / f"{scene}.mp4")[:round((end - start) * SAMPLE_RATE)]
        lag, match = best_lag(own, whole, round(start * SAMPLE_RATE), SAMPLE_RATE // 20)
        assert abs(lag) <= SAMPLE_RATE // 1000 and match > 0.99, (scene, lag, match)


def decoded(video: Path) -> np.ndarray:
    """The video's sound as mono float samples at SAMPLE_RATE."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-map", "0:a:0", "-ac", "1",
                          "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, np.float32).astype(np.float64)


def best_lag(part: np.ndarray, whole: np.ndarray, at: int, window: int) -> tuple[int, float]:
    """(lag, normalised correlation) of `part` against `whole` near sample
    `at`: the lag in -window..window where `part` matches `whole` best."""
    lo = max(at - window, 0)
    segment = whole[lo:at + len(part) + window]
    n = len(segment) + len(part)
    spectrum = np.fft.rfft(segment, n) * np.conj(np.fft.rfft(part, n))
    scores = np.fft.irfft(spectrum, n)[:len(segment) - len(part) + 1]
    k = int(np.argmax(scores))
    piece = segment[k:k + len(part)]
    match = scores[k] / (np.linalg.norm(piece) * np.linalg.norm(part) + 1e-12)
    return lo + k - at, float(match)


def test_second_run_renders_nothing(lecture):
    _tmp, _file, _folder, runs = lecture
    code, log = runs[1]
    assert code == 0, log
    assert "0 to render, 2 up to date" in log and "rendering" not in log


def test_editing_one_scene_renders_that_scene_only(lecture):
    tmp, scene_file, folder, _runs = lecture
    before = {s: (folder / f"{s}.mp4").stat().st_mtime_ns for s in ("Opening", "Closing")}
    scene_file.write_text(TINY_LECTURE.replace("side = 2.0", "side = 2.5"))
    log = tmp / "log_edit.txt"
    code = _build(scene_file, tmp / "videos", log)
    text = log.read_text()
    assert code == 0, text
    assert "1 to render, 1 up to date" in text and "Closing: scene code changed" in text
    assert (folder / "Opening.mp4").stat().st_mtime_ns == before["Opening"]
    assert (folder / "Closing.mp4").stat().st_mtime_ns != before["Closing"]


def test_a_voice_that_cannot_be_used_is_one_line_before_anything(tmp_path, monkeypatch, capsys):
    scene_file = tmp_path / "tiny.py"
    scene_file.write_text(TINY_LECTURE)
    monkeypatch.setenv("VOICE", str(tmp_path / "missing.onnx"))
    code = lecture_cli.main(["--quality", "low", "--file", str(scene_file),
                             "--out-dir", str(tmp_path / "videos")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "missing.onnx" in err and "VOICE=off" in err
    assert not (tmp_path / "videos").exists()


def test_a_failing_scene_leaves_no_lecture_and_says_which(tmp_path):
    scene_file = tmp_path / "broken.py"
    scene_file.write_text(TINY_LECTURE.replace('self.say("Now a square.")',
                                               'raise ValueError("the square is broken")'))
    log = tmp_path / "log.txt"
    code = _build(scene_file, tmp_path / "videos", log)
    text = log.read_text()
    assert code == 1
    assert "Closing: FAILED" in text and "the square is broken" in text
    assert "not packaged" in text
    assert not (tmp_path / "videos" / "low" / "lecture.mp4").exists()
    # The scene that did render is kept and counts as up to date next time.
    assert (tmp_path / "videos" / "low" / "Opening.mp4").is_file()
