"""Which scenes a scene file defines, found by reading it (nothing is imported).

    find_scenes(Path("01_autograd_visualization.py"))   # ["ChainRuleScene", ...]

Scenes are the classes whose base class name ends in "Scene" (or that
derive from such a class defined in the same file), in definition order. A
top-level `SCENES_IN_ORDER = [A, B, ...]`, which manimgl itself honours,
takes precedence. This is the one way the project finds scenes: the render
runner, the up-to-date rule, `make lecture`, `make slides` and src/lecture.py
(which re-exports the scene classes) all ask here. No manim import: parsing
with `ast` works without a display and without running the file.
"""
from __future__ import annotations

import ast
from pathlib import Path

__all__ = ["find_scenes", "base_name"]


def base_name(node: ast.expr) -> str:
    """The name a base-class expression ends in: `LectureScene`, `manimlib.Scene` -> `Scene`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):  # e.g. Generic[...]
        return base_name(node.value)
    return ""


def find_scenes(scene_file: Path) -> list[str]:
    """Scene class names of `scene_file` in definition order (see module doc)."""
    tree = ast.parse(scene_file.read_text(encoding="utf-8"), filename=str(scene_file))
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == "SCENES_IN_ORDER" for t in targets):
            value = node.value
            if isinstance(value, (ast.List, ast.Tuple)):
                return [base_name(elt) for elt in value.elts if base_name(elt)]
    scenes: list[str] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
            continue
        bases = [base_name(b) for b in node.bases]
        if any(b.endswith("Scene") or b in scenes for b in bases):
            scenes.append(node.name)
    return scenes
