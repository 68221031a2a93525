"""LectureScene: an InteractiveScene that narrates its beats.

    class MyScene(LectureScene):
        def construct(self):
            title = self.heading("Backward Pass")    # on-screen title = chapter name
            self.say("We start at the loss, whose gradient is one.")
            self.play(...)
            self.mark_poster()                       # this frame shows the idea
            self.say("Each node multiplies by its local derivative.")
            ...

`set_caption` shows one caption line under the picture (a sentence or a
formula), swapping it for the previous one:

            self.set_caption("Backward starts at the loss", FadeIn(arrow))
            self.set_caption(None)                       # the caption fades out

`say` starts a beat at the scene's own clock (`self.time`, the time of the
next frame written), so captions stay in sync whatever the animations'
lengths: a beat lasts until the next `say`, the last until the scene ends.
When the scene writes a movie, `<movie>.narration.json` (title, duration,
poster time, beats) and `<movie>.vtt` (captions) are written beside it; the
lecture builder (src/publish) reads them. Nothing else changes for manimgl:
it is still an InteractiveScene.
"""
from __future__ import annotations

import json
from pathlib import Path

from manimlib import UP, FadeIn, FadeOut, FadeTransform, InteractiveScene

from src.narration.captions import beat_cues, to_vtt
from src.rendering.fast_render import FastRenderMixin
from src.visualization.caption import DEFAULT_CAPTION_STYLE, get_caption, place_at_bottom
from src.visualization.style import FADE_TIME, title_text

__all__ = ["LectureScene", "narration_path"]


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
        self.poster_time: float | None = None
        self.heading_text: str | None = None
        self.caption = None  # the caption on screen

    # -- the storyboard's vocabulary
    def heading(self, text: str):
        """The scene's title at the top edge; the first one names the chapter."""
        if self.heading_text is None:
            self.heading_text = text
        return title_text(text)

    def say(self, text: str) -> None:
        """Start a beat: what the lecturer says from now until the next beat."""
        text = " ".join(str(text).split())
        if not text:
            raise ValueError(f"{type(self).__name__}.say() needs some words to say")
        now = self.clock()
        if self.beats and now <= self.beats[-1]["start"]:
            raise ValueError(
                f"{type(self).__name__}.say({text[:30]!r}...) at {now:.2f} s: the previous beat "
                f"({self.beats[-1]['text'][:30]!r}...) started at the same time; play or wait "
                "between two beats, or say both in one sentence")
        self.beats.append({"start": round(now, 4), "text": text})

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
        old = self.caption
        timing = {"run_time": FADE_TIME} if run_time is None else {}
        if content is None:
            new, change = None, ([FadeOut(old, **timing)] if old is not None else [])
        else:
            new = self.place_caption(get_caption(content, self.caption_style))
            change = [FadeIn(new, shift=self.caption_style.rise * UP, **timing) if old is None
                      else FadeTransform(old, new, **timing)]
        self.play(*change, *animations, run_time=run_time)
        self.caption = new
        return new

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
        super().tear_down()
        writer = self.file_writer
        if writer.write_to_movie and not writer.ended_with_interrupt:
            movie = Path(writer.get_movie_file_path())
            story = self.narration()
            narration_path(movie).write_text(json.dumps(story, indent=1) + "\n",
                                             encoding="utf-8")
            cues = beat_cues(story["beats"], story["duration"])
            movie.with_suffix(".vtt").write_text(to_vtt(cues), encoding="utf-8")
