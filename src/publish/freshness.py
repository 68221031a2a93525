"""The up-to-date rule: a scene renders again only when an input changed.

A scene's inputs are what can change its video: its own class (and the
scene classes it derives from in the same file), the rest of the scene file
except other scenes' classes, every file under src/ a scene can import
(not src/publish/ and src/cli/, which only build the lecture), custom_config.yml, the
quality, the manimgl version and the voice (which voice times and speaks the
beats, and whether the video has a sound track at all: VOICE=off, so the
reason printed is "voice changed"). Their fingerprint is kept in a stamp
file beside the video after a good render:

    stamp = stamp_path(movie)                       # videos/low/.stamps/X.json
    if not is_fresh(movie, fingerprint(...)):       # render, then
        write_stamp(movie, fingerprint(...))

Editing one scene's class changes only that scene's fingerprint; editing
src/ or the shared top of the scene file changes every scene's.
"""
from __future__ import annotations

import ast
import hashlib
import json
from importlib import metadata
from pathlib import Path

from src.narration.voice import audio_enabled, voice_identity
from src.rendering.discovery import base_name, find_scenes

STAMPS = ".stamps"


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()[:16]


def scene_code(scene_file: Path, scene: str) -> str:
    """The scene file as `scene` sees it: other scenes' classes blanked out."""
    text = scene_file.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(scene_file))
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    if scene not in classes:
        raise KeyError(f"{scene_file.name} defines no class {scene}")
    # The scene and the classes of this file it derives from, transitively.
    lineage, todo = set(), [scene]
    while todo:
        name = todo.pop()
        if name in lineage or name not in classes:
            continue
        lineage.add(name)
        todo.extend(base_name(b) for b in classes[name].bases)
    lines = text.split("\n")
    for name in set(find_scenes(scene_file)) - lineage:
        node = classes.get(name)
        if node is None:
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        for i in range(first - 1, node.end_lineno):
            lines[i] = ""
    return "\n".join(lines)


# A scene can import any layer of src/ but the two above it: publishing
# (src/publish/) and the command-line entry points (src/cli/) build the
# lecture from rendered scenes, so editing them makes no video stale.
NOT_IMPORTED_BY_SCENES = {"publish", "cli"}


def source_digest(src: Path) -> str:
    """One digest of the relative path and content of every file a scene may import."""
    parts = []
    for path in sorted(src.glob("**/*.py")):
        rel = path.relative_to(src)
        if "__pycache__" in rel.parts or rel.parts[0] in NOT_IMPORTED_BY_SCENES:
            continue
        parts += [str(rel).encode(), path.read_bytes()]
    return _digest(*parts)


def manimgl_version() -> str:
    try:
        return metadata.version("manimgl")
    except metadata.PackageNotFoundError:
        return "not installed"


def voice_input(env=None) -> str:
    """The voice as an input: its identity (model digest, rate) and whether
    the video gets a sound track. Raises VoiceError (one line) for a voice
    that cannot be used."""
    return f"{voice_identity(env)}, {'with sound' if audio_enabled(env) else 'no sound track'}"


def fingerprint(scene_file: Path, scene: str, quality: str, root: Path) -> dict:
    """What the scene's video depends on, each as a short digest or value."""
    config = root / "custom_config.yml"
    return {
        "scene code": _digest(scene_code(scene_file, scene).encode()),
        "src/": source_digest(root / "src"),
        "custom_config.yml": _digest(config.read_bytes()) if config.is_file() else "none",
        "quality": quality,
        "manimgl": manimgl_version(),
        "voice": voice_input(),
    }


def stamp_path(movie: Path) -> Path:
    return movie.parent / STAMPS / (movie.stem + ".json")


def read_stamp(movie: Path) -> dict | None:
    try:
        return json.loads(stamp_path(movie).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_stamp(movie: Path, inputs: dict, **facts) -> None:
    path = stamp_path(movie)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"inputs": inputs, **facts}, indent=1) + "\n", encoding="utf-8")


def stale_reasons(movie: Path, inputs: dict, needed: list[Path] = ()) -> list[str]:
    """Why `movie` must render again ([] when it is up to date)."""
    if not movie.is_file():
        return ["never rendered"]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        return [f"{', '.join(missing)} missing"]
    stamp = read_stamp(movie)
    if stamp is None:
        return ["no record of its last render"]
    old = stamp.get("inputs", {})
    return [f"{key} changed" for key in inputs if old.get(key) != inputs[key]]
