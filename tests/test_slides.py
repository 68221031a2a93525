"""`make slides` on a small lecture made here in seconds.

Two short scene videos come from ffmpeg's test sources, each with the
`<Scene>.narration.json` a LectureScene writes beside its movie. A band at
the bottom of every frame has the brightness 7·n mod 256 for frame n, so
that a clip's frames can be matched to the scene's, one by one. The slides
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


def make_scene_video(path: Path, source: str, frames: int, shade: int = 0) -> None:
    """H.264 like the scenes (B-frames, keyframes far apart), with the frame-number band."""
    seconds = frames / FPS
    graph = (f"{source}=size={WIDTH}x{HEIGHT - BAND}:rate={FPS}:duration={seconds},format=yuv420p[top];"
             f"color=c=gray:size={WIDTH}x{BAND}:rate={FPS}:duration={seconds},format=yuv420p,"
             f"geq=lum='mod(N*7+{shade},256)':cb=128:cr=128[band];[top][band]vstack[out0]")
    _ffmpeg("-f", "lavfi", "-i", graph, "-c:v", "libx264", "-preset", "ultrafast", "-g", "250",
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
    for scene, title, frames, source, beats in SCENES:
        movie = folder / f"{scene}.mp4"
        make_scene_video(movie, source, frames)
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


def test_each_clip_has_its_first_frame_as_poster(deck):
    slides_dir, _ = deck
    from PIL import Image
    for scene, _, _, _, beats in SCENES:
        for i in range(1, len(beats) + 1):
            with Image.open(slides_dir / "clips" / f"{scene}-{i:02d}.jpg") as poster:
                assert poster.size == (WIDTH, HEIGHT)


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
            assert "data-autoplay" in video and "muted" in video and "loop" not in video


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
        # The movie starts with its slide rather than waiting for a click on it.
        media = slide.element.find(f".//{qn('p:cMediaNode')}")
        assert {c.get("delay") for c in media.iter(qn("p:cond"))} == {"0"}


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
          error: video.error && video.error.message};
})()"""


@pytest.fixture(scope="module")
def presented(browser, deck):
    slides_dir, _ = deck
    browser.call("Network.enable", session=True)
    browser.open((slides_dir / "lecture.html").as_uri())
    assert browser.evaluate(f"{WAIT_FOR}(() => window.Reveal && Reveal.isReady(), 10)")
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
    slides_dir, _ = deck
    presented.open((slides_dir / "lecture.html").as_uri())      # a fresh start
    assert _wait(presented, "window.Reveal && Reveal.isReady()", 10)
    assert presented.evaluate("[Reveal.getIndices().h, Reveal.getIndices().v]") == [0, 0]
    state = _wait(presented, f"(s => s.time > 0.2 && s)({CLIP_STATE})")
    assert state and state["src"] == "clips/SumsScene-01.mp4" and state["error"] is None, state
    status = presented.evaluate("Reveal.getCurrentSlide().querySelector('.status').textContent")
    assert "Sums & <Products>" in status and "beat 1 of 3" in status
    presented.evaluate("Reveal.getCurrentSlide().querySelector('video').pause()")
    _screenshot(presented, slides_dir, "slides_slide1.png")


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
