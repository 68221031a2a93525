"""benchmarks/engine_vs_micrograd.py --baseline: another engine copy, side by side.

RESULTS.md's "backward did not get slower" table comes from this option; it
must load an older src/autograd.py, check its losses and print the phases.
(The README's plain command is run in full by tests/test_readme.py.)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "engine_vs_micrograd.py"
PREVIOUS_ENGINE = "1f83817"  # the engine before one-object-per-node (RESULTS.md)


def bench(*args: str) -> subprocess.CompletedProcess:
    """The script on a small workload (20 points): its code path, in seconds."""
    return subprocess.run([sys.executable, str(SCRIPT), "--reps", "1", "--steps", "2",
                           "--points", "20", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def previous_engine(tmp_path: Path) -> Path:
    """The previous engine from git history, or today's engine without git."""
    target = tmp_path / "autograd_previous.py"
    if shutil.which("git"):
        shown = subprocess.run(["git", "show", f"{PREVIOUS_ENGINE}:src/autograd.py"],
                               cwd=ROOT, capture_output=True, text=True)
        if shown.returncode == 0:
            target.write_text(shown.stdout)
            return target
    shutil.copy(ROOT / "src" / "autograd.py", target)
    return target


def test_baseline_engine_is_timed_phase_by_phase(tmp_path):
    result = bench("--baseline", str(previous_engine(tmp_path)))
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "max |loss difference| 0.000e+00" in out
    assert "phase medians (ms)" in out
    table = out[out.index("phase medians (ms)"):].splitlines()[1:3]
    assert [line.split("  ")[0] for line in table] == ["ours (this engine)", "baseline engine"]
    for line in table:
        forward, backward = (float(v) for v in line.split()[-2:])
        assert forward > 0 and backward > 0


def test_a_baseline_that_is_not_a_python_file_is_refused(tmp_path):
    result = bench("--baseline", str(tmp_path / "engine.txt"))
    assert result.returncode != 0
    assert "--baseline needs a .py file" in result.stderr


@pytest.mark.parametrize("content", ["raise SystemError('broken')\n", "x = 1\n", None])
def test_a_baseline_that_cannot_be_loaded_fails_clearly_before_timing(tmp_path, content):
    engine = tmp_path / "other_autograd.py"
    if content is not None:  # None: the file does not exist
        engine.write_text(content)
    result = bench("--baseline", str(engine))
    assert result.returncode != 0 and "time per step" not in result.stdout
    assert f"--baseline {engine}: cannot load a Value class from it" in result.stderr
    assert "Traceback" not in result.stderr
