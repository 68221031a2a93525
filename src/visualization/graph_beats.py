"""The words and cards of a graph's forward and backward beats, for any graph.

Scene 2 (ComputationGraphScene) and Scene 5 (BackwardPassScene) tell their
story about one fixed expression; the expression explainer
(src/rendering/explainer.py) tells the same story about any expression.
Both build their sentences, captions and rule cards here, from the engine's
graph and `graph_names`, so one change reaches every scene:

    operation_sentence(value, names)      what is said as an operation runs
    operation_equation(value, names)      "t1 = x \\cdot w = (2)(-1.5) = -3" (TeX)
    rule_sentence(value, step, names)     an operation's stored local derivatives
    rule_card(value, step, names)         the same as a green card (unplaced)
    step_sentence(step, contribution, names)  one chain-rule product in words
    chain_rule_caption(graph, step, index)    the same product as two formula rows
    code_line_products(code_lines, steps)     the backward code's products, line by line
    operation_caption(value, names)       the operation's equation as a one-line formula
    order_badges(graph, steps)            1, 2, 3 ... beside the nodes, in backward order
    gradients_sentence / gradients_caption(graph, values, lead)
                                          "lead: dL/dw = ..., dL/db = ..." said and shown
    sum_parts(root, value), sum_sentence(parts, total), sum_caption(graph, value, parts, total)
                                          a value's gradient as the sum of its contributions

Those are not placed. Scenes 2 and 5 lay out their graphs with
`forward_graph`, `backward_graph` and `shared_input_graph`, the roles' key
with `graph_legend()` (top right) and a rule card with `place_rule_card`
(under its diamond, just above the caption).
"""
from __future__ import annotations

from manimlib import (
    DOWN, LEFT, RIGHT, UL, UP, UR, YELLOW, SurroundingRectangle, VGroup,
)

from src.autograd import Value
from src.lesson.graph_text import format_number, local_rule, tex_name, tex_number
from src.visualization.graph import ComputationGraph
from src.visualization.style import (
    GRADIENT_COLOR, NOTE_COLOR, OPERATION_COLOR, caption_rows, legend, math_label, text_label,
)

__all__ = [
    "operation_sentence", "operation_equation", "rule_sentence", "rule_card",
    "step_sentence", "chain_rule_caption", "code_line_products",
    "operation_caption", "order_badges", "graph_legend", "place_rule_card",
    "gradients_sentence", "gradients_caption", "sum_parts", "sum_sentence", "sum_caption",
    "forward_graph", "backward_graph", "shared_input_graph",
]

EQUATION_HEIGHT = 0.42   # a one-line operation caption
LEGEND_BUFF = 0.3        # the roles' key from the top-right corner ...
LEGEND_DROP = 0.9        # ... and lowered this far, under the title
CARD_GAP = 0.2           # a rule card above the caption
CARD_X_LIMIT = 6.85      # ... and within |x| <= this
FORWARD_GRAPH_HEIGHT = 4.3   # scene 2's graph, at most this high ...
FORWARD_GRAPH_Y = -0.1       # ... centred just under the middle
BACKWARD_GRAPH_SIZE = 13.0, 4.0  # scene 5's (width, height), under the title
SHARED_GRAPH_SIZE = 8.0, 3.6     # the x*w + x example ...
SHARED_GRAPH_Y = 0.3             # ... centred just above the middle


def operation_sentence(value: Value, names: dict) -> str:
    """What the lecturer says as an operation runs: it records a node."""
    inputs = [names[v] for v in value.inputs]
    if value.op == "*" and len(inputs) == 2:
        action = f"Multiplying {inputs[0]} by {inputs[1]}"
    elif value.op == "+" and len(inputs) == 2:
        action = f"Adding {inputs[1]} to {inputs[0]}"
    elif value.op == "**" and value.exponent == 2:
        action = f"Squaring {inputs[0]}"
    elif value.op == "-" and len(inputs) == 2:
        action = f"Subtracting {inputs[1]} from {inputs[0]}"
    elif value.op == "-":
        action = f"Negating {inputs[0]}"
    elif value.op == "/":
        action = f"Dividing {inputs[0]} by {inputs[1]}"
    elif value.op == "**" and value.exponent is not None:
        action = f"Raising {inputs[0]} to the power {format_number(value.exponent)}"
    elif value.op == "**":
        action = f"Raising {inputs[0]} to the power {inputs[1]}"
    else:
        action = f"Applying {value.op} to {', '.join(inputs)}"
    return f"{action} creates node {names[value]} = {format_number(value.data)}."


def rule_sentence(value: Value, step, names: dict) -> str:
    """The stored backward rule of one operation, in words and numbers."""
    local = [format_number(c.local) for c in step.contributions]
    if value.op == "+":
        return f"A sum's local derivatives are {' and '.join(local)}."
    if value.op == "*":
        return f"A product's local derivatives: {' and '.join(local)}."
    if value.op == "**" and value.exponent == 2:
        return f"For the square it is twice {names[value.inputs[0]]}: {local[0]}."
    word = {"-": "difference" if len(local) == 2 else "negation", "/": "quotient",
            "**": "power"}.get(value.op, value.op)
    if len(local) == 1:
        return f"The {word} node stores its local derivative: {local[0]}."
    return f"The {word} node stores its local derivatives: {', '.join(local)}."


def operation_equation(value: Value, names: dict) -> str:
    """name = symbolic = with numbers = result, as TeX."""
    inputs = [tex_name(names[v]) for v in value.inputs]
    numbers = [tex_number(v.data) for v in value.inputs]
    symbol = {"*": r"\cdot", "+": "+", "-": "-", "/": "/"}.get(value.op)
    if value.op == "**" and value.exponent is not None:
        symbolic = rf"{inputs[0]}^{{{tex_number(value.exponent)}}}"
        numeric = rf"({numbers[0]})^{{{tex_number(value.exponent)}}}"
    elif value.op == "**":
        symbolic = rf"{{{inputs[0]}}}^{{{inputs[1]}}}"
        numeric = rf"({numbers[0]})^{{{numbers[1]}}}"
    elif value.op == "-" and len(inputs) == 1:
        symbolic, numeric = f"-{inputs[0]}", f"-({numbers[0]})"
    elif symbol is not None and len(inputs) == 2:
        symbolic = f" {symbol} ".join(inputs)
        numeric = f" {symbol} ".join(f"({n})" if n.startswith("-") else n for n in numbers)
    else:
        symbolic = rf"\mathrm{{{value.op}}}({', '.join(inputs)})"
        numeric = rf"\mathrm{{{value.op}}}({', '.join(numbers)})"
    return rf"{tex_name(names[value])} = {symbolic} = {numeric} = {tex_number(value.data)}"


def rule_card(value: Value, step, names: dict, row_height: float = 0.3) -> VGroup:
    """The op's stored local derivatives, each with the number it needs:
    a green frame around one row per input. Not placed."""
    out = tex_name(names[value])
    rows = VGroup()
    for index, contribution in enumerate(step.contributions):
        inp = tex_name(names[value.inputs[index]])
        rule = local_rule(value, index, names, tex=True)
        row = math_label(
            rf"\partial {out} / \partial {inp} = {rule}"
            + ("" if rule == tex_number(contribution.local) else
               rf" = {tex_number(contribution.local)}"))
        row.set_height(row_height)
        rows.add(row)
    rows.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
    frame = SurroundingRectangle(rows, buff=0.15)
    frame.set_stroke(OPERATION_COLOR, 2).set_fill(OPERATION_COLOR, 0.12)
    return VGroup(frame, rows)


def step_sentence(step, contribution, names: dict) -> str:
    """One chain-rule product in words: upstream times local, for an input."""
    name = names[contribution.input]
    return (f"{name}: upstream {format_number(step.upstream)} times local"
            f" {format_number(contribution.local)} = {format_number(contribution.added)}.")


def chain_rule_caption(graph, step, index: int) -> VGroup:
    """dL/d(input) = dL/d(node) * d(node)/d(input) = (upstream)(local) = added."""
    names = graph.names
    node, contribution = step.node, step.contributions[index]
    root = tex_name(names[graph.root])
    node_name, input_name = tex_name(names[node]), tex_name(names[contribution.input])
    lhs = rf"\frac{{\partial {root}}}{{\partial {input_name}}}"
    upstream = rf"\frac{{\partial {root}}}{{\partial {node_name}}}"
    rule = local_rule(node, index, names, tex=True)
    if node is graph.root:
        # The local factor would read d root / d input, the same symbol as the
        # total on the left: write the rule itself instead.
        symbolic = math_label(rf"{lhs} = {upstream} \cdot {rule}")
    else:
        symbolic = math_label(
            rf"{lhs} = {upstream} \cdot \frac{{\partial {node_name}}}{{\partial {input_name}}}"
            rf" = {upstream} \cdot {rule}")
    numeric = VGroup(
        math_label(rf"= ({tex_number(step.upstream)}) \cdot ({tex_number(contribution.local)}) ="),
        math_label(tex_number(contribution.added), GRADIENT_COLOR),
    ).arrange(RIGHT, buff=0.15)
    return caption_rows(symbolic, numeric)



def code_line_products(code_lines, steps):
    """The chain-rule products of the generated backward code, in its line order.

    `code_lines` are `backward_code`'s (text, step index, input index or None)
    and `steps` the engine's `backward_steps()`. Yields (line number, step,
    input index, contribution) for every line but the seed's (dL/dL = 1).
    """
    for line, (_, s, c) in enumerate(code_lines):
        if c is not None:
            step = steps[s]
            yield line, step, c, step.contributions[c]


def operation_caption(value: Value, names: dict):
    """`operation_equation` as one formula line, EQUATION_HEIGHT high."""
    return math_label(operation_equation(value, names)).set_height(EQUATION_HEIGHT)


def order_badges(graph, steps) -> VGroup:
    """1, 2, 3 ... in yellow at the top left of each step's node: the order
    the backward pass visits them."""
    badges = VGroup()
    for number, step in enumerate(steps, start=1):
        badge = text_label(str(number), YELLOW, font_size=26)
        badge.next_to(graph.node(step.node).shape, UL, buff=0.0).shift(0.05 * LEFT)
        badges.add(badge)
    return badges


def graph_legend(roles=("input", "parameter", "operation", "activation", "output")) -> VGroup:
    """The roles' key at the top right, under the title."""
    return legend(list(roles)).to_corner(UR, buff=LEGEND_BUFF).shift(LEGEND_DROP * DOWN)


def place_rule_card(card, graph, value: Value, caption):
    """Put `value`'s rule card under its diamond (inside the frame), just
    above `caption`."""
    card.next_to(graph, DOWN, buff=0.25)
    card.set_x(graph.op_node(value).get_x())
    card.shift(max(0, -CARD_X_LIMIT - card.get_left()[0]) * RIGHT)
    card.shift(min(0, CARD_X_LIMIT - card.get_right()[0]) * RIGHT)
    card.set_y(caption.get_top()[1] + CARD_GAP + card.get_height() / 2)
    return card


def gradients_sentence(graph, values, lead: str) -> str:
    """"lead: dL/dw = -3, dL/db = -1.5." with the gradients the graph shows."""
    names, drawn = graph.names, graph.drawn_gradients
    root = names[graph.root]
    return f"{lead}: " + ", ".join(
        f"d{root}/d{names[v]} = {format_number(drawn[v])}" for v in values) + "."


def gradients_caption(graph, values, lead: str) -> VGroup:
    """"lead:" over the same gradients as one red formula row."""
    names, drawn = graph.names, graph.drawn_gradients
    root = tex_name(names[graph.root])
    parts = [rf"\frac{{\partial {root}}}{{\partial {tex_name(names[v])}}} = {tex_number(drawn[v])}"
             for v in values]
    return caption_rows(text_label(f"{lead}:", NOTE_COLOR, font_size=28),
                        math_label(r",\qquad ".join(parts), GRADIENT_COLOR))


def sum_parts(root: Value, value: Value) -> list:
    """What each use of `value` adds to its gradient, in backward order."""
    return [c.added for s in root.backward_steps() for c in s.contributions if c.input is value]


def _signed(parts, write) -> str:
    return " + ".join(f"({write(p)})" if p < 0 else write(p) for p in parts)


def sum_sentence(parts, total: float) -> str:
    """"They add up: 1 + (-1.5) = -0.5." """
    return f"They add up: {_signed(parts, format_number)} = {format_number(total)}."


def sum_caption(graph, value: Value, parts, total: float) -> VGroup:
    """df/dx = 1 + (-1.5) = -0.5, the total in red."""
    root, name = tex_name(graph.names[graph.root]), tex_name(graph.names[value])
    terms = _signed(parts, tex_number)
    return VGroup(
        math_label(rf"\frac{{\partial {root}}}{{\partial {name}}} = {terms} ="),
        math_label(tex_number(total), GRADIENT_COLOR),
    ).arrange(RIGHT, buff=0.15)


def forward_graph(root: Value, parameters) -> ComputationGraph:
    """Scene 2's graph of `root`, built up node by node in the middle."""
    graph = ComputationGraph(root, parameters=parameters, max_height=FORWARD_GRAPH_HEIGHT)
    return graph.move_to(FORWARD_GRAPH_Y * UP)


def backward_graph(root: Value, parameters) -> ComputationGraph:
    """Scene 5's graph of `root`, sized to sit under the title (not placed)."""
    width, height = BACKWARD_GRAPH_SIZE
    return ComputationGraph(root, parameters=parameters, max_width=width, max_height=height)


def shared_input_graph(root: Value, parameters) -> ComputationGraph:
    """The graph of a value used twice, alone in the middle."""
    width, height = SHARED_GRAPH_SIZE
    graph = ComputationGraph(root, parameters=parameters, max_width=width, max_height=height)
    return graph.move_to(SHARED_GRAPH_Y * UP)
