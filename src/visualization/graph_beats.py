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

Nothing here is placed on screen: the scenes decide where things go.
"""
from __future__ import annotations

from manimlib import DOWN, LEFT, RIGHT, SurroundingRectangle, VGroup

from src.autograd import Value
from src.lesson.graph_text import format_number, local_rule, tex_name, tex_number
from src.visualization.style import GRADIENT_COLOR, OPERATION_COLOR, caption_rows, math_label

__all__ = [
    "operation_sentence", "operation_equation", "rule_sentence", "rule_card",
    "step_sentence", "chain_rule_caption", "code_line_products",
]


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
