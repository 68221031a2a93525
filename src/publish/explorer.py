"""The explorer's folder: a web page that runs the engine in the browser (no manim).

    build(out_dir)          # -> out_dir, e.g. videos/low/explorer/

writes a folder a lecturer copies to a course site as it is, or serves with
`python3 -m http.server` (browsers run Python only from a web server: opened
from file:// they refuse the module that starts Pyodide):

    index.html, explorer.js, explorer.css   the page (src/publish/explorer_web/)
    palette.css                             the scenes' colours, from PALETTE
    pyodide/                                Pyodide, copied from node_modules/pyodide
                                            (npm ci installs the pinned version)
    py/manifest.json, py/src/...            the Python the page runs, copied as it is
    licenses/                               Pyodide's and CPython's licences
    README.txt                              how to serve it

The Python shipped is src/lesson/explorer.py and everything under src/ it
imports, found by reading the imports (`python_sources`), so a module the
engine starts to use comes along without a list to keep up to date. All of
it is standard library only: the architecture test keeps manim out of it.

The folder is written next to its final place and renamed into it, so a
failed build never leaves a half-written explorer.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
from pathlib import Path

from src.palette import COLORS

__all__ = ["ExplorerError", "PYODIDE_VERSION", "PYODIDE_FILES", "PALETTE", "ENTRY",
           "build", "python_sources", "pyodide_folder", "output_dir"]

ROOT = Path(__file__).resolve().parents[2]
WEB = Path(__file__).resolve().parent / "explorer_web"
ENTRY = "src.lesson.explorer"

# The version package.json pins; build() refuses any other.
PYODIDE_VERSION = "314.0.8"
# What the page loads from the package (the rest is Node.js support and docs).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")

# The scenes' palette (src/visualization/style.py; tests/test_explorer.py
# checks that the hex values are the same). Four role shades are not manim's
# stock ones, so colour-blind students can tell them apart (README "Colours").
# The scenes' colours (src/palette.py), under the names the page's CSS uses.
PALETTE = {("output" if role == "loss" else role): hex_ for role, hex_ in COLORS.items()}

README = """\
The autograd explorer
=====================

A web page that runs the lecture's own engine (Python, in the browser through
Pyodide). Browsers run it only from a web server, not from a file:// URL.
Serve this folder with any static web server, for example:

    python3 -m http.server 8000 --bind 127.0.0.1

and open http://127.0.0.1:8000/ . Copied to a course site as it is, it works
there too: nothing is loaded from anywhere else.
"""


class ExplorerError(RuntimeError):
    """Something the build needs is missing: the message says what to run."""


def output_dir(quality: str = "high", root: Path = ROOT) -> Path:
    """Where `make explorer` puts the folder: beside the lecture's files
    (videos/ for 1080p, videos/<quality>/ otherwise), so the lecture's
    index.html links to it as explorer/."""
    videos = root / "videos"
    return (videos if quality == "high" else videos / quality) / "explorer"


def pyodide_folder(root: Path = ROOT) -> Path:
    """node_modules/pyodide, checked to be the pinned version."""
    folder = root / "node_modules" / "pyodide"
    package = folder / "package.json"
    if not package.is_file():
        raise ExplorerError(f"Pyodide is not installed ({folder} is missing): run `npm ci` "
                            "in the project folder (make explorer does)")
    version = json.loads(package.read_text(encoding="utf-8")).get("version")
    if version != PYODIDE_VERSION:
        raise ExplorerError(f"node_modules has Pyodide {version}, the explorer needs "
                            f"{PYODIDE_VERSION}: run `npm ci` in the project folder")
    missing = [name for name in PYODIDE_FILES if not (folder / name).is_file()]
    if missing:
        raise ExplorerError(f"Pyodide's {', '.join(missing)} missing in {folder}: run `npm ci`")
    return folder


def _module_path(module: str, root: Path) -> Path | None:
    base = root.joinpath(*module.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def python_sources(entry: str = ENTRY, root: Path = ROOT) -> list[Path]:
    """Every file under src/ that `entry` needs, relative to `root`: the
    module, what it imports from src (read with `ast`, nothing is run), and
    the packages' __init__.py files on the way."""
    found: dict[str, Path] = {}
    todo = [entry]
    while todo:
        module = todo.pop()
        if module in found:
            continue
        path = _module_path(module, root)
        if path is None:
            raise ExplorerError(f"the explorer needs {module}, which has no file under {root}")
        found[module] = path
        parts = module.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]  # its packages
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] == "src" and _module_path(name, root) is not None:
                    todo.append(name)
    return sorted(p.relative_to(root) for p in found.values())


def _palette_css() -> str:
    lines = [f"  --{name}: {value};" for name, value in PALETTE.items()]
    return ("/* The scenes' colours (src/publish/explorer.py PALETTE). */\n:root {\n"
            + "\n".join(lines) + "\n}\n")


def build(out_dir: Path, root: Path = ROOT) -> Path:
    """Write the explorer into `out_dir` (replacing an earlier one); returns it."""
    out_dir = Path(out_dir).resolve()
    pyodide = pyodide_folder(root)
    sources = python_sources(ENTRY, root)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".explorer-", dir=out_dir.parent))
    try:
        for name in ("index.html", "explorer.js", "explorer.css"):
            shutil.copy2(WEB / name, work / name)
        (work / "palette.css").write_text(_palette_css(), encoding="utf-8")
        shutil.copytree(WEB / "licenses", work / "licenses")
        (work / "pyodide").mkdir()
        for name in PYODIDE_FILES:
            shutil.copy2(pyodide / name, work / "pyodide" / name)
        for source in sources:
            target = work / "py" / source
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / source, target)
        manifest = {"pyodide": PYODIDE_VERSION, "entry": ENTRY,
                    "files": [source.as_posix() for source in sources]}
        (work / "py" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n",
                                                   encoding="utf-8")
        (work / "README.txt").write_text(README, encoding="utf-8")
        os.chmod(work, 0o755)  # mkdtemp makes it private; a web server must read it
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}-old-{os.getpid()}")
            os.replace(out_dir, old)
        os.replace(work, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out_dir


def folder_size(folder: Path) -> int:
    """Bytes in all files under `folder`."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
