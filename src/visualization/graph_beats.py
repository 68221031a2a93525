"""The words and cards of a graph's forward and backward beats, for any graph.

Scene 2 (ComputationGraphScene) and Scene 5 (BackwardPassScene) tell their
story about one fixed expression; the expression explainer
(src/rendering/explainer.py) tells the same story about any expression.
Both build their sentences, captions and rule cards here, from the engine's
graph and `graph_names`, so one change reaches every scene.

What is said: each sentence helper returns `say()`'s arguments (caption
template, spoken wording or None, and the engine numbers by name), so a
scene says it with `self.say(**operation_sentence(value, names))`:

    expression_sentence(root_name, text)  "Here is your expression: ..."
    leaves_sentence(leaves, names)        "Leaves first: x = 2, w = -1.5."
    operation_sentence(value, names)      "Multiply x by w: a new node, h1, holds -3."
    rule_sentence(value, step, names)     an operation's stored local derivatives
    result_sentence(root, names)          "The graph is complete: L = 6.25."
    seed_sentence(root, names)            "It starts at L: dL/dL = 1."
    step_sentence(step, contribution, names, root)  "For h1: -5 times 1 gives -5."
    accumulate_sentence(root, step, contribution, before, names)  a second arrival
    gradients_sentence(graph, values, lead)   "lead: dL/dw = -10, dL/db = -5."
    sum_sentence(root, value, names, total)   "They add up: 1 + (-1.5) = -0.5."

A number's name (`number_key`, `gradient_key`, `local_key`, `contribution_key`): a
node's value is its name ("h1"), a gradient "dL_dh1", a local derivative
"local_dh2_dh1", what node h1 sends back to x "dL_dx_via_h1".

What is shown:

    operation_equation(value, names)      "t1 = x \\cdot w = (2)(-1.5) = -3" (TeX)
    rule_card(value, step, names)         the stored rule as a green card (unplaced)
    chain_rule_caption(graph, step, index)    one chain-rule product as two formula rows
    code_line_products(code_lines, steps)     the backward code's products, line by line
    operation_caption(value, names)       the operation's equation as a one-line formula
    order_badges(graph, steps)            1, 2, 3 ... beside the nodes, in backward order
    gradients_caption(graph, values, lead)    the gradients as one red formula row
    sum_parts(root, value), sum_caption(graph, value, parts, total)
                                          a value's gradient as the sum of its contributions

Those are not placed. Scenes 2 and 5 lay out their graphs with
`forward_graph`, `backward_graph` and `shared_input_graph`, the roles' key
with `graph_legend()` (top right) and a rule card with `place_rule_card`
(under its diamond, just above the caption).
"""
from __future__ import annotations

import numpy as np
from manimlib import (
    BLACK, DL, DOWN, DR, LEFT, RIGHT, UL, UP, UR, YELLOW, Circle, SurroundingRectangle, VGroup,
)

from src.autograd import Value
from src.lesson.graph_text import local_rule, tex_name
from src.lesson.identities import (
    ShownNumber, joined, parse_number, said_numbers, shown_identity,
)
from src.visualization.formulas import (
    identity_labels, number_label, number_tex, relation_tex, typeset_row,
)
from src.visualization.graph import ComputationGraph
from src.visualization.style import (
    GRADIENT_COLOR, NOTE_COLOR, OPERATION_COLOR, caption_rows, legend, math_label, text_label,
)

__all__ = [
    "expression_sentence", "leaves_sentence", "operation_sentence", "rule_sentence",
    "result_sentence", "seed_sentence", "step_sentence", "accumulate_sentence",
    "number_key", "gradient_key", "local_key", "contribution_key",
    "operation_equation", "rule_card", "chain_rule_caption", "code_line_products",
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


# ---- what is said: say()'s arguments, every number the engine's by name ----
#
# A sentence helper returns the keyword arguments of `LectureScene.say`:
# {"text": caption template, "spoken": template for the ear or None, plus
# one entry per engine number}. A node's name is written into the template
# now; a number stays a `{key}` field that say() fills and records under its
# key, so a test can check each spoken number against the engine by name.
# Keys: a node's value is its name ("h1"); a gradient d root/d node is
# "dL_dh1"; a local derivative d out/d in is "local_dh2_dh1"; one contribution to
# a gradient is "dL_dx_via_h1" (what node h1 sends back to x).

_RESERVED_KEYS = {"text", "spoken"}   # say()'s own parameters


def number_key(name: str) -> str:
    """A node's name as the key of its numbers: a constant leaf, named by
    its number ("2", "-1.5"), becomes "c2", "cm1p5"."""
    if name.isidentifier():
        return name + "_" if name in _RESERVED_KEYS else name
    return "c" + name.replace("-", "m").replace("+", "").replace(".", "p")


def gradient_key(root: str, name: str) -> str:
    return "d" + number_key(root) + "_d" + number_key(name)


def contribution_key(root: str, name: str, via: str) -> str:
    return gradient_key(root, name) + "_via_" + number_key(via)


def local_key(value: Value, index: int, names: dict) -> str:
    """d out / d input, a local derivative: "local_dh2_dh1" (the gradient
    d root / d input is another number); an input used twice by one node gets
    its slot's number."""
    inp = value.inputs[index]
    key = "local_" + gradient_key(names[value], names[inp])
    if sum(1 for v in value.inputs if v is inp) > 1:
        key += "_" + str(index)
    return key


def _beat(template: str, spoken: str | None = None, **parts) -> dict:
    """say()'s arguments. A part that is text (a node's name) is written into
    the templates now; a (key, number) part becomes the field {key}."""
    fields, numbers = {}, {}
    for field_name, part in parts.items():
        if isinstance(part, tuple):
            key, number = part  # a ShownNumber keeps its drawn digits
            numbers[key] = number if isinstance(number, ShownNumber) else float(number)
            fields[field_name] = "{" + key + "}"
        else:
            fields[field_name] = str(part).replace("{", "{{").replace("}", "}}")
    return {"text": template.format(**fields),
            "spoken": spoken.format(**fields) if spoken else None, **numbers}


def _mention(node: Value, names: dict):
    """How a sentence names a node: its name, or a constant by its number."""
    name = names[node]
    if node.is_leaf and not node.label:
        return number_key(name), node.data
    return name


def _value(node: Value, names: dict) -> tuple:
    return number_key(names[node]), node.data


def expression_sentence(root_name: str, expression: str) -> dict:
    """The user's expression, as typed."""
    return _beat("Here is your expression: {root} = {expression}."
                 " Autograd turns it into a graph.", root=root_name, expression=expression)


def leaves_sentence(leaves, names: dict) -> dict:
    """"Leaves first: x = 2, w = -1.5, b = 0.5." (said "x is two, ...")."""
    parts = {"leaf" + str(k): _value(v, names) for k, v in enumerate(leaves)}
    shown = ", ".join(names[v] + " = {leaf" + str(k) + "}" for k, v in enumerate(leaves))
    heard = [names[v] + " is {leaf" + str(k) + "}" for k, v in enumerate(leaves)]
    if len(heard) > 1:
        heard[-1] = "and " + heard[-1]
    return _beat("Leaves first: " + shown + ".",
                 "First, the leaves: " + ", ".join(heard) + ".", **parts)


_ACTIONS = {  # (op, number of inputs) -> what is done, said as an instruction
    ("*", 2): "Multiply {in0} by {in1}",
    ("+", 2): "Add {in1} to {in0}",
    ("-", 2): "Subtract {in1} from {in0}",
    ("-", 1): "Negate {in0}",
    ("/", 2): "Divide {in0} by {in1}",
    ("**", 2): "Raise {in0} to the power {in1}",
}


def operation_sentence(value: Value, names: dict) -> dict:
    """What the lecturer says as an operation runs: it records a new node,
    "Multiply x by w: a new node, h1, holds -3." """
    inputs = {"in" + str(k): _mention(v, names) for k, v in enumerate(value.inputs)}
    if value.op == "**" and value.exponent == 2:
        action = "Square {in0}"
    elif value.op == "**" and value.exponent is not None:
        action = "Raise {in0} to the power {power}"
        inputs["power"] = (number_key(names[value]) + "_power", value.exponent)
    elif (value.op, len(inputs)) in _ACTIONS:
        action = _ACTIONS[value.op, len(inputs)]
    else:
        action = "Apply " + value.op + " to " + ", ".join("{" + k + "}" for k in inputs)
    return _beat(action + ": a new node, {out}, holds {value}.",
                 out=names[value], value=_value(value, names), **inputs)


def rule_sentence(value: Value, step, names: dict) -> dict:
    """The stored backward rule of one operation: its local derivatives."""
    local = {"l" + str(k): (local_key(value, k, names), c.local)
             for k, c in enumerate(step.contributions)}
    values = [c.local for c in step.contributions]
    if value.op == "**" and value.exponent == 2:
        return _beat("For the square, it is twice {a}: {l0}.", a=names[value.inputs[0]], **local)
    word = {"+": "the sum", "*": "the product", "-": "the difference" if len(local) == 2
            else "the negation", "/": "the quotient", "**": "the power"}.get(value.op, value.op)
    if len(local) == 1:
        return _beat("For " + word + ", the local derivative is {l0}.", **local)
    if value.op == "*" and len(local) == 2:
        return _beat("For the product, each local derivative is the other factor:"
                     " {l0} and {l1}.", **local)
    if len(set(values)) == 1:   # a sum: "both are 1"
        quantity = "both local derivatives are" if len(local) == 2 else "every local derivative is"
        return _beat("For " + word + ", " + quantity + " {l0}.", **local)
    fields = ["{l" + str(k) + "}" for k in range(len(local))]
    return _beat("For " + word + ", the local derivatives are " + ", ".join(fields[:-1])
                 + " and " + fields[-1] + ".", **local)


def seed_sentence(root: Value, names: dict, then: str = "") -> dict:
    """Backward's first step: the root's gradient with respect to itself."""
    name = names[root]
    return _beat("It starts at {root}: d{root}/d{root} = {one}." + then,
                 "It starts at {root}, whose gradient with respect to itself is {one}." + then,
                 root=name, one=(gradient_key(name, name), 1.0))


def step_sentence(step, contribution, names: dict, root: Value, first: bool = False) -> dict:
    """One chain-rule product: "For h1: -5 times 1 gives -5." The `first`
    says what the product is."""
    node, inp, index = step.node, contribution.input, step.contributions.index(contribution)
    root_name, node_name = names[root], names[node]
    lead = "Upstream times local. For {input}: " if first else "For {input}: "
    factors = [step.upstream, contribution.local]  # with chain_rule_caption's digits
    upstream, local, added = said_numbers(shown_identity("a * b", factors, contribution.added),
                                          factors, contribution.added)
    return _beat(lead + "{upstream} times {local} gives {added}.",
                 input=names[inp], upstream=(gradient_key(root_name, node_name), upstream),
                 local=(local_key(node, index, names), local),
                 added=(contribution_key(root_name, names[inp], node_name), added))


def accumulate_sentence(root: Value, step, contribution, before: float, names: dict) -> dict:
    """A value's second arrival: "x is used again: 1 + 3 = 4. Gradients add up." """
    root_name, node_name, name = names[root], names[step.node], names[contribution.input]
    key = gradient_key(root_name, name)
    added = "({added})" if contribution.added < 0 else "{added}"
    terms, total = [before, contribution.added], before + contribution.added
    said = said_numbers(shown_identity("a + b", terms, total), terms, total)  # accumulate_row's
    return _beat("{name} is used again: {before} + " + added + " = {total}. Gradients add up.",
                 "{name} is used again: {before} plus {added} is {total}. Gradients add up.",
                 name=name, before=(key + "_before_" + number_key(node_name), said[0]),
                 added=(contribution_key(root_name, name, node_name), said[1]),
                 total=(key + "_after_" + number_key(node_name), said[2]))


def result_sentence(root: Value, names: dict) -> dict:
    """"The graph is complete: L = 6.25." """
    return _beat("The graph is complete: {root} = {value}.",
                 "The graph is complete: {root} is {value}.",
                 root=names[root], value=_value(root, names))


_INFIX = {"*": r"\cdot", "+": "+", "-": "-", "/": "/"}
_FUNCTION_FORMULAS = ("tanh", "exp", "log", "sigmoid", "relu", "sin", "cos", "abs")


def _operation_pieces(value: Value, names: dict) -> tuple:
    """(pieces for typeset_row, the identity they draw or None):
    name = symbolic = the inputs' numbers = result, digits chosen together."""
    inputs = [tex_name(names[v]) for v in value.inputs]
    data = [v.data for v in value.inputs]
    symbol = _INFIX.get(value.op)
    if value.op == "**":  # the exponent is drawn in the formula itself
        power = number_tex(value.exponent if value.exponent is not None else data[1])
        exponent = power if value.exponent is not None else inputs[1]
        formula, data = f"a**({float(parse_number(power)[0])!r})", data[:1]
        shape = lambda n: ["(", n[0], rf")^{{{power}}}"]  # noqa: E731
        symbolic = rf"{{{inputs[0]}}}^{{{exponent}}}"
    elif value.op == "-" and len(inputs) == 1:
        formula, shape, symbolic = "-a", lambda n: ["-(", n[0], ")"], f"-{inputs[0]}"
    elif symbol is not None and len(inputs) == 2:
        formula = f"a {value.op} b"
        shape = lambda n: [n[0], symbol, n[1]]  # noqa: E731
        symbolic = f" {symbol} ".join(inputs)
    else:
        known = value.op in _FUNCTION_FORMULAS and len(inputs) == 1
        formula = f"{value.op}(a)" if known else None
        shape = lambda n: [rf"\mathrm{{{value.op}}}(", *_commas(n), ")"]  # noqa: E731
        symbolic = rf"\mathrm{{{value.op}}}({', '.join(inputs)})"
    lead = rf"{tex_name(names[value])} = {symbolic} ="
    bracket = symbol is not None and len(inputs) == 2
    if formula is None:  # an operation of its own: its numbers, no identity to check
        numbers = [number_label(x, bracket_negative=bracket) for x in data]
        return [lead, *shape(numbers), "=", number_label(value.data)], None
    shown = shown_identity(formula, data, value.data)
    *numbers, result = identity_labels(shown, data, value.data, bracket_negative=bracket)
    return [lead, *shape(numbers), relation_tex(shown), result], shown


def _commas(labels) -> list:
    out = []
    for k, label in enumerate(labels):
        out += ([","] if k else []) + [label]
    return out


def operation_equation(value: Value, names: dict) -> str:
    """name = symbolic = with numbers = result, as TeX (the digits of
    `operation_caption`)."""
    pieces, _ = _operation_pieces(value, names)
    return " ".join(p if isinstance(p, str) else p.tex_string for p in pieces)


def rule_card(value: Value, step, names: dict, digit_height: float = 0.2) -> VGroup:
    """The op's stored local derivatives, each with the number it needs:
    a green frame around one row per input, digits `digit_height` high
    (a rule with a fraction, 1/x, makes its row taller, not its number
    smaller). Not placed."""
    out = tex_name(names[value])
    rows = VGroup()
    for index, contribution in enumerate(step.contributions):
        inp = tex_name(names[value.inputs[index]])
        rule = local_rule(value, index, names, tex=True)
        lead = rf"\partial {out} / \partial {inp} ="
        if rule != number_tex(contribution.local):
            lead += rf" {rule} ="
        rows.add(typeset_row([lead, number_label(contribution.local)], digit_height=digit_height))
    rows.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
    frame = SurroundingRectangle(rows, buff=0.15)
    frame.set_stroke(OPERATION_COLOR, 2).set_fill(OPERATION_COLOR, 0.12)
    return VGroup(frame, rows)


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
    factors = [step.upstream, contribution.local]
    shown = shown_identity("a * b", factors, contribution.added)
    upstream_n, local_n, added = identity_labels(shown, factors, contribution.added,
                                                 result_color=GRADIENT_COLOR)
    numeric = typeset_row(["=", upstream_n, r"\cdot", local_n, relation_tex(shown), added])
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


def operation_caption(value: Value, names: dict, height: float = EQUATION_HEIGHT):
    """`operation_equation` as one formula line, `height` high (its numbers
    are number labels; its result records the identity)."""
    pieces, _ = _operation_pieces(value, names)
    return typeset_row(pieces).set_height(height)


BADGE_RADIUS = 0.17    # a visiting-order badge: a yellow disc ...
BADGE_DIGIT = 0.19     # ... with a black digit this tall (11 px at 480p)
BADGE_CLEARANCE = 0.1  # ... kept this far from every label and node
BADGE_PLACES = (DL, DR, LEFT, RIGHT, UL, UR)  # tried in turn round its node


def order_badges(graph, steps) -> VGroup:
    """1, 2, 3 ... on yellow discs hung on each step's node (at its lower
    left, or the first free place round it): the order the backward pass
    visits them. A badge keeps BADGE_CLEARANCE from every value and name
    label and every node, so it never reads as part of a value.
    Each badge has `.order` and `.value` (the node's Value)."""
    obstacles = [m for node in graph.value_nodes.values()
                 for m in (node.value_label, node.name_label, node.shape)]
    obstacles += [node.shape for node in graph.op_nodes.values()]
    badges = VGroup()
    for number, step in enumerate(steps, start=1):
        disc = Circle(radius=BADGE_RADIUS).set_stroke(BLACK, 2).set_fill(YELLOW, 1)
        digit = text_label(str(number), BLACK, font_size=30)
        digit.set_height(BADGE_DIGIT)
        badge = VGroup(disc, digit.move_to(disc))
        badge.order, badge.value = number, step.node
        node = graph.node(step.node)
        shape = node.shape
        own = (shape, node.name_label)  # the badge sits just outside its own circle
        for direction in BADGE_PLACES:
            unit = direction / np.linalg.norm(direction)
            badge.move_to(shape.get_center() + unit * (shape.get_width() / 2 + BADGE_RADIUS))
            if not any(_near(badge, m, BADGE_CLEARANCE)
                       for m in [*obstacles, *badges] if all(m is not o for o in own)):
                break
        badges.add(badge)
    return badges


def _near(a, b, margin: float) -> bool:
    """Do the bounding boxes of a and b come closer than `margin`?"""
    (ax0, ay0), (ax1, ay1) = a.get_corner(DL)[:2], a.get_corner(UR)[:2]
    (bx0, by0), (bx1, by1) = b.get_corner(DL)[:2], b.get_corner(UR)[:2]
    return ax0 - margin < bx1 and bx0 < ax1 + margin and ay0 - margin < by1 and by0 < ay1 + margin


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


def gradients_sentence(graph, values, lead: str) -> dict:
    """"lead: dL/dw = -10, dL/db = -5." with the gradients the graph shows,
    said "lead: the gradient for w is minus ten, and for b, minus five." """
    names, drawn = graph.names, graph.drawn_gradients
    root = names[graph.root]
    parts = {"g" + str(k): (gradient_key(root, names[v]), drawn[v]) for k, v in enumerate(values)}
    shown = ["d" + root + "/d" + names[v] + " = {g" + str(k) + "}" for k, v in enumerate(values)]
    heard = ["for " + names[v] + ", {g" + str(k) + "}" for k, v in enumerate(values)]
    heard[0] = "the gradient for " + names[values[0]] + " is {g0}"
    if len(heard) > 1:
        heard[-1] = "and " + heard[-1]
    return _beat(lead + ": " + ", ".join(shown) + ".", lead + ": " + ", ".join(heard) + ".",
                 **parts)


def gradients_caption(graph, values, lead: str) -> VGroup:
    """"lead:" over the same gradients as one red formula row."""
    names, drawn = graph.names, graph.drawn_gradients
    root = tex_name(names[graph.root])
    pieces = []
    for k, v in enumerate(values):
        pieces += [(("," + r"\qquad ") if k else "") +
                   rf"\frac{{\partial {root}}}{{\partial {tex_name(names[v])}}} =",
                   number_label(drawn[v], GRADIENT_COLOR)]
    row = typeset_row(pieces)
    row.set_color(GRADIENT_COLOR)
    return caption_rows(text_label(f"{lead}:", NOTE_COLOR, font_size=28), row)


def sum_parts(root: Value, value: Value) -> list:
    """What each use of `value` adds to its gradient, in backward order."""
    return [c.added for s in root.backward_steps() for c in s.contributions if c.input is value]


def sum_sentence(root: Value, value: Value, names: dict, total: float) -> dict:
    """"They add up: 1 + (-1.5) = -0.5." for what each use of `value` sent
    back, in backward order; `total` is the gradient drawn."""
    name = names[value]
    uses = [(s, c) for s in root.backward_steps() for c in s.contributions if c.input is value]
    terms = [c.added for _, c in uses]
    *said, said_total = said_numbers(shown_identity(joined("+", len(terms)), terms, total),
                                     terms, total)  # sum_caption's digits
    parts = {"p" + str(k): (contribution_key(names[root], name, names[s.node]), said[k])
             for k, (s, c) in enumerate(uses)}
    shown = ["({" + k + "})" if number < 0 else "{" + k + "}" for k, (_, number) in parts.items()]
    heard = ["{" + k + "}" for k in parts]
    return _beat("They add up: " + " + ".join(shown) + " = {total}.",
                 "They add up: " + " plus ".join(heard) + " is {total}.",
                 total=(gradient_key(names[root], name), said_total), **parts)


def sum_caption(graph, value: Value, parts, total: float) -> VGroup:
    """df/dx = 1 + (-1.5) = -0.5, the total in red, its digits chosen so
    the drawn sum is exact."""
    root, name = tex_name(graph.names[graph.root]), tex_name(graph.names[value])
    shown = shown_identity(joined("+", len(parts)), parts, total)
    *terms, result = identity_labels(shown, parts, total, result_color=GRADIENT_COLOR)
    pieces = [rf"\frac{{\partial {root}}}{{\partial {name}}} ="]
    for k, term in enumerate(terms):
        pieces += (["+"] if k else []) + [term]
    return typeset_row(pieces + [relation_tex(shown), result])


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
