"""One lecture video from the scenes' videos, with a chapter per scene.

    chapters = chapter_list([("Chain rule", Path("A.mp4")), ("Graph", Path("B.mp4"))])
    join_videos([Path("A.mp4"), Path("B.mp4")], Path("lecture.mp4"), chapters, "Title")

The scenes are rendered with the same codec, size and frame rate, so ffmpeg's
concat demuxer joins their pictures by copying the stream: no re-encoding, no
loss, seconds instead of minutes. Chapters go in as ffmetadata; `ffprobe
-show_chapters lecture.mp4` lists them. Each part is as long as its video
stream (frames / frame rate), for the join and the chapters alike.

Sound. The scenes' AAC tracks are not stream-copied: every AAC stream starts
with 1024 samples of encoder priming that an mp4 hides with an edit list,
and a joined file keeps only the first part's edit list, so every later
part's priming is played as sound. Measured on seven voiced scenes joined by
stream copy (tests/test_publish.py builds them): counting the decoded
samples, the voice came 21 ms late in the first scene and 213 ms late in the
seventh; reading the packets' timestamps, 21-24 ms late throughout, since
the concat demuxer also moved every picture by the first priming. So the
pictures are copied on their own, and the sound is decoded scene by scene,
each scene's track cut or padded to exactly its picture's length (they
differ by at most the last AAC frame), laid end to end and encoded once
with the scenes' settings (AAC, 48 kHz, true peak under -1.5 dBTP, as in
src/narration/soundtrack.py): measured the same way, every scene's voice
starts within 0.1 ms of where it starts in the scene. Either every scene
has a sound track or none has (VOICE=off); a mix stops the join with one
line that says how to render them alike.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from src.narration.soundtrack import (
    AAC_BITRATE, MAX_TRUE_PEAK, SAMPLE_RATE, SoundtrackError, loudness,
)


# A scene's sound track may end up to one AAC frame (21 ms) and a video frame
# away from its picture; more means the two were not made for each other.
MAX_SOUND_MISMATCH = 0.1


class AssemblyError(RuntimeError):
    pass


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float


def run_tool(cmd: list[str], what: str) -> str:
    """Run ffmpeg/ffprobe; AssemblyError naming `what` failed (or how to install it)."""
    if shutil.which(cmd[0]) is None:
        raise AssemblyError(f"{cmd[0]} not found (needed to {what}); install it with:\n"
                            "    sudo apt-get install -y --no-install-recommends ffmpeg")
    result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise AssemblyError(f"could not {what}: {result.stderr.strip()[-600:]}")
    return result.stdout


_probed: dict[tuple, dict] = {}


def probe(video: Path) -> dict:
    """ffprobe's view of a video: format, streams and chapters (asked once per
    version of the file: a build reads each scene's facts many times)."""
    try:
        st = os.stat(video)
        key = (str(Path(video).resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key in _probed:
        return _probed[key]
    out = run_tool(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                "-show_streams", "-show_chapters", str(video)], f"read {video.name}")
    info = json.loads(out)
    if key is not None:
        _probed[key] = info
    return info


def duration(video: Path) -> float:
    return float(probe(video)["format"]["duration"])


def _streams(info: dict, kind: str) -> list[dict]:
    return [s for s in info.get("streams", []) if s.get("codec_type") == kind]


def video_duration(video: Path, info: dict | None = None) -> float:
    """Seconds of picture: frames / frame rate of the first video stream.

    The container's duration is the longest stream's, and an AAC track
    ends on a whole 1024-sample frame: the picture is what the scene is."""
    info = info or probe(video)
    streams = _streams(info, "video")
    if not streams:
        raise AssemblyError(f"{video} has no video stream")
    stream = streams[0]
    rate = Fraction(stream.get("r_frame_rate") or "0/1")
    frames = int(stream.get("nb_frames") or 0)
    if frames and rate > 0:
        return float(frames / rate)
    return float(stream.get("duration") or info["format"]["duration"])


def has_audio(video: Path, info: dict | None = None) -> bool:
    return bool(_streams(info or probe(video), "audio"))


def same_sound(videos: list[Path]) -> bool:
    """True if every video has a sound track, False if none has; a mix is an
    AssemblyError that says which and how to render them alike."""
    with_sound = [v for v in videos if has_audio(v)]
    if not with_sound:
        return False
    if len(with_sound) == len(videos):
        return True
    silent = [v.stem for v in videos if v not in with_sound]
    voiced = [v.stem for v in with_sound]
    raise AssemblyError(
        f"{_names(voiced)} {'has' if len(voiced) == 1 else 'have'} a voice track and "
        f"{_names(silent)} {'has' if len(silent) == 1 else 'have'} none (rendered with "
        "different VOICE settings); render again with one VOICE setting: `make lecture` "
        "for the voice or `make lecture VOICE=off` for silent videos renders only the ones "
        "that differ")


def _names(scenes: list[str], most: int = 3) -> str:
    shown = ", ".join(scenes[:most])
    return shown + (f" and {len(scenes) - most} more" if len(scenes) > most else "")


def chapter_list(parts: list[tuple[str, Path]]) -> list[Chapter]:
    """Chapters back to back, each as long as its video stream."""
    chapters, t = [], 0.0
    for title, video in parts:
        length = video_duration(video)
        chapters.append(Chapter(title, t, t + length))
        t += length
    return chapters


def _meta_escape(text: str) -> str:
    for ch in "\\=;#\n":
        text = text.replace(ch, "\\" + ch)
    return text


def ffmetadata(chapters: list[Chapter], title: str) -> str:
    lines = [";FFMETADATA1", f"title={_meta_escape(title)}"]
    for ch in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(ch.start * 1000)}",
                  f"END={round(ch.end * 1000)}", f"title={_meta_escape(ch.title)}"]
    return "\n".join(lines) + "\n"


def _same_format(videos: list[Path]) -> None:
    """Stream copy needs one codec, size and frame rate in every part."""
    shapes = {}
    for video in videos:
        streams = [s for s in probe(video)["streams"] if s.get("codec_type") == "video"]
        if not streams:
            raise AssemblyError(f"{video} has no video stream")
        s = streams[0]
        shapes[video.name] = (s.get("codec_name"), s.get("width"), s.get("height"),
                              s.get("r_frame_rate"), s.get("pix_fmt"))
    if len(set(shapes.values())) > 1:
        listing = "\n".join(f"  {name}: {shape}" for name, shape in shapes.items())
        raise AssemblyError("the scenes were rendered with different settings and cannot be "
                            f"joined without re-encoding; render them at one quality:\n{listing}")


def joined_sound(videos: list[Path], out: Path) -> Path:
    """One WAV of the videos' sound tracks end to end, each cut or padded to
    exactly its video stream's length (in samples at SAMPLE_RATE)."""
    infos = [probe(v) for v in videos]
    channels = max(int(_streams(i, "audio")[0].get("channels") or 1) for i in infos)
    lengths = [round(video_duration(v, i) * SAMPLE_RATE) for v, i in zip(videos, infos)]
    for video, info, samples in zip(videos, infos, lengths):
        sound = float(_streams(info, "audio")[0].get("duration") or samples / SAMPLE_RATE)
        if abs(sound - samples / SAMPLE_RATE) > MAX_SOUND_MISMATCH:
            raise AssemblyError(f"{video.name}: its sound track lasts {sound:.2f} s and its "
                                f"picture {samples / SAMPLE_RATE:.2f} s; render it again")
    cmd, chains = ["ffmpeg", "-y", "-v", "error", "-nostdin"], []
    for k, (video, samples) in enumerate(zip(videos, lengths)):
        cmd += ["-i", str(video)]
        chains.append(f"[{k}:a:0]aresample={SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts="
                      f"{'mono' if channels == 1 else 'stereo'},apad=whole_len={samples},"
                      f"atrim=end_sample={samples}[a{k}]")
    graph = ";".join(chains) + ";" + "".join(f"[a{k}]" for k in range(len(videos))) + \
        f"concat=n={len(videos)}:v=0:a=1[out]"
    run_tool(cmd + ["-filter_complex", graph, "-map", "[out]", "-c:a", "pcm_s16le", str(out)],
             f"join the sound of {len(videos)} videos")
    with wave.open(str(out), "rb") as joined:
        written = joined.getnframes()
    if written != sum(lengths):      # the promise that keeps every chapter in sync
        raise AssemblyError(f"the joined sound has {written} samples, the videos "
                            f"{sum(lengths)}: they would drift apart")
    return out


def _pictures(videos: list[Path], folder: Path) -> list[Path]:
    """Each video's picture alone (stream copy). The concat demuxer times a
    part from its earliest packet, and an AAC track's priming packet starts
    21 ms before the picture: joined with it, every picture came 21 ms late."""
    cmd, parts = ["ffmpeg", "-y", "-v", "error", "-nostdin"], []
    for video in videos:
        cmd += ["-i", str(video)]
    for k, video in enumerate(videos):
        parts.append(folder / f"picture{k:03d}.mp4")
        cmd += ["-map", f"{k}:v:0", "-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1",
                str(parts[-1])]
    run_tool(cmd, f"take the pictures of {len(videos)} videos")
    return parts


def _add_sound(picture: Path, track: Path, meta: Path, out: Path) -> None:
    """picture (stream copy) + track as AAC, with the chapters in `meta`; the
    true peak is kept under MAX_TRUE_PEAK as src/narration/soundtrack.py
    keeps the scenes' (the encoder may lift it a few tenths of a dB)."""
    gain = 0.0
    for _ in range(3):
        run_tool(["ffmpeg", "-y", "-v", "error", "-nostdin", "-i", str(picture), "-i", str(track),
                  "-f", "ffmetadata", "-i", str(meta), "-map", "0:v", "-map", "1:a",
                  *(["-filter:a", f"volume={gain:.2f}dB"] if gain else []),
                  "-c:v", "copy", "-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(SAMPLE_RATE),
                  "-map_metadata", "2", "-map_chapters", "2", "-movflags", "+faststart",
                  str(out)], f"add the sound to {out.name}")
        try:
            _, peak = loudness(out)
        except SoundtrackError as error:
            raise AssemblyError(f"could not measure the sound of {out.name}: {error}") from None
        if peak <= MAX_TRUE_PEAK - 0.1:
            return
        gain -= peak - (MAX_TRUE_PEAK - 0.3)
    raise AssemblyError(f"the sound of {out.name} peaks at {peak} dBTP, over {MAX_TRUE_PEAK}, "
                        f"even {-gain:.1f} dB quieter")


# How a join is made: changing it joins every lecture again.
JOIN_RECIPE = f"pictures-copied/sound-joined-by-sample/aac-{AAC_BITRATE}-{SAMPLE_RATE}"


def _file_stamp(path: Path) -> list:
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def _join_stamp(out: Path) -> Path:
    return out.parent / ".stamps" / f"{out.name}.json"


def join_videos(videos: list[Path], out: Path, chapters: list[Chapter], title: str) -> Path:
    """Write `out` (atomically): the videos one after another, with chapters,
    and their sound if they have it (see the module's docstring). When `out`
    was joined from these very files with these chapters, it is kept as it
    is (the join encodes the sound: seconds, not milliseconds)."""
    if not videos:
        raise AssemblyError("no videos to join")
    record = {"parts": [_file_stamp(v) for v in videos], "recipe": JOIN_RECIPE,
              "chapters": ffmetadata(chapters, title)}
    stamp = _join_stamp(out)
    try:
        old = json.loads(stamp.read_text(encoding="utf-8"))
        if out.is_file() and old == dict(record, out=_file_stamp(out)):
            return out
    except (OSError, ValueError):
        pass
    _same_format(videos)
    sound = same_sound(videos)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".join-") as tmp_name:
        tmp = Path(tmp_name)
        parts = _pictures(videos, tmp) if sound else videos
        listing = tmp / "parts.txt"
        # Each part lasts exactly its picture, whatever its sound track's end.
        listing.write_text("".join(
            "file '" + str(p.resolve()).replace("'", "'\\''") + "'\n"
            f"duration {video_duration(v):.6f}\n" for p, v in zip(parts, videos)))
        meta = tmp / "chapters.txt"
        meta.write_text(ffmetadata(chapters, title), encoding="utf-8")
        joined = tmp / ("picture.mp4" if sound else out.name)
        run_tool(["ffmpeg", "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
              "-f", "ffmetadata", "-i", str(meta), "-map", "0:v", "-map_metadata", "1",
              "-map_chapters", "1", "-c", "copy", "-movflags", "+faststart", str(joined)],
             f"join {len(videos)} videos into {out.name}")
        if sound:
            track = joined_sound(videos, tmp / "sound.wav")
            _add_sound(joined, track, meta, tmp / out.name)
        os.replace(tmp / out.name, out)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(dict(record, out=_file_stamp(out)), indent=1) + "\n",
                     encoding="utf-8")
    return out
