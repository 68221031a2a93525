"""benchmarks/checkpointing.py runs end to end on tiny sizes and prints its tables.

The benchmark is run as a subprocess, exactly as documented (PYTHONPATH=.),
with sizes small enough to take a second or two. No timing is asserted:
only that it exits 0, agrees on the gradients, and prints every row.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "checkpointing.py"


def run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def plain_run():
    return run("--sizes", "4", "16", "64", "--reps", "1")


def test_exits_0_with_agreeing_gradients(plain_run):
    assert plain_run.returncode == 0, plain_run.stderr
    out = plain_run.stdout
    match = re.search(r"max relative difference ([0-9.e+-]+) \(tolerance 1e-12\); "
                      r"outputs identical: True", out)
    assert match and float(match.group(1)) <= 1e-12


def test_prints_a_row_per_workload_and_size(plain_run):
    out = plain_run.stdout
    assert "plain peak KB" in out and "extra gc off" in out
    for workload in ("own", "shared", "constant"):
        for n in (4, 16, 64):
            k = round(n ** 0.5)
            row = re.search(rf"^\s*{workload}\s+{n}\s+{k}\s+[0-9.,]+\s+[0-9.,]+\s+[0-9.]+x",
                            out, re.M)
            assert row, f"no row for {workload} n={n}:\n{out}"
    # the exponent fit and the claims summary
    assert re.search(r"memory ~ n\*\*p, shared\s*: plain p = [0-9.]+, checkpointed p = [0-9.]+", out)
    assert "notes: about +33%" in out


def test_markdown_rows_and_workload_choice():
    result = run("--sizes", "4", "9", "--reps", "1", "--workloads", "shared", "--markdown")
    assert result.returncode == 0, result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("|")]
    assert lines[0].startswith("| workload | n | k |")
    assert set(lines[1]) <= set("|-:")
    rows = lines[2:]
    assert [r.split("|")[1].strip() for r in rows] == ["shared", "shared"]
    assert [r.split("|")[2].strip() for r in rows] == ["4", "9"]
    assert all(r.count("|") == lines[0].count("|") for r in rows)


def test_bad_arguments_are_refused():
    result = run("--sizes", "0", "--reps", "1")
    assert result.returncode == 2 and "must be positive" in result.stderr


def test_disagreeing_gradients_exit_1(monkeypatch, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("checkpointing_bench", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    real = bench.checkpointed

    def off_by_a_little(layers, x):  # a wrong gradient: 1e-9 relative on every leaf
        return real(layers, x) * (1 + 1e-9)

    monkeypatch.setattr(bench, "checkpointed", off_by_a_little)
    assert bench.main(["--sizes", "4", "--reps", "1", "--workloads", "own"]) == 1
    assert "FAIL: own n=4" in capsys.readouterr().err
