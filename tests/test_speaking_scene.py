"""A LectureScene rendered by the manimgl CLI, as a lecturer runs it, speaks:
the movie's audio track holds each beat's speech, starting within one frame
of the beat and ending before the next beat; it is loud enough for online
video and never clips; a voice that cannot be used is one line and no video.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from src.narration.soundtrack import loudness, speech_spans, waveform_png
from src.publish.assemble import probe

ROOT = Path(__file__).resolve().parents[1]
MANIMGL = ROOT / ".venv" / "bin" / "manimgl"
FPS = 15   # manimgl -l renders 480p at 15 frames a second

SCENE = '''
from manimlib import Circle, FadeIn, Square
from src.rendering.scene import LectureScene


class Speaking(LectureScene):
    def construct(self):
        self.add(self.heading("A scene that speaks"))
        self.say("A circle appears, with radius {r}.", r=1.5)
        self.play(FadeIn(Circle(radius=1.5)), run_time=0.5)
        self.say("Then a square, and the scene waits for the end of this sentence.")
        self.play(FadeIn(Square()), run_time=0.5)
        self.say("Short.")
        self.wait(2.0)
'''


def render(tmp_path: Path, env_voice: str | None, *flags: str) -> subprocess.CompletedProcess:
    (tmp_path / "speaking.py").write_text(SCENE)
    (tmp_path / "custom_config.yml").symlink_to(ROOT / "custom_config.yml")
    env = {k: v for k, v in os.environ.items() if k != "VOICE"}
    if env_voice is not None:
        env["VOICE"] = env_voice
    return subprocess.run(["xvfb-run", "-a", str(MANIMGL), "speaking.py", "Speaking", "-w", "-l",
                           *flags], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speaking")
    result = render(folder, None)
    assert result.returncode == 0, result.stderr[-2000:]
    video = folder / "videos" / "Speaking.mp4"
    story = json.loads(video.with_name("Speaking.narration.json").read_text())
    return video, story


def test_the_movie_has_an_aac_track_as_long_as_its_picture(spoken):
    video, story = spoken
    streams = {s["codec_type"]: s for s in probe(video)["streams"]}
    assert streams["audio"]["codec_name"] == "aac"
    assert abs(float(streams["audio"]["duration"]) - float(streams["video"]["duration"])) < 0.05
    assert abs(float(streams["video"]["duration"]) - story["duration"]) < 1.5 / FPS


def test_each_beats_speech_starts_with_the_beat_and_ends_before_the_next(spoken, tmp_path):
    video, story = spoken
    spans = speech_spans(video, noise_db=-40, min_silence=0.25)
    starts = [b["start"] for b in story["beats"]]
    ends = starts[1:] + [story["duration"]]
    waveform_png(video, tmp_path / "speaking.png", marks=starts)   # to look at
    for start, end, beat in zip(starts, ends, story["beats"]):
        inside = [s for s in spans if start - 1 / FPS <= s[0] < end]
        assert inside, (beat["text"], spans)
        assert abs(inside[0][0] - start) <= 1 / FPS, (beat["text"], inside[0], start)
        assert inside[-1][1] <= end, (beat["text"], inside[-1], end)
        assert start + beat["speech"] <= end
    assert all(any(a - 1 / FPS <= s[0] < b for a, b in zip(starts, ends)) for s in spans)


def test_loudness_is_for_online_video(spoken):
    video, _ = spoken
    integrated, true_peak = loudness(video)
    assert abs(integrated - (-16.0)) <= 1.0
    assert true_peak <= -1.5


def test_numbers_said_are_recorded_by_name(spoken):
    _, story = spoken
    first = story["beats"][0]
    assert first["text"] == "A circle appears, with radius 1.5."
    assert first["numbers"] == {"r": 1.5}
    assert first["spoken"] == "A circle appears, with radius one point five."


def test_voice_off_writes_the_same_frames_without_a_track(spoken, tmp_path):
    video, _ = spoken
    result = render(tmp_path, "off")
    assert result.returncode == 0, result.stderr[-2000:]
    silent = probe(tmp_path / "videos" / "Speaking.mp4")
    assert [s["codec_type"] for s in silent["streams"]] == ["video"]
    voiced = next(s for s in probe(video)["streams"] if s["codec_type"] == "video")
    assert silent["streams"][0]["nb_frames"] == voiced["nb_frames"]


# One bad voice through the CLI in make test; the other two in make check
# (each message is checked in-process for every bad voice in test_voice.py).
@pytest.mark.parametrize("setting, named", [
    ("{tmp}/no_such_voice.onnx", "no such file"),
    pytest.param("{tmp}/broken.onnx", "broken.onnx", marks=pytest.mark.slow),
    pytest.param("loud", "VOICE=loud", marks=pytest.mark.slow),
])
def test_a_voice_that_cannot_be_used_is_one_line_and_no_video(tmp_path, setting, named):
    (tmp_path / "broken.onnx").write_bytes(b"\x08\x01not a model")
    (tmp_path / "broken.onnx.json").write_text("{}")
    result = render(tmp_path, setting.format(tmp=tmp_path))
    assert result.returncode == 2, (result.stdout[-1000:], result.stderr[-1000:])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and named in errors[0], result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("videos/**/*.mp4"))


def test_a_render_from_a_later_animation_keeps_narration_on_the_videos_clock(tmp_path):
    """`-n 2` skips the first animations: beats and the duration count from the
    video's first frame (time skipped is not in the video)."""
    result = render(tmp_path, "off", "-n", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    video = tmp_path / "videos" / "Speaking_2.mp4"          # manimgl names it by -n
    story = json.loads(video.with_name("Speaking_2.narration.json").read_text())
    length = float(next(s for s in probe(video)["streams"] if s["codec_type"] == "video")["duration"])
    assert story["duration"] == pytest.approx(length, abs=1.5 / FPS)
    assert story["beats"] and all(0 <= b["start"] < story["duration"] for b in story["beats"])


def test_the_poster_is_the_moment_it_is_marked_not_its_beats_start():
    from manimlib import FadeIn, Square
    from src.rendering.scene import LectureScene
    from tests.manim_harness import run_scene

    holder = {}

    class Marked(LectureScene):
        def construct(self):
            holder["scene"] = self
            self.say("A square fades in, slowly, while this sentence goes on.")
            self.play(FadeIn(Square()), run_time=1.25)
            self.mark_poster()
            self.wait(0.5)

    run_scene(Marked)
    story = holder["scene"].narration()
    assert story["beats"][0]["start"] == 0.0
    assert story["poster"] == pytest.approx(1.25)


def test_a_drawn_identity_is_written_and_said_with_its_drawn_digits():
    # 1 + (-0.000321) drawn exactly is 0.999679: the caption and the voice
    # say so too, not "= 1" (three digits each would make the sentence false)
    from src.lesson.identities import said_numbers, shown_identity
    from src.rendering.scene import LectureScene
    from tests.manim_harness import run_scene

    holder = {}
    terms, total = [1.0, -0.000321], 1.0 - 0.000321

    class Adding(LectureScene):
        def construct(self):
            holder["scene"] = self
            a, b, c = said_numbers(shown_identity("a + b", terms, total), terms, total)
            self.say("They add up: {a} + ({b}) = {c}.", "They add up: {a} plus {b} is {c}.",
                     a=a, b=b, c=c)
            self.say("Alone, {c} is said as usual.", c=total)

    run_scene(Adding)
    first, second = holder["scene"].narration()["beats"]
    assert first["text"] == "They add up: 1 + (-0.000321) = 0.999679."
    assert first["spoken"].endswith("is zero point nine nine nine six seven nine.")
    assert first["numbers"] == {"a": 1.0, "b": -0.000321, "c": total}  # the engine's values
    assert first["digits"] == {"a": "1", "b": "-0.000321", "c": "0.999679"}
    assert second["text"] == "Alone, 1 is said as usual." and "digits" not in second
