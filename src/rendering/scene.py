"""LectureScene: an InteractiveScene that narrates its beats with a voice.

    class MyScene(LectureScene):
        def construct(self):
            title = self.heading("Backward Pass")    # on-screen title = chapter name
            self.say("We start at the loss, whose gradient is one.")
            self.play(...)
            self.mark_poster()                       # this frame shows the idea
            self.say("The loss is {L}.", L=loss.data)  # engine numbers by name
            ...

`set_caption` shows one caption line under the picture (a sentence or a
formula), swapping it for the previous one:

            self.set_caption("Backward starts at the loss", FadeIn(arrow))
            self.set_caption(None)                       # the caption fades out

A beat. `say` starts a beat at the scene's own clock (`self.time`, the time
of the next frame written): the lecturer says its text from then until the
next beat. The voice (src/narration/voice.py: Piper, cached) reads it, and
the scene is paced to the speech: a beat lasts at least as long as its
speech plus PAUSE_AFTER_SPEECH, so before the next beat starts (or the scene
ends) the scene waits out what remains. The same timing holds with VOICE=off
(no audio track), so silent and voiced videos have the same frames.

Numbers. A beat names the engine numbers it says: `{name}` fields in its
text are filled with the keyword values, formatted as the scenes draw them,
and the beat records them under those names, so a test can check every
spoken number against the engine. `spoken=` gives the ear its own wording
where the caption's notation reads badly aloud; either way the voice reads
src/narration/spoken.py's spoken form, which has no symbols left.

Files. When the scene writes a movie, `<movie>.narration.json` (title,
duration, poster time, beats) and `<movie>.vtt` (captions) are written
beside it, and the movie gets an AAC track with each beat's speech at its
start, normalised for online video (src/narration/soundtrack.py). A voice
that cannot be used stops the render with one line and no video. Nothing
else changes for manimgl: it is still an InteractiveScene.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from manimlib import UP, FadeIn, FadeOut, FadeTransform, InteractiveScene
from manimlib.scene.scene import EndScene

from src.lesson.graph_text import format_number
from src.lesson.identities import ShownNumber
from src.narration.captions import beat_cues, to_vtt
from src.narration.soundtrack import SoundtrackError, add_audio, build_soundtrack
from src.narration.voice import VoiceError, audio_enabled, check_voice, speak
from src.rendering.fast_render import FastRenderMixin
from src.visualization.caption import DEFAULT_CAPTION_STYLE, get_caption, place_at_bottom
from src.visualization.style import FADE_TIME, title_text

__all__ = ["LectureScene", "narration_path", "PAUSE_AFTER_SPEECH"]

# Quiet after a beat's speech before the next beat starts: a breath between
# two thoughts, long enough that the next animation does not start mid-word.
PAUSE_AFTER_SPEECH = 0.35


def narration_path(movie: str | Path) -> Path:
    movie = Path(movie)
    return movie.with_name(movie.stem + ".narration.json")


class LectureScene(FastRenderMixin, InteractiveScene):
    """A scene of the lecture: narrated beats, a poster moment, a title, captions."""

    #: how this scene's captions look (src/visualization/caption.py)
    caption_style = DEFAULT_CAPTION_STYLE

    def setup(self):
        super().setup()
        self.beats: list[dict] = []
        self.speeches: list = []       # each beat's Speech (its WAV in the cache)
        self.speaking_until = 0.0      # clock time when the current beat's speech and pause end
        self.movie_finished = False
        self.poster_time: float | None = None
        self.heading_text: str | None = None
        self.caption = None  # the caption on screen

    def run(self):
        """Run the scene; a voice that cannot be used stops it with one line
        (no traceback) and leaves no half-written movie."""
        try:
            check_voice()             # VOICE and VOICE_RATE checked before any frame
            super().run()
        except (VoiceError, SoundtrackError) as error:
            self.discard_movie()
            # On a line of its own, also when manimgl's progress bar is showing.
            progress = getattr(getattr(self, "file_writer", None), "progress_display", None)
            sys.stderr.write(("\n" if progress is not None else "") + f"error: {error}\n")
            raise SystemExit(2) from None

    # -- the storyboard's vocabulary
    def heading(self, text: str):
        """The scene's title at the top edge; the first one names the chapter."""
        if self.heading_text is None:
            self.heading_text = text
        return title_text(text)

    def say(self, text: str, spoken: str | None = None, **numbers: float) -> None:
        """Start a beat: what the lecturer says from now until the next beat.

        `{name}` fields in `text` (and `spoken`) take the engine numbers given
        as keywords. The voice reads `spoken` if given, else the text. The
        previous beat's speech is heard to its end first."""
        self.finish_speaking()
        values = {name: float(value) for name, value in numbers.items()}
        # a number of a drawn identity is said with the digits it is drawn with
        digits = {name: value.text for name, value in numbers.items()
                  if isinstance(value, ShownNumber)}
        caption = _fill(text, values, digits)
        if not caption:
            raise ValueError(f"{type(self).__name__}.say() needs some words to say")
        now = self.clock()
        speech = speak(_fill(spoken, values, digits) if spoken else caption)
        beat = {"start": round(now, 4), "text": caption, "spoken": speech.text,
                "speech": round(speech.duration, 4)}
        if values:
            beat["numbers"] = values
        if digits:
            beat["digits"] = digits
        self.beats.append(beat)
        self.speeches.append(speech)
        self.speaking_until = now + speech.duration + PAUSE_AFTER_SPEECH

    def finish_speaking(self) -> None:
        """Wait out the current beat's speech and the pause after it."""
        remaining = self.speaking_until - self.clock()
        if remaining > 1e-6:
            self.wait(remaining)

    def mark_poster(self) -> None:
        """The frame at this moment is the scene's poster."""
        self.poster_time = self.clock()

    # -- the caption line
    def set_caption(self, content, *animations, run_time: float | None = FADE_TIME):
        """Show `content` (a sentence, or a mobject such as a formula) as the
        caption, in one play with `animations`: the first caption fades in,
        later ones replace the caption on screen; `None` fades it out.

        `run_time` is the play's, for every animation; with None each keeps
        its own and the caption changes in FADE_TIME. Returns the caption.
        """
        timing = {"run_time": FADE_TIME} if run_time is None else {}
        new = (None if content is None
               else self.place_caption(get_caption(content, self.caption_style)))
        self.play(*self.caption_change(new, **timing), *animations, run_time=run_time)
        return new

    def caption_change(self, new, **timing) -> list:
        """The animations that make `new` (a placed caption, or None) the
        caption on screen, for a scene that plays them with its own (as
        set_caption does): the first caption fades in rising by the style's
        `rise`, a later one replaces it, None fades it out. From here on
        `self.caption` is `new`."""
        old, self.caption = self.caption, new
        if new is None:
            return [FadeOut(old, **timing)] if old is not None else []
        if old is None:
            return [FadeIn(new, shift=self.caption_style.rise * UP, **timing)]
        return [FadeTransform(old, new, **timing)]

    def place_caption(self, caption):
        """Size and place a new caption: by default at the bottom edge, in
        this scene's `caption_style`. Override to put captions elsewhere."""
        return place_at_bottom(caption, self.caption_style)

    # -- what the scene said
    def clock(self) -> float:
        """Seconds into this scene's video (time skipped with -n is not in it)."""
        return float(self.time - self.skip_time)

    def narration(self) -> dict:
        duration = self.clock()
        return {
            "scene": type(self).__name__,
            "title": self.heading_text or type(self).__name__,
            "duration": round(duration, 4),
            "poster": round(self.poster_time, 4) if self.poster_time is not None else None,
            "beats": [b for b in self.beats if b["start"] < duration],
        }

    def tear_down(self):
        try:
            self.finish_speaking()          # the last beat is heard to its end
        except EndScene:                    # -n stopped the scene before that
            pass
        super().tear_down()
        self.movie_finished = True          # from here on, the movie file is this run's
        writer = self.file_writer
        if writer.write_to_movie and not writer.ended_with_interrupt:
            movie = Path(writer.get_movie_file_path())
            story = self.narration()
            narration_path(movie).write_text(json.dumps(story, indent=1) + "\n",
                                             encoding="utf-8")
            cues = beat_cues(story["beats"], story["duration"])
            movie.with_suffix(".vtt").write_text(to_vtt(cues), encoding="utf-8")
            if audio_enabled():
                self.add_speech_track(movie, story["duration"])

    def add_speech_track(self, movie: Path, duration: float) -> None:
        """Each beat's speech at its start, as the movie's audio track. Speech
        that a shortened render (-n) cuts off is left out."""
        clips = [(beat["start"], speech.path) for beat, speech in zip(self.beats, self.speeches)
                 if beat["start"] >= 0 and beat["start"] + speech.duration <= duration + 1e-3]
        with tempfile.TemporaryDirectory(prefix="speech-track.") as folder:
            add_audio(movie, build_soundtrack(clips, duration, Path(folder) / "speech.wav"))

    def discard_movie(self) -> None:
        """Stop the movie pipe and remove what it wrote, after a failure."""
        writer = getattr(self, "file_writer", None)
        process = getattr(writer, "writing_process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        # The final file is only removed once this run wrote it (an older
        # good video of the scene stays when the failure came earlier).
        names = ["temp_file_path"] + (["final_file_path"] if getattr(self, "movie_finished", False) else [])
        for name in names:
            path = getattr(writer, name, None)
            if path and Path(path).exists():
                Path(path).unlink()


def _fill(template: str, values: dict, digits: dict | None = None) -> str:
    """The text with its `{name}` fields filled with numbers as the scenes
    draw them (`digits`: the text of those an identity drew)."""
    digits = digits or {}
    text = template.format(**{k: digits.get(k) or format_number(v)
                              for k, v in values.items()}) if values else str(template)
    return " ".join(text.split())
