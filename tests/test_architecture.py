"""The layers of src/ depend one way (README, "Layout").

Every module's `import`s are read with `ast` (nothing is imported). A layer
may import the layers listed before it, never one after it; no module
imports itself back through others; no module takes another module's
private names (`from x import _y`); and the layers that must work without
a display or manim never reach manimlib, not even through another module.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# Lowest first: each may import itself and the ones before it.
LAYERS = ["engine", "theory", "lesson", "narration", "visualization", "rendering",
          "publish", "cli", "lecture"]
# Layers that run without manim (make lecture packages, the explorer runs the
# engine in a browser, the CLIs check input before any render).
NO_MANIM = {"engine", "theory", "lesson", "narration", "publish", "cli"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and (SRC / parts[1]).is_dir():
        return parts[1]
    return "lecture" if parts[-1] == "lecture" else "engine"


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names taken from it) for every import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def source_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))
            if "vendor" not in p.parts and "__pycache__" not in p.parts}


MODULES = source_modules()


def src_imports(module: str) -> set[str]:
    """The src modules `module` imports (a `from src.x import y` of a module y counts as y)."""
    out = set()
    for target, names in imports_of(MODULES[module]):
        if not target.startswith("src"):
            continue
        submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
        out.update(submodules or [target])
    return out - {module}


def test_the_layers_are_the_folders():
    layers = {layer_of(m) for m in MODULES}
    assert layers == set(LAYERS), layers ^ set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    mine = LAYERS.index(layer_of(module))
    upward = [t for t in src_imports(module) if LAYERS.index(layer_of(t)) > mine]
    assert not upward, f"{module} ({layer_of(module)}) imports a layer above it: {upward}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_cross_modules(module):
    private = [f"{target}.{name}" for target, names in imports_of(MODULES[module])
               if target.startswith("src") for name in names
               if name.startswith("_") and not name.startswith("__")]
    assert not private, f"{module} takes private names of other modules: {private}"


def test_no_import_cycles():
    graph = {m: src_imports(m) & set(MODULES) for m in MODULES}
    state: dict[str, int] = {}          # 1 = on the current path, 2 = done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in MODULES:
        if module not in state:
            visit(module, [module])


def reaches_manim(module: str, seen: set | None = None) -> list[str] | None:
    """The import path from `module` to manimlib, or None."""
    seen = set() if seen is None else seen
    seen.add(module)
    if any(t.split(".")[0] == "manimlib" for t, _ in imports_of(MODULES[module])):
        return [module, "manimlib"]
    for target in sorted(src_imports(module) & set(MODULES)):
        if target not in seen and (path := reaches_manim(target, seen)):
            return [module, *path]
    return None


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer_of(m) in NO_MANIM))
def test_layers_without_manim_never_reach_it(module):
    path = reaches_manim(module)
    assert path is None, " -> ".join(path)
