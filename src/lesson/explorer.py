"""What the explorer's page asks the engine, answered as JSON (no manim).

The explorer (`make explorer`, src/publish/explorer.py) is a web page that
runs this project's engine in the browser through Pyodide: this module,
src/autograd.py, src/models.py, src/data.py and the lesson modules they use
are loaded there unchanged. The page's JavaScript only draws and handles
input; every number it shows comes from here, already formatted the way the
scenes format it (`format_number`), next to the full float for checks.

One entry point, `respond(request)`: a JSON request `{"kind": ..., "args":
{...}}` in, a JSON answer out. A bad input answers `{"error": "<one line>"}`
with the very message `make explain` prints (src/lesson/expression.py).

    kind         answers
    catalog      the operations, worked examples, training defaults
    expression   a typed expression at given values: its graph, forward and
                 backward pass (`explain()`: same parser, same checks)
    example      one of EXAMPLES (the lecture's L, the article's f, ...)
    network      a neuron as a graph, or the 2-3-1 network with every weight,
                 activation and gradient
    train_start  a fresh 2-4-1 MLP on `moons()`; the points and boundary
    train_step   `steps` full-batch steps of `src.data.train`; the losses
    boundary     the current decision boundary on a grid

Graphs are laid out by src/lesson/graph_layout.py, as the scenes lay them out.
"""
from __future__ import annotations

import json
import math

from src.autograd import Value, no_grad, operation_of
from src.data import MOONS_SETTINGS, accuracy, evaluate_grid, train
from src.lesson.examples import lecture_loss, shared_input
from src.lesson.expression import FUNCTIONS, ExplainError, explain
from src.lesson.graph_layout import node_positions
from src.lesson.graph_text import backward_code, format_number, forward_code, graph_names, local_rule
from src.lesson.moons import moons
from src.models import MLP, Neuron, mse

__all__ = ["respond", "graph_json", "EXAMPLES", "OPERATIONS", "TRAINING", "NETWORK",
           "article_example", "Trainer"]


# --------------------------------------------------------------------------
# The worked examples
# --------------------------------------------------------------------------

def _named(value: Value, label: str) -> Value:
    value.label = label
    return value


def article_example(a: float = 2.0, b: float = 3.0, c: float = 0.5):
    """The article's f = a*b + tanh(c) - 0.5*a**2, with d = a*b and e = tanh(c)
    named as in its code. `a` is used twice: its gradient accumulates (b - a).

    Returns (f, (a, b, c)).
    """
    av, bv, cv = Value(a, "a"), Value(b, "b"), Value(c, "c")
    d = _named(av * bv, "d")
    e = _named(cv.tanh(), "e")
    return _named(d + e - 0.5 * av ** 2, "f"), (av, bv, cv)


# name -> (title, builder, which leaves are parameters, a sentence for the page)
EXAMPLES = {
    "lecture": ("L = (x·w + b)²", lambda: lecture_loss(), ("w", "b"),
                "The lecture's graph (Scenes 2 and 5): x = 2, w = −1.5, b = 0.5."),
    "article": ("f = a·b + tanh(c) − 0.5·a²", lambda: article_example(), (),
                "The article's worked example: a = 2, b = 3, c = 0.5. "
                "a feeds two operations, so its gradient accumulates: ∂f/∂a = b − a."),
    "shared": ("f = x·w + x", lambda: shared_input(), ("w",),
               "The smallest graph where one value is used twice (Scene 5's accumulation)."),
}

# The operations section: what a student picks, as an expression the parser
# reads, with the values it starts at.
_BINARY = (("a + b", "add"), ("a - b", "subtract"), ("a * b", "multiply"),
           ("a / b", "divide"), ("a ** b", "power"), ("a ** 2", "square"), ("-a", "negate"))
OPERATIONS = [{"expression": text, "name": name, "values": {"a": 2.0, "b": -3.0}
               if "b" in text else {"a": 2.0}} for text, name in _BINARY]
OPERATIONS[4]["values"] = {"a": 2.0, "b": 3.0}  # a ** b needs a > 0 for d/db
OPERATIONS += [{"expression": f"{fn}(a)", "name": fn, "values": {"a": 0.5}} for fn in FUNCTIONS]

_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def op_symbol(value: Value) -> str:
    """The symbol drawn in the operation's diamond, as plain text ("×",
    "(·)²", "tanh"): its entry's `symbol` in the engine's operation table;
    an operation of its own (custom_ops) shows its name."""
    entry = operation_of(value)
    if entry is None or entry.symbol is None:
        return value.op
    exponent = "" if value.exponent is None else format_number(value.exponent)
    return entry.symbol.format(n=exponent.translate(_SUPERSCRIPT))


# --------------------------------------------------------------------------
# A graph as JSON: nodes, edges, the forward pass, the backward pass
# --------------------------------------------------------------------------

def _number(x: float) -> dict:
    return {"value": x, "text": format_number(x)}


def graph_json(root: Value, parameters=(), title: str = "") -> dict:
    """Everything the page draws and steps through for the graph of `root`.

    Node ids: "v<i>" for the value node of the i-th Value in topological
    order, "o<i>" for the diamond of the operation that made it; edges
    "e<i>_<k>" from input k into "o<i>", "e<i>" from "o<i>" to "v<i>".
    `forward` lists the operations in the order the engine ran them;
    `backward` the engine's `backward_steps()`, one per node, each with its
    chain-rule products and the running total each input has after it.
    """
    order = root.topological_order()
    names = graph_names(root)
    index = {v: i for i, v in enumerate(order)}
    positions = node_positions(root, order)
    parameters = set(parameters)

    def role(v: Value) -> str:  # as ComputationGraph.role_of
        if v is root:
            return "output"
        if not v.is_leaf:
            return "activation"
        if v in parameters:
            return "parameter"
        return "input" if v.label else "constant"

    nodes, edges, forward = [], [], []
    code_lines = forward_code(root, names)
    for v in order:
        i = index[v]
        x, y = positions[("v", v)]
        nodes.append({"id": f"v{i}", "kind": "value", "name": names[v], "role": role(v),
                      "x": x, "y": y, **_number(v.data)})
        if v.is_leaf:
            continue
        x, y = positions[("op", v)]
        nodes.append({"id": f"o{i}", "kind": "op", "op": v.op, "symbol": op_symbol(v),
                      "x": x, "y": y})
        seen = {}
        for k, inp in enumerate(v.inputs):
            repeat = seen.get(inp, 0)
            seen[inp] = repeat + 1  # a value used twice by one op: a bent second edge
            bend = 0.0 if repeat == 0 else 0.6 * (1 if repeat % 2 else -1)
            edges.append({"id": f"e{i}_{k}", "source": f"v{index[inp]}", "target": f"o{i}",
                          "bend": bend, **_number(inp.data)})
        edges.append({"id": f"e{i}", "source": f"o{i}", "target": f"v{i}", "bend": 0.0,
                      **_number(v.data)})
        forward.append({"value": f"v{i}", "op": f"o{i}",
                        "edges": [f"e{i}_{k}" for k in range(len(v.inputs))] + [f"e{i}"],
                        "code": code_lines[len(forward)], "numbers": _forward_numbers(v)})

    code = {(s, c): line for line, s, c in backward_code(root, names)}
    root_name = names[root]
    running = {}
    backward = []
    for s, step in enumerate(root.backward_steps()):
        node = step.node
        i = index[node]
        contributions = []
        for k, contribution in enumerate(step.contributions):
            target = contribution.input
            before = running.get(target)
            running[target] = (before or 0.0) + contribution.added
            contributions.append({
                "input": f"v{index[target]}", "edge": f"e{i}_{k}", "name": names[target],
                "rule": _factor(local_rule(node, k, names)),
                "local": _number(contribution.local),
                "added": _number(contribution.added),
                "before": None if before is None else _number(before),
                "total": _number(running[target]),
                "code": code.get((s, k), ""),
            })
        backward.append({"node": f"v{i}", "name": names[node], "leaf": node.is_leaf,
                         "upstream": _number(step.upstream),
                         "gradient": f"∂{root_name}/∂{names[node]}",
                         "seed": code[(0, None)] if s == 0 else "",
                         "contributions": contributions})
    # A node's upstream at its visit is final: d root / d node.
    gradients = {step["node"]: step["upstream"] for step in backward}
    return {"title": title, "root": f"v{index[root]}", "root_name": root_name,
            "nodes": nodes, "edges": edges, "forward": forward, "backward": backward,
            "gradients": gradients}


def _factor(rule: str) -> str:
    """A local rule as one factor of a product: "(1 - e ** 2)", "w"."""
    return f"({rule})" if " " in rule else rule


def _forward_numbers(v: Value) -> str:
    """The operation with the engine's numbers: "2 × (−1.5) = −3"."""
    def shown(x: Value) -> str:
        text = format_number(x.data)
        return f"({text})" if text.startswith("-") else text
    operands = [shown(x) for x in v.inputs]
    result = format_number(v.data)
    if v.op == "**" and v.exponent is not None:
        return f"{operands[0]} ** {format_number(v.exponent)} = {result}"
    if len(operands) == 1:
        return f"{'−' if v.op == '-' else v.op}({format_number(v.inputs[0].data)}) = {result}"
    return f" {op_symbol(v)} ".join(operands) + f" = {result}"


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------

def _expression(text: str, values: dict, title: str = "") -> dict:
    """A typed expression: `explain()` checks it exactly as `make explain` does."""
    explanation = explain(text, values)
    root = explanation.root
    body = graph_json(root, title=title or f"{explanation.root_name} = {explanation.expression.text}")
    rules = []
    first = root.backward_steps()[0]
    names = graph_names(root)
    for k, contribution in enumerate(first.contributions):
        rules.append({"input": names[contribution.input],
                      "rule": local_rule(root, k, names),
                      "local": _number(contribution.local)})
    body.update(expression=explanation.expression.text,
                values={k: _number(v) for k, v in explanation.values.items()},
                rules=rules, command=_explain_command(explanation))
    return body


def _explain_command(explanation) -> str:
    values = " ".join(f"{k}={format(v, 'g')}" for k, v in explanation.values.items())
    return f'make explain EXPR="{explanation.expression.text}" VALUES="{values}" QUALITY=low'


def _example(name: str) -> dict:
    if name not in EXAMPLES:
        raise ExplainError(f"unknown example {name!r}; known: {', '.join(EXAMPLES)}")
    title, build, parameters, note = EXAMPLES[name]
    root, leaves = build()
    body = graph_json(root, [v for v in leaves if v.label in parameters], title)
    body["note"] = note
    return body


# The network section: the lecture's 2-3-1 network (Scene 3's settings) and
# one neuron of it on its own, so the numbers match the video's.
NETWORK = dict(seed=38, activation="relu", inputs=(0.8, -0.5), target=1.0)


def _network(view: str = "mlp", x0: float | None = None, x1: float | None = None,
             target: float | None = None, seed: int | None = None,
             activation: str | None = None) -> dict:
    inputs = [NETWORK["inputs"][0] if x0 is None else _finite(x0, "x0"),
              NETWORK["inputs"][1] if x1 is None else _finite(x1, "x1")]
    target = NETWORK["target"] if target is None else _finite(target, "the target")
    seed = NETWORK["seed"] if seed is None else int(seed)
    activation = activation or NETWORK["activation"]
    if activation not in ("tanh", "relu"):
        raise ExplainError(f"unknown activation {activation!r}; use tanh or relu")
    x = [Value(v, f"x{i}") for i, v in enumerate(inputs)]
    if view == "neuron":
        neuron = Neuron(2, activation, seed=seed)
        out = _named(neuron(x), "n")
        body = graph_json(out, neuron.parameters(),
                          f"n = {activation}(w0·x0 + w1·x1 + b)")
        body["formula"] = (f"n = {activation}({neuron.w[0].data:.3g}·{inputs[0]:g} + "
                           f"{neuron.w[1].data:.3g}·{inputs[1]:g} + {neuron.b.data:g})"
                           f" = {format_number(out.data)}")
        body["view"] = view
        return body
    if view not in ("layer", "mlp"):
        raise ExplainError(f"unknown view {view!r}; use neuron, layer or mlp")
    model = MLP(2, [3, 1], activation, seed=seed)
    out = _named(model(x), "out")
    loss = _named(mse(out, target), "L")
    loss.backward()
    columns = [[{"id": f"x{i}", "name": f"x{i}", "role": "input", "value": _number(v.data),
                 "grad": _number(v.grad)} for i, v in enumerate(x)]]
    edges = []
    for k, layer in enumerate(model.layers, start=1):
        acts = model.activations[k]
        column = []
        for j, (neuron, act) in enumerate(zip(layer.neurons, acts)):
            nid = f"L{k}.n{j}"
            column.append({"id": nid, "name": f"h{j}" if k < len(model.layers) else "out",
                           "role": "activation" if k < len(model.layers) else "output",
                           "value": _number(act.data), "grad": _number(act.grad),
                           "bias": {"label": neuron.b.label, **_number(neuron.b.data),
                                    "grad": _number(neuron.b.grad)}})
            for i, w in enumerate(neuron.w):
                edges.append({"id": w.label, "source": columns[-1][i]["id"], "target": nid,
                              "layer": k, "weight": _number(w.data), "grad": _number(w.grad)})
        columns.append(column)
    _place(columns)
    return {"view": view, "columns": columns, "edges": edges,
            "activation": activation, "seed": seed, "target": _number(target),
            "loss": {"name": "L", **_number(loss.data), "grad": _number(loss.grad)},
            "formula": f"L = (out − target)² = ({format_number(out.data)} − {target:g})² "
                       f"= {format_number(loss.data)}"}


def _place(columns: list, column_gap: float = 4.2, row_gaps=(3.2, 2.6)) -> None:
    """Network diagram positions: one column per layer, rows centred; the
    inputs further apart, so each weight's numbers get a row of their own."""
    for k, column in enumerate(columns):
        gap = row_gaps[0] if k == 0 else row_gaps[1]
        for j, node in enumerate(column):
            node["x"] = k * column_gap
            node["y"] = ((len(column) - 1) / 2 - j) * gap


def _finite(x, what: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise ExplainError(f"the value of {what} is not a number: {x!r}") from None
    if not math.isfinite(value):
        raise ExplainError(f"the value of {what} is not a finite number: {x!r}")
    return value


# --------------------------------------------------------------------------
# Training: the lecture's 2-4-1 moons run, one step at a time
# --------------------------------------------------------------------------

# Scene 6's settings, on the standard-library moons (see src/lesson/moons.py).
TRAINING = {key: MOONS_SETTINGS[key] for key in
            ("n", "noise", "data_seed", "model_seed", "sizes", "activation", "loss", "lr")}
GRID = dict(x_range=(-1.6, 2.6), y_range=(-1.2, 1.7), resolution=(42, 29))


class Trainer:
    """One training run the page advances step by step.

    Each step is `src.data.train(model, X, y, loss, steps=1, lr=lr)`: full
    batch, plain SGD (no state between steps), so k calls give exactly the
    losses one `train(..., steps=k)` call gives, and the learning rate may
    change between steps.
    """

    def __init__(self, n=None, noise=None, data_seed=None, model_seed=None):
        s = dict(TRAINING)
        for key, value in (("n", n), ("noise", noise), ("data_seed", data_seed),
                           ("model_seed", model_seed)):
            if value is not None:
                s[key] = value
        self.settings = s
        self.X, self.y = moons(int(s["n"]), float(s["noise"]), int(s["data_seed"]))
        self.model = MLP(2, s["sizes"], s["activation"], seed=int(s["model_seed"]))
        self.losses, self.accuracies = [], []

    def step(self, steps: int = 1, lr: float | None = None) -> dict:
        lr = self.settings["lr"] if lr is None else lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (0 < lr < 1e6):
            raise ExplainError(f"the learning rate must be a positive number, got {lr!r}")
        start = len(self.losses)
        for _ in range(int(steps)):
            history = train(self.model, self.X, self.y, self.settings["loss"], steps=1, lr=float(lr))
            self.losses.append(history.loss[0])
            self.accuracies.append(history.accuracy[0])
        return {"step": len(self.losses), "losses": self.losses[start:],
                "accuracies": self.accuracies[start:], **self.current()}

    def current(self) -> dict:
        """Accuracy of the model as it is now, after the last update (the
        boundary the page draws is this model's)."""
        with no_grad():
            scores = [self.model(x) for x in self.X]
        return {"accuracy_now": accuracy(scores, self.y)}

    def boundary(self) -> dict:
        xs, ys, scores = evaluate_grid(self.model, **GRID)
        return {"xs": xs, "ys": ys, "scores": scores}


_trainer: Trainer | None = None


def _train_start(**settings) -> dict:
    global _trainer
    _trainer = Trainer(**settings)
    return {"settings": _trainer.settings, "X": _trainer.X, "y": _trainer.y,
            "boundary": _trainer.boundary(), **_trainer.current()}


def _train_step(steps: int = 1, lr: float | None = None) -> dict:
    if _trainer is None:
        _train_start()
    return _trainer.step(steps, lr)


def _boundary() -> dict:
    if _trainer is None:
        _train_start()
    return _trainer.boundary()


# --------------------------------------------------------------------------
# The one entry point
# --------------------------------------------------------------------------

def _catalog() -> dict:
    return {"operations": OPERATIONS, "functions": list(FUNCTIONS),
            "examples": {name: {"title": e[0], "note": e[3]} for name, e in EXAMPLES.items()},
            "training": TRAINING, "network": {**NETWORK, "inputs": list(NETWORK["inputs"])}}


_HANDLERS = {
    "catalog": _catalog,
    "expression": _expression,
    "example": _example,
    "network": _network,
    "train_start": _train_start,
    "train_step": _train_step,
    "boundary": _boundary,
}


def respond(request: str) -> str:
    """Answer one JSON request from the page with JSON (see the module docstring)."""
    message = json.loads(request)
    kind = message.get("kind")
    if kind not in _HANDLERS:
        return json.dumps({"error": f"unknown request {kind!r}"})
    try:
        body = _HANDLERS[kind](**message.get("args", {}))
    except ExplainError as error:
        body = {"error": str(error)}
    except (ArithmeticError, ValueError, TypeError) as error:  # the engine's own messages
        body = {"error": str(error)}
    return json.dumps(body)
