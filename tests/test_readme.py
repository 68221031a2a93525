"""Every command and snippet in README.md works as written.

The README's fenced blocks are read from the file itself, so an edited
README is tested as it now reads. Each bash line must be listed in COMMANDS
with the way it is proved (a new line without a test fails
`test_every_readme_command_has_a_test`). Commands that write files run in a
scratch copy of the project's layout (symlinks to the real .venv, config and
scene file), so a test never overwrites a lecturer's own videos.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV_BIN = ROOT / ".venv" / "bin"


def fenced_blocks(text: str) -> list:
    """(language, body) of every ``` block, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S)]


def bash_commands() -> list:
    """Every command line of the README's bash blocks, comments stripped."""
    lines = []
    for lang, body in fenced_blocks(README):
        if lang != "bash":
            continue
        for line in body.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def python_block(marker: str) -> str:
    blocks = [body for lang, body in fenced_blocks(README) if lang == "python" and marker in body]
    assert len(blocks) == 1, f"expected one python block containing {marker!r}"
    return blocks[0]


def scratch_project(tmp_path: Path) -> Path:
    """A folder laid out like the project root, for commands that write files."""
    for name in (".venv", "custom_config.yml", "01_autograd_visualization.py"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def run(command: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    result = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-3000:])
    return result


def png_pixels(path: Path) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(path).convert("RGB"))


# How each README command is proved. Keys are the commands exactly as written.
COMMANDS = {
    "make test": "test_make_targets_expand_as_documented",
    "make check": "test_make_targets_expand_as_documented (and CI runs it)",
    "make video": "test_make_targets_expand_as_documented",
    "make video QUALITY=low": "test_make_targets_expand_as_documented",
    'make video QUALITY=low SCENES="ChainRuleScene SummaryScene"': "test_make_targets_expand_as_documented",
    "make frame SCENES=SummaryScene": "test_make_frame_writes_the_last_frame",
    "VOICE=off make video QUALITY=low SCENES=SummaryScene": "test_voice_off_renders_the_same_frames_without_sound",
    "make lecture QUALITY=low": "test_make_targets_expand_as_documented + tests/test_lecture_build.py"
                                " + test_make_lecture_and_slides_on_the_real_scenes",
    "make lecture": "test_make_targets_expand_as_documented + tests/test_lecture_build.py",
    "make lecture QUALITY=low JOBS=1": "test_make_targets_expand_as_documented + tests/test_lecture_build.py",
    "make slides QUALITY=low": "test_make_targets_expand_as_documented + tests/test_slides.py"
                               " + test_make_lecture_and_slides_on_the_real_scenes",
    "make slides": "test_make_targets_expand_as_documented + tests/test_slides.py",
    'make explain EXPR="tanh(x*w + b)" VALUES="x=2 w=-1.5 b=0.5" QUALITY=low': "test_explain_commands_write_videos",
    '.venv/bin/python -m src.cli.explain "x*x + x" x=3 --quality low': "test_explain_commands_write_videos",
    "xvfb-run -a .venv/bin/manimgl my_expression.py SharedInput -w -s -l": "test_own_expression_through_the_manimgl_cli",
    "xvfb-run -a .venv/bin/manimgl 01_autograd_visualization.py SummaryScene -w -l": "test_manimgl_writes_a_video",
    "xvfb-run -a .venv/bin/manimgl 01_autograd_visualization.py SummaryScene -w -s": "test_manimgl_writes_the_last_frame",
    "xvfb-run -a .venv/bin/manimgl my_lecture.py BackwardPassOtherNumbers -w -s -l": "test_own_numbers_through_the_manimgl_cli",
    ".venv/bin/python benchmarks/engine_vs_micrograd.py": "test_benchmark_runs_and_agrees",
    "git show 1f83817:src/autograd.py > /tmp/autograd_previous.py": "test_baseline_benchmark_runs_as_written",
    ".venv/bin/python benchmarks/engine_vs_micrograd.py --baseline /tmp/autograd_previous.py":
        "test_baseline_benchmark_runs_as_written",
    ".venv/bin/python benchmarks/forward_vs_reverse.py": "test_forward_vs_reverse_benchmark_runs_as_written",
    ".venv/bin/python benchmarks/checkpointing.py": "test_checkpointing_benchmark_runs_as_written",
    ".venv/bin/python benchmarks/render_speed.py": "test_render_benchmark_measures_both_qualities",
    ".venv/bin/python benchmarks/render_speed.py --scene SummaryScene --qualities low --check-frames":
        "test_render_benchmark_finds_identical_frames",
    "make explorer QUALITY=low": "test_explorer_commands_build_and_serve + tests/test_explorer.py",
    "make serve QUALITY=low": "test_explorer_commands_build_and_serve",
    "cd videos/low/explorer && python3 -m http.server 8000 --bind 127.0.0.1":
        "test_explorer_commands_build_and_serve",
}


def test_every_readme_command_has_a_test():
    commands = bash_commands()
    assert commands, "no bash blocks found in README.md"
    untested = [c for c in commands if c not in COMMANDS]
    assert not untested, f"README commands without a test: {untested}"
    stale = [c for c in COMMANDS if c not in commands]
    assert not stale, f"tested commands no longer in the README: {stale}"


def test_make_targets_expand_as_documented():
    expected = {
        "make test": '-m pytest -n auto --dist loadgroup -m "not slow"',
        "make check": "-m pytest -n auto --dist loadgroup",
        "make video": "-m src.cli.video --quality high",
        "make video QUALITY=low": "-m src.cli.video --quality low",
        'make video QUALITY=low SCENES="ChainRuleScene SummaryScene"':
            "-m src.cli.video --quality low --scenes ChainRuleScene SummaryScene",
        "make lecture QUALITY=low": "-m src.cli.lecture --quality low",
        "make lecture": "-m src.cli.lecture --quality high",
        "make lecture QUALITY=low JOBS=1": "-m src.cli.lecture --quality low --jobs 1",
        "make slides QUALITY=low": "-m src.cli.slides --quality low",
        "make slides": "-m src.cli.slides --quality high",
    }
    env = {k: v for k, v in os.environ.items() if k not in ("QUALITY", "SCENES", "FRAME", "JOBS")}
    for command, wanted in expected.items():
        argv = ["make", "-n", "-o", ".venv/.installed", *shlex.split(command)[1:]]
        out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env,
                             stdin=subprocess.DEVNULL, timeout=60)
        assert out.returncode == 0, (command, out.stderr)
        assert wanted in out.stdout, (command, out.stdout)
        if ("lecture" in command or "slides" in command) and "JOBS" not in command:   # default: one job per core
            assert "--jobs" not in out.stdout, (command, out.stdout)
        if command == "make check":      # everything: the slow tests are not left out
            assert "not slow" not in out.stdout, out.stdout
    # CI runs the whole suite, as the README says
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make check$", ci, re.M), ci
    # the scene names the README passes are real scenes, in the lecture's order
    listed = subprocess.run([sys.executable, "-m", "src.cli.video", "--list"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60).stdout.split()
    assert {"ChainRuleScene", "SummaryScene"} <= set(listed)


def test_make_frame_writes_the_last_frame():
    png = ROOT / "videos" / "frames" / "SummaryScene.png"
    before = png.stat().st_mtime if png.exists() else None
    run("make frame SCENES=SummaryScene", ROOT)
    assert png.exists() and png.stat().st_mtime != before
    assert png_pixels(png).std() > 5


@pytest.mark.slow
def test_manimgl_writes_a_video(tmp_path):
    project = scratch_project(tmp_path)
    run("xvfb-run -a .venv/bin/manimgl 01_autograd_visualization.py SummaryScene -w -l", project)
    video = project / "videos" / "SummaryScene.mp4"
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=height",
                            "-show_entries", "format=duration", "-of", "default=nw=1", str(video)],
                           capture_output=True, text=True, check=True).stdout
    assert "height=480" in probe
    assert 14 < float(re.search(r"duration=([\d.]+)", probe).group(1)) < 26


# make check: make test renders the same last frame through the same CLI
# (test_make_frame_writes_the_last_frame: make frame runs manimgl -s)
@pytest.mark.slow
def test_manimgl_writes_the_last_frame(tmp_path):
    project = scratch_project(tmp_path)
    run("xvfb-run -a .venv/bin/manimgl 01_autograd_visualization.py SummaryScene -w -s", project)
    assert png_pixels(project / "videos" / "SummaryScene.png").std() > 5


def test_own_numbers_through_the_manimgl_cli(tmp_path):
    project = scratch_project(tmp_path)
    (project / "my_lecture.py").write_text(python_block("# my_lecture.py"))
    command = next(c for c in bash_commands() if "my_lecture.py" in c)
    run(command, project)
    image = png_pixels(project / "videos" / "BackwardPassOtherNumbers.png")
    assert image.std() > 5


@pytest.mark.slow
def test_explain_commands_write_videos():
    """Both explain commands render as written, with captions, from the project root."""
    written = {
        "make explain": ROOT / "videos" / "explain" / "low" / "tanh-x-mul-w-plus-b__x2_w-1.5_b0.5.mp4",
        "src.cli.explain": ROOT / "videos" / "explain" / "low" / "x-mul-x-plus-x__x3.mp4",
    }
    for key, video in written.items():
        command = next(c for c in bash_commands() if key in c)
        before = video.stat().st_mtime_ns if video.exists() else None
        run(command, ROOT)
        assert video.is_file() and video.stat().st_mtime_ns != before, command
        assert video.with_suffix(".vtt").read_text().startswith("WEBVTT"), command
    # Bad input: one line naming the problem, a non-zero exit, no video.
    bad = subprocess.run(["make", "-s", "explain", "EXPR=log(x)", "VALUES=x=-1", "QUALITY=low"],
                         cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=300)
    assert bad.returncode != 0 and "log" in bad.stderr and "Traceback" not in bad.stderr
    assert not list((ROOT / "videos" / "explain").glob("**/log-x*"))


# make check: make test runs the explainer scene in-process on many
# expressions (tests/test_explain_scene.py) and a subclass through the CLI
# (test_own_numbers_through_the_manimgl_cli)
@pytest.mark.slow
def test_own_expression_through_the_manimgl_cli(tmp_path):
    project = scratch_project(tmp_path)
    (project / "my_expression.py").write_text(python_block("# my_expression.py"))
    command = next(c for c in bash_commands() if "my_expression.py" in c)
    run(command, project)
    assert png_pixels(project / "videos" / "SharedInput.png").std() > 5


def test_every_picture_the_readme_shows_exists():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    # the last frame of every scene, the lecture's contact sheet, an explainer frame,
    # the explorer's page
    assert len(pictures) == 10 and "docs/images/lecture_contact_sheet.png" in pictures
    assert "docs/images/explain_tanh_neuron.png" in pictures
    assert "docs/images/explorer.png" in pictures
    missing = [p for p in pictures if not (ROOT / p).is_file()]
    assert not missing, f"README shows pictures that are not in the repository: {missing}"
    blank = [p for p in pictures if png_pixels(ROOT / p).std() < 5]
    assert not blank, f"README shows blank pictures: {blank}"


def engine_section_blocks() -> list:
    """The python blocks of the README's "## The engine" section."""
    section = re.search(r"^## The engine\n(.*?)(?=^## )", README, re.S | re.M).group(1)
    return [body for lang, body in fenced_blocks(section) if lang == "python"]


def engine_section_outputs() -> list:
    """(python block, the ```text block right after it or None), in the engine section."""
    section = re.search(r"^## The engine\n(.*?)(?=^## )", README, re.S | re.M).group(1)
    pairs = []
    for m in re.finditer(r"```python\n(.*?)```\n(?:\n```text\n(.*?)```)?", section, re.S):
        pairs.append((m.group(1), m.group(2)))
    return pairs


def promised_lines(code: str) -> list:
    """What `print(...)  # text` lines say they print, in order."""
    return [m.group(1).strip() for m in re.finditer(r"^\s*print\(.*\)\s+#\s*(.+)$", code, re.M)]


def test_engine_section_has_snippets_that_promise_output():
    blocks = engine_section_blocks()
    assert len(blocks) >= 6, "the engine section shows each idea in a few lines of code"
    assert all(promised_lines(code) for code in blocks), "every snippet says what it prints"


@pytest.mark.parametrize("index", range(len(engine_section_blocks())))
def test_engine_snippet_prints_what_it_says(index, monkeypatch):
    """Each snippet runs from the project root and prints, line for line, what its comments say."""
    code = engine_section_blocks()[index]
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README.md (engine snippet {index + 1})", "exec"), {"__name__": "readme"})
    printed = [line.strip() for line in out.getvalue().splitlines()]
    position = 0
    for promise in promised_lines(code):
        assert promise in printed[position:], (promise, printed)
        position = printed.index(promise, position) + 1
    shown = dict(engine_section_outputs()).get(code)
    if shown is not None:  # a ```text block under the snippet shows its output verbatim
        assert shown in out.getvalue(), (shown, out.getvalue())


@pytest.mark.slow
def test_benchmark_runs_and_agrees():
    if shutil.which(str(VENV_BIN / "python")) is None:
        pytest.skip("no .venv: run `make test`")
    result = run(".venv/bin/python benchmarks/engine_vs_micrograd.py", ROOT, timeout=900)
    assert "FAIL" not in result.stdout + result.stderr
    assert re.search(r"max \|ours - micrograd\|.*: (\d\.\d+e[-+]\d+)", result.stdout)


@pytest.mark.slow
def test_baseline_benchmark_runs_as_written():
    """The two README lines in a shell, as a lecturer pastes them (git history needed)."""
    lines = [c for c in bash_commands() if "autograd_previous.py" in c]
    assert len(lines) == 2 and lines[0].startswith("git show")
    result = subprocess.run(["bash", "-c", " && ".join(lines)], cwd=ROOT, capture_output=True,
                            text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    out = result.stdout
    assert "max |loss difference| 0.000e+00" in out
    rows = out[out.index("phase medians (ms)"):].splitlines()[1:3]
    (_, new_backward), (_, old_backward) = (map(float, r.split()[-2:]) for r in rows)
    assert new_backward > 0 and old_backward > 0


@pytest.mark.slow
def test_forward_vs_reverse_benchmark_runs_as_written():
    out = run(".venv/bin/python benchmarks/forward_vs_reverse.py", ROOT, timeout=600).stdout
    assert "crossover (a): reverse mode is faster from n =" in out
    assert "crossover (b):" in out
    assert re.search(r"^\|?\s*2048\b", out, re.M), out[-2000:]


@pytest.mark.slow
def test_checkpointing_benchmark_runs_as_written():
    out = run(".venv/bin/python benchmarks/checkpointing.py", ROOT, timeout=600).stdout
    assert "the notes' claims, measured:" in out
    assert re.search(r"max relative difference [\d.e+-]+ \(tolerance 1e-12\)", out), out[-2000:]


def test_engine_section_text_blocks_belong_to_a_snippet():
    pairs = engine_section_outputs()
    assert any(shown for _, shown in pairs), "the gradient-flow table is shown under its snippet"


@pytest.mark.slow
def test_render_benchmark_measures_both_qualities():
    """The README's render-speed figures come from this command: it must run as written."""
    command = next(c for c in bash_commands() if c.endswith("benchmarks/render_speed.py"))
    out = run(command, ROOT, timeout=1800).stdout
    for quality in ("480p", "1080p"):
        for mode in ("fast", "stock"):
            assert re.search(rf"{quality} {mode}\s+1\s+[\d.]+ s", out), (quality, mode, out)
    assert "2 cores" in out or "cores" in out


@pytest.mark.slow
def test_render_benchmark_finds_identical_frames():
    command = next(c for c in bash_commands() if "--check-frames" in c)
    out = run(command, ROOT, timeout=900).stdout
    match = re.search(r"raw frames fast vs stock: identical \((\d+) of (\d+) frames equal\)", out)
    assert match and match.group(1) == match.group(2) and int(match.group(1)) > 600, out


@pytest.mark.slow
def test_make_lecture_and_slides_on_the_real_scenes():
    """The lecture as a lecturer builds it: the seven real scenes at 480p,
    joined with a chapter each, then cut into one slide per narration beat."""
    from src.publish.assemble import probe
    from src.publish.build import lecture_scenes
    from src.publish.render import DEFAULT_SCENE_FILE

    scenes = lecture_scenes(DEFAULT_SCENE_FILE)
    folder = ROOT / "videos" / "low"
    out = run("make lecture QUALITY=low", ROOT, timeout=3600).stdout
    assert f"{len(scenes)} scenes at low quality" in out and "packaged in" in out, out[-2000:]
    manifest = json.loads((folder / "lecture.json").read_text())
    info = probe(folder / "lecture.mp4")
    titles = [c["tags"]["title"] for c in info["chapters"]]
    assert titles == [scene["title"] for scene in manifest["scenes"]] and len(titles) == len(scenes)
    length = float(info["format"]["duration"])
    assert abs(length - sum(scene["duration"] for scene in manifest["scenes"])) < 0.5
    for name in ["lecture.vtt", "lecture.srt", "index.html", "posters/lecture.png"]:
        assert (folder / name).is_file(), name

    out = run("make slides QUALITY=low", ROOT, timeout=3600).stdout
    beats = sum(len(json.loads((folder / f"{scene}.narration.json").read_text())["beats"])
                for scene in scenes)
    slides = folder / "slides"
    assert len(list((slides / "clips").glob("*.mp4"))) == beats, out[-2000:]
    for name in ["lecture.html", "lecture.pptx"]:
        assert (slides / name).is_file(), name


def _fetch_until_served(url: str, seconds: float = 60.0):
    """The first answer of a server that is still starting: (body, content type)."""
    import time
    import urllib.request
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.read(), answer.headers.get("Content-Type")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_explorer_commands_build_and_serve():
    """make explorer writes the folder; both documented ways of serving it
    answer on 127.0.0.1:8000 with the page, and Pyodide's WebAssembly with the
    type browsers insist on. (The page itself: tests/test_explorer.py.)"""
    import signal
    import urllib.request
    build, serve, serve_folder = (next(c for c in bash_commands() if c.startswith(start)) for start in
                                  ("make explorer", "make serve", "cd videos/low/explorer"))
    run(build, ROOT)
    folder = ROOT / "videos" / "low" / "explorer"
    manifest = json.loads((folder / "py" / "manifest.json").read_text())
    assert "src/autograd.py" in manifest["files"] and (folder / "index.html").is_file()
    for command, page in ((serve, "/explorer/"), (serve_folder, "/")):
        server = subprocess.Popen(["bash", "-c", command], cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            body, _ = _fetch_until_served(f"http://127.0.0.1:8000{page}")
            assert b"<title>Autograd explorer</title>" in body, command
            with urllib.request.urlopen(f"http://127.0.0.1:8000{page}pyodide/pyodide.asm.wasm") as wasm:
                assert wasm.headers.get("Content-Type") == "application/wasm", command
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)


@pytest.mark.slow
def test_voice_off_renders_the_same_frames_without_sound(tmp_path):
    """As written: no audio track; then the voiced render of the same scene
    has the same number of frames and an AAC track at -16 LUFS."""
    from src.narration.soundtrack import loudness
    from src.publish.assemble import probe

    command = next(c for c in bash_commands() if c.startswith("VOICE=off"))
    video = ROOT / "videos" / "low" / "SummaryScene.mp4"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    silent = probe(video)
    assert [s["codec_type"] for s in silent["streams"]] == ["video"]
    frames = int(silent["streams"][0]["nb_frames"])
    spoken = tmp_path / "videos"
    voiced = subprocess.run([str(VENV_BIN / "python"), "-m", "src.cli.video", "--quality", "low",
                             "--scenes", "SummaryScene", "--out-dir", str(spoken)],
                            cwd=ROOT, capture_output=True, text=True, timeout=900,
                            stdin=subprocess.DEVNULL, env={**os.environ, "VOICE": ""})
    assert voiced.returncode == 0, voiced.stderr[-2000:]
    info = probe(spoken / "low" / "SummaryScene.mp4")
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert int(kinds["video"]["nb_frames"]) == frames and kinds["audio"]["codec_name"] == "aac"
    lufs, peak = loudness(spoken / "low" / "SummaryScene.mp4")
    assert abs(lufs + 16) <= 1 and peak <= -1.5
