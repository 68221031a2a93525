"""The lecture package's pieces that need no scene render: captions, the
up-to-date rule, joining videos with chapters, posters and the contact sheet."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from src.publish import freshness
from src.publish.assemble import (
    AssemblyError, Chapter, chapter_list, duration, ffmetadata, join_videos, probe,
)
from src.narration.captions import (
    CUE_CHARS, LINE_CHARS, beat_cues, parse_cues, script_text, split_text, to_srt, to_vtt,
)
from src.publish.posters import contact_sheet, content_share, cut_frame

ROOT = Path(__file__).resolve().parents[1]
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


# ------------------------------------------------------------ captions

BEATS = [
    {"start": 0.0, "text": "The chain rule multiplies local derivatives."},
    {"start": 4.0, "text": "Here x is two. The inner function adds two, so g is four. "
                           "The outer one squares it, and its slope at g is eight, which is "
                           "exactly the number the engine reports for the gradient of x."},
    {"start": 15.0, "text": "That is all."},
]


def test_a_beat_lasts_until_the_next_and_the_last_until_the_end():
    cues = beat_cues(BEATS, 20.0)
    assert cues[0].start == 0.0 and cues[0].end == 4.0
    assert cues[-1].text == "That is all." and (cues[-1].start, cues[-1].end) == (15.0, 20.0)
    # The long beat is cut into several cues that tile [4, 15] in order.
    middle = [c for c in cues if 4.0 <= c.start < 15.0]
    assert len(middle) >= 2
    assert middle[0].start == 4.0 and middle[-1].end == 15.0
    assert all(a.end == pytest.approx(b.start) for a, b in zip(middle, middle[1:]))
    assert " ".join(c.text.replace("\n", " ") for c in middle) == BEATS[1]["text"]


def test_cues_fit_two_caption_lines():
    for piece in split_text(BEATS[1]["text"] * 3):
        assert len(piece) <= CUE_CHARS
    for cue in beat_cues(BEATS, 20.0):
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= LINE_CHARS for line in lines)


def test_two_lines_are_balanced_and_do_not_end_on_an_equals_sign():
    from src.narration.captions import balanced_lines
    lines = balanced_lines("So the gradient of the loss with respect to w is = -10.5 here")
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) <= 12
    assert not lines[0].endswith("=")
    assert balanced_lines("Short enough.") == ["Short enough."]


def test_vtt_and_srt_round_trip_with_their_own_time_formats():
    cues = beat_cues(BEATS, 3725.5)   # past an hour: hours are written
    vtt, srt = to_vtt(cues), to_srt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:04.000\n")
    assert "01:02:05.500" in vtt and "01:02:05,500" in srt
    assert srt.startswith("1\n00:00:00,000 --> 00:00:04,000\n")
    for text in (vtt, srt):
        back = parse_cues(text)
        assert [(c.start, c.end, c.text) for c in back] == \
               [(pytest.approx(c.start), pytest.approx(c.end), c.text) for c in cues]


def test_vtt_escapes_markup_characters():
    cues = beat_cues([{"start": 0.0, "text": "If x < 0 & y > 1, relu gives <b>0</b>."}], 2.0)
    vtt = to_vtt(cues)
    assert "x &lt; 0 &amp; y &gt; 1" in vtt and "<b>" not in vtt
    assert parse_cues(vtt)[0].text == cues[0].text
    assert "x < 0 & y > 1" in to_srt(cues)


def test_shifted_cues_move_by_the_offset():
    cue = beat_cues(BEATS, 20.0)[0].shifted(31.5)
    assert (cue.start, cue.end) == (31.5, 35.5)


def test_the_script_lists_every_beat_with_its_time():
    script = script_text("Chain Rule", BEATS, 20.0)
    assert script.splitlines()[:2] == ["Chain Rule", "=========="]
    assert "[0:04] Here x is two." in script and "[0:15] That is all." in script


# ------------------------------------------------------------ freshness

SCENE_FILE = '''"""Two scenes and a helper."""
from manimlib import InteractiveScene

RADIUS = 1.0


class Base(InteractiveScene):
    pass


class First(Base):
    x = 1.0


class Second(InteractiveScene):
    y = 2.0
'''


def _inputs(path: Path, scene: str, quality: str = "low") -> dict:
    return freshness.fingerprint(path, scene, quality, ROOT)


def test_editing_one_scene_changes_only_its_fingerprint(tmp_path):
    path = tmp_path / "scenes.py"
    path.write_text(SCENE_FILE)
    before = {s: _inputs(path, s) for s in ("First", "Second")}
    path.write_text(SCENE_FILE.replace("x = 1.0", "x = 3.0"))
    after = {s: _inputs(path, s) for s in ("First", "Second")}
    assert after["Second"] == before["Second"]
    assert after["First"]["scene code"] != before["First"]["scene code"]


def test_a_base_class_and_shared_code_belong_to_every_scene_that_uses_them(tmp_path):
    path = tmp_path / "scenes.py"
    path.write_text(SCENE_FILE)
    before = {s: _inputs(path, s) for s in ("First", "Second")}
    # Base is First's base: it changes First only.
    path.write_text(SCENE_FILE.replace("class Base(InteractiveScene):\n    pass",
                                       "class Base(InteractiveScene):\n    z = 5"))
    mid = {s: _inputs(path, s) for s in ("First", "Second")}
    assert mid["First"] != before["First"] and mid["Second"] == before["Second"]
    # Module-level code outside the scenes belongs to both.
    path.write_text(SCENE_FILE.replace("RADIUS = 1.0", "RADIUS = 2.0"))
    after = {s: _inputs(path, s) for s in ("First", "Second")}
    assert all(after[s]["scene code"] != before[s]["scene code"] for s in after)


def test_quality_and_manimgl_version_are_inputs(tmp_path, monkeypatch):
    path = tmp_path / "scenes.py"
    path.write_text(SCENE_FILE)
    low, high = _inputs(path, "First", "low"), _inputs(path, "First", "high")
    assert low["quality"] != high["quality"]
    monkeypatch.setattr(freshness, "manimgl_version", lambda: "9.9.9")
    assert _inputs(path, "First")["manimgl"] == "9.9.9"


def test_src_digest_follows_what_scenes_import(tmp_path):
    src = tmp_path / "src"
    for folder in ("publish", "cli", "narration"):
        (src / folder).mkdir(parents=True)
    (src / "engine.py").write_text("A = 1\n")
    (src / "publish" / "page.py").write_text("PAGE = 1\n")
    (src / "cli" / "lecture.py").write_text("MAIN = 1\n")
    (src / "narration" / "captions.py").write_text("LINE = 42\n")
    base = freshness.source_digest(src)
    (src / "publish" / "page.py").write_text("PAGE = 2\n")    # the builder: no re-render
    (src / "cli" / "lecture.py").write_text("MAIN = 2\n")     # a command: no re-render
    assert freshness.source_digest(src) == base
    (src / "narration" / "captions.py").write_text("LINE = 40\n")  # scenes write captions
    changed = freshness.source_digest(src)
    assert changed != base
    (src / "engine.py").write_text("A = 2\n")
    assert freshness.source_digest(src) != changed


def test_stale_reasons_name_what_changed(tmp_path):
    movie = tmp_path / "First.mp4"
    inputs = {"scene code": "a", "src/": "b", "quality": "low"}
    assert freshness.stale_reasons(movie, inputs) == ["never rendered"]
    movie.write_bytes(b"video")
    assert freshness.stale_reasons(movie, inputs) == ["no record of its last render"]
    freshness.write_stamp(movie, inputs, render_seconds=12.0)
    assert freshness.stale_reasons(movie, inputs) == []
    side = tmp_path / "First.vtt"
    assert freshness.stale_reasons(movie, inputs, needed=[side]) == ["First.vtt missing"]
    side.write_text("WEBVTT\n")
    assert freshness.stale_reasons(movie, dict(inputs, **{"src/": "c"}), [side]) == ["src/ changed"]
    assert freshness.read_stamp(movie)["render_seconds"] == 12.0


def test_the_voice_is_an_input_of_its_own(tmp_path, monkeypatch):
    """Switching the voice off (or to another voice) renders again, and says why."""
    path = tmp_path / "scenes.py"
    path.write_text(SCENE_FILE)
    monkeypatch.delenv("VOICE", raising=False)
    monkeypatch.delenv("VOICE_RATE", raising=False)
    voiced = _inputs(path, "First")
    monkeypatch.setenv("VOICE", "off")
    silent = _inputs(path, "First")
    monkeypatch.setenv("VOICE", "")
    monkeypatch.setenv("VOICE_RATE", "1.1")
    faster = _inputs(path, "First")
    assert {k for k in voiced if voiced[k] != silent[k]} == {"voice"}
    assert len({voiced["voice"], silent["voice"], faster["voice"]}) == 3
    movie = tmp_path / "First.mp4"
    movie.write_bytes(b"video")
    freshness.write_stamp(movie, voiced)
    assert freshness.stale_reasons(movie, silent) == ["voice changed"]
    assert freshness.stale_reasons(movie, voiced) == []


def test_the_lecture_file_fingerprints_each_scene_apart():
    scene_file = ROOT / "01_autograd_visualization.py"
    codes = {s: _inputs(scene_file, s)["scene code"]
             for s in ("ChainRuleScene", "BackwardPassScene", "SummaryScene")}
    assert len(set(codes.values())) == 3
    text = freshness.scene_code(scene_file, "SummaryScene")
    assert "class SummaryScene" in text and "class ChainRuleScene" not in text


# ------------------------------------------------------------ joining videos

def make_clip(path: Path, seconds: float, color: str, size: str = "320x180") -> Path:
    """A short H.264 clip like manimgl writes (yuv420p, 30 fps)."""
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c={color}:s={size}:r=30:d={seconds}", "-vf",
                    "drawbox=x=40:y=40:w=120:h=80:color=white:t=fill",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


@needs_ffmpeg
def test_join_copies_the_streams_and_writes_one_chapter_per_part(tmp_path):
    clips = [make_clip(tmp_path / "a.mp4", 2.0, "navy"),
             make_clip(tmp_path / "b.mp4", 3.0, "darkgreen")]
    chapters = chapter_list([("The Chain Rule: Foundation", clips[0]),
                             ("Backward; a = b # c", clips[1])])
    assert [(c.start, c.end) for c in chapters] == [
        (0.0, pytest.approx(2.0, abs=0.05)), (pytest.approx(2.0, abs=0.05), pytest.approx(5.0, abs=0.1))]
    out = join_videos(clips, tmp_path / "lecture.mp4", chapters, "How Autograd Works")
    info = probe(out)
    assert duration(out) == pytest.approx(5.0, abs=0.1)
    assert [c["tags"]["title"] for c in info["chapters"]] == [c.title for c in chapters]
    assert float(info["chapters"][1]["start_time"]) == pytest.approx(chapters[1].start, abs=0.01)
    assert info["format"]["tags"]["title"] == "How Autograd Works"
    # Stream copy: the frames are the parts' frames, not re-encoded ones.
    frames = int(next(s for s in info["streams"] if s["codec_type"] == "video")["nb_frames"])
    assert frames == 150
    assert not list(tmp_path.glob(".join-*")), "no temporary files left behind"


def test_chapter_titles_are_escaped_for_ffmetadata():
    text = ffmetadata([Chapter("a=b; c#d\\e", 0.0, 1.5)], "T")
    assert "title=a\\=b\\; c\\#d\\\\e" in text and "START=0" in text and "END=1500" in text


def make_voiced_clip(path: Path, frames: int, said: tuple[float, float], shade: str = "navy") -> Path:
    """A scene-like clip (30 fps H.264) with a sound track as the scenes have it
    (AAC, 48 kHz mono): silence, and a tone over `said` (seconds) for the voice."""
    seconds = frames / 30
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i",
                    f"color=c={shade}:s=320x180:r=30:d={seconds}", "-f", "lavfi", "-i",
                    f"aevalsrc=exprs='0.3*sin(2*PI*440*t)*between(t,{said[0]},{said[1]})':"
                    f"s=48000:d={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "192k", "-ac", "1", str(path)], check=True)
    return path


def sound_onsets(video: Path) -> list[float]:
    """Where each tone starts, counting decoded samples from the first (as a
    player that plays the samples back to back hears them), in seconds."""
    import numpy as np
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-map", "0:a:0", "-ac", "1",
                          "-ar", "48000", "-f", "s16le", "-"], capture_output=True, check=True).stdout
    loud = np.flatnonzero(np.abs(np.frombuffer(raw, "<i2")) > 2000)
    starts = loud[np.concatenate([[True], np.diff(loud) > 4800])]   # after 0.1 s of quiet
    return [float(i) / 48000 for i in starts]


# Seven scenes, as the lecture has: lengths that are no whole number of AAC
# frames (1024 samples), each saying something from its own time on.
SOUND_SCENES = [(37, 0.30), (52, 0.12), (29, 0.45), (61, 0.20), (44, 0.33), (33, 0.08), (48, 0.51)]


@needs_ffmpeg
def test_the_join_keeps_every_scenes_sound_in_sync(tmp_path):
    from src.narration.soundtrack import loudness, speech_spans
    from src.publish.assemble import has_audio, video_duration
    clips = [make_voiced_clip(tmp_path / f"s{i}.mp4", frames, (at, at + 0.4))
             for i, (frames, at) in enumerate(SOUND_SCENES)]
    chapters = chapter_list([(f"Scene {i}", c) for i, c in enumerate(clips, 1)])
    assert [c.end - c.start for c in chapters] == pytest.approx([f / 30 for f, _ in SOUND_SCENES])
    out = join_videos(clips, tmp_path / "lecture.mp4", chapters, "T")
    info = probe(out)
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    audio = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert int(video["nb_frames"]) == sum(f for f, _ in SOUND_SCENES)        # pictures copied
    assert float(video["start_time"]) == float(audio["start_time"]) == 0.0
    assert float(audio["duration"]) == pytest.approx(video_duration(out), abs=0.002)
    assert [float(c["start_time"]) for c in info["chapters"]] == \
        pytest.approx([c.start for c in chapters], abs=0.001)
    # Each scene's voice starts at its chapter's start plus its own time, to
    # the millisecond, whether the samples are counted or the timestamps read.
    expected = [c.start + at for c, (_, at) in zip(chapters, SOUND_SCENES)]
    counted = sound_onsets(out)
    stamped = [start for start, _ in speech_spans(out, min_silence=0.05)]
    drift = [a - b for a, b in zip(counted, expected)]
    assert len(counted) == len(stamped) == len(SOUND_SCENES), (counted, stamped)
    assert max(map(abs, drift)) < 0.002, drift                       # a frame is 33 ms
    assert stamped == pytest.approx(expected, abs=0.002)
    assert loudness(out)[1] <= -1.5                                   # true peak, as the scenes
    assert has_audio(out) and not list(tmp_path.glob(".join-*"))


@needs_ffmpeg
def test_a_join_of_the_same_parts_is_kept_and_a_changed_part_joins_again(tmp_path):
    clips = [make_voiced_clip(tmp_path / f"s{i}.mp4", 20, (0.1, 0.4)) for i in range(2)]
    chapters = chapter_list([("A", clips[0]), ("B", clips[1])])
    out = join_videos(clips, tmp_path / "lecture.mp4", chapters, "T")
    first = out.stat().st_mtime_ns
    assert join_videos(clips, out, chapters, "T").stat().st_mtime_ns == first
    join_videos(clips, out, chapters, "Another title")                 # the chapters' text changed
    second = out.stat().st_mtime_ns
    assert second != first
    make_voiced_clip(clips[1], 25, (0.1, 0.4))                          # a scene rendered again
    chapters = chapter_list([("A", clips[0]), ("B", clips[1])])
    join_videos(clips, out, chapters, "Another title")
    assert out.stat().st_mtime_ns != second
    assert int(next(s for s in probe(out)["streams"] if s["codec_type"] == "video")["nb_frames"]) == 45


@needs_ffmpeg
def test_scenes_with_and_without_sound_are_not_joined(tmp_path):
    voiced = make_voiced_clip(tmp_path / "ChainRuleScene.mp4", 30, (0.1, 0.5))
    silent = make_clip(tmp_path / "SummaryScene.mp4", 1.0, "navy")
    chapters = chapter_list([("A", voiced), ("B", silent)])
    with pytest.raises(AssemblyError) as error:
        join_videos([voiced, silent], tmp_path / "lecture.mp4", chapters, "T")
    message = str(error.value)
    assert "\n" not in message
    assert "ChainRuleScene has a voice track and SummaryScene has none" in message
    assert "VOICE" in message and "make lecture" in message
    assert not (tmp_path / "lecture.mp4").exists()


@needs_ffmpeg
def test_make_lecture_stops_before_writing_anything_when_sound_is_mixed(tmp_path):
    import json
    from src.publish.build import package
    make_voiced_clip(tmp_path / "Opening.mp4", 30, (0.1, 0.5))
    make_clip(tmp_path / "Closing.mp4", 1.0, "navy")
    for scene in ("Opening", "Closing"):
        (tmp_path / f"{scene}.narration.json").write_text(json.dumps(
            {"scene": scene, "title": scene, "duration": 1.0, "poster": 0.5,
             "beats": [{"start": 0.0, "text": "Hello."}]}))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(AssemblyError, match="Opening has a voice track and Closing has none"):
        package(["Opening", "Closing"], tmp_path, "low")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@needs_ffmpeg
def test_join_refuses_parts_of_different_quality_with_a_clear_error(tmp_path):
    clips = [make_clip(tmp_path / "a.mp4", 1.0, "navy"),
             make_clip(tmp_path / "b.mp4", 1.0, "navy", size="640x360")]
    chapters = chapter_list([("A", clips[0]), ("B", clips[1])])
    with pytest.raises(AssemblyError, match="different settings"):
        join_videos(clips, tmp_path / "lecture.mp4", chapters, "T")
    assert not (tmp_path / "lecture.mp4").exists()


# ------------------------------------------------------------ posters

@needs_ffmpeg
def test_posters_are_cut_at_their_time_and_judged_by_content(tmp_path):
    clip = tmp_path / "a.mp4"
    # Black for 1 s, then a white box: a poster at 0.5 s is empty, at 1.5 s is not.
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i",
                    "color=c=black:s=320x180:r=30:d=2", "-vf",
                    "drawbox=x=40:y=60:w=200:h=100:color=white:t=fill:enable='gte(t,1)'",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)], check=True)
    empty = cut_frame(clip, 0.5, tmp_path / "posters" / "empty.png")
    full = cut_frame(clip, 1.5, tmp_path / "posters" / "full.png")
    assert content_share(empty) < 0.01 < 0.2 < content_share(full)
    late = cut_frame(clip, 99.0, tmp_path / "posters" / "late.png")   # clamped into the video
    assert content_share(late) > 0.2


def test_contact_sheet_lays_posters_out_in_a_grid(tmp_path):
    posters = []
    for i, color in enumerate(["red", "green", "blue", "white", "yellow", "purple", "orange"]):
        path = tmp_path / f"p{i}.png"
        Image.new("RGB", (320, 180), color).save(path)
        posters.append((path, str(i + 1), f"Scene number {i + 1} with a long title to shorten"))
    out = contact_sheet(posters, tmp_path / "sheet.png", thumb_width=240)
    with Image.open(out) as sheet:
        width, height = sheet.size
        assert width > 3 * 240 and height > 2 * 135
        # The first thumbnail's middle is the first poster's colour.
        assert sheet.getpixel((12 + 120, 12 + 67))[:3] == (255, 0, 0)


# ------------------------------------------------ what slipped through before (issue 19)

def test_a_beats_time_is_shared_among_its_cues_by_length():
    """Reading time grows with the characters: a cue twice as long stays twice as long."""
    long = "This first sentence is a good deal longer than the one after it, on purpose."
    beats = [{"start": 0.0, "text": f"{long} Short one."}]
    cues = beat_cues(beats, 10.0)
    assert [c.text.replace("\n", " ") for c in cues] == [long, "Short one."]
    lengths = [len(long), len("Short one.")]
    shares = [(c.end - c.start) / 10.0 for c in cues]
    assert shares == pytest.approx([n / sum(lengths) for n in lengths], abs=1e-3)


def test_the_fingerprint_names_the_installed_manimgl():
    """An upgrade of manimgl must re-render: the fingerprint carries its real version,
    the one pyproject.toml pins (not a stand-in such as "not installed")."""
    import re
    pinned = re.search(r'"manimgl==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert freshness.manimgl_version() == pinned
    inputs = freshness.fingerprint(ROOT / "01_autograd_visualization.py", "SummaryScene", "low", ROOT)
    assert inputs["manimgl"] == pinned


@needs_ffmpeg
def test_each_chapter_ends_where_the_next_begins(tmp_path):
    """lecture.json's chapters tile the lecture: scene i runs from the end of i-1 for its
    own length (not every chapter ending at the lecture's end)."""
    import json
    from src.publish.build import package
    lengths = {"Opening": 1.0, "Middle": 2.0, "Closing": 1.5}
    for scene, seconds in lengths.items():
        make_clip(tmp_path / f"{scene}.mp4", seconds, "navy")
        (tmp_path / f"{scene}.narration.json").write_text(json.dumps(
            {"scene": scene, "title": f"The {scene}", "duration": seconds, "poster": 0.5,
             "beats": [{"start": 0.0, "text": "Hello."}]}))
    manifest = package(list(lengths), tmp_path, "low")
    chapters = manifest["chapters"]
    assert [c["scene"] for c in chapters] == list(lengths)
    t = 0.0
    for chapter, seconds in zip(chapters, lengths.values()):
        assert chapter["start"] == pytest.approx(t, abs=0.05)
        assert chapter["end"] == pytest.approx(t + seconds, abs=0.05)
        t = chapter["end"]
    assert chapters[-1]["end"] == pytest.approx(manifest["duration"], abs=0.01)
    on_disk = json.loads((tmp_path / "lecture.json").read_text())["chapters"]
    assert on_disk == chapters
