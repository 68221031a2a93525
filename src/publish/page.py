"""index.html: the lecture and its scenes on one page that works offline.

    write_page(folder, manifest)        # -> folder / "index.html"

The manifest (see build.py) names files relative to `folder`: the lecture's
video, poster and captions, its chapters and cues, and the same for every
scene, with the scene's narration beats. The page needs nothing outside the
folder (no network, no CDN) and works opened from disk (file://).

Captions from disk: Chromium refuses `<track src="x.vtt">` on a file:// page
(every file URL is its own origin), so the cues are embedded in the page as
JSON and a small script attaches them to each video as a text track
(addTextTrack + VTTCue); the .vtt files stay as download links for lecturers.
The track is "hidden" at first and the page shows the current cue in a strip
under the video, because the scenes draw formulas down to their bottom edge
and captions drawn over the picture would cover them. Choosing "English" in
the player's captions menu (e.g. in full screen) draws them over the video
as usual, and the strip steps aside. At a cue boundary (a chapter's start,
say) a browser may count the cue that ends there as active too: the strip
shows the active cue that started last.

The player's controls get a band of their own under the picture (the video
box is the picture plus CONTROLS_BAND, the picture at its top), so a paused
player never covers the bottom of a poster, where the scenes write their
caption line. The videos play with their sound: nothing is muted.

Everything the manifest says is data: every text is HTML-escaped, the JSON
island cannot close its <script>, and a path that leaves the folder (a URL,
an absolute path, "..") is refused.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

from src.palette import COLORS

__all__ = ["render_page", "write_page", "PageError"]

RESOLUTION = {"low": "480p", "medium": "720p", "high": "1080p", "4k": "2160p"}
# Chromium's control bar (buttons and timeline) is 72 CSS px tall, measured
# in Chromium 156; its shading gradient is switched off below.
CONTROLS_BAND = 72


class PageError(ValueError):
    pass


# -- small pieces ----------------------------------------------------------------

def _text(value) -> str:
    """Text for HTML content or a quoted attribute."""
    return escape(str(value), quote=True)


def _local(path: str) -> str:
    """A URL for a file inside the page's folder (refuses anything else)."""
    path = str(path)
    parts = urlsplit(path)
    pure = PurePosixPath(path)
    if (not path or parts.scheme or parts.netloc or path.startswith(("/", "\\"))
            or ".." in pure.parts or "\\" in path):
        raise PageError(f"the page only links files inside its folder, not {path!r}")
    return _text(quote(path, safe="/"))


def _clock(seconds: float) -> str:
    """0:07, 1:31, 1:02:05."""
    total = int(seconds + 1e-6)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _json_island(data) -> str:
    """JSON that is safe inside <script type="application/json">."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def _cues(cues) -> list[dict]:
    return [{"start": round(float(c["start"]), 3), "end": round(float(c["end"]), 3),
             "text": str(c["text"])} for c in cues]


def _downloads(links: list[tuple[str, str | None]]) -> str:
    items = [f'<a href="{_local(path)}" download>{_text(label)}</a>'
             for label, path in links if path]
    return f'<p class="downloads"><span>Files:</span> {" ".join(items)}</p>'


def _video(ident: str, entry: dict, label: str, indent: str) -> str:
    """The player and, under it, the strip that shows its captions."""
    poster = f' poster="{_local(entry["poster"])}"' if entry.get("poster") else ""
    return (f'<div class="screen"><video id="{ident}" src="{_local(entry["video"])}"{poster} '
            f'controls preload="metadata" playsinline data-cues="{ident}" '
            f'aria-label="{_text(label)}"></video></div>\n'
            f'{indent}<p class="caption-strip" data-for="{ident}" aria-hidden="true"></p>')


def _marks(video_id: str, video_file: str, spans: list[tuple[float, float, str]],
           numbered: bool, css: str) -> str:
    """Links that seek `video_id` to a time; the current one is highlighted."""
    items = []
    for i, (start, end, text) in enumerate(spans, 1):
        number = f'<span class="num">{i}</span>' if numbered else ""
        items.append(
            f'<li><a class="mark" href="{_local(video_file)}#t={start:.3f}" data-video="{video_id}" '
            f'data-start="{start:.3f}" data-end="{end:.3f}">{number}'
            f'<span class="what">{_text(text)}</span>'
            f'<time datetime="PT{start:.3f}S">{_clock(start)}</time></a></li>')
    return f'<ol class="{css}">\n' + "\n".join(items) + "\n</ol>"


def _embed_snippet(scene: dict) -> str:
    lines = [f'<video src="{scene["video"]}" controls preload="metadata"']
    if scene.get("poster"):
        lines.append(f'       poster="{scene["poster"]}"')
    lines[-1] += ">"
    if scene.get("captions"):
        lines += ['  <track kind="captions" srclang="en" label="English"',
                  f'         src="{scene["captions"]}">']
    code = "\n".join(lines + ["</video>"])
    return ('<details class="embed"><summary>Embed this scene</summary>'
            f'<pre><code>{_text(code)}</code></pre>'
            '<p>Served from a web site, the <code>&lt;track&gt;</code> shows the captions; '
            'copy the .mp4, .vtt and poster next to your page.</p></details>')


def _scene_section(index: int, scene: dict) -> str:
    ident = f"scene-{index}"
    duration = float(scene.get("duration") or 0)
    beats = scene.get("beats") or []
    spans = []
    for i, beat in enumerate(beats):
        end = float(beats[i + 1]["start"]) if i + 1 < len(beats) else duration
        spans.append((float(beat["start"]), end, beat["text"]))
    script = (_marks(f"{ident}-video", scene["video"], spans, numbered=False, css="script")
              if spans else '<p class="muted">This scene has no narration.</p>')
    downloads = _downloads([("Video (.mp4)", scene["video"]), ("Captions (.vtt)", scene.get("captions")),
                            ("Captions (.srt)", scene.get("srt")), ("Script (.txt)", scene.get("script")),
                            ("Poster (.png)", scene.get("poster"))])
    return f"""
<article class="scene" id="{ident}" aria-labelledby="{ident}-title">
  <header>
    <h3 id="{ident}-title"><span class="num">{index}</span> {_text(scene["title"])}</h3>
    <p class="muted"><code>{_text(scene["scene"])}</code> · {_clock(duration)}</p>
  </header>
  <div class="scene-body">
    <div class="scene-player">
      {_video(f"{ident}-video", scene, scene["title"], " " * 6)}
      {downloads}
      {_embed_snippet(scene)}
    </div>
    <section class="notes" aria-label="Narration of {_text(scene["title"])}">
      <h4>Narration <span class="muted">· speaker notes; a time plays from there</span></h4>
      {script}
    </section>
  </div>
</article>"""


# -- the page --------------------------------------------------------------------

def _explorer_section(page: str | None) -> str:
    """A link to the explorer beside the lecture, when it was built."""
    if not page:
        return ""
    return f"""<section class="explorer" aria-labelledby="explorer-title">
  <h2 id="explorer-title">Try it yourself: the explorer</h2>
  <p><a href="{_local(page)}">Open the explorer</a>: the lecture's ideas in the browser,
  computed by the same engine. Step a backward pass node by node, look inside a neuron,
  train a network on moons, or type your own expression. It runs Python in the page, so it
  needs a web server: <code>make serve</code> (or <code>python3 -m http.server</code> in this
  folder), then open <code>http://127.0.0.1:8000/explorer/</code>.</p>
</section>
"""


def render_page(manifest: dict) -> str:
    """The page's HTML for a lecture manifest (see the module's docstring)."""
    title = str(manifest["title"])
    scenes = list(manifest.get("scenes") or [])
    chapters = list(manifest.get("chapters") or [])
    duration = float(manifest.get("duration") or 0)
    quality = str(manifest.get("quality") or "")

    cue_data = {"lecture-video": _cues(manifest.get("cues") or [])}
    for i, scene in enumerate(scenes, 1):
        cue_data[f"scene-{i}-video"] = _cues(scene.get("cues") or [])

    facts = [f"{len(chapters)} chapters", _clock(duration)]
    if quality:
        facts.append(f"{RESOLUTION.get(quality, quality)} ({quality} quality)")
    if "sound" in manifest:
        facts.append("with the narrator's voice" if manifest["sound"] else "silent (VOICE=off)")
    if manifest.get("generated"):
        facts.append(f"made {manifest['generated']}")
    chapter_spans = [(float(c["start"]), float(c["end"]), c["title"]) for c in chapters]
    chapter_list = (_marks("lecture-video", manifest["video"], chapter_spans, numbered=True,
                           css="chapters") if chapters else "")
    downloads = _downloads([("Lecture (.mp4)", manifest["video"]),
                            ("Captions (.vtt)", manifest.get("captions")),
                            ("Captions (.srt)", manifest.get("srt")),
                            ("Script (.txt)", manifest.get("script")),
                            ("Contact sheet (.png)", manifest.get("contact_sheet"))])
    scene_sections = "\n".join(_scene_section(i, s) for i, s in enumerate(scenes, 1))
    lecture = {"video": manifest["video"], "poster": manifest.get("poster")}

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>{_text(title)}</title>
<style>
{CSS}
</style>
</head>
<body>
<header class="top">
  <p class="eyebrow">Animated lecture</p>
  <h1>{_text(title)}</h1>
  <p class="muted">{_text(" · ".join(facts))}</p>
  <div class="palette" aria-hidden="true"><i></i><i></i><i></i><i></i><i></i></div>
</header>

<main>
<section class="lecture" aria-label="The lecture">
  <div class="player">
    {_video("lecture-video", lecture, title, " " * 4)}
    {downloads}
    <noscript><p class="muted">Captions on this page need JavaScript; the .vtt file has them.</p></noscript>
  </div>
  <nav class="chapter-panel" aria-label="Chapters">
    <h2>Chapters</h2>
    {chapter_list}
  </nav>
</section>

{_explorer_section(manifest.get("explorer"))}
<section class="scenes" aria-labelledby="scenes-title">
  <h2 id="scenes-title">The scenes, one by one</h2>
  <p class="muted intro">Each chapter is also a video of its own with its captions, to embed
  scene by scene. Its narration is the script: a lecturer can read it as speaker notes.</p>
  {scene_sections}
</section>
</main>

<footer class="muted">Captions and narration come from the scenes themselves; the pictures are
drawn from a small scalar autograd engine.</footer>

<script type="application/json" id="cues">{_json_island(cue_data)}</script>
<script>
{SCRIPT}
</script>
</body>
</html>
"""


def write_page(folder: Path, manifest: dict) -> Path:
    """Write folder/index.html for the manifest; returns its path."""
    path = Path(folder) / "index.html"
    path.write_text(render_page(manifest), encoding="utf-8")
    return path


# -- style and behaviour (plain CSS and JavaScript, no library) -------------------

# The page is dark like the video's own background (#333), with the scenes'
# colours (src/palette.py) as accents: blue for what you can act on, and the palette's five
# roles (input, parameter, operation, activation, gradient) as a thin rule.
CSS = """
:root {
  --bg: #18191c; --panel: #212328; --panel-hi: #2a2d33; --line: #34373e;
  --text: #e8e6e3; --muted: #a2a7af;
  --blue: INPUT; --blue-e: PARAMETER; --green: OPERATION; --orange: ACTIVATION; --red: GRADIENT;
  --radius: 10px; --controls-band: CONTROLS_BANDpx;
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--text); }
body {
  margin: 0 auto; max-width: 1240px; padding: 0 clamp(12px, 3vw, 32px) 32px;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
h1, h2, h3, h4 { line-height: 1.25; margin: 0; font-weight: 600; }
h1 { font-size: clamp(1.5rem, 3.2vw, 2.2rem); }
h2 { font-size: 1.2rem; }
h3 { font-size: 1.1rem; display: flex; gap: .6em; align-items: baseline; }
h4 { font-size: .95rem; margin-bottom: .5rem; }
p { margin: .3rem 0; }
a { color: var(--blue); }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .88em; }
.muted { color: var(--muted); font-weight: normal; }
.eyebrow { color: var(--blue); text-transform: uppercase; letter-spacing: .12em; font-size: .75rem; margin: 0; }

.top { padding: 28px 0 18px; }
.palette { display: flex; gap: 4px; margin-top: 14px; max-width: 220px; }
.palette i { flex: 1; height: 4px; border-radius: 2px; }
.palette i:nth-child(1) { background: var(--blue); }
.palette i:nth-child(2) { background: var(--blue-e); }
.palette i:nth-child(3) { background: var(--green); }
.palette i:nth-child(4) { background: var(--orange); }
.palette i:nth-child(5) { background: var(--red); }

.lecture { display: grid; grid-template-columns: minmax(0, 2.2fr) minmax(260px, 1fr); gap: 20px; align-items: start; }
.screen {
  background: #000; border-radius: var(--radius); overflow: hidden; box-shadow: 0 6px 24px rgba(0, 0, 0, .45);
  container-type: inline-size;
}
/* The picture (16:9) at the top, the player's controls in a band of their own under it. */
video {
  display: block; width: 100%; height: calc(100cqw * 9 / 16 + var(--controls-band)); background: #000;
  object-fit: contain; object-position: 50% 0;
}
video::-webkit-media-controls-panel { background-image: none; }
.caption-strip {
  min-height: calc(2 * 1.45em + 16px); margin: 8px 0 0; padding: 8px 14px;
  background: var(--panel); border-radius: var(--radius); text-align: center;
  font-size: 1.02rem; line-height: 1.45; white-space: pre-line;
}
.caption-strip:empty::before { content: "Captions show here while the video plays."; color: var(--muted); font-size: .85rem; }
.caption-strip.off { display: none; }
.downloads { font-size: .88rem; color: var(--muted); display: flex; flex-wrap: wrap; gap: .3em 1em; margin-top: 10px; }
.downloads a { text-decoration: none; border-bottom: 1px solid var(--blue-e); }
.downloads a:hover { border-bottom-color: var(--blue); }

.chapter-panel { background: var(--panel); border-radius: var(--radius); padding: 14px 10px 10px; }
.chapter-panel h2 { padding: 0 8px 8px; font-size: 1rem; color: var(--muted); text-transform: uppercase; letter-spacing: .08em; }
ol.chapters, ol.script { list-style: none; margin: 0; padding: 0; }
a.mark {
  position: relative; display: flex; gap: .75em; align-items: baseline; padding: 8px 10px;
  border-radius: 8px; color: var(--text); text-decoration: none; border-left: 3px solid transparent;
}
a.mark:hover, a.mark:focus-visible { background: var(--panel-hi); outline: none; }
a.mark:focus-visible { box-shadow: 0 0 0 2px var(--blue-e); }
a.mark .what { flex: 1; }
a.mark time { color: var(--muted); font-variant-numeric: tabular-nums; font-size: .88rem; }
.num {
  flex: none; display: inline-grid; place-items: center; min-width: 1.6em; height: 1.6em;
  border-radius: 50%; border: 1.5px solid var(--blue-e); color: var(--blue);
  font-size: .8rem; font-variant-numeric: tabular-nums; align-self: center;
}
a.mark.current { background: var(--panel-hi); border-left-color: var(--blue); }
a.mark.current .num { background: var(--blue); border-color: var(--blue); color: #10242b; }
a.mark.current time { color: var(--blue); }
a.mark.current::after {
  content: ""; position: absolute; left: 10px; bottom: 3px; height: 2px; border-radius: 1px;
  width: calc((100% - 20px) * var(--done, 0)); background: var(--blue-e);
}

.scenes, .explorer { margin-top: 44px; }
.scenes > .intro { max-width: 60em; margin-bottom: 18px; }
.scene { background: var(--panel); border-radius: var(--radius); padding: 18px; margin-top: 18px; }
.scene header { margin-bottom: 12px; }
.scene-body { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 20px; align-items: start; }
.scene .caption-strip { background: var(--bg); font-size: .95rem; }
.notes { background: var(--bg); border-radius: var(--radius); padding: 12px 8px; }
.notes h4 { padding: 0 10px; }
ol.script a.mark { padding: 6px 10px; font-size: .95rem; }
ol.script a.mark time { order: -1; min-width: 2.8em; }
.embed { margin-top: 8px; font-size: .88rem; color: var(--muted); }
.embed summary { cursor: pointer; color: var(--blue); }
.embed pre { background: var(--bg); padding: 10px; border-radius: 8px; overflow-x: auto; color: var(--text); }

footer { margin-top: 36px; padding-top: 14px; border-top: 1px solid var(--line); font-size: .85rem; }

@media (max-width: 860px) {
  .lecture, .scene-body { grid-template-columns: minmax(0, 1fr); }
  .scene { padding: 12px; }
}
""".strip().replace("CONTROLS_BAND", str(CONTROLS_BAND))
for _role in ("input", "parameter", "operation", "activation", "gradient"):   # src/palette.py
    CSS = CSS.replace(_role.upper(), COLORS[_role].lower())

SCRIPT = r"""
"use strict";
// Captions: the cues are embedded above (a file:// page may not load .vtt
// files); each video gets an English text track built from them.
const cueData = JSON.parse(document.getElementById("cues").textContent);
const cueMarkup = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

for (const video of document.querySelectorAll("video[data-cues]")) {
  const track = video.addTextTrack("captions", "English", "en");
  for (const cue of cueData[video.dataset.cues] || []) {
    track.addCue(new VTTCue(cue.start, cue.end, cueMarkup(cue.text)));
  }
  // Hidden: the strip under the video shows the words without covering the
  // picture; picking the track in the player's menu shows them on it.
  track.mode = "hidden";
  const strip = document.querySelector(`.caption-strip[data-for="${video.id}"]`);
  const showCue = () => {
    // At a boundary the cue that ends there may still count as active: show the latest.
    let active = null;
    for (const cue of track.activeCues || []) {
      if (!active || cue.startTime > active.startTime) active = cue;
    }
    strip.textContent = active ? active.getCueAsHTML().textContent : "";
  };
  track.addEventListener("cuechange", showCue);
  video.textTracks.addEventListener("change", () => {
    if (track.mode === "disabled") track.mode = "hidden";   // "off" in the menu: back to the strip
    strip.classList.toggle("off", track.mode === "showing");
  });
}

// Only one video plays at a time.
const videos = [...document.querySelectorAll("video")];
for (const video of videos) {
  video.addEventListener("play", () => {
    for (const other of videos) if (other !== video) other.pause();
  });
}

// Chapter and narration links seek their video and play from there; once the
// video has started, the one that holds the current time is highlighted, with
// how far it has played.
for (const video of videos) {
  const marks = [...document.querySelectorAll(`a.mark[data-video="${video.id}"]`)];
  if (!marks.length) continue;
  const update = () => {
    const t = video.currentTime;
    const started = t > 0 || !video.paused || video.played.length > 0;  // nothing lit before
    for (const mark of marks) {
      const start = +mark.dataset.start, end = +mark.dataset.end;
      const here = started && t >= start && (t < end || (end >= video.duration - 0.05 && t <= end + 0.05));
      mark.classList.toggle("current", here);
      if (here) {
        mark.setAttribute("aria-current", "true");
        mark.style.setProperty("--done", Math.min(1, (t - start) / Math.max(end - start, 1e-3)).toFixed(3));
      } else {
        mark.removeAttribute("aria-current");
      }
    }
  };
  for (const event of ["timeupdate", "seeked", "loadedmetadata"]) video.addEventListener(event, update);
  for (const mark of marks) {
    mark.addEventListener("click", (event) => {
      event.preventDefault();
      video.currentTime = +mark.dataset.start;
      const box = video.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        video.scrollIntoView({block: "center", behavior: "smooth"});
      }
      video.play().catch(() => {});   // a browser may refuse; the seek stands
      update();
    });
  }
}
""".strip()
