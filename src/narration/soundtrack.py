"""A scene's soundtrack: each beat's speech at the beat's start, normalised
for online video, muxed into the scene's mp4.

    track = build_soundtrack([(0.0, a.path), (3.2, b.path)], duration=12.0,
                             out_path="Scene.track.wav")
    add_audio("Scene.mp4", track)           # AAC, the video stream copied

**Loudness.** Online video platforms play speech at about -16 LUFS
(integrated loudness, EBU R128 / ITU-R BS.1770) with the true peak at or
below -1.5 dBTP. The track is normalised to TARGET_LUFS = -16 and
TARGET_TP = -2.5 dBTP; AAC encoding then lifts peaks a little (at 192 kbit/s
by up to 0.4 dB, measured), and `add_audio` checks the encoded peak against
MAX_TRUE_PEAK = -1.5 dBTP, encoding again that much quieter should it pass.

Piper peak-normalises every sentence to full scale: its speech measures
about -21 LUFS with peaks at 0 dBTP, a peak-to-loudness ratio of 21 dB
where the targets leave 13.5. A gain alone would clip, and loudnorm would
give up its linear mode for dynamic compression. So, with ffmpeg:

 1. measure the mix (`ebur128=peak=true`: integrated loudness, its gate
    threshold, loudness range, true peak; the BS.1770 measurement loudnorm's
    own first pass makes, at a quarter of its cost);
 2. if the gain to -16 LUFS would lift the true peak over TARGET_TP, a
    look-ahead limiter (`alimiter` at 192 kHz, so inter-sample peaks count;
    its delay compensated) brings the peaks down and the result is measured
    again, until the gain fits (one step, usually). On Piper speech the
    limit sits 11-15 dB under full scale, which lowers the loudness by 4-6
    dB: in effect a fast compressor, as broadcast speech is processed;
 3. one constant gain (`volume`) brings it to -16 LUFS, so silence stays
    digital silence and nothing between the words is raised; the result is
    measured again to make sure. (loudnorm with linear=true was tried: on
    short tracks it falls back to dynamic processing.)

The track is 48 kHz mono 16-bit PCM, exactly `duration` seconds long.

Measuring (for tests, and for looking without ears): `loudness(path)` via
`ebur128=peak=true`, `speech_spans(path)` via `silencedetect`,
`waveform_png(path, png)` via `showwavespic`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

__all__ = ["SoundtrackError", "build_soundtrack", "add_audio", "loudness", "speech_spans",
           "waveform_png", "TARGET_LUFS", "TARGET_TP", "SAMPLE_RATE"]

TARGET_LUFS = -16.0
TARGET_TP = -2.5          # dBTP of the WAV; AAC encoding adds up to ~0.5 dB (measured)
LIMIT_MARGIN = 0.2        # dB: the limiter aims this far under what the gain needs
LIMIT_SLOPE = 0.6         # measured on Piper speech: 1 dB lower peaks, 0.6 dB less excess
SAMPLE_RATE = 48000       # AAC's usual rate
MAX_TRUE_PEAK = -1.5      # dBTP of the encoded AAC track
AAC_BITRATE = "192k"      # at 128k ffmpeg's encoder overshot peaks by up to 2.5 dB; here <= 0.4
OVERRUN = 0.010           # s a clip may run past the end (rounding); more is an error


class SoundtrackError(RuntimeError):
    """ffmpeg failed or a clip does not fit; one line saying which and why."""


# --------------------------------------------------------------------------
# ffmpeg
# --------------------------------------------------------------------------

def _ffmpeg(*args: str) -> str:
    """Run ffmpeg; its stderr (where filters print) on success."""
    if shutil.which("ffmpeg") is None:
        raise SoundtrackError("ffmpeg is not installed: apt-get install -y ffmpeg")
    run = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-y", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        last = [line for line in run.stderr.strip().splitlines() if line.strip()][-1:] or ["?"]
        raise SoundtrackError(f"ffmpeg failed ({run.returncode}): {last[0].strip()}")
    return run.stderr


def _ebur128(path, pre: str = "", stream: str = "0:a:0") -> dict:
    """The EBU R128 summary of ffmpeg's ebur128 filter: I (LUFS), its gate
    threshold, LRA (LU), true peak (dBTP)."""
    chain = (pre + "," if pre else "") + "ebur128=peak=true"
    stderr = _ffmpeg("-i", str(path), "-map", stream, "-af", chain, "-f", "null", "-")
    summary = stderr[stderr.rfind("Summary:"):]
    number = r"(-?[\d.]+|-inf)"
    found = {key: re.search(pattern, summary) for key, pattern in {
        "I": rf"I:\s+{number} LUFS", "thresh": rf"I:\s+\S+ LUFS\s+Threshold:\s+{number} LUFS",
        "LRA": rf"LRA:\s+{number} LU", "TP": rf"True peak:\s+Peak:\s+{number} dBFS"}.items()}
    if not all(found.values()):
        raise SoundtrackError(f"{path}: ebur128 printed no summary")
    return {key: float(m.group(1)) for key, m in found.items()}


# --------------------------------------------------------------------------
# The track
# --------------------------------------------------------------------------

def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise SoundtrackError(f"{path}: not 16-bit PCM")
        rate, channels = w.getframerate(), w.getnchannels()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples / 32768.0, rate


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 32767 / 32768) * 32768).astype("<i2").tobytes())


def _mix(clips, duration: float) -> tuple[np.ndarray, int]:
    """All clips at their starts, at the clips' own sample rate."""
    loaded = [(float(start), Path(path), *_read_wav(Path(path))) for start, path in clips]
    rate = loaded[0][3] if loaded else SAMPLE_RATE
    track = np.zeros(round(duration * rate), np.float32)
    previous = None
    for start, path, samples, clip_rate in sorted(loaded, key=lambda clip: clip[0]):
        if clip_rate != rate:       # another voice: bring it to the track's rate
            n = round(len(samples) * rate / clip_rate)
            samples = np.interp(np.arange(n) * clip_rate / rate, np.arange(len(samples)),
                                samples).astype(np.float32)
        begin = round(start * rate)
        end = begin + len(samples)
        if start < 0 or begin >= len(track) and len(samples):
            raise SoundtrackError(f"{path.name} starts at {start:.3f} s, outside the "
                                  f"{duration:.3f} s track")
        if end > len(track) + OVERRUN * rate:
            raise SoundtrackError(f"{path.name} at {start:.3f} s lasts {len(samples) / rate:.3f} s "
                                  f"and would be cut off at {duration:.3f} s: the beat is "
                                  "shorter than its speech")
        if previous and start < previous[1] - OVERRUN:
            raise SoundtrackError(f"{path.name} at {start:.3f} s starts before {previous[0]} "
                                  f"has ended ({previous[1]:.3f} s): two beats speak at once")
        previous = (path.name, start + len(samples) / rate)
        end = min(end, len(track))
        track[begin:end] += samples[:end - begin]
    return track, rate


def build_soundtrack(clips, duration: float, out_path) -> Path:
    """One normalised WAV (48 kHz mono, 16-bit) of exactly `duration` seconds,
    each (start_seconds, wav_path) of `clips` placed at its start."""
    out_path = Path(out_path)
    duration = float(duration)
    if not duration > 0:
        raise SoundtrackError(f"a soundtrack needs a positive duration, not {duration}")
    track, rate = _mix(clips, duration)
    samples = round(duration * SAMPLE_RATE)
    exact = f"apad=whole_len={samples},atrim=end_sample={samples}"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="soundtrack.") as tmp:
        mix = Path(tmp) / "mix.wav"
        _write_wav(mix, track, rate)
        result = Path(tmp) / "track.wav"
        up = f"aresample={SAMPLE_RATE}"
        if not np.any(track):        # nothing said: silence needs no loudness
            _ffmpeg("-i", str(mix), "-af", f"{up},{exact}", "-ac", "1", "-c:a", "pcm_s16le",
                    str(result))
        else:
            _normalise(mix, result, up, exact)
        os.replace(result, out_path)
    return out_path


def _excess(measured: dict) -> float:
    """dB by which the gain to TARGET_LUFS would lift the true peak over TARGET_TP."""
    return measured["TP"] + (TARGET_LUFS - measured["I"]) - TARGET_TP


def _normalise(mix: Path, result: Path, up: str, exact: str) -> None:
    """Measure; if the gain would lift the true peak over TARGET_TP, limit the
    peaks (lower each time until measuring shows the gain fits); then apply
    one constant gain to the target."""
    measured = _ebur128(mix, up)
    limiter = ""
    ceiling, excess = measured["TP"], _excess(measured)
    slope, previous = LIMIT_SLOPE, None
    for _ in range(8):
        if excess <= 0:
            break
        # Limiting the peaks also lowers the loudness, so the excess falls
        # by less than the ceiling does: step along the measured slope.
        if previous is not None and ceiling != previous[0]:
            slope = min(1.0, max(0.2, (excess - previous[1]) / (ceiling - previous[0])))
        previous = (ceiling, excess)
        ceiling -= (excess + LIMIT_MARGIN) / slope
        if ceiling < -24:                           # alimiter's lowest limit
            break
        limiter = (f",aresample=192000,alimiter=limit={10 ** (ceiling / 20):.5f}:attack=2:"
                   f"release=60:level=false:latency=true,aresample={SAMPLE_RATE}")
        measured = _ebur128(mix, up + limiter)
        excess = _excess(measured)
    if excess > 0:
        raise SoundtrackError("the speech is too peaky to reach the loudness target by "
                              "limiting its peaks; check the voice's clips")
    # One constant gain to the target, applied by `volume` (loudnorm, even
    # with linear=true, switches to dynamic processing on short tracks whose
    # loudness range exceeds its target), then measured to make sure.
    gain = TARGET_LUFS - measured["I"]
    chain = f"{up}{limiter},volume={gain:.3f}dB,aresample={SAMPLE_RATE},{exact}"
    _ffmpeg("-i", str(mix), "-af", chain, "-ac", "1", "-c:a", "pcm_s16le", str(result))
    final = _ebur128(result)
    if abs(final["I"] - TARGET_LUFS) > 0.5 or final["TP"] > TARGET_TP + 0.2:
        raise SoundtrackError(f"the normalised speech measures {final['I']} LUFS, "
                              f"{final['TP']} dBTP (wanted {TARGET_LUFS} LUFS, at most "
                              f"{TARGET_TP} dBTP)")


def add_audio(video_path, track_wav) -> Path:
    """Put `track_wav` into the mp4 as its (only) audio stream, AAC; the
    video stream (and the chapters and metadata) is copied, not re-encoded;
    other streams (a chapter text track, an old audio track) are left out. Written to a temporary file beside the video and moved over
    it with os.replace, so a failure leaves the original as it was.

    The encoded track's true peak is measured; should the encoder have
    lifted it over MAX_TRUE_PEAK, it is encoded again that much quieter."""
    video, track = Path(video_path), Path(track_wav)
    for path in (video, track):
        if not path.is_file():
            raise SoundtrackError(f"{path}: no such file")
    fd, tmp = tempfile.mkstemp(prefix=f".{video.stem}.", suffix=".audio.mp4", dir=video.parent)
    os.close(fd)
    try:
        gain = 0.0
        for attempt in range(3):
            _ffmpeg("-i", str(video), "-i", str(track),
                    "-map", "0:v", "-map", "1:a:0",
                    *(["-filter:a", f"volume={gain:.2f}dB"] if gain else []),
                    "-c", "copy", "-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(SAMPLE_RATE),
                    "-map_metadata", "0", "-map_chapters", "0", "-movflags", "+faststart",
                    "-f", "mp4", tmp)
            peak = _ebur128(tmp)["TP"]
            if peak <= MAX_TRUE_PEAK - 0.1:
                break
            if attempt == 2:
                raise SoundtrackError(f"the AAC track peaks at {peak} dBTP, over "
                                      f"{MAX_TRUE_PEAK}, even {-gain:.1f} dB quieter")
            gain -= peak - (MAX_TRUE_PEAK - 0.3)
        os.chmod(tmp, os.stat(video).st_mode & 0o777)
        os.replace(tmp, video)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return video


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------

def loudness(path) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of the first audio
    stream, from ffmpeg's ebur128 filter."""
    summary = _ebur128(path)
    return summary["I"], summary["TP"]


def _duration(path) -> float:
    run = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "stream=duration:format=duration", "-of", "json", str(path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        raise SoundtrackError(f"{path}: ffprobe failed: {run.stderr.strip()[-200:]}")
    info = json.loads(run.stdout)
    for item in info.get("streams", []) + [info.get("format", {})]:
        if item.get("duration") not in (None, "N/A"):
            return float(item["duration"])
    raise SoundtrackError(f"{path}: no duration")


def speech_spans(path, noise_db: float = -40, min_silence: float = 0.2) -> list[tuple[float, float]]:
    """(start, end) in seconds of every stretch of sound in the first audio
    stream: the complement of ffmpeg's silencedetect (quieter than
    `noise_db` dBFS for at least `min_silence` s)."""
    stderr = _ffmpeg("-i", str(path), "-map", "0:a:0",
                     "-af", f"silencedetect=noise={noise_db}dB:d={min_silence}",
                     "-f", "null", "-")
    total = _duration(path)
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.e+-]+)", stderr)]
    ends = [float(x) for x in re.findall(r"silence_end: (-?[\d.e+-]+)", stderr)]
    silences = list(zip(starts, ends + [total] * (len(starts) - len(ends))))
    spans, cursor = [], 0.0
    for start, end in silences:
        if start > cursor + 1e-6:
            spans.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < total - 1e-3:
        spans.append((cursor, total))
    return [(round(a, 4), round(b, 4)) for a, b in spans]


def waveform_png(path, out_png, width: int = 1600, height: int = 240,
                 marks=(), color: str = "0x58C4DD") -> Path:
    """A picture of the first audio stream's waveform (ffmpeg showwavespic)
    on black, a thin grey line every second and a red line at each time in
    `marks` (e.g. the beats' starts): speech should begin at each red line."""
    out_png = Path(out_png)
    total = _duration(path)

    def line(t, c, w):
        return f",drawbox=x={min(width - w, int(t / total * width))}:y=0:w={w}:h={height}:" \
               f"color={c}:t=fill"

    grid = "".join(line(t, "gray@0.5", 1) for t in range(1, int(total) + 1))
    beats = "".join(line(t, "red", 2) for t in marks)
    _ffmpeg("-i", str(path), "-filter_complex",
            f"color=c=black:s={width}x{height}[bg];"
            f"[0:a:0]aformat=channel_layouts=mono,showwavespic=s={width}x{height}:"
            f"colors={color}:scale=lin[w];[bg][w]overlay=format=auto{grid}{beats}",
            "-frames:v", "1", str(out_png))
    return out_png
