"""`make slides` on a small lecture made here in seconds.

Two short scene videos come from ffmpeg's test sources, each with the
`<Scene>.narration.json` a LectureScene writes beside its movie. A band at
the bottom of every frame has the brightness 7·n mod 256 for frame n, so
that a clip's frames can be matched to the scene's, one by one. The first
scene opens on blank frames, as a scene does before its title is drawn. The
sound track (AAC, like the scenes') has a tone under each beat for its
voice, from two frames after the beat's start to three frames before the
next beat's, so each clip's sound can be found in its clip. The slides
are built through the command line (`--no-render`: nothing to render here),
then checked as files, as a PowerPoint deck, as manim-slides presentations
and in headless Chromium.
"""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from src.publish import slides as slides_module
from src.cli.slides import main
from src.publish.slides import SlidesError, build_slides, count_frames, plan_scene
from tests.chromium import Chromium, require_chromium

SCREENSHOT_COPIES = Path("/tmp")
FPS = 30
WIDTH, HEIGHT, BAND = 320, 180, 30
TITLE = "How Autograd Works"

# scene, title, frames, test source, beats (starts on frames, as a scene's clock puts them)
SCENES = [
    ("SumsScene", "Sums & <Products>", 60, "testsrc",
     [{"start": 0.0, "text": "A sum passes its gradient on: 1 < 2 & 3 > 2."},
      {"start": 21 / FPS, "text": "A product swaps its inputs. </aside><b>not bold</b>"},
      {"start": 39 / FPS, "text": "Both rules are \"local\": 'one node' at a time."}]),
    ("ChainScene", "The Chain Rule", 45, "testsrc2",
     [{"start": 6 / FPS, "text": "Local slopes multiply along the path."},    # 6 frames of lead-in
      {"start": 24 / FPS, "text": "That product is the gradient."},
      {"start": 37 / FPS, "text": "End to end."}]),
]
SCENE_NAMES = [s[0] for s in SCENES]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", *args], check=True, timeout=60)


BLANK_FRAMES = 3      # the first scene's opening frames: nothing drawn yet
TONE_LEAD, TONE_GAP = 2, 3   # frames after a beat's start / before the next beat's


def tone_spans(beats: list[dict], frames: int) -> list[tuple[float, float]]:
    """(start, end) in seconds of the "voice" under each beat."""
    starts = [round(b["start"] * FPS) for b in beats] + [frames]
    return [((a + TONE_LEAD) / FPS, (b - TONE_GAP) / FPS) for a, b in zip(starts, starts[1:])]


def make_scene_video(path: Path, source: str, frames: int, shade: int = 0,
                     beats: list[dict] | None = None, blank: int = 0) -> None:
    """H.264 like the scenes (B-frames, keyframes far apart), with the frame-number
    band; with `beats`, an AAC track with a tone under each beat."""
    seconds = frames / FPS
    graph = (f"{source}=size={WIDTH}x{HEIGHT - BAND}:rate={FPS}:duration={seconds},format=yuv420p,"
             f"drawbox=c=0x333333:t=fill:enable='lt(n,{blank})'[top];"
             f"color=c=gray:size={WIDTH}x{BAND}:rate={FPS}:duration={seconds},format=yuv420p,"
             f"geq=lum='mod(N*7+{shade},256)':cb=128:cr=128[band];[top][band]vstack[out0]")
    sound = []
    if beats:
        said = "+".join(f"between(t,{a:.4f},{b:.4f})" for a, b in tone_spans(beats, frames))
        sound = ["-f", "lavfi", "-i", f"aevalsrc=exprs='0.3*sin(2*PI*440*t)*({said})':s=48000:d={seconds}",
                 "-c:a", "aac", "-b:a", "192k"]
    _ffmpeg("-f", "lavfi", "-i", graph, *sound, "-c:v", "libx264", "-preset", "ultrafast", "-g", "250",
            "-bf", "2", "-pix_fmt", "yuv420p", str(path))


def write_narration(movie: Path, scene: str, title: str, frames: int, beats: list[dict]) -> None:
    story = {"scene": scene, "title": title, "duration": round(frames / FPS, 4),
             "poster": 0.5, "beats": [{"start": round(b["start"], 4), "text": b["text"]} for b in beats]}
    movie.with_name(f"{scene}.narration.json").write_text(json.dumps(story, indent=1))


def band_levels(video: Path) -> np.ndarray:
    """Brightness of the frame-number band in each frame of `video`."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(video), "-f", "rawvideo",
                          "-pix_fmt", "yuv420p", "-"], capture_output=True, check=True).stdout
    size = WIDTH * HEIGHT * 3 // 2
    frames = np.frombuffer(raw, np.uint8).reshape(-1, size)[:, :WIDTH * HEIGHT]
    luma = frames.reshape(-1, HEIGHT, WIDTH)[:, HEIGHT - BAND + 3:HEIGHT - 3, :]
    return luma.reshape(len(luma), -1).mean(axis=1)


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    """A videos/ root with two low-quality scenes and the scene file naming them."""
    for program in ("ffmpeg", "ffprobe"):
        if shutil.which(program) is None:
            pytest.skip(f"{program} is not installed (scripts/system-deps.sh installs it)")
    root = tmp_path_factory.mktemp("videos")
    folder = root / "low"
    folder.mkdir()
    for i, (scene, title, frames, source, beats) in enumerate(SCENES):
        movie = folder / f"{scene}.mp4"
        make_scene_video(movie, source, frames, beats=beats, blank=0 if i else BLANK_FRAMES)
        write_narration(movie, scene, title, frames, beats)
    # The scene file is only parsed (never imported) to find the scenes and their order.
    scene_file = root / "lecture_scenes.py"
    scene_file.write_text("".join(f"class {s}(LectureScene):\n    pass\n\n\n" for s in SCENE_NAMES))
    return root, folder, scene_file


@pytest.fixture(scope="module")
def deck(lecture):
    root, folder, scene_file = lecture
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--no-render", "--quality", "low", "--file", str(scene_file),
                     "--out-dir", str(root)])
    assert code == 0, out.getvalue()
    return folder / "slides", out.getvalue()


def expected_slides():
    """(scene, title, beat number, narration) in deck order."""
    return [(scene, title, i, beat["text"])
            for scene, title, _, _, beats in SCENES for i, beat in enumerate(beats, 1)]


# -- the plan and the clips ------------------------------------------------------

def test_the_command_reports_what_it_made(deck):
    slides_dir, output = deck
    assert "6 slides from 2 scenes (2 cut, 0 up to date)" in output
    assert "lecture.html" in output and "lecture.pptx" in output
    assert f"manim-slides present --folder manim-slides {' '.join(SCENE_NAMES)}" in output
    for name in ("lecture.html", "lecture.pptx", "README.txt", "reveal/reveal.js",
                 "reveal/reveal.css", "reveal/plugin/notes/notes.js", "reveal/LICENSE"):
        assert (slides_dir / name).is_file(), name


def test_a_beat_is_the_frames_up_to_the_next_beat(lecture):
    _, folder, _ = lecture
    scene, title, frames, _, beats = SCENES[1]
    movie = folder / f"{scene}.mp4"
    cut = plan_scene(scene, 2, movie, json.loads(movie.with_name(f"{scene}.narration.json").read_text()))
    assert (cut.frames, cut.fps, cut.width, cut.height) == (frames, FPS, WIDTH, HEIGHT)
    # The first clip also holds the 6 frames before the first beat; the last runs to the end.
    assert [(s.first_frame, s.frames) for s in cut.slides] == [(0, 24), (24, 13), (37, 8)]
    assert [s.text for s in cut.slides] == [b["text"] for b in beats]
    assert {(s.number, s.title, s.beats) for s in cut.slides} == {(2, title, 3)}


def test_clips_hold_exactly_the_frames_of_their_beats(deck, lecture):
    slides_dir, _ = deck
    _, folder, _ = lecture
    for scene, _, frames, _, beats in SCENES:
        clips = sorted((slides_dir / "clips").glob(f"{scene}-*.mp4"))
        assert [c.name for c in clips] == [f"{scene}-{i:02d}.mp4" for i in range(1, len(beats) + 1)]
        counts = [count_frames(c) for c in clips]
        assert sum(counts) == frames == count_frames(folder / f"{scene}.mp4")
        # Frame by frame, the clips one after the other are the scene's video.
        source = band_levels(folder / f"{scene}.mp4")
        joined = np.concatenate([band_levels(c) for c in clips])
        assert len(joined) == len(source) == frames
        assert np.abs(joined - source).max() < 2.5, np.round(joined - source, 1)
        # ...cut where the beats start.
        starts = np.cumsum([0] + counts[:-1])
        assert list(starts[1:]) == [round(b["start"] * FPS) for b in beats[1:]]
        for clip in clips:   # every clip starts at time 0, as players expect
            info = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=start_time",
                                   "-of", "csv=p=0", str(clip)], capture_output=True, text=True)
            assert float(info.stdout) == 0.0, clip.name


def test_each_poster_is_its_beats_last_frame_and_never_blank(deck, lecture):
    """The poster is what the slide says once its clip has played: the slide
    sorter, printouts and a PDF of the deck show every beat's result."""
    slides_dir, _ = deck
    _, folder, _ = lecture
    from PIL import Image
    for scene, _, _, _, _ in SCENES:
        movie = folder / f"{scene}.mp4"
        cut = plan_scene(scene, 1, movie, json.loads(movie.with_name(f"{scene}.narration.json").read_text()))
        raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", str(movie), "-f", "rawvideo",
                              "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
        frames = np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3).astype(float)
        for slide in cut.slides:
            with Image.open(slides_dir / slide.poster) as poster:
                assert poster.size == (WIDTH, HEIGHT)
                pixels = np.asarray(poster.convert("RGB"), float)
            # The scene's frame it shows (each frame differs: the band, testsrc's counter).
            shown = int(np.argmin(np.abs(frames - pixels).mean(axis=(1, 2, 3))))
            assert shown == slide.first_frame + slide.frames - 1, slide.poster
            assert pixels[:HEIGHT - BAND].std() > 20, f"{slide.poster} is blank"


def test_a_second_build_cuts_nothing(deck, lecture):
    slides_dir, _ = deck
    _, folder, _ = lecture
    files = sorted(p for p in slides_dir.rglob("*") if p.is_file())
    before = {p: p.stat().st_mtime_ns for p in files}
    result = build_slides(SCENE_NAMES, folder, TITLE, stream=io.StringIO())
    assert result.cut == [] and not result.pptx_written
    assert {p: p.stat().st_mtime_ns for p in files} == before
    assert sorted(p for p in slides_dir.rglob("*") if p.is_file()) == files


def test_a_changed_scene_is_cut_again_alone(tmp_path):
    """Re-rendered with fewer beats: only that scene is cut, and its old clips go."""
    folder = tmp_path / "low"
    folder.mkdir()
    for scene, title, frames, source, beats in SCENES:
        make_scene_video(folder / f"{scene}.mp4", source, frames)
        write_narration(folder / f"{scene}.mp4", scene, title, frames, beats)
    build_slides(SCENE_NAMES, folder, TITLE, stream=io.StringIO())
    scene, title, frames, source, beats = SCENES[0]
    make_scene_video(folder / f"{scene}.mp4", source, frames, shade=3)
    write_narration(folder / f"{scene}.mp4", scene, title, frames, beats[:2])
    result = build_slides(SCENE_NAMES, folder, TITLE, stream=io.StringIO())
    assert result.cut == [scene] and result.pptx_written
    clips = sorted(p.name for p in (folder / "slides" / "clips").glob(f"{scene}-*"))
    assert clips == [f"{scene}-0{i}.{ext}" for i in (1, 2) for ext in ("jpg", "mp4")]
    assert sum(count_frames(folder / "slides" / "clips" / f"{scene}-0{i}.mp4") for i in (1, 2)) == frames


def test_a_scene_of_one_beat_is_one_clip(tmp_path):
    make_scene_video(tmp_path / "One.mp4", "testsrc", 12)
    write_narration(tmp_path / "One.mp4", "One", "One", 12, [{"start": 0.1, "text": "Only this."}])
    result = build_slides(["One"], tmp_path, TITLE, stream=io.StringIO())
    assert [(s.first_frame, s.frames, s.text) for s in result.slides] == [(0, 12, "Only this.")]
    assert count_frames(tmp_path / "slides" / "clips" / "One-01.mp4") == 12


def _streams(video: Path) -> dict[str, dict]:
    info = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(video)],
        capture_output=True, text=True, check=True).stdout)
    return {s["codec_type"]: s for s in info["streams"]}


def test_each_clip_carries_its_beats_sound(deck):
    """The tone under each beat (its "voice") is in that beat's clip, where
    it was in the scene, and nowhere else; the sound lasts as long as the picture."""
    from src.narration.soundtrack import speech_spans
    slides_dir, _ = deck
    for scene, _, frames, _, beats in SCENES:
        starts = [0] + [round(b["start"] * FPS) for b in beats[1:]]     # clip k starts here
        for k, (tone, first) in enumerate(zip(tone_spans(beats, frames), starts), 1):
            clip = slides_dir / "clips" / f"{scene}-{k:02d}.mp4"
            streams = _streams(clip)
            assert streams["audio"]["codec_name"] == "aac" and streams["audio"]["sample_rate"] == "48000"
            picture = int(streams["video"]["nb_frames"]) / FPS
            assert float(streams["audio"]["duration"]) == pytest.approx(picture, abs=0.002), clip.name
            (heard,) = speech_spans(clip, min_silence=0.05)
            expected = (tone[0] - first / FPS, tone[1] - first / FPS)
            # within a millisecond or two (AAC smears an edge over a few samples)
            assert heard == pytest.approx(expected, abs=0.004), (clip.name, heard, expected)


def test_silent_scenes_make_silent_clips(tmp_path):
    """VOICE=off renders scenes without a sound track: the deck works the same."""
    make_scene_video(tmp_path / "Quiet.mp4", "testsrc", 20)
    write_narration(tmp_path / "Quiet.mp4", "Quiet", "Quiet", 20,
                    [{"start": 0.0, "text": "One."}, {"start": 10 / FPS, "text": "Two."}])
    result = build_slides(["Quiet"], tmp_path, TITLE, stream=io.StringIO())
    for slide in result.slides:
        assert set(_streams(tmp_path / "slides" / slide.clip)) == {"video"}
        assert count_frames(tmp_path / "slides" / slide.clip) == slide.frames
    html = (tmp_path / "slides" / "lecture.html").read_text(encoding="utf-8")
    assert "data-sound" not in html.split("<script")[0] and "<video" in html


def test_scenes_with_and_without_sound_are_refused_in_one_line(tmp_path):
    beats = [{"start": 0.0, "text": "One."}]
    make_scene_video(tmp_path / "Voiced.mp4", "testsrc", 12, beats=beats)
    make_scene_video(tmp_path / "Silent.mp4", "testsrc", 12)
    for scene in ("Voiced", "Silent"):
        write_narration(tmp_path / f"{scene}.mp4", scene, scene, 12, beats)
    from src.publish.assemble import AssemblyError
    with pytest.raises(AssemblyError) as error:
        build_slides(["Voiced", "Silent"], tmp_path, TITLE, stream=io.StringIO())
    message = str(error.value)
    assert "\n" not in message and "Voiced" in message and "Silent" in message
    assert "VOICE" in message
    assert not (tmp_path / "slides" / "clips").exists()


def test_missing_videos_and_silent_scenes_are_reported(tmp_path):
    with pytest.raises(SlidesError, match="not rendered yet: Nope.mp4"):
        build_slides(["Nope"], tmp_path, TITLE, stream=io.StringIO())
    make_scene_video(tmp_path / "Quiet.mp4", "testsrc", 10)
    write_narration(tmp_path / "Quiet.mp4", "Quiet", "Quiet", 10, [])
    with pytest.raises(Exception, match="says nothing"):
        build_slides(["Quiet"], tmp_path, TITLE, stream=io.StringIO())


# -- lecture.html as a file ------------------------------------------------------

class _Deck(HTMLParser):
    """The deck's stacks, slides, notes and every URL its markup names."""
    URL_ATTRIBUTES = {"src", "href", "poster", "data-src", "srcset", "data", "action", "background",
                      "data-background-image", "data-background-video", "data-background-iframe"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.stacks: list[dict] = []
        self.depth = 0           # of <section>
        self.in_notes = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [v for k, v in attrs.items() if k in self.URL_ATTRIBUTES and v is not None]
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.stacks.append({"scene": attrs.get("data-scene"), "title": attrs.get("data-title"),
                                    "slides": []})
            else:
                self.stacks[-1]["slides"].append({"notes": "", "videos": [], "status": ""})
        elif tag == "video":
            self.stacks[-1]["slides"][-1]["videos"].append(attrs)
        elif tag == "aside" and "notes" in (attrs.get("class") or "").split():
            self.in_notes = True

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1
        elif tag == "aside":
            self.in_notes = False

    def handle_data(self, data):
        if self.in_notes:
            self.stacks[-1]["slides"][-1]["notes"] += data


def _parse(slides_dir: Path) -> _Deck:
    parser = _Deck()
    parser.feed((slides_dir / "lecture.html").read_text(encoding="utf-8"))
    return parser


def test_html_has_a_stack_per_scene_and_a_slide_per_beat_with_its_narration(deck):
    slides_dir, _ = deck
    parsed = _parse(slides_dir)
    assert [(s["scene"], s["title"]) for s in parsed.stacks] == [(s[0], s[1]) for s in SCENES]
    shown = [(stack["scene"], stack["title"], i, slide["notes"])
             for stack in parsed.stacks for i, slide in enumerate(stack["slides"], 1)]
    assert shown == expected_slides()
    for stack in parsed.stacks:
        for i, slide in enumerate(stack["slides"], 1):
            (video,) = slide["videos"]
            assert video["data-src"] == f"clips/{stack['scene']}-{i:02d}.mp4"
            assert video["poster"] == f"clips/{stack['scene']}-{i:02d}.jpg"
            # Played by the deck's script with its sound (see the browser tests), once.
            assert "muted" not in video and "loop" not in video and "data-sound" in video


def test_html_names_only_files_inside_its_folder(deck):
    slides_dir, _ = deck
    html = (slides_dir / "lecture.html").read_text(encoding="utf-8")
    assert "http" not in html and "url(" not in html and "@import" not in html
    parsed = _parse(slides_dir)
    assert parsed.urls
    for url in parsed.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and not url.startswith("/"), url
        target = (slides_dir / unquote(parts.path)).resolve()
        assert target.is_relative_to(slides_dir.resolve()) and target.is_file(), url
    assert {"reveal/reveal.js", "reveal/reveal.css", "reveal/plugin/notes/notes.js"} <= set(parsed.urls)


def test_reveal_is_the_vendored_release_with_its_licence(deck):
    slides_dir, _ = deck
    vendor = Path(slides_module.__file__).parent / "vendor" / "reveal.js"
    assert json.loads((vendor / "package.json").read_text())["version"] == slides_module.REVEAL_VERSION
    for source, target in slides_module.REVEAL_FILES.items():
        assert (slides_dir / target).read_bytes() == (vendor / source).read_bytes(), target
    assert "Permission is hereby granted, free of charge" in (slides_dir / "reveal/LICENSE").read_text()
    # The deck's CSS loads nothing (no @import, no url()): the stock themes' web fonts are not used.
    assert "@import" not in (slides_dir / "reveal/reveal.css").read_text()


# -- lecture.pptx ------------------------------------------------------------------

def test_pptx_has_a_slide_per_beat_with_its_clip_and_notes(deck):
    pptx = pytest.importorskip("pptx", reason="python-pptx is not installed")
    from pptx.enum.shapes import MSO_SHAPE_TYPE
    from pptx.oxml.ns import qn
    slides_dir, _ = deck
    presentation = pptx.Presentation(str(slides_dir / "lecture.pptx"))
    assert presentation.slide_width * 9 == presentation.slide_height * 16
    assert len(presentation.slides) == len(expected_slides())
    for slide, (scene, title, beat, text) in zip(presentation.slides, expected_slides()):
        movies = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.MEDIA]
        assert len(movies) == 1
        movie = movies[0]
        assert movie.top >= 0 and movie.left >= 0
        assert movie.left + movie.width <= presentation.slide_width
        assert movie.top + movie.height <= presentation.slide_height
        blobs = {rel.target_part.content_type: rel.target_part.blob
                 for rel in slide.part.rels.values() if not rel.is_external}
        assert blobs["video/mp4"] == (slides_dir / "clips" / f"{scene}-{beat:02d}.mp4").read_bytes()
        assert blobs["image/jpeg"] == (slides_dir / "clips" / f"{scene}-{beat:02d}.jpg").read_bytes()
        assert slide.notes_slide.notes_text_frame.text == text
        label = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert title in label and f"beat {beat} of" in label
        assert_plays_automatically(slide, movie, qn)


def assert_plays_automatically(slide, movie, qn) -> None:
    """PowerPoint's timing for Start: Automatically, and no click action on the movie."""
    timing = slide.element.find(qn("p:timing"))
    spid = str(movie.shape_id)
    (main,) = [c for c in timing.iter(qn("p:cTn")) if c.get("nodeType") == "mainSeq"]
    (effect,) = [c for c in main.iter(qn("p:cTn")) if c.get("presetClass") == "mediacall"]
    assert effect.get("nodeType") == "afterEffect"        # starts by itself, no click
    (command,) = effect.iter(qn("p:cmd"))
    assert command.get("cmd") == "playFrom(0.0)"
    assert [t.get("spid") for t in command.iter(qn("p:spTgt"))] == [spid]
    # ...when the main sequence begins, i.e. when the slide shows
    begins = [c for c in main.iter(qn("p:cond")) if c.get("evt") == "onBegin"]
    assert begins and begins[0].find(qn("p:tn")).get("val") == main.get("id")
    (media,) = timing.iter(qn("p:cMediaNode"))
    assert [t.get("spid") for t in media.iter(qn("p:spTgt"))] == [spid]
    ids = [c.get("id") for c in timing.iter(qn("p:cTn"))]
    assert len(ids) == len(set(ids))
    # A click on the movie advances the slide instead of pausing the clip.
    assert not list(movie.element.iter(qn("a:hlinkClick")))


# -- lecture.pptx in LibreOffice Impress (make check) ---------------------------------

OFFICE_HINT = ("LibreOffice Impress is not installed; install it with: "
               "bash scripts/system-deps.sh --office  (Debian: libreoffice-impress poppler-utils)")


def _soffice(deck: Path, to: str, out: Path, profile: Path) -> Path:
    """Convert `deck` headlessly with a profile of its own (no clash with a
    LibreOffice already running); the converted file."""
    run = subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                          "--convert-to", to, "--outdir", str(out), str(deck)],
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    made = out / f"{deck.stem}.{to}"
    assert run.returncode == 0 and made.is_file(), run.stdout + run.stderr
    assert "error" not in (run.stdout + run.stderr).lower(), run.stdout + run.stderr
    return made


@pytest.mark.slow
def test_libreoffice_impress_reads_the_deck_as_powerpoint_writes_it(deck, tmp_path):
    """What can be checked here of lecture.pptx without PowerPoint: Debian's
    LibreOffice Impress opens it without complaint, prints one page per beat
    showing the beat's last frame, and reads each slide's timing as a movie
    that plays by itself when the slide shows (Impress's "after previous"
    media play command), as it reads decks PowerPoint saved."""
    import re
    import xml.etree.ElementTree as ET
    import zipfile

    from PIL import Image
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        pytest.skip(OFFICE_HINT)
    slides_dir, _ = deck
    pptx = slides_dir / "lecture.pptx"
    expected = expected_slides()

    pdf = _soffice(pptx, "pdf", tmp_path, tmp_path / "profile")
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True,
                   timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(expected)
    strip = round(slides_module.SLIDE_HEIGHT * slides_module.STATUS_HEIGHT / slides_module.DECK_HEIGHT)
    video_h = slides_module.SLIDE_HEIGHT - strip
    video_w = round(video_h * WIDTH / HEIGHT)
    left = (slides_module.SLIDE_WIDTH - video_w) // 2
    for page, (scene, _, beat, _) in zip(pages, expected):
        with Image.open(page) as im:
            scale = im.width / slides_module.SLIDE_WIDTH
            box = (round(left * scale), 0, round((left + video_w) * scale), round(video_h * scale))
            shown = np.asarray(im.convert("RGB").crop(box), float)
        with Image.open(slides_dir / "clips" / f"{scene}-{beat:02d}.jpg") as poster:
            wanted = np.asarray(poster.convert("RGB").resize((box[2] - box[0], box[3] - box[1])), float)
        assert np.abs(shown - wanted).mean() < 12, (page.name, np.abs(shown - wanted).mean())
        with contextlib.suppress(OSError):
            shutil.copy(page, SCREENSHOT_COPIES / f"slides_impress_{page.name}")

    odp = _soffice(pptx, "odp", tmp_path / "odp", tmp_path / "profile")
    ns = {"draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
          "anim": "urn:oasis:names:tc:opendocument:xmlns:animation:1.0",
          "pres": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
          "smil": "urn:oasis:names:tc:opendocument:xmlns:smil-compatible:1.0",
          "xml": "http://www.w3.org/XML/1998/namespace"}
    with zipfile.ZipFile(odp) as package:
        content = ET.fromstring(package.read("content.xml"))
    odp_pages = content.findall(".//draw:page", ns)
    assert len(odp_pages) == len(expected)
    for page in odp_pages:
        (movie,) = [f for f in page.findall("draw:frame", ns) if f.find("draw:plugin", ns) is not None]
        (play,) = page.findall(".//anim:command", ns)
        assert play.get(f"{{{ns['anim']}}}command") == "play"
        assert play.get(f"{{{ns['smil']}}}targetElement") == movie.get(f"{{{ns['xml']}}}id")
        effect = next(p for p in page.iter(f"{{{ns['anim']}}}par") if play in list(p))
        assert effect.get(f"{{{ns['pres']}}}node-type") == "after-previous"
        assert effect.get(f"{{{ns['pres']}}}preset-class") == "media-call"
        assert not re.search(r"click", ET.tostring(page, encoding="unicode"))


# -- manim-slides ------------------------------------------------------------------

def test_manim_slides_presentations_name_the_clips_and_notes(deck):
    slides_dir, _ = deck
    folder = slides_dir / "manim-slides"
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(SCENE_NAMES)
    for scene, _, _, _, beats in SCENES:
        config = json.loads((folder / f"{scene}.json").read_text())
        assert config["resolution"] == [WIDTH, HEIGHT]
        assert [s["notes"] for s in config["slides"]] == [b["text"] for b in beats]
        for slide in config["slides"]:
            # manim-slides resolves them against the parent of the config's folder: slides/.
            assert (folder.parent / slide["file"]).is_file() and (folder.parent / slide["rev_file"]).is_file()


def test_manim_slides_own_model_reads_them(deck):
    """Only where manim-slides is installed; its model needs no Qt."""
    slides_dir, _ = deck
    folder = slides_dir / "manim-slides"
    config_module = pytest.importorskip("manim_slides.config", reason="manim-slides is not installed")
    for scene, _, _, _, beats in SCENES:
        loaded = config_module.PresentationConfig.from_file(folder / f"{scene}.json")
        assert len(loaded.slides) == len(beats)
        assert all(s.file.is_file() for s in loaded.slides)


# -- in the browser ----------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with Chromium(width=1280, height=720) as chromium:
        yield chromium


WAIT_FOR = """(async (test, seconds) => {
  for (let i = 0; i < seconds * 20; i++) {
    const value = test();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
})"""

CLIP_STATE = """(() => {
  const video = Reveal.getCurrentSlide().querySelector("video");
  return {src: video.getAttribute("src"), time: video.currentTime, duration: video.duration,
          paused: video.paused, ended: video.ended, ready: video.readyState,
          muted: video.muted, volume: video.volume, audio: video.webkitAudioDecodedByteCount,
          waiting: document.documentElement.classList.contains("sound-waiting"),
          status: Reveal.getCurrentSlide().querySelector(".status").innerText,
          error: video.error && video.error.message};
})()"""


@pytest.fixture(scope="module")
def presented(browser, deck):
    slides_dir, _ = deck
    browser.call("Network.enable", session=True)
    browser.open((slides_dir / "lecture.html").as_uri())
    assert browser.evaluate(f"{WAIT_FOR}(() => window.Reveal && Reveal.isReady(), 10)")
    # A click on the slide, as a lecturer's first: from now on clips may play with sound.
    browser.click(".present footer.status")
    return browser


def _wait(browser, test: str, seconds: float = 8):
    return browser.evaluate(f"{WAIT_FOR}(() => {test}, {seconds})")


def _go_to(browser, h: int, v: int) -> None:
    """Show slide (h, v) first: each test sets up the slide it starts from,
    whatever order the tests run in (pytest-xdist may reorder them)."""
    browser.evaluate(f"Reveal.slide({h}, {v})")
    indices = _wait(browser, f"(i => i.h === {h} && i.v === {v} && i)(Reveal.getIndices())", 3)
    assert indices, f"the deck did not move to slide ({h}, {v})"


def _screenshot(browser, slides_dir: Path, name: str) -> Path:
    shot = browser.screenshot(slides_dir.parent / name)
    assert shot.read_bytes().startswith(b"\x89PNG")
    with contextlib.suppress(OSError):
        shutil.copy(shot, SCREENSHOT_COPIES / name)   # to look at after the run
    return shot


def test_the_deck_loads_only_files_from_its_folder(presented, deck):
    slides_dir, _ = deck
    folder = slides_dir.resolve().as_uri() + "/"
    requested = [e["params"]["request"]["url"] for e in presented.events
                 if e["method"] == "Network.requestWillBeSent"]
    assert any(url.endswith("/reveal/reveal.js") for url in requested), requested
    assert all(url.startswith(folder) or url.startswith("data:") for url in requested), requested
    assert presented.evaluate("Reveal.VERSION") == slides_module.REVEAL_VERSION
    assert presented.evaluate("Reveal.getTotalSlides()") == len(expected_slides())
    problems = [line for line in presented.console if line.startswith(("exception", "error"))]
    assert not problems, problems


def test_the_deck_starts_on_slide_1_and_plays_its_clip(presented, deck):
    """Opened afresh, nobody has pressed anything yet: the browser refuses sound,
    so slide 1 plays muted and says so; the first key plays it again, heard,
    instead of going on."""
    slides_dir, _ = deck
    presented.open((slides_dir / "lecture.html").as_uri())      # a fresh start
    assert _wait(presented, "window.Reveal && Reveal.isReady()", 10)
    assert presented.evaluate("[Reveal.getIndices().h, Reveal.getIndices().v]") == [0, 0]
    state = _wait(presented, f"(s => s.time > 0.2 && s)({CLIP_STATE})")
    assert state and state["src"] == "clips/SumsScene-01.mp4" and state["error"] is None, state
    assert "Sums & <Products>" in state["status"] and "beat 1 of 3" in state["status"]
    assert state["muted"] and state["waiting"], state
    assert "press a key" in state["status"], state
    _screenshot(presented, slides_dir, "slides_slide1_waiting.png")
    presented.press("ArrowRight")
    state = _wait(presented, f"(s => !s.muted && s.time > 0.3 && s)({CLIP_STATE})")
    assert state, presented.evaluate(CLIP_STATE)
    assert presented.evaluate("[Reveal.getIndices().h, Reveal.getIndices().v]") == [0, 0]
    assert state["src"] == "clips/SumsScene-01.mp4" and not state["waiting"], state
    assert state["audio"] > 2000 and state["volume"] == 1, state      # heard: audio decoded
    assert "press a key" not in state["status"]
    presented.evaluate("Reveal.getCurrentSlide().querySelector('video').pause()")
    _screenshot(presented, slides_dir, "slides_slide1.png")


def _press_m(browser) -> None:
    """The M key (tests/chromium.py's press() knows only navigation keys)."""
    for kind in ("keyDown", "keyUp"):
        browser.call("Input.dispatchKeyEvent", session=True, type=kind, key="m", code="KeyM",
                     windowsVirtualKeyCode=77, nativeVirtualKeyCode=77,
                     **({"text": "m"} if kind == "keyDown" else {}))


def test_m_mutes_and_unmutes_the_clips(presented):
    _go_to(presented, 0, 0)
    _press_m(presented)
    state = _wait(presented, f"(s => s.muted && s)({CLIP_STATE})", 3)
    assert state and "muted" in state["status"], presented.evaluate(CLIP_STATE)
    presented.press("ArrowRight")                     # stays muted on the next beat
    assert _wait(presented, "(i => i.v === 1 && i)(Reveal.getIndices())", 3)
    assert _wait(presented, f"(s => s.muted && s.time > 0 && s)({CLIP_STATE})", 5)
    _press_m(presented)
    state = _wait(presented, f"(s => !s.muted && s)({CLIP_STATE})", 3)
    assert state and "muted" not in state["status"], presented.evaluate(CLIP_STATE)


def test_a_key_press_advances_to_slide_2_which_plays_then_holds(presented, deck):
    slides_dir, _ = deck
    _go_to(presented, 0, 0)
    presented.press("ArrowRight")
    indices = _wait(presented, "(i => i.v === 1 && i)(Reveal.getIndices())", 3)
    assert indices and (indices["h"], indices["v"]) == (0, 1)
    # The clip (18 frames) plays to its end and stays on its last frame.
    state = _wait(presented, f"(s => s.ended && s)({CLIP_STATE})", 6)
    assert state, presented.evaluate(CLIP_STATE)
    assert state["src"] == "clips/SumsScene-02.mp4"
    assert state["time"] == pytest.approx(18 / FPS, abs=0.02) and state["paused"]
    assert not state["muted"] and state["audio"] > 0, state          # played with its sound
    assert presented.evaluate("document.title").startswith("Sums & <Products>")
    _screenshot(presented, slides_dir, "slides_slide2.png")


def test_the_last_beat_of_a_scene_leads_to_the_next_scene(presented):
    _go_to(presented, 0, 1)
    presented.press("ArrowRight")                          # beat 3 of the first scene
    # Each key press is waited for: on a busy machine a second press can
    # otherwise arrive while the deck is still moving to the first's slide.
    indices = _wait(presented, "(i => i.v === 2 && i)(Reveal.getIndices())", 3)
    assert indices and (indices["h"], indices["v"]) == (0, 2)
    presented.press("ArrowRight")                          # beat 1 of the second
    indices = _wait(presented, "(i => i.h === 1 && i)(Reveal.getIndices())", 3)
    assert indices and (indices["h"], indices["v"]) == (1, 0)
    state = _wait(presented, f"(s => s.time > 0 && s)({CLIP_STATE})")
    assert state and state["src"] == "clips/ChainScene-01.mp4", state
    presented.press("ArrowLeft")                           # and back
    indices = _wait(presented, "(i => i.h === 0 && i)(Reveal.getIndices())", 3)
    assert indices and (indices["h"], indices["v"]) == (0, 2)


def test_the_speaker_view_shows_the_beats_narration(presented, deck):
    slides_dir, _ = deck
    _go_to(presented, 0, 2)                                # the first scene's last beat
    before = {t["targetId"] for t in presented.page_targets()}
    presented.press("s")
    deadline = time.monotonic() + 10
    popup = None
    while popup is None and time.monotonic() < deadline:
        popup = next((t for t in presented.page_targets() if t["targetId"] not in before), None)
        time.sleep(0.1)
    assert popup, "S did not open the speaker view"
    with presented.attached(popup["targetId"]):
        notes = _wait(presented, "(document.querySelector('.speaker-controls-notes .value') || {}).textContent", 10)
        presented.set_viewport(1100, 700)
        _wait(presented, "false", 1)                       # let its previews draw
        _screenshot(presented, slides_dir, "slides_speaker_view.png")
    presented.call("Target.closeTarget", targetId=popup["targetId"])
    assert notes == SCENES[0][4][2]["text"]
