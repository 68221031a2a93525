"""The soundtrack: real speech at known beat starts on a short silent video.

Three phrases are synthesised with the bundled voice, placed at their beats,
normalised and muxed into a 30 fps video made with ffmpeg's `color` source;
then the final mp4's AAC track is measured the way a listener cannot be asked
to: silencedetect for where speech is, ebur128 for how loud.
"""
from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from src.narration import soundtrack as S
from src.narration.soundtrack import (SoundtrackError, add_audio, build_soundtrack, loudness,
                                      speech_spans, waveform_png)

FPS = 30
FRAME = 1 / FPS
PHRASES = ["Backpropagation rests on the chain rule.",
           "dF/dx = 2g · 1.",
           "The product, -0.765, matches x.grad."]
GAP = 0.6                 # s between one beat's speech and the next beat


def _ffmpeg(*args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _silent_video(path: Path, duration: float) -> Path:
    _ffmpeg("-f", "lavfi", "-i", f"color=c=0x202020:s=320x180:r={FPS}:d={duration}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def _video_packets(path: Path) -> list[str]:
    """The video stream's packets, hashed one by one (timestamps included)."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path),
                          "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return [line for line in out.splitlines() if not line.startswith("#")]


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """Beats (start, end), the speech clips, the video before and after muxing."""
    import os
    from src.narration import voice

    folder = tmp_path_factory.mktemp("soundtrack")
    old = os.environ.get("AUTOGRAD_SPEECH_CACHE")
    os.environ["AUTOGRAD_SPEECH_CACHE"] = str(folder / "speech")
    try:
        speeches = [voice.speak(p) for p in PHRASES]
    finally:
        if old is None:
            del os.environ["AUTOGRAD_SPEECH_CACHE"]
        else:
            os.environ["AUTOGRAD_SPEECH_CACHE"] = old
    # Beats start on frames: 0.5 s, then each after the previous speech and a gap.
    starts, t = [], 0.5
    for speech in speeches:
        starts.append(round(t * FPS) / FPS)
        t = starts[-1] + speech.duration + GAP
    duration = round((t + 0.2) * FPS) / FPS
    beats = list(zip(starts, starts[1:] + [duration]))
    clips = [(start, speech.path) for start, speech in zip(starts, speeches)]
    track = build_soundtrack(clips, duration, folder / "track.wav")
    video = _silent_video(folder / "scene.mp4", duration)
    original = video.read_bytes()
    packets = _video_packets(video)
    add_audio(video, track)
    return dict(folder=folder, beats=beats, speeches=speeches, clips=clips, track=track,
                video=video, duration=duration, original=original, packets=packets)


def test_track_is_exactly_the_scene_long(scene):
    with wave.open(str(scene["track"]), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 48000)
        assert w.getnframes() == round(scene["duration"] * 48000)


def test_speech_sits_inside_its_beat_and_starts_with_it(scene):
    for path in (scene["track"], scene["video"]):
        spans = speech_spans(path)
        assert spans, path
        for start, end in spans:
            beat = [b for b in scene["beats"] if b[0] - FRAME <= start < b[1]]
            assert beat, (path, start, end, scene["beats"])
            assert end <= beat[0][1], (path, start, end, beat)
        for beat_start, beat_end in scene["beats"]:
            first = min(s for s, _ in spans if beat_start - FRAME <= s < beat_end)
            assert abs(first - beat_start) <= FRAME, (path, beat_start, first)


def test_loudness_for_online_video(scene):
    for path in (scene["track"], scene["video"]):        # the final mp4: its AAC track
        integrated, true_peak = loudness(path)
        assert -17.0 <= integrated <= -15.0, (path, integrated)
        assert true_peak <= -1.5, (path, true_peak)


def test_silence_stays_silence(scene):
    with wave.open(str(scene["track"]), "rb") as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    rate = 48000
    edges = [0.0] + [s + speech.duration for s, speech in zip(
        [c[0] for c in scene["clips"]], scene["speeches"])]
    starts = [c[0] for c in scene["clips"]] + [scene["duration"]]
    for end_of_speech, next_start in zip(edges, starts):
        quiet = samples[round((end_of_speech + 0.05) * rate):round((next_start - 0.01) * rate)]
        assert quiet.size and not quiet.any(), (end_of_speech, next_start)


def test_video_stream_is_copied_bit_for_bit(scene):
    assert _video_packets(scene["video"]) == scene["packets"]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                            "stream=codec_type,codec_name,sample_rate,channels",
                            "-of", "csv=p=0", str(scene["video"])],
                           check=True, stdout=subprocess.PIPE, text=True).stdout.split()
    assert sorted(probe) == sorted(["h264,video", "aac,audio,48000,1"])


def test_waveform_picture(scene):
    from PIL import Image

    png = waveform_png(scene["video"], scene["folder"] / "wave.png",
                       marks=[b[0] for b in scene["beats"]])
    image = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert image.shape == (240, 1600, 3)
    # Waveform colour (blue-ish) right after each beat's red line, none before the first.
    blue = (image[..., 2] > 150) & (image[..., 0] < 150)
    columns = blue.any(axis=0)
    x = [int(b[0] / scene["duration"] * 1600) for b in scene["beats"]]
    for mark in x:
        assert columns[mark + 2:mark + 30].any(), mark
    assert not columns[:x[0] - 1].any()


def test_a_failed_mux_leaves_the_video_as_it_was(scene, tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(scene["original"])
    bad = tmp_path / "bad.wav"
    bad.write_text("not a sound")
    with pytest.raises(SoundtrackError, match="ffmpeg failed"):
        add_audio(video, bad)
    assert video.read_bytes() == scene["original"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav", "v.mp4"]


def test_an_interrupted_mux_leaves_the_video_as_it_was(scene, tmp_path, monkeypatch):
    video = tmp_path / "v.mp4"
    video.write_bytes(scene["original"])

    def interrupted(*args):
        Path(args[-1]).write_bytes(b"half a video")       # ffmpeg got this far...
        raise KeyboardInterrupt                            # ...then Ctrl-C

    monkeypatch.setattr(S, "_ffmpeg", interrupted)
    with pytest.raises(KeyboardInterrupt):
        add_audio(video, scene["track"])
    assert video.read_bytes() == scene["original"]
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_a_clip_longer_than_its_scene_is_an_error(scene, tmp_path):
    start, path = scene["clips"][-1]
    with pytest.raises(SoundtrackError, match="would be cut off"):
        build_soundtrack([(start, path)], start + 0.5, tmp_path / "t.wav")
    assert not (tmp_path / "t.wav").exists()


def test_two_beats_speaking_at_once_is_an_error(scene, tmp_path):
    (start, first), (_, second) = scene["clips"][:2]
    with pytest.raises(SoundtrackError, match="two beats speak at once"):
        build_soundtrack([(start, first), (start + 0.5, second)], scene["duration"],
                         tmp_path / "t.wav")


def test_a_track_without_speech_is_silent(tmp_path):
    track = build_soundtrack([], 1.5, tmp_path / "quiet.wav")
    with wave.open(str(track), "rb") as w:
        assert w.getnframes() == 72000
        assert not np.frombuffer(w.readframes(w.getnframes()), "<i2").any()


def test_an_encoder_overshoot_is_encoded_again_quieter(scene, tmp_path, monkeypatch):
    # Pretend the limit is 1.5 dB stricter than the track allows: the first
    # encode is "over", the second is quieter by the overshoot.
    video = tmp_path / "v.mp4"
    video.write_bytes(scene["original"])
    before = loudness(scene["video"])
    monkeypatch.setattr(S, "MAX_TRUE_PEAK", before[1] - 1.0)
    add_audio(video, scene["track"])
    integrated, peak = loudness(video)
    assert peak <= before[1] - 1.1
    assert integrated == pytest.approx(before[0] - (before[1] - peak), abs=0.3)
    assert _video_packets(video) == scene["packets"]
