"""index.html in a real browser: headless Chromium opens a small lecture from disk.

The lecture is made here in a few seconds: two short clips from ffmpeg's
test sources (H.264, yuv420p, like the scenes) with a tone under each beat
for its voice (AAC, like the scenes' sound tracks), joined into lecture.mp4
by src/publish/assemble.py, captions through src/narration/captions.py,
posters cut with ffmpeg. The page is opened as a file:// URL, as a lecturer
opening the folder would.
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from src.narration.captions import beat_cues, to_vtt
from src.publish.assemble import chapter_list, join_videos
from src.publish.page import CONTROLS_BAND, PageError, render_page, write_page
from tests.chromium import Chromium, require_chromium

SCREENSHOT_COPIES = Path("/tmp")

# Titles and narration are data: markup, ampersands, quotes and even a
# closing script tag must come out as the very same text.
LECTURE_TITLE = 'Autograd <b>bold</b> & "quotes" \'too\''
CLIPS = [
    # scene, title, seconds, ffmpeg source, beats
    ("SumsScene", "Sums & <Products>: \"local\" rules", 3.0,
     "testsrc=size=320x180:rate=30",
     [{"start": 0.0, "text": "A sum passes its gradient on unchanged: 1 < 2 & 3 > 2."},
      {"start": 1.2, "text": "A product swaps its inputs. </script><script>alert(1)</script>"}]),
    ("ChainScene", "The Chain <i>Rule</i>", 2.0,
     "color=c=0x1c758a:size=320x180:rate=30",
     [{"start": 0.0, "text": "Local slopes multiply along the path."},
      {"start": 0.9, "text": "That product is the gradient, 'end' to \"end\"."}]),
]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def _cue_dicts(cues) -> list[dict]:
    return [{"start": c.start, "end": c.end, "text": c.text} for c in cues]


@pytest.fixture(scope="module")
def lecture(tmp_path_factory) -> tuple[Path, dict]:
    """A two-scene lecture folder with every file the manifest names."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (scripts/system-deps.sh installs it)")
    folder = tmp_path_factory.mktemp("lecture")
    (folder / "posters").mkdir()
    scenes, chapters, cues, offset = [], [], [], 0.0
    for scene, title, seconds, source, beats in CLIPS:
        # The "voice": a tone from 0.1 s into each beat until 0.3 s before the next.
        ends = [b["start"] for b in beats[1:]] + [seconds]
        said = "+".join(f"between(t,{b['start'] + 0.1:.3f},{end - 0.3:.3f})" for b, end in zip(beats, ends))
        _ffmpeg("-f", "lavfi", "-i", f"{source}:duration={seconds}",
                "-f", "lavfi", "-i", f"aevalsrc=exprs='0.3*sin(2*PI*440*t)*({said})':s=48000:d={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart",
                str(folder / f"{scene}.mp4"))
        _ffmpeg("-ss", "0.5", "-i", str(folder / f"{scene}.mp4"), "-frames:v", "1",
                str(folder / "posters" / f"{scene}.png"))
        scene_cues = beat_cues(beats, seconds)
        (folder / f"{scene}.vtt").write_text(to_vtt(scene_cues), encoding="utf-8")
        scenes.append({"scene": scene, "title": title, "video": f"{scene}.mp4",
                       "poster": f"posters/{scene}.png", "captions": f"{scene}.vtt",
                       "duration": seconds, "cues": _cue_dicts(scene_cues), "beats": beats})
        chapters.append({"scene": scene, "title": title, "start": offset, "end": offset + seconds})
        cues += [c.shifted(offset) for c in scene_cues]
        offset += seconds
    videos = [folder / s["video"] for s in scenes]
    join_videos(videos, folder / "lecture.mp4",
                chapter_list([(s["title"], v) for s, v in zip(scenes, videos)]), LECTURE_TITLE)
    (folder / "lecture.vtt").write_text(to_vtt(cues), encoding="utf-8")
    _ffmpeg("-i", str(folder / "posters" / "SumsScene.png"), "-i", str(folder / "posters" / "ChainScene.png"),
            "-filter_complex", "hstack", str(folder / "posters" / "lecture.png"))
    manifest = {
        "title": LECTURE_TITLE, "quality": "low", "sound": True, "video": "lecture.mp4",
        "poster": "posters/SumsScene.png", "captions": "lecture.vtt", "duration": offset,
        "cues": _cue_dicts(cues), "chapters": chapters, "scenes": scenes,
        "contact_sheet": "posters/lecture.png", "generated": "2026-11-23 12:00 UTC",
    }
    write_page(folder, manifest)
    return folder, manifest


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with Chromium(width=1280, height=900) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def page(browser, lecture):
    folder, _ = lecture
    browser.open((folder / "index.html").as_uri())
    return browser


METADATA = """(async (selector) => {
  const video = document.querySelector(selector);
  if (video.readyState < 1 && !video.error) {
    await new Promise((done) => {
      video.addEventListener("loadedmetadata", done, {once: true});
      video.addEventListener("error", done, {once: true});
      setTimeout(done, 8000);
    });
  }
  return {duration: video.duration, width: video.videoWidth, readyState: video.readyState,
          error: video.error && `${video.error.code}: ${video.error.message}`,
          canPlay: video.canPlayType('video/mp4; codecs="avc1.64001e"')};
})"""


def _metadata(page, selector: str) -> dict:
    return page.evaluate(f"{METADATA}({selector!r})")


def _probe_duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


# -- the HTML itself -------------------------------------------------------------

class _Links(HTMLParser):
    """Every URL the page's markup points at."""
    ATTRIBUTES = {"src", "href", "poster", "srcset", "data", "action", "formaction", "background"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [value for name, value in attrs if name in self.ATTRIBUTES and value is not None]


def test_page_links_only_files_inside_its_folder(lecture):
    folder, manifest = lecture
    html = (folder / "index.html").read_text(encoding="utf-8")
    links = _Links()
    links.feed(html)
    assert links.urls, "the page links nothing"
    for url in links.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and not url.startswith("/"), url
        target = (folder / unquote(parts.path)).resolve()
        assert target.is_relative_to(folder.resolve()) and target.is_file(), url
    linked = {unquote(urlsplit(u).path) for u in links.urls}
    expected = {manifest["video"], manifest["poster"], manifest["captions"], manifest["contact_sheet"]}
    for scene in manifest["scenes"]:
        expected |= {scene["video"], scene["poster"], scene["captions"]}
    assert expected <= linked
    # Nothing from the network: no stylesheet or script files, no web URLs at all.
    assert "http://" not in html and "https://" not in html and "url(" not in html
    assert "link" not in links.tags and "iframe" not in links.tags


@pytest.mark.parametrize("path", ["https://cdn.example.org/lecture.mp4", "//cdn.example.org/x.mp4",
                                  "/etc/lecture.mp4", "../lecture.mp4", "file:///tmp/lecture.mp4"])
def test_page_refuses_files_outside_its_folder(lecture, path):
    _, manifest = lecture
    with pytest.raises(PageError):
        render_page({**manifest, "video": path})


def test_text_is_escaped_in_the_markup(lecture):
    folder, _ = lecture
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert "<b>bold</b>" not in html and "<i>Rule</i>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;" in html
    # The narration's "</script>" cannot end the embedded JSON early.
    assert html.count("</script>") == 2


# -- in the browser --------------------------------------------------------------

def test_the_page_opens_without_errors(page):
    assert page.evaluate("document.readyState") == "complete"
    problems = [line for line in page.console if line.startswith(("exception", "error"))]
    assert not problems, problems


def test_titles_and_narration_read_exactly_as_given(page, lecture):
    _, manifest = lecture
    shown = page.evaluate("""({
        title: document.title,
        h1: document.querySelector("h1").textContent,
        injected: document.querySelectorAll("h1 *, h3 b, h3 i, .what *").length,
        chapters: [...document.querySelectorAll("ol.chapters .what")].map(e => e.textContent),
        scenes: [...document.querySelectorAll(".scene h3")].map(e => e.textContent.trim()),
        beats: [...document.querySelectorAll("ol.script .what")].map(e => e.textContent),
    })""")
    assert shown["title"] == shown["h1"] == LECTURE_TITLE
    assert shown["injected"] == 0
    assert shown["chapters"] == [c["title"] for c in manifest["chapters"]]
    assert shown["scenes"] == [f"{i} {s['title']}" for i, s in enumerate(manifest["scenes"], 1)]
    assert shown["beats"] == [b["text"] for s in manifest["scenes"] for b in s["beats"]]


def test_lecture_video_metadata_loads(page, lecture):
    folder, manifest = lecture
    meta = _metadata(page, "#lecture-video")
    # If this fails with an error, the browser could not play H.264 (canPlay says whether it claims to).
    assert meta["error"] is None and meta["readyState"] >= 1, meta
    assert meta["duration"] == pytest.approx(_probe_duration(folder / "lecture.mp4"), abs=0.05)
    assert meta["duration"] == pytest.approx(manifest["duration"], abs=0.1)
    assert meta["width"] == 320


def test_lecture_captions_track_holds_every_cue(page, lecture):
    _, manifest = lecture
    tracks = page.evaluate("""[...document.querySelector("#lecture-video").textTracks].map(t => ({
        kind: t.kind, language: t.language, label: t.label, mode: t.mode,
        cues: [...t.cues].map(c => ({start: c.startTime, end: c.endTime, text: c.getCueAsHTML().textContent})),
    }))""")
    assert len(tracks) == 1
    track = tracks[0]
    assert (track["kind"], track["language"], track["label"]) == ("captions", "en", "English")
    assert track["mode"] in ("hidden", "showing")
    assert len(track["cues"]) == len(manifest["cues"]) >= 4
    for shown, cue in zip(track["cues"], manifest["cues"]):
        assert shown["start"] == pytest.approx(cue["start"], abs=1e-3)
        assert shown["end"] == pytest.approx(cue["end"], abs=1e-3)
        assert shown["text"] == cue["text"]


def test_each_scene_video_loads_with_its_captions(page, lecture):
    _, manifest = lecture
    for i, scene in enumerate(manifest["scenes"], 1):
        meta = _metadata(page, f"#scene-{i}-video")
        assert meta["error"] is None and meta["readyState"] >= 1, (scene["scene"], meta)
        assert meta["duration"] == pytest.approx(scene["duration"], abs=0.05)
        cues = page.evaluate(f"""[...document.querySelector("#scene-{i}-video").textTracks[0].cues]
                                 .map(c => c.getCueAsHTML().textContent)""")
        assert cues == [c["text"] for c in scene["cues"]]
        poster = page.evaluate(f'document.querySelector("#scene-{i}-video").getAttribute("poster")')
        assert poster == scene["poster"]


SEEK_STATE = """(async (selector, start) => {
  const video = document.querySelector(selector);
  for (let i = 0; i < 100 && (video.seeking || video.currentTime < start - 0.01); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const current = [...document.querySelectorAll(`a.mark.current[data-video="${video.id}"]`)];
  return {time: video.currentTime, paused: video.paused, current: current.map(a => +a.dataset.start),
          ariaCurrent: current.map(a => a.getAttribute("aria-current")),
          strip: document.querySelector(`.caption-strip[data-for="${video.id}"]`).textContent};
})"""


def test_a_chapter_link_seeks_the_lecture_and_plays_it(page, lecture):
    _, manifest = lecture
    chapter = manifest["chapters"][1]
    assert page.evaluate("document.querySelectorAll('a.mark.current').length") == 0, \
        "nothing is highlighted before a video starts"
    page.click('ol.chapters li:nth-child(2) a')
    state = page.evaluate(f"{SEEK_STATE}('#lecture-video', {chapter['start']})")
    assert chapter["start"] - 0.01 <= state["time"] < chapter["start"] + 1.0, state
    assert not state["paused"], "a click on a chapter plays it"
    assert state["current"] == [pytest.approx(chapter["start"], abs=1e-3)]
    assert state["ariaCurrent"] == ["true"]
    # The strip under the video shows the words being said, from the chapter's cues.
    said = {c["text"] for c in manifest["cues"] if chapter["start"] - 1e-3 <= c["start"] < chapter["end"]}
    strip = page.evaluate("""new Promise(r => setTimeout(() => r(document.querySelector(
        '.caption-strip[data-for="lecture-video"]').textContent), 200))""")
    assert strip in said, (strip, said)


def test_a_narration_link_seeks_its_scene_and_pauses_the_lecture(page, lecture):
    _, manifest = lecture
    beat = manifest["scenes"][0]["beats"][1]
    page.click("#scene-1 ol.script li:nth-child(2) a")
    state = page.evaluate(f"{SEEK_STATE}('#scene-1-video', {beat['start']})")
    assert beat["start"] - 0.01 <= state["time"] < beat["start"] + 1.0, state
    assert state["current"] == [pytest.approx(beat["start"], abs=1e-3)]
    assert page.evaluate("document.querySelector('#lecture-video').paused"), "one video plays at a time"
    page.evaluate("document.querySelectorAll('video').forEach(v => v.pause())")


def test_captions_move_onto_the_video_when_chosen_in_the_player_menu(page):
    states = page.evaluate("""(async () => {
        const track = document.querySelector("#lecture-video").textTracks[0];
        const strip = document.querySelector('.caption-strip[data-for="lecture-video"]');
        const tick = () => new Promise(r => setTimeout(r, 50));
        const seen = [];
        for (const mode of ["showing", "disabled"]) {
            track.mode = mode;
            await tick();
            seen.push([track.mode, getComputedStyle(strip).display !== "none"]);
        }
        return seen;
    })()""")
    # Shown on the video: the strip steps aside; turned off: back to the strip.
    assert states == [["showing", False], ["hidden", True]]


def test_the_lecture_plays_with_its_sound(page, lecture):
    _, manifest = lecture
    html = page.evaluate("document.documentElement.outerHTML")
    assert " muted" not in html and "defaultMuted" not in html
    assert "with the narrator's voice" in page.evaluate("document.querySelector('.top').textContent")
    # Chromium has no video.audioTracks (behind a flag) and no mozHasAudio; what
    # it does count is the audio it decoded. A click plays with sound (a page
    # may not start sound on its own), as a student's click on a chapter does.
    page.click("ol.chapters li:nth-child(1) a")
    heard = page.evaluate("""(async () => {
        const video = document.querySelector("#lecture-video");
        await new Promise(r => setTimeout(r, 700));
        const state = {muted: video.muted, volume: video.volume, paused: video.paused,
                       time: video.currentTime, audio: video.webkitAudioDecodedByteCount};
        video.pause();
        return state;
    })()""")
    assert not heard["muted"] and heard["volume"] == 1 and not heard["paused"], heard
    # A 192 kb/s track decodes about 24 kB a second: well over a few hundred bytes.
    assert heard["audio"] > 2000, heard


def test_after_a_chapter_jump_the_strip_shows_the_chapters_first_cue(page, lecture):
    """At a chapter's start the previous chapter's last cue ends exactly where
    the chapter's first begins; the strip shows the one that just began."""
    _, manifest = lecture
    chapter = manifest["chapters"][1]
    first = next(c["text"] for c in manifest["cues"] if c["start"] >= chapter["start"] - 1e-6)
    before = [c["text"] for c in manifest["cues"] if c["end"] == pytest.approx(chapter["start"])]
    assert before and before[0] != first
    shown = page.evaluate(f"""(async () => {{
        const video = document.querySelector("#lecture-video");
        video.pause();
        const seeked = new Promise(r => video.addEventListener("seeked", r, {{once: true}}));
        video.currentTime = {chapter["start"]};
        await seeked;
        await new Promise(r => setTimeout(r, 300));      // cuechange comes after the seek
        const strip = document.querySelector('.caption-strip[data-for="lecture-video"]');
        return {{strip: strip.textContent, active: [...video.textTracks[0].activeCues].length}};
    }})()""")
    assert shown["strip"] == first, shown


def test_a_paused_player_shows_all_of_its_poster(page, lecture):
    """The scenes write their caption line at the bottom of the picture: the
    paused player's controls must not cover it (they get a band below)."""
    import base64
    import io

    import numpy as np
    from PIL import Image
    folder, manifest = lecture
    page.open((folder / "index.html").as_uri())          # unplayed: each player shows its poster
    page.set_viewport(1280, 900)
    box = page.evaluate("""(async () => {
        const video = document.querySelector("#lecture-video");
        video.scrollIntoView({block: "center"});
        await new Promise(r => setTimeout(r, 500));
        const r = video.getBoundingClientRect();
        return {x: r.left, y: r.top, width: r.width, height: r.height};
    })()""")
    picture_h = box["width"] * 9 / 16
    assert box["height"] == pytest.approx(picture_h + CONTROLS_BAND, abs=1.5), box
    shot = page.call("Page.captureScreenshot", session=True, format="png",
                     clip={"x": box["x"], "y": box["y"], "width": box["width"],
                           "height": box["height"], "scale": 1})
    seen = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    seen.save(folder / "paused_player.png")
    with contextlib.suppress(OSError):
        shutil.copy(folder / "paused_player.png", SCREENSHOT_COPIES / "lecture_page_paused_player.png")
    size = (64, 36)      # compared small: the browser's and PIL's scaling differ in detail
    shown = np.asarray(seen.crop((0, 0, seen.width, round(picture_h))).resize(size, Image.BILINEAR), float)
    with Image.open(folder / manifest["poster"]) as poster:
        expected = np.asarray(poster.convert("RGB").resize(size, Image.BILINEAR), float)
    bottom = slice(round(size[1] * 0.8), size[1])        # the caption line's rows
    assert np.abs(shown[bottom] - expected[bottom]).mean() < 8, \
        np.abs(shown[bottom] - expected[bottom]).mean()
    # ...and the controls are there, in their band under the picture.
    band = np.asarray(seen.crop((0, round(picture_h) + 2, seen.width, seen.height)), float)
    assert band.max() > 150, "no controls drawn under the picture"


def _screenshot(page, lecture, name: str) -> Path:
    folder, _ = lecture
    page.evaluate("""(async () => {
        document.querySelectorAll('video').forEach(v => v.pause());
        window.scrollTo(0, 0);
        await new Promise(r => setTimeout(r, 300));   // the players' loading spinners fade
    })()""")
    shot = page.screenshot(folder / name, full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    try:
        shutil.copy(shot, SCREENSHOT_COPIES / name)    # to look at after the run
    except OSError:
        pass
    return shot


def test_screenshot_on_a_laptop(page, lecture):
    page.set_viewport(1280, 900)
    _screenshot(page, lecture, "lecture_page_laptop.png")


def test_the_page_fits_a_phone(page, lecture):
    page.set_viewport(390, 844, scale=2, mobile=True)
    try:
        layout = page.evaluate("""({
            overflow: document.documentElement.scrollWidth - window.innerWidth,
            video: document.querySelector('#lecture-video').getBoundingClientRect().width,
            chaptersBelow: document.querySelector('.chapter-panel').getBoundingClientRect().top >=
                           document.querySelector('#lecture-video').getBoundingClientRect().bottom,
        })""")
        assert layout["overflow"] <= 0, layout
        assert layout["video"] >= 340 and layout["chaptersBelow"], layout
        _screenshot(page, lecture, "lecture_page_phone.png")
    finally:
        page.set_viewport(1280, 900)


def test_the_page_links_the_explorer_only_when_it_was_built(lecture):
    _folder, manifest = lecture
    assert "explorer" not in manifest
    without = render_page(manifest)
    assert "Try it yourself" not in without and "explorer/" not in without
    links = _Links()
    links.feed(render_page({**manifest, "explorer": "explorer/index.html"}))
    assert "explorer/index.html" in links.urls


def test_the_page_accents_are_the_scenes_colours():
    from src.palette import COLORS
    from src.publish.page import CSS
    for variable, role in (("--blue", "input"), ("--blue-e", "parameter"), ("--green", "operation"),
                           ("--orange", "activation"), ("--red", "gradient")):
        assert f"{variable}: {COLORS[role].lower()};" in CSS, variable
