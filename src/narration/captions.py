"""Caption cues from a scene's narration.

A scene narrates in beats (`LectureScene.say`): a beat starts when the scene
says it and lasts until the next beat (the last one until the scene ends).
A beat's text can be longer than fits on screen at once, so it is cut into
cues of at most two short lines, at sentence ends where possible, and the
beat's time is shared among them in proportion to their length (reading
time grows with the number of characters).

    cues = beat_cues(narration["beats"], narration["duration"])
    Path("Scene.vtt").write_text(to_vtt(cues))
"""
from __future__ import annotations

import re
from dataclasses import dataclass

LINE_CHARS = 42          # a caption line, as broadcast guidelines suggest
CUE_CHARS = 2 * LINE_CHARS


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str            # lines joined by "\n"

    def shifted(self, offset: float) -> "Cue":
        return Cue(self.start + offset, self.end + offset, self.text)


def beat_spans(beats: list[dict], duration: float) -> list[tuple[float, float, str]]:
    """(start, end, text) of each beat: it lasts until the next one starts."""
    spans = []
    for i, beat in enumerate(beats):
        end = beats[i + 1]["start"] if i + 1 < len(beats) else duration
        spans.append((float(beat["start"]), float(end), beat["text"]))
    return spans


def wrap_lines(text: str, width: int = LINE_CHARS) -> list[str]:
    """Greedy word wrap into lines of at most `width` characters."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# A line should not end on a word that leads into the next ("x =", "a +").
_LEADING = {"=", "+", "-", "−", "×", "·", "*", "/", "of", "the", "a", "an", "to", "is"}


def balanced_lines(piece: str, width: int = LINE_CHARS) -> list[str]:
    """One line if it fits, else the two-line split with the most even
    lengths that does not leave a leading word ("=", "of"...) at a line end."""
    words = piece.split()
    if len(piece) <= width or len(words) < 2:
        return wrap_lines(piece, width)
    best = None
    for i in range(1, len(words)):
        first, second = " ".join(words[:i]), " ".join(words[i:])
        if len(first) > width or len(second) > width:
            continue
        cost = max(len(first), len(second)) + (20 if words[i - 1].lower() in _LEADING else 0)
        if best is None or cost < best[0]:
            best = (cost, [first, second])
    return best[1] if best else wrap_lines(piece, width)


def split_text(text: str) -> list[str]:
    """Pieces of at most two caption lines each, cut at sentence ends first."""
    sentences = [s for s in re.split(r"(?<=[.!?:;])\s+", text.strip()) if s]
    pieces: list[str] = []
    for sentence in sentences:
        # Join short sentences while they still fit in one cue.
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= CUE_CHARS \
                and len(wrap_lines(pieces[-1] + " " + sentence)) <= 2:
            pieces[-1] += " " + sentence
            continue
        lines = wrap_lines(sentence)
        pieces.extend(" ".join(lines[i:i + 2]) for i in range(0, len(lines), 2))
    return pieces


def beat_cues(beats: list[dict], duration: float) -> list[Cue]:
    """Caption cues covering every beat, in order, inside [0, duration]."""
    cues = []
    for start, end, text in beat_spans(beats, duration):
        pieces = split_text(text)
        total = sum(len(p) for p in pieces)
        t = start
        for i, piece in enumerate(pieces):
            stop = end if i == len(pieces) - 1 else t + (end - start) * len(piece) / total
            cues.append(Cue(round(t, 3), round(stop, 3), "\n".join(balanced_lines(piece))))
            t = stop
    return cues


def _timestamp(seconds: float, separator: str) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def _vtt_escape(text: str) -> str:
    """WebVTT cue text is markup: &, < and > must be written as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for cue in cues:
        blocks.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n"
                      f"{_vtt_escape(cue.text)}")
    return "\n\n".join(blocks) + "\n"


def to_srt(cues: list[Cue]) -> str:
    blocks = []
    for n, cue in enumerate(cues, 1):
        blocks.append(f"{n}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{cue.text}")
    return "\n\n".join(blocks) + "\n"


_TIMING = re.compile(r"(\d+):(\d\d):(\d\d)[.,](\d{3}) --> (\d+):(\d\d):(\d\d)[.,](\d{3})")


def parse_cues(text: str) -> list[Cue]:
    """Cues of a WebVTT or SubRip file (for tests and for reading back)."""
    cues = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().split("\n")
        for i, line in enumerate(lines):
            match = _TIMING.search(line)
            if match:
                g = [int(x) for x in match.groups()]
                start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
                end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
                text = "\n".join(lines[i + 1:])
                if "-->" in line and "." in match.group(0):   # WebVTT: undo the entities
                    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                cues.append(Cue(start, end, text))
                break
    return cues


def script_text(title: str, beats: list[dict], duration: float) -> str:
    """The narration as speaker notes: one paragraph per beat, with its time."""
    out = [title, "=" * len(title), ""]
    for start, _end, text in beat_spans(beats, duration):
        minutes, seconds = divmod(int(start), 60)
        out += [f"[{minutes}:{seconds:02d}] {text}", ""]
    return "\n".join(out)
