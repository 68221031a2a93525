"""Gradient checkpointing (src/theory/checkpoint.py) against plain backward on deep chains.

    cd /work/main && PYTHONPATH=. .venv/bin/python benchmarks/checkpointing.py \
        [--sizes 16 64 256 1024 4096 16384] [--reps 5] [--markdown]

The theory notes claim that checkpointing a chain of n layers cuts memory
by a factor of about sqrt(n) at the price of about 33% more computation
(one extra forward pass). This script measures both on chains of scalar
layers, plain backward against `checkpoint_sequential` with the default
round(sqrt(n)) segments, for three workloads:

- own:      x_{i+1} = tanh(w_i * x_i + b_i), two weights per layer (a deep
            net: as many parameters as activations, 2n + n);
- shared:   x_{i+1} = tanh(w * x_i + b), the same two weights in every layer
            (an unrolled recurrence: activations only);
- constant: x_{i+1} = x_i + 0.5 * tanh(w_i * x_i + b_i), like "own" plus a
            plain-number constant per layer, which makes each checkpoint's
            recomputation run twice for its outside-Value check.

1. Correctness: for every size, the output and the gradients of x and of
   every weight must agree between the two methods to 1e-12 relative (bit
   for bit when each weight serves one layer; shared weights sum their
   contributions per segment first, so they may differ in the last bits);
   the script exits with status 1 if not.
2. Memory: peak traced memory (tracemalloc) of one forward + backward,
   above the already-built weights, in a separate pass from the timing.
   The exponent p of peak ~ n**p is fitted in log-log over the sizes >= 64
   (all sizes if fewer than two are; the notes: 1 for plain, 0.5 for
   checkpointed).
3. Time: forward + backward, runs interleaved plain, checkpointed, plain,
   ...; best and median of --reps runs, Python's garbage collector at its
   defaults; then the same with the collector switched off, which leaves
   the arithmetic alone (a big live graph makes the collector's full scans
   slow, and checkpointing keeps fewer objects alive). "extra" is
   checkpointed / plain - 1. The notes' "one extra forward pass" is also
   evaluated with this engine's own numbers: the time of a forward pass
   without recording (what the checkpointed segments cost) times
   (k - 1) / k, over plain's time (collector off).

--markdown prints the tables as Markdown rows for benchmarks/CHECKPOINTING.md.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import random
import statistics
import sys
import time
import tracemalloc

from src.autograd import Value, no_grad
from src.theory.checkpoint import checkpoint_sequential

SIZES = [16, 64, 256, 1024, 4096, 16384]
REL, ABS = 1e-12, 1e-300
FIT_FROM = 64


def tanh_layer(x, w, b):
    return (w * x + b).tanh()


def residual_layer(x, w, b):
    return x + 0.5 * (w * x + b).tanh()


def build(workload: str, n: int, seed: int = 1):
    """(layers, distinct parameters) of one chain, the same for both methods."""
    rng = random.Random(seed)
    if workload == "shared":
        w, b = Value(0.9, "w"), Value(0.1, "b")
        return [(tanh_layer, (w, b))] * n, [w, b]
    fn = residual_layer if workload == "constant" else tanh_layer
    layers = [(fn, (Value(rng.choice((-1, 1)) * rng.uniform(0.5, 1.5)),
                    Value(rng.uniform(-0.5, 0.5)))) for _ in range(n)]
    return layers, [p for _, ps in layers for p in ps]


WORKLOADS = {
    "own": "x_{i+1} = tanh(w_i * x_i + b_i)",
    "shared": "x_{i+1} = tanh(w * x_i + b)",
    "constant": "x_{i+1} = x_i + 0.5 * tanh(w_i * x_i + b_i)",
}
X0 = 0.3


def plain(layers, x):
    for fn, params in layers:
        x = fn(x, *params)
    return x


def checkpointed(layers, x):
    return checkpoint_sequential(layers, x)


def forward_no_grad(layers, x):
    with no_grad():
        return plain(layers, x)


def gradients(method, layers, params):
    """(output, [dx, *dparams]) of one forward + backward."""
    x = Value(X0)
    for p in params:
        p.grad = 0.0
    out = method(layers, x)
    out.backward()
    return out.data, [x.grad] + [p.grad for p in params]


def worst_difference(got, want) -> float:
    """Largest |got - want| / |want| (pairs below ABS in size count as equal)."""
    worst = 0.0
    for a, b in zip(got, want):
        if abs(a - b) > ABS:
            worst = max(worst, abs(a - b) / max(abs(b), ABS))
    return worst


def peak_bytes(method, layers) -> int:
    """Peak traced memory of one forward + backward, above what exists already."""
    x = Value(X0)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = method(layers, x)
        out.backward()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def timings(layers, reps: int, collector: bool) -> dict:
    """Seconds per run, interleaved: plain f+b, checkpointed f+b, no-grad forward.

    `collector`: leave Python's cyclic garbage collector on (its defaults)
    or switch it off for these runs only.
    """
    runs = {"plain": [], "ckpt": [], "nograd": []}
    jobs = (("plain", lambda: plain(layers, Value(X0)).backward()),
            ("ckpt", lambda: checkpointed(layers, Value(X0)).backward()),
            ("nograd", lambda: forward_no_grad(layers, Value(X0))))
    was_enabled = gc.isenabled()
    gc.collect()
    if not collector:
        gc.disable()
    try:
        for _ in range(reps):
            for key, job in jobs:
                t0 = time.perf_counter()
                job()
                runs[key].append(time.perf_counter() - t0)
    finally:
        if was_enabled:
            gc.enable()
    return runs


def fit_exponent(ns, ys) -> float:
    """Least-squares slope of log(y) against log(n)."""
    lx = [math.log(n) for n in ns]
    ly = [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def measure(workload: str, n: int, reps: int) -> dict:
    layers, params = build(workload, n)
    segments = max(1, round(math.sqrt(n)))
    out_p, grads_p = gradients(plain, layers, params)
    out_c, grads_c = gradients(checkpointed, layers, params)
    row = dict(workload=workload, n=n, segments=segments, params=len(params),
               diff=worst_difference(grads_c, grads_p), same_output=out_p == out_c)
    row["mem_plain"] = peak_bytes(plain, layers)
    row["mem_ckpt"] = peak_bytes(checkpointed, layers)
    runs = timings(layers, reps, collector=True)
    for key, values in runs.items():
        row[f"best_{key}"] = min(values)
        row[f"median_{key}"] = statistics.median(values)
    row["extra"] = row["best_ckpt"] / row["best_plain"] - 1
    row["extra_median"] = row["median_ckpt"] / row["median_plain"] - 1
    runs = timings(layers, reps, collector=False)
    row["extra_nogc"] = min(runs["ckpt"]) / min(runs["plain"]) - 1
    row["one_forward"] = min(runs["nograd"]) * (segments - 1) / segments / min(runs["plain"])
    return row


def kb(b: float) -> str:
    return f"{b / 1024:,.1f}"


HEADER = ("workload", "n", "k", "plain peak KB", "ckpt peak KB", "plain/ckpt",
          "ckpt B/sqrt(n)", "plain ms", "ckpt ms", "extra best/median",
          "extra gc off", "1 fwd predicts", "max rel diff")


def cells(r: dict) -> tuple:
    return (r["workload"], str(r["n"]), str(r["segments"]), kb(r["mem_plain"]),
            kb(r["mem_ckpt"]), f"{r['mem_plain'] / r['mem_ckpt']:.1f}x",
            f"{r['mem_ckpt'] / math.sqrt(r['n']):,.0f}",
            f"{1e3 * r['best_plain']:.2f}", f"{1e3 * r['best_ckpt']:.2f}",
            f"{100 * r['extra']:+.0f}% / {100 * r['extra_median']:+.0f}%",
            f"{100 * r['extra_nogc']:+.0f}%", f"{100 * r['one_forward']:+.0f}%",
            f"{r['diff']:.1e}")


def print_table(rows: list, markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(HEADER))) + "|")
        for r in rows:
            print("| " + " | ".join(cells(r)) + " |")
        return
    widths = [max(len(h), *(len(cells(r)[i]) for r in rows)) for i, h in enumerate(HEADER)]
    print("  ".join(h.rjust(w) for h, w in zip(HEADER, widths)))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(cells(r), widths)))


def exponents(rows: list) -> dict:
    """{workload: (plain exponent, checkpointed exponent, sizes used)}."""
    fits = {}
    for workload in dict.fromkeys(r["workload"] for r in rows):
        rs = [r for r in rows if r["workload"] == workload]
        if len([r for r in rs if r["n"] >= FIT_FROM]) >= 2:
            rs = [r for r in rs if r["n"] >= FIT_FROM]  # small n: fixed costs dominate
        if len({r["n"] for r in rs}) >= 2:
            ns = [r["n"] for r in rs]
            fits[workload] = (fit_exponent(ns, [r["mem_plain"] for r in rs]),
                              fit_exponent(ns, [r["mem_ckpt"] for r in rs]), ns)
    return fits


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=SIZES,
                    help="chain lengths n (default: %(default)s)")
    ap.add_argument("--reps", type=int, default=5, help="timed runs per method (default 5)")
    ap.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    ap.add_argument("--markdown", action="store_true", help="print Markdown table rows")
    args = ap.parse_args(argv)
    if min(args.sizes) < 1 or args.reps < 1:
        ap.error("sizes and --reps must be positive")

    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"gc thresholds {gc.get_threshold()} (enabled: {gc.isenabled()}), "
          f"{args.reps} interleaved runs per method")
    for w in args.workloads:
        print(f"  {w:<9}{WORKLOADS[w]}")
    print()

    rows = []
    for workload in args.workloads:
        for n in args.sizes:
            t0 = time.perf_counter()
            rows.append(measure(workload, n, args.reps))
            print(f"  measured {workload} n={n} in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)

    print_table(rows, args.markdown)
    print()
    print(f"(k = segments, round(sqrt(n)); peak = tracemalloc peak of forward + backward "
          f"above the weights; ms = best of {args.reps}, gc at defaults; extra = ckpt/plain - 1, "
          f"of the best and of the median runs; gc off: the same with the collector off; "
          f"'1 fwd predicts' = no-grad forward * (k-1)/k / plain, gc off)")

    print()
    print("the notes' claims, measured:")
    for workload, (p_plain, p_ckpt, ns) in exponents(rows).items():
        print(f"  memory ~ n**p, {workload:<8}: plain p = {p_plain:.2f}, checkpointed "
              f"p = {p_ckpt:.2f} (notes: 1 and 0.5; fit over n = {ns[0]}..{ns[-1]})")
    for workload in args.workloads:
        rs = [r for r in rows if r["workload"] == workload]
        last = rs[-1]
        print(f"  at n = {last['n']}, {workload:<8}: memory / {last['mem_plain'] / last['mem_ckpt']:.1f} "
              f"(notes: / about sqrt(n) = {math.sqrt(last['n']):.0f}), compute "
              f"{100 * last['extra']:+.0f}%, gc off {100 * last['extra_nogc']:+.0f}% "
              f"(notes: about +33%; one extra forward of this engine predicts "
              f"{100 * last['one_forward']:+.0f}%)")

    bad = [r for r in rows if not (r["diff"] <= REL and r["same_output"])]
    worst = max(r["diff"] for r in rows)
    print()
    print(f"gradients, checkpointed vs plain: max relative difference {worst:.2e} "
          f"(tolerance {REL:g}); outputs identical: {all(r['same_output'] for r in rows)}")
    if bad:
        for r in bad:
            print(f"FAIL: {r['workload']} n={r['n']}: relative difference {r['diff']:.3e}, "
                  f"same output: {r['same_output']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
