"""benchmarks/forward_vs_reverse.py runs, checks itself and prints its tables.

Tiny sizes only: this proves the script works, not how fast anything is.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT / "benchmarks" / "forward_vs_reverse.py"
TINY = ["--max-n", "8", "--repeats", "1", "--min-time", "0.001"]


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=PROJECT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def bench():
    """The script imported as a module (it is not in a package)."""
    spec = importlib.util.spec_from_file_location("forward_vs_reverse", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_sizes(out: str, title: str) -> list:
    """The first-column numbers of the table that follows the line starting with `title`."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    sizes = []
    for line in lines[start + 1:]:
        if line.startswith("crossover"):
            break
        cells = line.strip("| ").split()
        if cells and cells[0].isdigit():
            sizes.append(int(cells[0]))
    return sizes


def test_plain_run_exits_0_with_both_tables_and_crossover_lines():
    result = run_script(*TINY)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^python 3\.\d+", out, re.M)
    assert re.search(r"check: forward and reverse mode agree at every size to 1e-12", out)
    assert table_sizes(out, "(a) n inputs -> 1 output") == [1, 2, 4, 8]
    assert table_sizes(out, "(b) 1 input -> m outputs") == [1, 2, 4, 8]
    assert re.search(r"^\s*n\s+graph nodes\s+forward \(n passes\)\s+reverse \(1 fwd \+ 1 bwd\)", out, re.M)
    assert re.search(r"^\s*m\s+graph nodes\s+forward \(1 pass\)\s+reverse \(1 fwd \+ m bwd\)", out, re.M)
    assert re.search(r"^crossover \(a\): ", out, re.M)
    assert re.search(r"^crossover \(b\): ", out, re.M)
    assert re.search(r"^constant factor \(a\): at n = 8 one reverse-mode gradient takes as long as "
                     r"[\d.]+ forward-mode passes", out, re.M)
    assert re.search(r"^growth \(b\) from m = 4 to 8", out, re.M)
    # (a) records 6n - 1 nodes: n inputs, n constants w_i, 3n ops (*, tanh, *), n - 1 additions
    row = next(line for line in out.splitlines() if re.match(r"^\s*8\s+\d+\s", line))
    assert row.split()[1] == "47"


def test_markdown_run_prints_markdown_tables():
    result = run_script(*TINY, "--max-m", "4", "--markdown")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "| n | graph nodes | forward (n passes) | reverse (1 fwd + 1 bwd) |" in out
    assert "| m | graph nodes | forward (1 pass) | reverse (1 fwd + m bwd) |" in out
    assert re.search(r"^- crossover \(a\): ", out, re.M)
    assert re.search(r"^- crossover \(b\): ", out, re.M)
    assert table_sizes(out, "**(b)**") == [1, 2, 4]


def test_bad_arguments_are_refused():
    result = run_script("--max-n", "0")
    assert result.returncode == 2
    assert "at least 1" in result.stderr


def test_a_disagreement_between_the_modes_exits_1(bench, monkeypatch, capsys):
    real = bench.gradient_forward

    def off_by_a_little(f, x0):
        grads = real(f, x0)
        grads[-1] *= 1 + 1e-9
        return grads

    monkeypatch.setattr(bench, "gradient_forward", off_by_a_little)
    assert bench.main(TINY) == 1
    err = capsys.readouterr().err
    assert "FAIL ((a), size 1): forward and reverse mode disagree" in err


def test_the_two_workloads_agree_between_modes(bench):
    w, x0 = bench.make_weights(16)
    f = bench.many_to_one(w)
    assert bench.disagreement(bench.gradient_forward(f, x0), bench.gradient_reverse(f, x0))[0]
    g = bench.one_to_many(w, 16)
    assert bench.disagreement(bench.outputs_forward(g, x0[0]), bench.outputs_reverse(g, x0[0]))[0]


def test_crossover_and_sizes(bench):
    rows = [dict(size=s, fwd=f, rev=r) for s, f, r in
            [(1, 1.0, 2.0), (2, 2.0, 1.0), (4, 1.0, 2.0), (8, 4.0, 1.0), (16, 9.0, 1.0)]]
    assert bench.crossover(rows, "rev") == 8   # reverse faster from 8 on, for good
    assert bench.crossover(rows, "fwd") is None
    assert "reverse mode is faster from n = 8 on (forward mode is faster at n = 4)" in \
        bench.crossover_line("(a)", rows, "rev", "n")
    assert bench.sizes_up_to(10) == [1, 2, 4, 8, 10]
    assert bench.sizes_up_to(1) == [1]
