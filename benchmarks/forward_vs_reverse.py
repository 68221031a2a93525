"""Forward mode (src/theory/forward_mode.py) against reverse mode (src/autograd.py), measured.

    cd /work/main && .venv/bin/python benchmarks/forward_vs_reverse.py [--max-n 2048] [--repeats 3]
    cd /work/main && .venv/bin/python benchmarks/forward_vs_reverse.py --markdown   # tables for FORWARD_VS_REVERSE.md

The theory says: forward mode costs one pass per *input*, reverse mode one
backward pass per *output*. Two workloads test that claim, each run through
both engines as *the same Python function* (it only uses operations that
`Dual` and `Value` both have):

(a) n inputs -> 1 output, the shape of a loss function:
        f(x) = sum_i tanh(w_i * x_i) * x_{(i+1) mod n}        (4n - 1 operations)
    full gradient by forward mode: n passes, input i seeded in pass i
    (`forward_gradient`); by reverse mode: one forward pass that builds the
    graph, then one `backward()`.

(b) 1 input -> m outputs, the shape of a trajectory's sensitivity to one
    parameter:
        h_0 = x,  h_j = tanh(w_j * h_{j-1} + x),  outputs h_1, ..., h_m   (3m operations)
    all m derivatives dh_j/dx by forward mode: ONE pass (`output_derivatives`);
    by reverse mode: one forward pass building one graph, then m `backward()`
    calls, one from each output, with `x.grad` reset to 0 before each (the
    engine adds d(out)/d(v) to every `v.grad`, so x.grad then holds exactly
    dh_j/dx; the other nodes' grads accumulate but are never read). The
    backward from h_j walks only h_j's part of the graph, about 4j nodes.

For every size the script first CHECKS that both modes give the same
derivatives (math.isclose, rel_tol = abs_tol = 1e-12) and exits with status 1
if they do not. Timing: time.perf_counter around complete derivative
computations (making the leaves included); calls shorter than `--min-time`
are timed in loops that last at least that long, and the time per call is
reported. Forward and reverse runs are interleaved; the best of `--repeats`
runs counts (fewer when a mode has already used `--budget` seconds on a
size, so the big sizes are timed once). Python's garbage collector stays at
its defaults; `gc.collect()` runs before each timed run, outside the timing.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from src.autograd import Value  # noqa: E402
from src.theory.forward_mode import forward_gradient, output_derivatives  # noqa: E402

TOL = 1e-12
SEED = 7


# --------------------------------------------------------------------------
# The two workloads: plain Python, run unchanged on Values and on Duals
# --------------------------------------------------------------------------

def make_weights(count: int, seed: int = SEED) -> tuple:
    """(w, x0): `count` weights in [-1, 1] and `count` input values in [-1, 1]."""
    rng = random.Random(seed)
    w = [rng.uniform(-1.0, 1.0) for _ in range(count)]
    x0 = [rng.uniform(-1.0, 1.0) for _ in range(count)]
    return w, x0


def many_to_one(w):
    """(a) f(x_0, ..., x_{n-1}) = sum_i tanh(w_i x_i) * x_{(i+1) mod n}."""
    def f(*xs):
        n = len(xs)
        total = (xs[0] * w[0]).tanh() * xs[1 % n]
        for i in range(1, n):
            total = total + (xs[i] * w[i]).tanh() * xs[(i + 1) % n]
        return total
    return f


def one_to_many(w, m: int):
    """(b) f(x) = [h_1, ..., h_m] with h_0 = x, h_j = tanh(w_j h_{j-1} + x)."""
    def f(x):
        h, outs = x, []
        for j in range(m):
            h = (h * w[j] + x).tanh()
            outs.append(h)
        return outs
    return f


# --------------------------------------------------------------------------
# Each mode's way to get all the derivatives
# --------------------------------------------------------------------------

def gradient_forward(f, x0):
    """(a) by forward mode: n passes."""
    return forward_gradient(f, x0)


def gradient_reverse(f, x0):
    """(a) by reverse mode: one forward pass building the graph + one backward."""
    xs = [Value(v) for v in x0]
    f(*xs).backward()
    return [x.grad for x in xs]


def outputs_forward(f, x0):
    """(b) by forward mode: one pass."""
    return output_derivatives(f, x0)


def outputs_reverse(f, x0):
    """(b) by reverse mode: one graph, one backward pass per output."""
    x = Value(x0)
    derivatives = []
    for out in f(x):
        x.grad = 0.0
        out.backward()
        derivatives.append(x.grad)
    return derivatives


def graph_nodes(f, args) -> int:
    """How many nodes reverse mode records for one evaluation (leaves and constants included)."""
    out = f(*args)
    roots = out if isinstance(out, list) else [out]
    return len(roots[-1].topological_order())


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------

def timed(fn, loops: int):
    """(seconds per call, result of the last call) of `loops` back-to-back calls."""
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(loops):
        result = fn()
    return (time.perf_counter() - t0) / loops, result


def race(forward, reverse, repeats: int, budget: float, min_time: float):
    """Best time per call of each mode, runs interleaved.

    The first call of each mode gives its result (for the check) and a
    calibration: a call faster than `min_time` is timed in loops of several
    calls, so that every timed run lasts at least `min_time` (perf_counter
    and the noise of a shared machine swamp a single 10-microsecond call).
    A call slower than `min_time` is timed alone, and that first call
    already counts as a run. A mode stops after `repeats` runs, or earlier
    once its runs have used `budget` seconds.
    Returns (best forward, best reverse, (forward runs, reverse runs),
    forward result, reverse result).
    """
    modes = []
    for fn in (forward, reverse):
        first, result = timed(fn, 1)
        loops = 1 if first >= min_time else math.ceil(min_time / max(first, 1e-7))
        times = [first] if loops == 1 else []
        modes.append(dict(fn=fn, loops=loops, times=times, result=result))

    def done(m):
        return len(m["times"]) >= repeats or (
            m["times"] and sum(m["times"]) * m["loops"] >= budget)

    while not all(done(m) for m in modes):
        for m in modes:
            if not done(m):
                m["times"].append(timed(m["fn"], m["loops"])[0])
    fwd, rev = modes
    return (min(fwd["times"]), min(rev["times"]), (len(fwd["times"]), len(rev["times"])),
            fwd["result"], rev["result"])


def disagreement(a: list, b: list) -> tuple:
    """(all close?, largest |a - b|, index of the worst pair)."""
    ok, worst, where = len(a) == len(b), 0.0, None
    for i, (u, v) in enumerate(zip(a, b)):
        if not math.isclose(u, v, rel_tol=TOL, abs_tol=TOL):
            ok = False
        if abs(u - v) >= worst:
            worst, where = abs(u - v), i
    return ok, worst, where


def sizes_up_to(limit: int) -> list:
    sizes, k = [], 1
    while k <= limit:
        sizes.append(k)
        k *= 2
    if sizes and sizes[-1] != limit:
        sizes.append(limit)
    return sizes


def run_workload(name, sizes, make, forward, reverse, args):
    """Measure one workload at every size; None (after printing why) if the modes disagree."""
    rows = []
    for n in sizes:
        f, x0, leaves, ops = make(n)
        t_f, t_r, runs, got_f, got_r = race(lambda: forward(f, x0), lambda: reverse(f, x0),
                                             args.repeats, args.budget, args.min_time)
        ok, worst, where = disagreement(got_f, got_r)
        if not ok:
            print(f"FAIL ({name}, size {n}): forward and reverse mode disagree: "
                  f"entry {where}: forward {got_f[where]!r}, reverse {got_r[where]!r} "
                  f"(tolerance {TOL:g})", file=sys.stderr)
            return None
        nodes = graph_nodes(f, leaves())
        rows.append(dict(size=n, nodes=nodes, ops=ops, fwd=t_f, rev=t_r, runs=runs, worst=worst))
        if args.progress:
            print(f"  {name} {n}: forward {fmt_time(t_f)}, reverse {fmt_time(t_r)}",
                  file=sys.stderr, flush=True)
    return rows


def crossover(rows, winner: str) -> int | None:
    """Smallest size from which `winner` ('fwd' or 'rev') is faster at every larger size measured."""
    loser = "rev" if winner == "fwd" else "fwd"
    start = None
    for row in rows:
        if row[winner] < row[loser]:
            start = row["size"] if start is None else start
        else:
            start = None
    return start


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(rows, size_name: str, fwd_name: str, rev_name: str, markdown: bool) -> list:
    head = [size_name, "graph nodes", fwd_name, rev_name, "faster mode", "runs (fwd/rev)"]
    body = []
    for r in rows:
        ratio = r["rev"] / r["fwd"]
        faster = f"forward {ratio:.2f}x" if ratio > 1 else f"reverse {1 / ratio:.2f}x"
        body.append([str(r["size"]), str(r["nodes"]), fmt_time(r["fwd"]), fmt_time(r["rev"]),
                     faster, "%d/%d" % r["runs"]])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return lines
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    return [fmt(head)] + [fmt(row) for row in body]


def crossover_line(label: str, rows, winner: str, size_name: str) -> str:
    other = "forward" if winner == "rev" else "reverse"
    mode = "reverse" if winner == "rev" else "forward"
    start = crossover(rows, winner)
    last = rows[-1]["size"]
    if start is None:
        return (f"crossover {label}: none up to {size_name} = {last}: "
                f"{other} mode is faster at the largest size measured")
    if start == rows[0]["size"]:
        return (f"crossover {label}: none: {mode} mode is faster at every "
                f"{size_name} measured ({rows[0]['size']} to {last})")
    before = max(r["size"] for r in rows if r["size"] < start)
    return (f"crossover {label}: {mode} mode is faster from {size_name} = {start} on "
            f"({other} mode is faster at {size_name} = {before})")


def growth_line(label: str, rows, size_name: str) -> str:
    """How each mode's time grows over the last doubling: x2 is linear, x4 quadratic."""
    if len(rows) < 2:
        return f"growth {label}: needs at least two sizes"
    a, b = rows[-2], rows[-1]
    k = b["size"] / a["size"]
    return (f"growth {label} from {size_name} = {a['size']} to {b['size']} (x{k:g}): "
            f"forward x{b['fwd'] / a['fwd']:.1f}, reverse x{b['rev'] / a['rev']:.1f} "
            f"(linear cost would be x{k:g}, quadratic x{k * k:g})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-n", type=int, default=2048,
                    help="largest number of inputs (a) and outputs (b); sizes are 1, 2, 4, ... (default 2048)")
    ap.add_argument("--max-m", type=int, default=None, help="largest m for (b) (default: --max-n)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per size and mode; the best counts (default 3)")
    ap.add_argument("--budget", type=float, default=1.5,
                    help="stop repeating a size once a mode has spent this many seconds on it (default 1.5)")
    ap.add_argument("--min-time", type=float, default=0.02,
                    help="time calls faster than this in loops lasting at least this long (default 0.02 s)")
    ap.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    ap.add_argument("--progress", action="store_true", help="report each size on stderr as it finishes")
    args = ap.parse_args(argv)
    max_m = args.max_n if args.max_m is None else args.max_m
    if args.max_n < 1 or max_m < 1 or args.repeats < 1:
        ap.error("--max-n, --max-m and --repeats must be at least 1")

    w, x0 = make_weights(max(args.max_n, max_m))

    def make_a(n):
        f = many_to_one(w[:n])
        return f, x0[:n], lambda: [Value(v) for v in x0[:n]], 4 * n - 1

    def make_b(m):
        f = one_to_many(w[:m], m)
        return f, x0[0], lambda: [Value(x0[0])], 3 * m

    rows_a = run_workload("(a)", sizes_up_to(args.max_n), make_a,
                          gradient_forward, gradient_reverse, args)
    if rows_a is None:
        return 1
    rows_b = run_workload("(b)", sizes_up_to(max_m), make_b,
                          outputs_forward, outputs_reverse, args)
    if rows_b is None:
        return 1

    md = args.markdown
    bullet = "- " if md else ""
    print(f"{bullet}python {platform.python_version()} ({platform.python_implementation()}) "
          f"on {platform.machine()}, gc thresholds {gc.get_threshold()}, gc enabled: {gc.isenabled()}")
    print(f"{bullet}time per complete derivative computation: best of up to {args.repeats} "
          f"run{'s' if args.repeats != 1 else ''} per size and mode (fewer once a mode has spent {args.budget:g} s on a size), "
          f"calls under {args.min_time:g} s timed in loops")
    worst = max(r["worst"] for r in rows_a + rows_b)
    print(f"{bullet}check: forward and reverse mode agree at every size to {TOL:g} "
          f"(rel + abs); largest difference seen {worst:.1e}")
    print()

    print(("**(a)** " if md else "(a) ") +
          "n inputs -> 1 output, f(x) = sum_i tanh(w_i x_i) x_{(i+1) mod n}: "
          "the full gradient")
    print()
    for line in table(rows_a, "n", "forward (n passes)", "reverse (1 fwd + 1 bwd)", md):
        print(line)
    print()
    big = rows_a[-1]
    passes = big["rev"] / (big["fwd"] / big["size"])
    print(f"{bullet}{crossover_line('(a)', rows_a, 'rev', 'n')}")
    print(f"{bullet}constant factor (a): at n = {big['size']} one reverse-mode gradient "
          f"takes as long as {passes:.1f} forward-mode passes")
    print(f"{bullet}{growth_line('(a)', rows_a, 'n')}")
    print(f"{bullet}cost per operation (a) at n = {big['size']}: forward mode "
          f"{1e9 * big['fwd'] / (big['size'] * big['ops']):.0f} ns per Dual operation "
          f"({big['size']} passes x {big['ops']} operations); reverse mode "
          f"{1e9 * big['rev'] / big['nodes']:.0f} ns per graph node (build + backward)")
    print()

    print(("**(b)** " if md else "(b) ") +
          "1 input -> m outputs, h_j = tanh(w_j h_{j-1} + x): all m derivatives dh_j/dx")
    print()
    for line in table(rows_b, "m", "forward (1 pass)", "reverse (1 fwd + m bwd)", md):
        print(line)
    print()
    big = rows_b[-1]
    print(f"{bullet}{crossover_line('(b)', rows_b, 'fwd', 'm')}")
    m = big["size"]
    visits = 2 * m * m + 3 * m  # the backward from h_j visits x and 4 nodes per step: 4j + 1
    print(f"{bullet}cost per operation (b) at m = {m}: forward mode "
          f"{1e9 * big['fwd'] / big['ops']:.0f} ns per Dual operation (1 pass x {big['ops']} "
          f"operations); reverse mode {1e9 * big['rev'] / visits:.0f} ns per node visited "
          f"(the {m} backward passes visit 2m^2 + 3m = {visits} nodes in all; the one "
          f"graph-building pass is included in the time)")
    print(f"{bullet}{growth_line('(b)', rows_b, 'm')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
