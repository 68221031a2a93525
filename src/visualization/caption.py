"""The caption line: one sentence or one formula under a scene's picture.

`LectureScene.set_caption` (src/rendering/scene.py) shows, swaps and removes
captions; this module builds and sizes them. A scene chooses how its
captions look with one `CaptionStyle` class attribute, and where they go by
overriding `LectureScene.place_caption` (default: the bottom edge).

    class MyScene(LectureScene):
        caption_style = CaptionStyle(font_size=30, rise=0.2)
"""

from __future__ import annotations

from dataclasses import dataclass

from manimlib import DOWN, Mobject

from src.visualization.style import NOTE_COLOR, text_label

__all__ = [
    "CaptionStyle", "DEFAULT_CAPTION_STYLE", "get_caption", "fit_caption", "place_at_bottom",
]


@dataclass(frozen=True)
class CaptionStyle:
    """How a scene's captions look.

    A sentence becomes a Text in `color` at `font_size`; any caption (a
    sentence or a prepared formula) is shrunk to fit `max_width` and, when
    given, `max_height`. At the bottom edge a caption sits `edge_buff` above
    it. The first caption of a scene fades in rising by `rise`.
    """
    color: str = NOTE_COLOR
    font_size: int = 28
    max_width: float = 13.0
    max_height: float | None = None
    edge_buff: float = 0.35
    rise: float = 0.0


DEFAULT_CAPTION_STYLE = CaptionStyle()


def get_caption(content, style: CaptionStyle = DEFAULT_CAPTION_STYLE) -> Mobject:
    """`content` as a caption: a sentence becomes a Text in the style's
    colour and size; a mobject (a formula, a row of formulas) is used as it
    is. Neither sized nor placed (see `fit_caption`)."""
    if isinstance(content, str):
        return text_label(content, style.color, font_size=style.font_size)
    if not isinstance(content, Mobject):
        raise TypeError(f"a caption is a sentence or a mobject, got {type(content).__name__}")
    return content


def fit_caption(caption: Mobject, style: CaptionStyle = DEFAULT_CAPTION_STYLE) -> Mobject:
    """Shrink `caption` (never grow it) to the style's width, then height."""
    caption.set_max_width(style.max_width)
    if style.max_height is not None:
        caption.set_max_height(style.max_height)
    return caption


def place_at_bottom(caption: Mobject, style: CaptionStyle = DEFAULT_CAPTION_STYLE) -> Mobject:
    """Fit `caption` and put it at the bottom edge of the frame."""
    return fit_caption(caption, style).to_edge(DOWN, buff=style.edge_buff)
