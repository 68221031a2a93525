"""Where each node of a drawn computation graph goes (no manim, no numpy).

The lecture's `ComputationGraph` (src/visualization/graph.py) and the
explorer's page (src/lesson/explorer.py, drawn in the browser) place a
`Value` graph with this one function, so a graph sits the same way in a
video and on the page.

Every non-leaf Value is drawn twice: an operation node ("op") feeding a
value node ("v") that holds its result; a leaf is one value node.

- Columns by dependency: an operation sits right of all its inputs, its
  result right of it; a leaf waits just left of its first use.
- Rows from the output backwards: the output at 0, an operation level with
  its result, the inputs of an operation spread `ROW_GAP` apart around it
  in operand order; nodes of one column that come closer than `ROW_GAP` are
  pushed apart, then the column is shifted back so that on average each
  node sits where it wanted to.

Positions are in design units (scene units at the graph's design size): x
is the column times `COLUMN_GAP`, centred on the middle column, y grows
upwards. A picture scales the whole layout to the room it has.
"""
from __future__ import annotations

from src.autograd import Value

__all__ = ["COLUMN_GAP", "ROW_GAP", "node_positions"]

COLUMN_GAP = 1.85
ROW_GAP = 1.9


def node_positions(root: Value, order: list | None = None,
                   column_gap: float = COLUMN_GAP, row_gap: float = ROW_GAP) -> dict:
    """{("v", value) or ("op", value): (x, y)} for every node of root's graph.

    `order` is `root.topological_order()` if the caller already has it.
    """
    if order is None:
        order = root.topological_order()
    # Columns: an op sits right of all its inputs, its result right of it.
    column = {}
    for value in order:
        if value.is_leaf:
            column[("v", value)] = 0
        else:
            op_col = 1 + max(column[("v", v)] for v in value.inputs)
            column[("op", value)] = op_col
            column[("v", value)] = op_col + 1
    consumers = {}
    for value in order:
        for inp in dict.fromkeys(value.inputs):
            consumers.setdefault(inp, []).append(value)
    for value in order:  # a leaf waits just left of its first use
        if value.is_leaf and value in consumers:
            column[("v", value)] = min(column[("op", c)] for c in consumers[value]) - 1

    # Rows: from the output backwards, inputs spread around their consumer.
    y = {}
    by_column = {}
    for key, col in column.items():
        by_column.setdefault(col, []).append(key)
    for col in sorted(by_column, reverse=True):
        desired = {}
        for key in by_column[col]:
            kind, value = key
            if kind == "op":
                desired[key] = y[("v", value)]
            elif value is root:
                desired[key] = 0.0
            else:
                user = next(c for c in reversed(order)
                            if c in consumers.get(value, ()) and ("op", c) in y)
                distinct = list(dict.fromkeys(user.inputs))
                offset = (len(distinct) - 1) / 2 - distinct.index(value)
                desired[key] = y[("op", user)] + offset * row_gap
        y.update(_separate(desired, row_gap))

    max_col = max(column.values())
    return {key: ((col - max_col / 2) * column_gap, y[key]) for key, col in column.items()}


def _separate(desired: dict, row_gap: float) -> dict:
    """Keep nodes of one column at least `row_gap` apart, near their wish."""
    keys = sorted(desired, key=lambda k: -desired[k])
    placed = []
    for key in keys:
        target = desired[key]
        if placed and placed[-1] - target < row_gap:
            target = placed[-1] - row_gap
        placed.append(target)
    # The mean shift, summed left to right as numpy's mean does for fewer than
    # eight numbers (a graph the lecture draws has at most a few per column).
    shift = sum(desired[k] - p for k, p in zip(keys, placed)) / len(keys)
    return {k: p + shift for k, p in zip(keys, placed)}
