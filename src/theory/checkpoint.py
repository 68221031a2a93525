"""Gradient checkpointing: trade compute for memory in a deep chain.

Why a backward pass needs memory
--------------------------------
Reverse mode works from the output back to the inputs, and at every node it
needs the local derivatives, which are computed from values of the forward
pass (tanh' needs tanh's output, the derivative of w*x needs x and w). So a
plain forward pass keeps its whole graph alive until backward has run: for a
chain of n layers, memory grows like n.

The idea
--------
Run part of the chain, a *segment*, inside `no_grad()`: its intermediate
nodes are thrown away as soon as they are used, and only the segment's
output survives. Stand for the whole segment in the graph with ONE node
whose inputs are the segment's inputs. When backward reaches that node,
run the segment again, this time recording a small graph, and run a
backward pass on that small graph seeded with the gradient that reached the
node: what each input receives is exactly what plain backward would have
sent it (the same products in the same order, so the gradients match bit
for bit when each weight serves one layer). The small graph lives only
while its gradients are read, then it is freed.

Cut a chain of n layers into k segments and keep only the k segment
boundaries: at any moment memory holds about k boundaries plus one segment
of n/k layers being recomputed. That is smallest for k about sqrt(n), where
it is about 2*sqrt(n) instead of n. The price is a second forward pass over
(almost) every layer.

    >>> from src.autograd import Value
    >>> x, w, b = Value(0.5), Value(2.0), Value(-1.0)
    >>> y = checkpoint(lambda x, w, b: (w * x + b).tanh(), x, w, b)
    >>> y.op, len(y.inputs)
    ('checkpoint', 3)
    >>> y.backward()
    >>> round(w.grad, 12)            # x * (1 - tanh(w*x + b)**2), with w*x + b = 0
    0.5

The rule that makes it correct
------------------------------
The segment's node only knows about the Values passed to `checkpoint`. If
the segment also reads some other Value (a weight captured by a closure,
say), the recomputed graph reaches it but the outer graph does not, and its
gradient would quietly be lost. `checkpoint` refuses: during backward it
checks that every leaf of the recomputed graph is either a copy of a passed
input or a constant the segment created itself, and raises an error naming
the Value otherwise.

How does it tell a constant made inside the segment from a Value read from
outside? By identity: a Value made inside is a new object every time the
segment runs, while a Value read from outside is the same object every time.
When a recomputed graph has leaves besides the input copies, the segment is
run a second time (with the first graph still alive, so no object can be
recycled) and any node that appears in both graphs came from outside. A
segment whose only leaves are its inputs (a layer whose weights are passed
in) skips that second run.

What it costs here
------------------
In a tensor library an activation is a large array and a layer's weights are
a few arrays, so the activations are what checkpointing saves. In this scalar
engine every weight is a node of its own, as big as an activation, and each
still needs its gradient and a fresh copy while its segment is recomputed:
a chain with two weights per layer keeps memory proportional to n (several
times smaller than plain backward), while a chain that reuses the same
weights in every layer shows the sqrt(n) law. benchmarks/checkpointing.py
measures both, and the extra time (benchmarks/CHECKPOINTING.md).

Standard library only, like the engine.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from src.autograd import Value, short_number, enable_grad, is_grad_enabled, no_grad

__all__ = ["checkpoint", "checkpoint_sequential", "split_evenly"]


# --------------------------------------------------------------------------
# Checks with one-line errors
# --------------------------------------------------------------------------

def _callable_name(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _name(segment) -> str:
    return f"segment {_callable_name(segment)!r}"


def _check_inputs(where: str, inputs: tuple) -> None:
    if not inputs:
        raise TypeError(
            f"{where} needs at least one input Value to differentiate with "
            "respect to, e.g. checkpoint(segment, x, w)"
        )
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(
                f"{where}: input {i} is {type(v).__name__} {v!r:.60}, not a Value; "
                "pass Values (wrap a number with Value(...), or let the segment "
                "use it as a constant)"
            )


def _check_output(segment, out, when: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(
            f"checkpoint: {_name(segment)} returned {type(out).__name__} "
            f"{out!r:.60} {when}; it must return a single Value"
        )
    return out


def _describe(v: Value) -> str:
    label = f"label {v.label!r}, " if v.label else ""
    kind = "a leaf" if v.is_leaf else f"a {v.op!r} node"
    return f"a Value ({kind}, {label}data={short_number(v.data)})"


# --------------------------------------------------------------------------
# checkpoint
# --------------------------------------------------------------------------

def checkpoint(segment: Callable[..., Value], *inputs: Value) -> Value:
    """Run `segment(*inputs)` keeping none of its intermediate nodes.

    Returns one node (op "checkpoint") whose inputs are `inputs`. Its local
    derivatives d(output)/d(input_i) are found during backward by running
    the segment again on fresh leaf copies of the inputs, with recording on,
    and back-propagating through that small graph.

    Rules for the segment:
    - every Value it reads must be one of `inputs` (plain numbers are fine:
      they become constants); otherwise backward raises an error;
    - it must compute the same thing each time it runs (no randomness, no
      changing outside state), and the inputs' `.data` must not change
      between the forward and the backward pass; backward checks that the
      recomputed output equals the stored one and raises otherwise;
    - the recomputation always records its graph, even when the backward
      pass runs with recording off (inside `no_grad()`, or in `grad()`), as
      PyTorch's checkpoint does with `torch.enable_grad()`. `grad(...,
      create_graph=True)` cannot go through a checkpoint: its local
      derivatives are plain numbers.

    Inside `no_grad()` there is no graph to save memory on, so `checkpoint`
    just returns `segment(*inputs)`.
    """
    if not callable(segment):
        raise TypeError(
            f"checkpoint expects a callable segment first, got "
            f"{type(segment).__name__} {segment!r:.60}; "
            "call it as checkpoint(segment, *inputs)"
        )
    _check_inputs("checkpoint", inputs)
    if not is_grad_enabled():
        return _check_output(segment, segment(*inputs), "inside no_grad()")

    with no_grad():  # values only: every intermediate is freed once used
        out = _check_output(segment, segment(*inputs), "in the forward pass")
    return Value._result(out.data, "checkpoint", inputs, _recompute_local(segment))


class _Recompute:
    """The backward rule of one checkpoint node: recompute, then differentiate.

    Holds the segment only (never the node, which would make a reference
    cycle): the engine hands the node in when it needs it.

    - `vjp(node, upstream)` is what `backward()` calls: the segment's own
      backward pass, seeded with the upstream gradient, returns what each
      input receives. These are the very products plain backward forms, in
      the same order, so a chain whose weights each serve one layer gets
      bit-identical gradients.
    - Called as `local(node)`, it gives the local derivatives
      d(node)/d(input) (the seed is 1), for `backward_steps()` and `grad()`.
    """

    def __init__(self, segment: Callable[..., Value]):
        self.segment = segment

    def __call__(self, node: Value) -> tuple:
        return self.vjp(node, 1.0)

    def vjp(self, node: Value, upstream: float) -> tuple:
        # Record even when backward runs with recording off (inside no_grad,
        # or grad() without create_graph): the recomputation needs its graph.
        with enable_grad():
            return _derivatives(self.segment, node, upstream)


def _recompute_local(segment: Callable[..., Value]) -> _Recompute:
    return _Recompute(segment)


def _derivatives(segment, node: Value, upstream: float = 1.0) -> tuple:
    """upstream * d(node)/d(input) for each input of a checkpoint node, by recomputing."""
    # Fresh leaves: the small backward below writes scratch state into every
    # node it visits, so it must never touch the outer graph.
    copies = tuple(v.detach() for v in node.inputs)
    out = _check_output(segment, segment(*copies), "when recomputed in backward")
    order = out.topological_order()  # one walk serves the check and the backward
    allowed = {id(c) for c in copies}
    if any(n.is_leaf and id(n) not in allowed for n in order):
        _check_closed(segment, copies, order, node.inputs)
    if out.data != node.data:
        raise RuntimeError(
            f"checkpoint: recomputing {_name(segment)} gave {short_number(out.data)} "
            f"but the forward pass gave {short_number(node.data)}; a segment must "
            "compute the same value every time (no randomness or outside "
            "state), and its inputs must not change before backward()"
        )
    # The engine's own chain-rule pass over that order, seeded with the
    # upstream gradient; the copies' scratch adjoints are the answer (no
    # `.grad` of the throw-away graph needs filling in).
    out._adjoints(order, upstream)
    return tuple(c._adj for c in copies)


def _check_closed(segment, copies: tuple, first_run: list, originals: tuple = ()) -> None:
    """Raise if the recomputed graph reaches a Value from outside the segment.

    Called when some leaf of the recomputed graph (`first_run`, its nodes in
    topological order) is not one of `copies`: such a leaf is a constant
    the segment made (fine) or a Value it read from outside (not fine), told
    apart by running the segment once more: only a Value from outside is
    the same object in both runs.
    """
    # `first_run` keeps every first-run node alive, so no id can be reused below.
    seen = {id(node) for node in first_run}
    copy_ids = {id(c) for c in copies}
    again = _check_output(segment, segment(*copies), "when recomputed in backward")
    outside = []
    if id(again) in seen and id(again) not in copy_ids:
        outside.append(again)  # the segment returned an outside Value itself
    for node in again.topological_order():
        if id(node) in seen:
            continue  # an input copy or an outside Value: look at who reads it
        for inp in node.inputs:
            if id(inp) in seen and id(inp) not in copy_ids and \
                    all(inp is not o for o in outside):
                outside.append(inp)
    if outside:
        more = f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""
        if any(outside[0] is v for v in originals):
            raise ValueError(
                f"checkpoint: {_name(segment)} reads {_describe(outside[0])} from outside "
                "(a closure or a global) although it was passed as an input: inside the "
                "segment use its parameter, which holds that Value, not the outer name"
            )
        raise ValueError(
            f"checkpoint: {_name(segment)} reads {_describe(outside[0])}{more} "
            "that was not passed to checkpoint, so its gradient would be lost; "
            "pass every Value the segment uses as an input: "
            "checkpoint(segment, x, w, ...)"
        )


# --------------------------------------------------------------------------
# checkpoint_sequential
# --------------------------------------------------------------------------

def split_evenly(n: int, pieces: int) -> list:
    """Sizes of `pieces` consecutive runs covering n items, differing by <= 1.

    >>> split_evenly(10, 3)
    [4, 3, 3]
    """
    base, extra = divmod(n, pieces)
    return [base + 1 if i < extra else base for i in range(pieces)]


def _piece(layers, start: int, stop: int):
    """Layers start..stop-1 as one segment: (segment function, its parameters).

    The segment is called as segment(x, *values), where `values` are the
    piece's distinct parameters (a weight shared by several layers is one
    input, not many) or, when backward recomputes the piece, copies of them
    in the same order. Each layer is handed whatever stands for its own
    parameters. The segment keeps the layer list and two indices, plus the
    parameters the checkpoint node holds anyway: no per-layer bookkeeping.
    """
    params, seen, count, previous = [], set(), 0, None
    for i in range(start, stop):
        layer = layers[i]
        if not (isinstance(layer, (tuple, list)) and len(layer) == 2 and callable(layer[0])):
            raise TypeError(
                f"checkpoint_sequential: layer {i} is {type(layer).__name__} "
                f"{layer!r:.60}; each layer must be a pair (fn, params) with "
                "fn(x, *params) -> Value"
            )
        layer_params = layer[1]
        if layer_params is not previous:  # (the same weights as the layer before: checked)
            if not isinstance(layer_params, (tuple, list)):
                raise TypeError(
                    f"checkpoint_sequential: the params of layer {i} must be a tuple "
                    f"or list of Values, got {type(layer_params).__name__} "
                    f"{layer_params!r:.60}"
                )
            for p in layer_params:
                if id(p) not in seen:
                    if not isinstance(p, Value):
                        raise TypeError(
                            f"checkpoint_sequential: layer {i} has a parameter of type "
                            f"{type(p).__name__} ({p!r:.60}); parameters must be Values"
                        )
                    seen.add(id(p))
                    params.append(p)
            previous = layer_params
        count += len(layer_params)
    params = tuple(params)

    def segment(x, *values):
        if all(v is p for v, p in zip(values, params)):  # the forward pass
            for fn, layer_params in layers[start:stop]:
                x = fn(x, *layer_params)
                if not isinstance(x, Value):
                    raise _not_a_value(fn, x)
        elif len(params) == count:  # copies, no parameter shared: in order
            at = 0
            for fn, layer_params in layers[start:stop]:
                end = at + len(layer_params)
                x = fn(x, *values[at:end])
                if not isinstance(x, Value):
                    raise _not_a_value(fn, x)
                at = end
        else:  # copies, some parameter shared: hand each layer its stand-ins
            stand_in = {id(p): v for p, v in zip(params, values)}
            handed = {}  # layers often share one params tuple: map it once
            for fn, layer_params in layers[start:stop]:
                args = handed.get(id(layer_params))
                if args is None:
                    args = handed[id(layer_params)] = [stand_in[id(p)] for p in layer_params]
                x = fn(x, *args)
                if not isinstance(x, Value):
                    raise _not_a_value(fn, x)
        return x

    return segment, params


def _not_a_value(fn, out) -> TypeError:
    return TypeError(
        f"checkpoint_sequential: layer function {_callable_name(fn)!r} "
        f"returned {type(out).__name__} {out!r:.60}; it must return a Value"
    )


def checkpoint_sequential(layers: Sequence, x: Value, segments: int | None = None) -> Value:
    """Apply a chain of layers to `x`, checkpointing it in `segments` pieces.

    `layers` is a sequence of pairs `(fn, params)`: `fn(x, *params)` returns
    the layer's output Value and `params` are the Values it reads (its
    weights), e.g. `(lambda x, w, b: (w * x + b).tanh(), (w0, b0))`. The
    parameters are passed explicitly so each checkpointed piece can name
    everything it reads; a Value shared by several layers (tied weights, an
    unrolled recurrence) becomes one input of the piece.

    The chain is cut into `segments` consecutive pieces of (almost) equal
    length; the default is about sqrt(len(layers)), which balances the
    stored boundaries against the size of one recomputed piece. Every piece
    but the last is checkpointed. The last one runs normally, as in PyTorch's
    `checkpoint_sequential`: backward reaches it first and would recompute
    it at once, so keeping its graph costs no more memory than recomputing
    it, and saves a forward pass. With `segments=1` nothing is checkpointed.
    """
    if not isinstance(layers, (list, tuple)):
        try:
            layers = list(layers)
        except TypeError:
            raise TypeError(
                f"checkpoint_sequential expects a sequence of (fn, params) layers, "
                f"got {type(layers).__name__} {layers!r:.60}"
            ) from None
    if not layers:
        raise ValueError("checkpoint_sequential needs at least one layer")
    if not isinstance(x, Value):
        raise TypeError(
            f"checkpoint_sequential: x must be a Value, got {type(x).__name__} {x!r:.60}"
        )
    n = len(layers)
    if segments is None:
        segments = max(1, round(math.sqrt(n)))
    if isinstance(segments, bool) or not isinstance(segments, int):
        raise TypeError(
            f"checkpoint_sequential: segments must be an int, got "
            f"{type(segments).__name__} {segments!r:.60}"
        )
    if not 1 <= segments <= n:
        raise ValueError(
            f"checkpoint_sequential: segments must be between 1 and the number "
            f"of layers ({n}), got {segments}"
        )
    start = 0
    for piece, size in enumerate(split_evenly(n, segments)):
        segment, params = _piece(layers, start, start + size)
        start += size
        if piece == segments - 1:
            x = segment(x, *params)
        else:
            x = checkpoint(segment, x, *params)
    return x
