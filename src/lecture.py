"""The lecture's scenes, importable from a scene file of your own.

    # my_lecture.py
    from src.lecture import BackwardPassScene

    class BackwardPassOtherNumbers(BackwardPassScene):
        x, w, b = 1.0, 3.0, -2.0

    $ xvfb-run -a .venv/bin/manimgl my_lecture.py BackwardPassOtherNumbers -w -l

Why this module exists: the scenes live in `01_autograd_visualization.py`,
whose name starts with a digit, so it cannot be imported with `import`; and
manimgl loads a scene file by its path without putting that file's folder on
`sys.path`, so `importlib.import_module("01_autograd_visualization")` fails
inside a file run by manimgl. `src` is installed into the environment, so
this module is importable from anywhere; it loads the scene file by path,
once, and re-exports its scene classes.

manimgl lists only the scenes defined in the file it runs (it compares
`__module__`), so importing a lecture scene here does not make manimgl
render it again: only your subclasses are found.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from src.rendering.discovery import find_scenes

ROOT = Path(__file__).resolve().parent.parent
SCENE_FILE = ROOT / "01_autograd_visualization.py"
MODULE_NAME = "autograd_lecture_scenes"


def load():
    """The lecture's scene module (loaded from SCENE_FILE once per process)."""
    module = sys.modules.get(MODULE_NAME)
    if module is not None:
        return module
    if not SCENE_FILE.is_file():
        raise FileNotFoundError(
            f"the lecture's scene file is missing: {SCENE_FILE} (src.lecture loads the "
            "scenes from the project this package was installed from)")
    spec = importlib.util.spec_from_file_location(MODULE_NAME, SCENE_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[MODULE_NAME]
        raise
    return module


def scene_classes(module=None) -> dict:
    """Scene name -> class, in the order the file defines them (the scenes
    src/rendering/discovery.py finds in SCENE_FILE, as `make lecture` does)."""
    module = module or load()
    return {name: getattr(module, name) for name in find_scenes(SCENE_FILE)}


_SCENES = scene_classes()
globals().update(_SCENES)
__all__ = ["load", "scene_classes", *_SCENES]
