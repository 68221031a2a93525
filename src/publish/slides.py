"""The lecture as beat-by-beat slides that work offline (`make slides`).

`make slides` (src/cli/slides.py) first brings the scenes up to date exactly
as `make lecture` does it (src/cli/lecture.py renders what is stale and
packages the lecture); then every scene video is cut at its narration beats, one clip per beat, into a
`slides/` folder beside the scene videos (videos/ for high quality,
videos/<quality>/ otherwise):

    slides/lecture.html          reveal.js deck: a vertical stack of slides per scene,
                                 one slide per beat; arrow keys, space and a clicker's
                                 PageDown/PageUp step beat by beat; a clip plays once,
                                 with its beat's voice, and holds its last frame; M
                                 mutes; S opens the speaker view, whose notes are the
                                 beat's narration
    slides/lecture.pptx          the same slides for PowerPoint or Keynote: the clip as a
                                 movie that starts with its slide (PowerPoint's own
                                 "Start: Automatically" timing; a click goes on to the
                                 next slide), the narration as the slide's notes, 16:9
    slides/manim-slides/<Scene>.json   the scene for `manim-slides present`
    slides/clips/<Scene>-NN.mp4  beat NN of a scene with its voice, and .jpg its poster:
                                 the beat's last frame, what the slide says once played
                                 (slide sorter, thumbnails, printouts, PDF)
    slides/reveal/               reveal.js 5.2.1 (src/publish/vendor/, MIT licence)
    slides/README.txt            how to present

The folder is self-contained: copy it to a USB stick and open lecture.html.

Cutting. A beat runs from its start to the next beat's start (the last one
to the scene's end; the first also takes any frames before it). Beat starts
fall on frames (a scene's clock moves 1/fps per frame), so each beat is a
whole range of frames. A frame-exact cut needs a keyframe at every beat,
which the scene videos do not have, so a scene is re-encoded once (libx264
at CRF 18, visually lossless; no B-frames, so every clip starts at time 0),
with keyframes forced at its beats, and ffmpeg's segment muxer splits it
there. The clips' frame counts must add up to the scene's, and each clip
must hold exactly its beat's frames, or the build stops. A scene with a
sound track gives each clip its beat's stretch of it, cut on the samples
where the clip's first frame starts and its last ends and encoded as AAC
for that clip alone (a stream-copied AAC frame would straddle the cut and
bring another beat's priming along); a scene rendered with VOICE=off gives
silent clips. Scenes with and without sound are not mixed in one deck.

Up to date. slides/.stamps/<Scene>.json records what a scene's clips were
cut from (the video's digest, its beat frames and the cutting recipe); a
scene whose record matches and whose files exist is not cut again, and
lecture.pptx is rewritten only when a slide changed. A second run with
nothing changed cuts nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from html import escape
from pathlib import Path

from src.narration.soundtrack import AAC_BITRATE, SAMPLE_RATE
from src.publish import build
from src.publish.assemble import has_audio, probe, run_tool, same_sound

SLIDES = "slides"
CLIPS = "clips"
STAMPS = ".stamps"
MANIM_SLIDES = "manim-slides"
VENDOR = Path(__file__).resolve().parent / "vendor" / "reveal.js"
# vendored file -> where the deck loads it from, inside slides/
REVEAL_FILES = {
    "dist/reveal.js": "reveal/reveal.js",
    "dist/reveal.css": "reveal/reveal.css",
    "plugin/notes/notes.js": "reveal/plugin/notes/notes.js",
    "LICENSE": "reveal/LICENSE",
}
REVEAL_VERSION = "5.2.1"

# How a scene is cut. Changing any of it cuts every scene again.
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-bf", "0",
        "-forced-idr", "1", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(SAMPLE_RATE)]
CUT_RECIPE = ("segment-at-forced-idr/jpeg-posters-last-frame/sound-per-beat-by-sample/"
              + " ".join(X264 + AAC))

# The web deck: the video, and a thin status line under it (scene and beat)
# so that nothing is ever drawn over the animation.
DECK_WIDTH, VIDEO_HEIGHT, STATUS_HEIGHT = 1280, 720, 36
DECK_HEIGHT = VIDEO_HEIGHT + STATUS_HEIGHT


class SlidesError(RuntimeError):
    pass


# ------------------------------------------------------------ the plan

@dataclass
class Slide:
    """One beat of one scene: a clip and what the lecturer says over it."""
    scene: str
    number: int            # the scene's place in the lecture, from 1
    title: str             # the scene's on-screen title
    beat: int              # from 1
    beats: int             # how many beats the scene has
    first_frame: int       # in the scene's video
    frames: int
    start: float           # seconds into the scene
    text: str              # the narration: the slide's speaker notes

    @property
    def clip(self) -> str:
        """The clip's path inside slides/."""
        return f"{CLIPS}/{self.scene}-{self.beat:02d}.mp4"

    @property
    def poster(self) -> str:
        return f"{CLIPS}/{self.scene}-{self.beat:02d}.jpg"


@dataclass
class SceneCut:
    scene: str
    number: int
    title: str
    movie: Path
    fps: Fraction
    width: int
    height: int
    frames: int
    sound: bool = False     # the scene's video has a sound track (not VOICE=off)
    slides: list[Slide] = field(default_factory=list)

    @property
    def boundaries(self) -> list[int]:
        """The frames where a new clip starts (all but the first clip)."""
        return [s.first_frame for s in self.slides[1:]]


def video_facts(movie: Path) -> tuple[Fraction, int, int, int]:
    """Frame rate, width, height and frame count of a video's first video stream."""
    streams = [s for s in probe(movie)["streams"] if s.get("codec_type") == "video"]
    if not streams:
        raise SlidesError(f"{movie} has no video stream")
    stream = streams[0]
    fps = Fraction(stream.get("r_frame_rate") or "0/1")     # the scenes are rendered at a constant rate
    frames = int(stream.get("nb_frames") or 0) or count_frames(movie)
    return fps, int(stream["width"]), int(stream["height"]), frames


def count_frames(video: Path) -> int:
    """Frames (video packets: one per frame in MP4) of a video, without decoding it."""
    out = run_tool(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(video)],
               f"count the frames of {video.name}")
    return int(out.strip().split(",")[0])


def plan_scene(scene: str, number: int, movie: Path, story: dict) -> SceneCut:
    """Which frames of `movie` each narration beat of `story` gets."""
    fps, width, height, total = video_facts(movie)
    if total < 1 or fps <= 0:
        raise SlidesError(f"{movie.name}: no frames to cut ({total} frames at {fps} fps)")
    starts: list[tuple[int, str]] = []
    for beat in story["beats"]:
        frame = round(float(beat["start"]) * fps)   # starts fall on frames; round off float noise
        text = " ".join(str(beat["text"]).split())
        if frame >= total:
            continue                                 # said after the last frame: nothing to show
        if starts and frame <= starts[-1][0]:
            # Two beats in one frame cannot be two slides: they share one.
            starts[-1] = (starts[-1][0], f"{starts[-1][1]} {text}")
            continue
        starts.append((frame, text))
    if not starts:
        raise SlidesError(f"{scene} says nothing inside its video: add self.say(...) at its beats")
    cut = SceneCut(scene, number, story.get("title") or scene, movie, fps, width, height, total,
                   has_audio(movie))
    for i, (frame, text) in enumerate(starts):
        first = 0 if i == 0 else frame               # the first clip also takes any lead-in
        end = starts[i + 1][0] if i + 1 < len(starts) else total
        cut.slides.append(Slide(scene, number, cut.title, i + 1, len(starts), first,
                                end - first, round(first / fps, 4), text))
    assert sum(s.frames for s in cut.slides) == total
    return cut


# ------------------------------------------------------------ cutting

def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:20]


def _stamp_path(slides_dir: Path, scene: str) -> Path:
    return slides_dir / STAMPS / f"{scene}.json"


def cut_record(cut: SceneCut) -> dict:
    """What a scene's clips depend on."""
    return {"video": file_digest(cut.movie), "frames": cut.frames, "sound": cut.sound,
            "boundaries": cut.boundaries, "recipe": CUT_RECIPE}


def is_cut(slides_dir: Path, cut: SceneCut, record: dict) -> bool:
    try:
        old = json.loads(_stamp_path(slides_dir, cut.scene).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = [slides_dir / p for s in cut.slides for p in (s.clip, s.poster)]
    return old == record and all(f.is_file() for f in files)


def cut_scene(cut: SceneCut, slides_dir: Path) -> None:
    """Write slides/clips/<Scene>-NN.mp4 and .jpg for every beat of `cut`."""
    clips_dir = slides_dir / CLIPS
    clips_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=slides_dir, prefix=".cut-") as tmp_name:
        tmp = Path(tmp_name)
        keyframes = "+".join(f"eq(n,{f})" for f in cut.boundaries) or "0"
        cmd = ["ffmpeg", "-y", "-v", "error", "-nostdin", "-i", str(cut.movie),
               # the clips: one encode, a keyframe forced at every beat, split there
               "-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough", *X264,
               "-force_key_frames", f"expr:{keyframes}"]
        if cut.boundaries:
            cmd += ["-f", "segment", "-segment_frames", ",".join(map(str, cut.boundaries)),
                    "-segment_start_number", "1", "-reset_timestamps", "1",
                    "-segment_format", "mp4", "-segment_format_options", "movflags=+faststart",
                    str(tmp / "clip%03d.mp4")]
        else:
            cmd += ["-movflags", "+faststart", str(tmp / "clip001.mp4")]
        # the posters: each beat's last frame (what the slide says), from the scene's video
        lasts = "+".join(f"eq(n,{s.first_frame + s.frames - 1})" for s in cut.slides)
        cmd += ["-map", "0:v:0", "-an", "-vf", f"select='{lasts}'", "-fps_mode", "passthrough",
                "-q:v", "2", str(tmp / "last%03d.jpg")]
        run_tool(cmd, f"cut {cut.movie.name} into {len(cut.slides)} clips")

        made = sorted(tmp.glob("clip*.mp4"))
        posters = sorted(tmp.glob("last*.jpg"))
        if len(made) != len(cut.slides) or len(posters) != len(cut.slides):
            raise SlidesError(f"{cut.scene}: ffmpeg made {len(made)} clips and {len(posters)} "
                              f"posters for {len(cut.slides)} beats")
        counts = [count_frames(clip) for clip in made]
        expected = [s.frames for s in cut.slides]
        if counts != expected or sum(counts) != cut.frames:
            raise SlidesError(f"{cut.scene}: the clips hold {counts} frames (sum {sum(counts)}), "
                              f"the beats {expected} (sum {cut.frames})")
        if cut.sound:
            made = _add_beat_sound(cut, made, tmp)
        for slide, clip, poster in zip(cut.slides, made, posters):
            os.replace(clip, slides_dir / slide.clip)
            os.replace(poster, slides_dir / slide.poster)


def _add_beat_sound(cut: SceneCut, clips: list[Path], tmp: Path) -> list[Path]:
    """Each clip (picture copied) with its beat's stretch of the scene's
    sound, from the sample where its first frame starts to the one where its
    last frame ends, encoded for that clip alone: one ffmpeg run a scene."""
    per_frame = Fraction(SAMPLE_RATE) / cut.fps
    total = round(cut.frames * per_frame)
    cmd = ["ffmpeg", "-y", "-v", "error", "-nostdin", "-i", str(cut.movie)]
    for clip in clips:
        cmd += ["-i", str(clip)]
    # padded to the picture's length: an AAC track may end a few samples short
    chains = [f"[0:a:0]aresample={SAMPLE_RATE},apad=whole_len={total},"
              f"asplit={len(clips)}" + "".join(f"[s{i}]" for i in range(len(clips)))]
    outputs = []
    for i, slide in enumerate(cut.slides):
        start = round(slide.first_frame * per_frame)
        end = round((slide.first_frame + slide.frames) * per_frame)
        chains.append(f"[s{i}]atrim=start_sample={start}:end_sample={end},asetpts=N/SR/TB[a{i}]")
    cmd += ["-filter_complex", ";".join(chains)]
    for i in range(len(clips)):
        outputs.append(tmp / f"sound{i + 1:03d}.mp4")
        cmd += ["-map", f"{i + 1}:v:0", "-map", f"[a{i}]", "-c:v", "copy", *AAC,
                "-movflags", "+faststart", str(outputs[-1])]
    run_tool(cmd, f"add each beat's sound to the clips of {cut.movie.name}")
    return outputs


# ------------------------------------------------------------ the web deck

def _text(value) -> str:
    return escape(str(value), quote=True)


def render_html(title: str, cuts: list[SceneCut]) -> str:
    """lecture.html: one vertical stack per scene, one slide per beat."""
    total = sum(len(c.slides) for c in cuts)
    stacks, n = [], 0
    for cut in cuts:
        sections = []
        sound = " data-sound" if cut.sound else ""
        for s in cut.slides:
            n += 1
            sections.append(f"""    <section class="beat" data-beat="{s.beat}">
      <video class="clip" data-src="{_text(s.clip)}" poster="{_text(s.poster)}" width="{cut.width}" height="{cut.height}"{sound} playsinline preload="auto" aria-label="{_text(s.title)}, beat {s.beat}"></video>
      <footer class="status"><span class="where"><span class="num">{cut.number}</span> {_text(cut.title)}</span><span class="sound" aria-live="polite"></span><span class="count">beat {s.beat} of {s.beats} · slide {n} of {total}</span></footer>
      <aside class="notes">{_text(s.text)}</aside>
    </section>""")
        stacks.append(f'  <section class="scene" data-scene="{_text(cut.scene)}" '
                      f'data-title="{_text(cut.title)}">\n' + "\n".join(sections) + "\n  </section>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_text(title)} · slides</title>
<link rel="stylesheet" href="reveal/reveal.css">
<style>
{DECK_CSS}
</style>
</head>
<body>
<div class="reveal">
<div class="slides">
{chr(10).join(stacks)}
</div>
</div>
<script src="reveal/reveal.js"></script>
<script src="reveal/plugin/notes/notes.js"></script>
<script>
{DECK_SCRIPT}
</script>
</body>
</html>
"""


# A theme of our own: black around the video (projectors), the lecture
# page's text colours, system fonts (nothing to load).
DECK_CSS = f"""
.reveal-viewport {{ background: #000; color: #e8e6e3; }}
.reveal {{ font: 16px/1.3 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }}
.reveal .slides {{ text-align: left; }}
.reveal .slides > section > section {{ height: {DECK_HEIGHT}px; padding: 0; }}
.reveal video.clip {{
  display: block; width: {DECK_WIDTH}px; height: {VIDEO_HEIGHT}px; max-width: none; max-height: none;
  margin: 0; object-fit: contain; background: #000;
}}
.reveal footer.status {{
  position: absolute; left: 0; top: {VIDEO_HEIGHT}px; width: {DECK_WIDTH}px; height: {STATUS_HEIGHT}px;
  box-sizing: border-box; padding: 0 14px; display: flex; align-items: center;
  justify-content: space-between; gap: 1em; font-size: 17px; color: #8d939b; white-space: nowrap;
}}
.reveal footer.status .where {{ overflow: hidden; text-overflow: ellipsis; }}
.reveal footer.status .num {{ color: #58c4dd; font-weight: 600; margin-right: .35em; }}
.reveal footer.status .count {{ font-variant-numeric: tabular-nums; }}
.reveal footer.status .sound {{ color: #fcd74f; }}
.reveal .progress {{ color: #1c758a; height: 3px; }}
""".strip()

DECK_SCRIPT = f"""
"use strict";
Reveal.initialize({{
  width: {DECK_WIDTH}, height: {DECK_HEIGHT}, margin: 0, minScale: 0.05, maxScale: 8, center: false,
  navigationMode: "linear",          // left/right and clickers walk every beat, scene after scene
  transition: "none", backgroundTransition: "none",   // one clip follows the other without a seam
  controls: false, progress: true, slideNumber: false, hash: true,
  viewDistance: 3, mobileViewDistance: 2,            // clips load a few slides ahead
  autoPlayMedia: false,              // the clips are started below, with their sound
  plugins: [RevealNotes],
}});
// The browser tab names the scene on screen.
const deckTitle = document.title;
const nameTab = (event) => {{
  const scene = event.currentSlide && event.currentSlide.parentElement.dataset.title;
  document.title = scene ? `${{scene}} · ${{deckTitle}}` : deckTitle;
}};
Reveal.on("ready", nameTab);
Reveal.on("slidechanged", nameTab);

// The clips and their voice. A slide's clip plays once from its start, with
// the beat's speech, and holds its last frame. A browser lets a page make a
// sound only after a key press or a click in it: until then a refused clip
// plays muted, the status line says so, and the first key or click plays it
// again with its voice (a key that would go on does not skip the unheard
// beat). M mutes and unmutes every clip. The speaker view's previews stay
// silent, so the voice is never heard twice.
const root = document.documentElement;
const preview = Reveal.isSpeakerNotes();
let muted = false, waiting = false;
const clipOf = (slide) => slide && slide.querySelector("video.clip");
const soundLines = document.querySelectorAll("footer.status .sound");
const showSound = () => {{
  root.classList.toggle("sound-waiting", waiting && !muted);
  root.classList.toggle("sound-muted", muted);
  const line = muted ? "muted · M for sound" : waiting ? "sound off until you press a key or click" : "";
  for (const span of soundLines) span.textContent = line;
}};
const play = (video) => {{
  if (!video) return;
  if (!video.getAttribute("src") && video.dataset.src) {{     // not loaded by reveal yet
    video.setAttribute("data-lazy-loaded", "");                // so reveal unloads it as its own
    video.src = video.dataset.src;
  }}
  video.currentTime = 0;
  video.muted = preview || muted || waiting;
  video.play().catch((error) => {{
    if (error.name !== "NotAllowedError" || video.muted) return;   // e.g. left before it began
    waiting = video.hasAttribute("data-sound");
    showSound();
    video.muted = true;
    video.play().catch(() => {{}});
  }});
}};
Reveal.on("ready", (event) => play(clipOf(event.currentSlide)));
Reveal.on("slidechanged", (event) => play(clipOf(event.currentSlide)));
const NEXT_KEYS = new Set(["ArrowRight", "ArrowDown", "PageDown", " ", "Enter", "n", "N", "l", "j"]);
const hearIt = (event) => {{
  if (!waiting) return;
  waiting = false;
  showSound();
  if (event.type === "keydown" && (event.key === "m" || event.key === "M")) return;
  play(clipOf(Reveal.getCurrentSlide()));
  if (event.type === "keydown" && NEXT_KEYS.has(event.key)) {{
    event.preventDefault();
    event.stopImmediatePropagation();
  }}
}};
window.addEventListener("keydown", hearIt, true);
window.addEventListener("pointerdown", hearIt, true);
Reveal.addKeyBinding({{keyCode: 77, key: "M", description: "Sound of the clips on or off"}}, () => {{
  muted = !muted;
  const video = clipOf(Reveal.getCurrentSlide());
  if (video) video.muted = preview || muted;
  showSound();
}});
""".strip()


def readme_text(title: str, cuts: list[SceneCut]) -> str:
    scenes = " ".join(c.scene for c in cuts)
    return f"""{title}: slides
{"=" * (len(title) + 8)}

One slide per narration beat; each beat's clip plays, then holds its last frame.
Everything here works offline: copy the whole folder.

In a browser: open lecture.html. Right arrow, space or a clicker goes on a beat,
left goes back (the beat plays again). Each clip speaks its beat: M mutes and
unmutes (to talk over the clips yourself). A browser allows sound only after
a key press or a click on the page, so the first slide plays muted until then
and your first key plays it again with its voice. S opens the speaker view with
the narration as notes; F is full screen; Esc shows all slides; B blanks the
screen.

PowerPoint or Keynote: open lecture.pptx (one slide per beat, the clip starts
with its slide and speaks its beat, a click goes on to the next slide, the
narration is in the notes; to mute, select a movie and set Playback > Volume,
or turn the computer's sound off). To use the slides in an
existing deck, open both and choose Home > New Slide > Reuse Slides in
PowerPoint (or copy and paste slides in the slide sorter).

manim-slides (a desktop presenter, needs Qt):
    manim-slides present --folder {MANIM_SLIDES} {scenes}
run in this folder. Right/left arrows step, Q quits. V plays the previous
beat again forwards (no reversed clips are made).

reveal.js {REVEAL_VERSION} (reveal/) is MIT licensed: see reveal/LICENSE.
"""


def copy_reveal(slides_dir: Path) -> None:
    for source, target in REVEAL_FILES.items():
        src, dst = VENDOR / source, slides_dir / target
        if not src.is_file():
            raise SlidesError(f"vendored reveal.js file missing: {src}")
        if not dst.is_file() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


# ------------------------------------------------------------ manim-slides

def manim_slides_config(cut: SceneCut) -> dict:
    """The scene as manim-slides' PresentationConfig (manim_slides/config.py, 5.7).

    manim-slides reads <folder>/<Scene>.json and takes the files in it as
    relative to the folder's parent: here the config lives in
    slides/manim-slides/, so the clips are named as in slides/. A slide's
    rev_file (played by the reverse key) is its own clip: no reversed video
    is made.
    """
    return {
        "resolution": [cut.width, cut.height],
        "background_color": "black",
        "slides": [{
            "file": s.clip, "rev_file": s.clip, "notes": s.text, "dedent_notes": False,
            "loop": False, "auto_next": False, "playback_rate": 1.0,
            "reversed_playback_rate": 1.0, "skip_animations": False, "src": None,
            "type": "video", "direction": "horizontal",
        } for s in cut.slides],
    }


def write_manim_slides(slides_dir: Path, cuts: list[SceneCut]) -> None:
    folder = slides_dir / MANIM_SLIDES
    folder.mkdir(parents=True, exist_ok=True)
    keep = {f"{c.scene}.json" for c in cuts}
    for old in folder.glob("*.json"):
        if old.name not in keep:
            old.unlink()
    for cut in cuts:
        _write_text(folder / f"{cut.scene}.json", json.dumps(manim_slides_config(cut), indent=1) + "\n")


# ------------------------------------------------------------ PowerPoint

SLIDE_WIDTH, SLIDE_HEIGHT = 12_192_000, 6_858_000     # 13.333 x 7.5 inches: 16:9, in EMU


def write_pptx(path: Path, title: str, cuts: list[SceneCut], slides_dir: Path) -> Path:
    """lecture.pptx: a slide per beat, its clip as a movie, its narration as notes."""
    try:
        from pptx import Presentation
        from pptx.dml.color import RGBColor
        from pptx.util import Emu, Pt
    except ImportError as error:
        raise SlidesError("python-pptx is not installed (needed for lecture.pptx): run "
                          "`make venv`, or `.venv/bin/pip install python-pptx`") from error
    deck = Presentation()
    deck.slide_width, deck.slide_height = Emu(SLIDE_WIDTH), Emu(SLIDE_HEIGHT)
    deck.core_properties.title = title
    blank = next(layout for layout in deck.slide_layouts if layout.name == "Blank")
    # As on the web: the video, and a thin line under it naming the scene and beat.
    strip = round(SLIDE_HEIGHT * STATUS_HEIGHT / DECK_HEIGHT)
    for cut in cuts:
        video_h = SLIDE_HEIGHT - strip
        video_w = min(SLIDE_WIDTH, round(video_h * cut.width / cut.height))
        left = (SLIDE_WIDTH - video_w) // 2
        for s in cut.slides:
            slide = deck.slides.add_slide(blank)
            fill = slide.background.fill
            fill.solid()
            fill.fore_color.rgb = RGBColor(0, 0, 0)
            movie = slide.shapes.add_movie(str(slides_dir / s.clip), Emu(left), Emu(0),
                                           Emu(video_w), Emu(video_h),
                                           poster_frame_image=str(slides_dir / s.poster),
                                           mime_type="video/mp4")
            movie.name = f"{s.scene} beat {s.beat}"
            _play_automatically(slide, movie, round(s.frames / cut.fps * 1000))
            box = slide.shapes.add_textbox(Emu(left), Emu(video_h), Emu(video_w), Emu(strip))
            box.name = "Scene and beat"
            frame = box.text_frame
            frame.margin_top = frame.margin_bottom = Emu(0)
            run = frame.paragraphs[0].add_run()
            run.text = f"{s.number}  {s.title}  ·  beat {s.beat} of {s.beats}"
            run.font.size = Pt(11)
            run.font.color.rgb = RGBColor(0x8D, 0x93, 0x9B)
            slide.notes_slide.notes_text_frame.text = s.text
    partial = path.with_name("." + path.name)
    deck.save(str(partial))
    os.replace(partial, path)
    return path


# PowerPoint's own timing for a movie whose Playback > Start is "Automatically"
# (as compared from decks PowerPoint saved in python-pptx's issue #427, and as
# other deck writers produce it): the slide's main sequence begins with an
# "after previous" media-call effect, playFrom(0.0), targeted at the movie;
# the movie's own media node waits ("indefinite") for that effect. Ids are
# unique per slide. LibreOffice Impress reads it as an after-previous play.
AUTOPLAY_TIMING = """<p:timing xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">
 <p:tnLst><p:par><p:cTn id="1" dur="indefinite" restart="never" nodeType="tmRoot"><p:childTnLst>
  <p:seq concurrent="1" nextAc="seek">
   <p:cTn id="2" dur="indefinite" nodeType="mainSeq"><p:childTnLst>
    <p:par><p:cTn id="3" fill="hold">
     <p:stCondLst><p:cond delay="indefinite"/><p:cond evt="onBegin" delay="0"><p:tn val="2"/></p:cond></p:stCondLst>
     <p:childTnLst><p:par><p:cTn id="4" fill="hold">
      <p:stCondLst><p:cond delay="0"/></p:stCondLst>
      <p:childTnLst><p:par>
       <p:cTn id="5" presetID="1" presetClass="mediacall" presetSubtype="0" fill="hold" nodeType="afterEffect">
        <p:stCondLst><p:cond delay="0"/></p:stCondLst>
        <p:childTnLst><p:cmd type="call" cmd="playFrom(0.0)"><p:cBhvr>
         <p:cTn id="6" dur="{duration_ms}" fill="hold"/>
         <p:tgtEl><p:spTgt spid="{shape_id}"/></p:tgtEl>
        </p:cBhvr></p:cmd></p:childTnLst>
       </p:cTn>
      </p:par></p:childTnLst>
     </p:cTn></p:par></p:childTnLst>
    </p:cTn></p:par>
   </p:childTnLst></p:cTn>
   <p:prevCondLst><p:cond evt="onPrev" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:prevCondLst>
   <p:nextCondLst><p:cond evt="onNext" delay="0"><p:tgtEl><p:sldTgt/></p:tgtEl></p:cond></p:nextCondLst>
  </p:seq>
  <p:video><p:cMediaNode vol="{volume}">
   <p:cTn id="7" fill="hold" display="0"><p:stCondLst><p:cond delay="indefinite"/></p:stCondLst></p:cTn>
   <p:tgtEl><p:spTgt spid="{shape_id}"/></p:tgtEl>
  </p:cMediaNode></p:video>
 </p:childTnLst></p:cTn></p:par></p:tnLst>
</p:timing>"""
# Full volume: the sound is already normalised (-16 LUFS, as online video).
PPTX_VOLUME = 100_000


def _play_automatically(slide, movie, duration_ms: int) -> None:
    """The movie starts with its slide, and a click goes on to the next slide.

    python-pptx writes a movie that plays when clicked: its timing has only
    the media node, waiting "indefinite"ly, and the movie carries the click
    action ppaction://media, which in a slide show plays and pauses it. Here
    the timing is PowerPoint's own for "Start: Automatically" (see
    AUTOPLAY_TIMING) and the click action goes, so a click on the picture
    (which fills the slide) advances like a click anywhere else."""
    from lxml import etree
    from pptx.oxml.ns import qn
    for link in movie.element.iter(qn("a:hlinkClick")):
        link.getparent().remove(link)
    old = slide.element.find(qn("p:timing"))
    timing = etree.fromstring(AUTOPLAY_TIMING.format(
        shape_id=movie.shape_id, duration_ms=max(1, duration_ms), volume=PPTX_VOLUME))
    if old is not None:
        old.addprevious(timing)
        old.getparent().remove(old)
    else:                     # p:timing comes after p:clrMapOvr and before p:extLst
        anchor = slide.element.find(qn("p:extLst"))
        if anchor is not None:
            anchor.addprevious(timing)
        else:
            slide.element.append(timing)


# ------------------------------------------------------------ the build

def _write_text(path: Path, text: str) -> None:
    """Write `path` unless it already holds `text` (so its date says when it changed)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    partial = path.with_name("." + path.name)
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


@dataclass
class SlidesResult:
    folder: Path
    cuts: list[SceneCut]
    cut: list[str]            # scenes whose clips were cut in this run
    pptx_written: bool

    @property
    def slides(self) -> list[Slide]:
        return [s for c in self.cuts for s in c.slides]


def build_slides(scenes: list[str], folder: Path, title: str = build.LECTURE_TITLE,
                 force: bool = False, stream=None) -> SlidesResult:
    """Cut the scenes' videos in `folder` into beats and write folder/slides/."""
    stream = stream or sys.stdout
    movies = [folder / f"{s}.mp4" for s in scenes]
    missing = [m.name for m in movies if not m.is_file()]
    if missing:
        raise SlidesError(f"not rendered yet: {', '.join(missing)} (run `make lecture`)")
    same_sound(movies)          # as the lecture: all with the voice or all without
    slides_dir = folder / SLIDES
    (slides_dir / STAMPS).mkdir(parents=True, exist_ok=True)
    cuts = [plan_scene(scene, i, movie, build.read_narration(movie))
            for i, (scene, movie) in enumerate(zip(scenes, movies), 1)]

    done, records = [], {}
    for cut in cuts:
        record = records[cut.scene] = cut_record(cut)
        label = f"{cut.scene}: {len(cut.slides)} slides"
        if not force and is_cut(slides_dir, cut, record):
            stream.write(f"{label}, up to date\n")
            continue
        started = time.monotonic()
        cut_scene(cut, slides_dir)
        _write_text(_stamp_path(slides_dir, cut.scene), json.dumps(record, indent=1) + "\n")
        done.append(cut.scene)
        stream.write(f"{label}, cut {cut.frames} frames in {time.monotonic() - started:.1f} s\n")
        stream.flush()
    # clips/ holds nothing else: beats and scenes that are gone go too.
    wanted = {slides_dir / p for c in cuts for s in c.slides for p in (s.clip, s.poster)}
    for path in (slides_dir / CLIPS).iterdir():
        if path.is_file() and path not in wanted:
            path.unlink()
    for path in (slides_dir / STAMPS).glob("*.json"):
        if path.stem not in scenes and path.name != "deck.json":
            path.unlink()

    copy_reveal(slides_dir)
    _write_text(slides_dir / "lecture.html", render_html(title, cuts))
    write_manim_slides(slides_dir, cuts)
    _write_text(slides_dir / "README.txt", readme_text(title, cuts))

    # lecture.pptx holds copies of every clip: write it only when a slide changed.
    deck_record = {"title": title, "code": file_digest(Path(__file__)),
                   "scenes": [[c.scene, c.title, c.width, c.height, c.sound,
                               records[c.scene]["video"],
                               [[s.clip, s.frames, s.text] for s in c.slides]] for c in cuts]}
    deck_stamp = slides_dir / STAMPS / "deck.json"
    pptx = slides_dir / "lecture.pptx"
    try:
        fresh = json.loads(deck_stamp.read_text(encoding="utf-8")) == deck_record and pptx.is_file()
    except (OSError, ValueError):
        fresh = False
    if not fresh or force:
        write_pptx(pptx, title, cuts, slides_dir)
        _write_text(deck_stamp, json.dumps(deck_record, indent=1) + "\n")
    return SlidesResult(slides_dir, cuts, done, not fresh or force)
