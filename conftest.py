"""Project-wide pytest set-up, loaded before any test module is imported.

manimlib parses sys.argv and needs a display the moment it is first imported,
and test modules may import the lecture (and so manimlib) at collection time.
prepare_manimlib() makes that import safe: manimgl arguments in sys.argv,
the project's custom_config.yml, and headless EGL when DISPLAY is unset.
It does not import manimlib itself, so tests that do not need it stay fast.
"""
from tests.manim_harness import prepare_manimlib

prepare_manimlib()
