"""Poster frames and the lecture's contact sheet.

    cut_frame(Path("Scene.mp4"), 12.5, Path("posters/Scene.png"))
    contact_sheet([(Path("posters/A.png"), "1", "Chain rule"), ...], Path("posters/lecture.png"))
    content_share(Path("posters/A.png"))   # how much of the picture below the title is drawn
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from src.publish.assemble import duration, run_tool

BACKGROUND = (0, 0, 0)
SHEET_BACKGROUND = (18, 18, 22)
CAPTION_COLOR = (230, 230, 230)
NUMBER_COLOR = (252, 215, 79)   # manim's YELLOW: the lecture's highlight


def cut_frame(video: Path, seconds: float, out: Path) -> Path:
    """The frame shown at `seconds` (clamped into the video) as a PNG."""
    length = duration(video)
    seconds = min(max(0.0, seconds), max(0.0, length - 0.05))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name("." + out.name)
    run_tool(["ffmpeg", "-y", "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(video),
          "-frames:v", "1", str(partial)], f"cut a frame at {seconds:.2f} s from {video.name}")
    os.replace(partial, out)
    return out


def content_share(png: Path, title_band: float = 0.14) -> float:
    """Share of pixels below the title band that are not background.

    A blank or title-only frame scores close to 0; a scene's working frame
    (graphs, formulas, a network) scores a few percent or more.
    """
    with Image.open(png) as im:
        gray = im.convert("L")
        w, h = gray.size
        body = gray.crop((0, int(h * title_band), w, h))
        histogram = body.histogram()
    lit = sum(histogram[24:])
    return lit / (body.size[0] * body.size[1])


def contact_sheet(items: list[tuple[Path, str, str]], out: Path, columns: int | None = None,
                  thumb_width: int = 480) -> Path:
    """A grid of posters (png, number, title), each captioned underneath, as one PNG."""
    if not items:
        raise ValueError("contact_sheet needs at least one poster")
    columns = columns or min(4, math.ceil(math.sqrt(len(items))) + (len(items) > 4))
    rows = math.ceil(len(items) / columns)
    with Image.open(items[0][0]) as first:
        aspect = first.height / first.width
    thumb_h = round(thumb_width * aspect)
    font = ImageFont.load_default(size=max(14, thumb_width // 22))
    caption_h = round(font.size * 2.8)
    pad = max(12, thumb_width // 24)
    sheet = Image.new("RGB", (pad + columns * (thumb_width + pad),
                              pad + rows * (thumb_h + caption_h + pad)), SHEET_BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for i, (png, number, title) in enumerate(items):
        x = pad + (i % columns) * (thumb_width + pad)
        y = pad + (i // columns) * (thumb_h + caption_h + pad)
        with Image.open(png) as im:
            sheet.paste(im.convert("RGB").resize((thumb_width, thumb_h), Image.LANCZOS), (x, y))
        text_y = y + thumb_h + font.size // 2
        draw.text((x, text_y), number, font=font, fill=NUMBER_COLOR)
        offset = draw.textlength(number + "  ", font=font)
        room = thumb_width - offset
        shown = title
        while draw.textlength(shown, font=font) > room and len(shown) > 1:
            shown = title[:len(shown) - 2].rstrip() + "…"
        draw.text((x + offset, text_y), shown, font=font, fill=CAPTION_COLOR)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name("." + out.name)
    sheet.save(partial, format="PNG")
    os.replace(partial, out)
    return out
