"""Project-wide pytest set-up, loaded before any test module is imported.

manimlib parses sys.argv and needs a display the moment it is first imported,
and test modules may import the lecture (and so manimlib) at collection time.
prepare_manimlib() makes that import safe: manimgl arguments in sys.argv,
the project's custom_config.yml, and headless EGL when DISPLAY is unset.
It does not import manimlib itself, so tests that do not need it stay fast.
"""
from tests.manim_harness import prepare_manimlib

prepare_manimlib()

# Hypothesis draws the same examples on every run, so a red CI is the change's
# fault, never bad luck; HYPOTHESIS_PROFILE=hunt draws new ones (and keeps
# what it finds in .hypothesis/) for a longer search.
import os  # noqa: E402

from hypothesis import settings  # noqa: E402

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("hunt", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


# -- running on two cores (pytest-xdist, `make test` and `make check`) --------
# Each scene is run once per process and shared by every test that needs it
# (tests/scene_checks.py), and module fixtures build a lecture, a deck or a
# page once per module. With `--dist loadgroup` every test of one scene, and
# otherwise every test of one module, goes to the same worker, so nothing is
# built twice.
LECTURE_SCENES = (
    "ChainRuleScene", "ComputationGraphScene", "ParametersVsActivationsScene",
    "GradientPropagationScene", "BackwardPassScene", "MLPAutogradScene", "SummaryScene",
)
SCENE_OF_TEST_FILE = {
    "test_scene_chain_rule.py": "ChainRuleScene",
    "test_scene_params_activations.py": "ParametersVsActivationsScene",
    "test_scene_gradient_propagation.py": "GradientPropagationScene",
    "test_scene_mlp_autograd.py": "MLPAutogradScene",
    "test_scene_summary.py": "SummaryScene",
}


# The speech tests' explainer beats come from the explainer runs that
# test_explain_scene.py's examples make (tests/test_explain_scene.run_explainer).
EXPLAINER_GROUP = "tests/test_explain_scene.py"


def worker_group(nodeid: str) -> str:
    """The xdist group of a test: the lecture scene it runs, else the
    explainer's if it reads the explainer's beats, else its module."""
    path, _, name = nodeid.partition("::")
    named = [scene for scene in LECTURE_SCENES if scene in name]
    if len(named) == 1:
        return named[0]
    if path.endswith("test_spoken.py") and "[explainer]" in name:
        return EXPLAINER_GROUP
    return SCENE_OF_TEST_FILE.get(path.rsplit("/", 1)[-1], path)


import pytest  # noqa: E402


def pytest_configure(config):
    # known even without xdist (`pytest -p no:xdist`), where the mark is only a label
    config.addinivalue_line("markers", "xdist_group(name): tests run in one xdist worker")


@pytest.hookimpl(tryfirst=True)   # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(worker_group(item.nodeid)))


# -- the garbage collector and the shared runs --------------------------------
# A worker keeps every scene run it made (with copies of each checkpoint's
# mobjects) for the tests that share it: millions of objects that every full
# collection would walk again. Python collects a generation when enough new
# objects have been made, so with those runs alive each collection in a later
# test (a scene run, a benchmark's gc.collect() before timing) took up to a
# second: e.g. 15 s instead of 0.2 s for a test of the forward-vs-reverse
# benchmark. After each test its garbage is collected and whatever survives
# (shared runs, module fixtures) is moved out of the collector's sight
# (gc.freeze); it is then freed by reference counting alone, if ever.
import gc  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if os.environ.get("AUTOGRAD_TEST_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()
