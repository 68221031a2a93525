"""Our engine (src/autograd.py) against micrograd 0.1.0 on the same training run.

    cd /work/main && PYTHONPATH=. python3 benchmarks/engine_vs_micrograd.py [--reps 7] [--steps 5]

(`--points 20` runs the same code on a smaller data set: the tests use it.)

The workload is micrograd's own demo in small: an MLP 2 -> 16 -> 16 -> 1 with
ReLU hidden layers and a linear output, the max-margin loss
mean(relu(1 - y * score)) over 100 moons points (noise 0.1, seed 1), and
full-batch SGD for a few steps from the same initial weights.

Both engines run *the same Python function* (`train_steps` below), handed
their own `Value` class, so the two graphs are identical node for node:
only the `+ * relu` operations micrograd 0.1.0 has are used, and plain
numbers enter the graph the same way in both (as constant leaves made by
`__rmul__`/`__radd__`). A third variant runs our own `src.models.MLP`,
`hinge` and `SGD` on the same weights, to show the cost of the friendly API.

1. Correctness: the losses of all variants must agree to 1e-9 at every step
   (the script exits with status 1 if not).
2. Speed: time per step (forward + backward + zero_grad + update), runs
   interleaved ours, micrograd, ours, micrograd, ... so machine noise hits
   both; the median over runs is reported. Python's garbage collector stays
   at its defaults; a `gc.callbacks` hook only measures how much of each
   step the collector takes.
3. Memory: in a separate pass, peak traced memory (tracemalloc) of one
   forward + backward, divided by the number of graph nodes.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import platform
import random
import statistics
import sys
import time
import tracemalloc

from micrograd.engine import Value as MicroValue

from src.autograd import Value as OurValue
from src.data import make_moons
from src.models import MLP, SGD, hinge

SIZES = [2, 16, 16, 1]
N_POINTS, NOISE, DATA_SEED, WEIGHT_SEED = 100, 0.1, 1, 1337
LR = 0.05
TOL = 1e-9


def initial_weights(seed: int = WEIGHT_SEED) -> list:
    """Flat list of floats in src.models order: layer, neuron, weights, bias."""
    rng = random.Random(seed)
    flat = []
    for nin, nout in zip(SIZES, SIZES[1:]):
        for _ in range(nout):
            flat.extend(rng.uniform(-1.0, 1.0) for _ in range(nin))
            flat.append(rng.uniform(-0.1, 0.1))
    return flat


def build_params(V, flat: list) -> list:
    """[[(w list, b), ... per neuron], ... per layer] of `V` leaves."""
    it = iter(flat)
    layers = []
    for nin, nout in zip(SIZES, SIZES[1:]):
        layer = []
        for _ in range(nout):
            w = [V(next(it)) for _ in range(nin)]
            layer.append((w, V(next(it))))
        layers.append(layer)
    return layers


def loss_of(V, layers, X, y):
    """Max-margin loss of the hand-written MLP; works with either engine."""
    last = len(layers) - 1
    terms = []
    for (x1, x2), label in zip(X, y):
        x = [V(x1), V(x2)]
        for k, layer in enumerate(layers):
            out = []
            for w, b in layer:
                act = w[0] * x[0]
                for i in range(1, len(w)):
                    act = act + w[i] * x[i]
                act = act + b
                out.append(act if k == last else act.relu())
            x = out
        score = x[0]
        terms.append((1 + (-label) * score).relu())
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total * (1.0 / len(terms))


def flat_params(layers) -> list:
    return [p for layer in layers for w, b in layer for p in (*w, b)]


def train_steps(V, flat, X, y, steps, timer=None, phases=None):
    """`steps` full-batch SGD steps; returns the loss at each step.

    `timer` collects each step's time; `phases` each step's (forward,
    backward) times, backward meaning `loss.backward()` alone.
    """
    layers = build_params(V, flat)
    params = flat_params(layers)
    losses = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = loss_of(V, layers, X, y)
        for p in params:
            p.grad = 0.0
        tb = time.perf_counter()
        loss.backward()
        te = time.perf_counter()
        for p in params:
            p.data -= LR * p.grad
        t1 = time.perf_counter()
        if timer is not None:
            timer.append(t1 - t0)
        if phases is not None:
            phases.append((tb - t0, te - tb))
        losses.append(loss.data)
        del loss  # drop the graph before the next step, in both engines
    return losses


def train_steps_models(flat, X, y, steps, timer=None):
    """The same run through src.models: MLP, hinge and SGD."""
    model = MLP(SIZES[0], SIZES[1:], activation="relu", seed=0)
    for p, v in zip(model.parameters(), flat):
        p.data = v
    opt = SGD(model.parameters(), lr=LR)
    losses = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = hinge([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        t1 = time.perf_counter()
        if timer is not None:
            timer.append(t1 - t0)
        losses.append(loss.data)
        del loss
    return losses


class GCClock:
    """Time spent in Python's cyclic garbage collector, via `gc.callbacks`.

    Only watches; the collector itself runs at its default thresholds.
    """

    def __init__(self):
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._start = 0.0

    def __call__(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.collections[info["generation"]] += 1


def count_nodes_micro(root) -> int:
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        stack.extend(v._prev)
    return len(seen)


def memory_pass(V, flat, X, y, count):
    """(peak bytes of forward+backward, bytes held by the graph, nodes)."""
    layers = build_params(V, flat)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        loss = loss_of(V, layers, X, y)
        graph_bytes = tracemalloc.get_traced_memory()[0] - base
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    nodes = count(loss)
    return peak, graph_bytes, nodes


def load_engine(path: str):
    """The `Value` class of another copy of src/autograd.py (e.g. an older one)."""
    spec = importlib.util.spec_from_file_location("baseline_autograd", path)
    if spec is None or not path.endswith(".py"):
        raise SystemExit(f"--baseline needs a .py file (a copy of src/autograd.py), got {path!r}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        return module.Value
    except Exception as exc:  # any failure: say which file and why, then stop
        raise SystemExit(f"--baseline {path}: cannot load a Value class from it "
                         f"({type(exc).__name__}: {exc})") from None


def phase_table(variants, flat, X, y, reps, steps) -> None:
    """Forward and backward medians per engine, runs interleaved."""
    phases = {name: [] for name, _ in variants}
    for _ in range(reps):
        for name, V in variants:
            train_steps(V, flat, X, y, steps, phases=phases[name])
    print(f"{'phase medians (ms)':<28}{'forward':>10}{'backward':>10}")
    for name, _ in variants:
        fwd = statistics.median(f for f, _ in phases[name])
        bwd = statistics.median(b for _, b in phases[name])
        print(f"{name:<28}{1e3 * fwd:>10.2f}{1e3 * bwd:>10.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7, help="interleaved runs per engine")
    ap.add_argument("--steps", type=int, default=5, help="SGD steps per run")
    ap.add_argument("--points", type=int, default=N_POINTS,
                    help="moons points in the workload (smaller: the same code, sooner)")
    ap.add_argument("--baseline", metavar="AUTOGRAD_PY",
                    help="also time another copy of src/autograd.py side by side, "
                         "e.g. an older commit's: git show 1f83817:src/autograd.py > /tmp/old.py")
    args = ap.parse_args(argv)
    if args.points < 2:
        ap.error(f"--points must be at least 2 (one per moon), got {args.points}")
    baseline = load_engine(args.baseline) if args.baseline else None

    X, y = make_moons(args.points, NOISE, DATA_SEED)
    flat = initial_weights()

    # 1. Correctness: identical losses at every step.
    ours = train_steps(OurValue, flat, X, y, args.steps)
    micro = train_steps(MicroValue, flat, X, y, args.steps)
    api = train_steps_models(flat, X, y, args.steps)
    worst = max(max(abs(a - b), abs(a - c)) for a, b, c in zip(ours, micro, api))
    print(f"losses per step: {[f'{v:.12f}' for v in ours]}")
    print(f"max |ours - micrograd|, |ours - src.models| over {args.steps} steps: {worst:.3e}")
    if not worst <= TOL:
        print(f"FAIL: the engines disagree by more than {TOL:g}", file=sys.stderr)
        for k, (a, b, c) in enumerate(zip(ours, micro, api)):
            print(f"  step {k}: ours {a!r} micrograd {b!r} src.models {c!r}", file=sys.stderr)
        return 1
    if not ours[-1] < ours[0]:
        print("FAIL: the loss did not decrease", file=sys.stderr)
        return 1

    # 2. Speed, interleaved: ours, micrograd, src.models, ours, micrograd, ...
    t_ours, t_micro, t_api = [], [], []
    run_ours, run_micro, run_api = [], [], []
    gc_time = {"ours": 0.0, "micro": 0.0, "api": 0.0}
    gc_count = {"ours": [0, 0, 0], "micro": [0, 0, 0], "api": [0, 0, 0]}
    clock = GCClock()
    gc.callbacks.append(clock)
    try:
        for _ in range(args.reps):
            for key, timer, runs, fn in (
                ("ours", t_ours, run_ours,
                 lambda t: train_steps(OurValue, flat, X, y, args.steps, t)),
                ("micro", t_micro, run_micro,
                 lambda t: train_steps(MicroValue, flat, X, y, args.steps, t)),
                ("api", t_api, run_api,
                 lambda t: train_steps_models(flat, X, y, args.steps, t)),
            ):
                steps = []
                before, counts = clock.seconds, list(clock.collections)
                fn(steps)
                gc_time[key] += clock.seconds - before
                gc_count[key] = [a + b - c for a, b, c in
                                 zip(gc_count[key], clock.collections, counts)]
                timer.extend(steps)
                runs.append(sum(steps) / len(steps))
    finally:
        gc.callbacks.remove(clock)
    n_steps = args.reps * args.steps

    # 3. Memory, separate pass.
    mem_ours = memory_pass(OurValue, flat, X, y, lambda r: len(r.topological_order()))
    mem_micro = memory_pass(MicroValue, flat, X, y, count_nodes_micro)

    med_o, med_m, med_a = (statistics.median(t) for t in (t_ours, t_micro, t_api))
    print()
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"gc thresholds {gc.get_threshold()} (defaults, gc enabled: {gc.isenabled()})")
    print(f"workload: MLP {'-'.join(map(str, SIZES))} ReLU, max-margin loss, "
          f"{args.points} moons points, {args.steps} steps x {args.reps} interleaved runs")
    print(f"graph nodes per step: ours {mem_ours[2]}, micrograd {mem_micro[2]}")
    print()
    print(f"{'time per step (ms)':<28}{'median':>10}{'min':>10}{'max':>10}"
          f"{'in gc/step':>12}  gc runs gen0/1/2 per step")
    for name, key, t in (("ours (hand-written net)", "ours", t_ours),
                         ("micrograd 0.1.0", "micro", t_micro),
                         ("ours via src.models", "api", t_api)):
        per = "/".join(f"{c / n_steps:.1f}" for c in gc_count[key])
        print(f"{name:<28}{1e3 * statistics.median(t):>10.2f}"
              f"{1e3 * min(t):>10.2f}{1e3 * max(t):>10.2f}"
              f"{1e3 * gc_time[key] / n_steps:>12.2f}  {per}")
    print("(in gc/step: time inside Python's cyclic collector during a run, "
          "divided by its steps; almost all of it falls inside the timed steps)")
    ratio = med_m / med_o
    run_ratios = [m / o for o, m in zip(run_ours, run_micro)]
    print()
    print(f"speed-up (micrograd / ours, medians of steps): {ratio:.2f}x")
    print(f"speed-up per interleaved run pair: min {min(run_ratios):.2f}x, "
          f"median {statistics.median(run_ratios):.2f}x, max {max(run_ratios):.2f}x")
    print(f"src.models API overhead vs hand-written net: {med_a / med_o:.2f}x")
    print()
    print(f"{'memory (tracemalloc)':<28}{'peak fwd+bwd':>14}{'per node':>10}{'graph only':>12}{'per node':>10}")
    for name, (peak, held, nodes) in (("ours", mem_ours), ("micrograd 0.1.0", mem_micro)):
        print(f"{name:<28}{peak / 1e6:>11.2f} MB{peak / nodes:>8.0f} B"
              f"{held / 1e6:>9.2f} MB{held / nodes:>8.0f} B")
    print(f"memory ratio (micrograd / ours, peak per node): {mem_micro[0] / mem_ours[0]:.2f}x")
    print()
    target = 10.0
    print(f"target >= {target:.0f}x faster: {'met' if ratio >= target else 'NOT met'}")

    if baseline is not None:
        # The same training run on both copies of the engine, checked and
        # timed phase by phase (interleaved): does backward() stay as fast?
        old = train_steps(baseline, flat, X, y, args.steps)
        gap = max(abs(a - b) for a, b in zip(ours, old))
        print()
        print(f"baseline engine {args.baseline}: max |loss difference| {gap:.3e}")
        if not gap <= TOL:
            print(f"FAIL: the baseline engine disagrees by more than {TOL:g}", file=sys.stderr)
            return 1
        phase_table([("ours (this engine)", OurValue), ("baseline engine", baseline)],
                    flat, X, y, args.reps, args.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
