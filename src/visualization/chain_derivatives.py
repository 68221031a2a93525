"""Derivatives along a chain of functions: the labels and rows of scene 1.

Scene 1 (ChainRuleScene) draws two chains the engine built (F = (x + 2)^2
and a four-link chain) and writes their derivatives beside them. Every
number is a `number_label` keyed `(chain, quantity)` by the `ChainLabels`
of its chain, e.g. ("example", "dF/dg"), so a drawn number says what it is.

    labels = ChainLabels(F, "example")      # names, links, keyed numbers
    labels.local(link, contribution)        # dF/dg = 2g = 10, under a link
    labels.running(value, grad, under=box)  # dF/dg2 = -1.5, under the chain
    chain_rule_row(["x", "g", "F"])          # dF/dx = dF/dg . dg/dx
    two_link_product(...), numerical_check(...), chain_product(...)

The module's constants are scene 1's layout: rows from top to bottom.
Helpers return mobjects; the scene plays them.
"""

from __future__ import annotations

from manimlib import (
    DOWN, FRAME_WIDTH, RIGHT, UP, WHITE,
    Arrow, VGroup,
)

from src.autograd import Value
from src.lesson.graph_text import graph_names, local_rule, tex_name
from src.lesson.identities import joined, shown_identity
from src.visualization.chain import (
    ChainNode, FunctionBox, FunctionChain, chain_links, link_formula, link_local, substitute,
)
from src.visualization.formulas import (
    number_label, number_tex, record_identity, relation_tex, typeset_row,
)
from src.visualization.style import (
    ACTIVATION_COLOR, GRADIENT_COLOR, HIGHLIGHT_COLOR, INPUT_COLOR, LOSS_COLOR, NOTE_COLOR,
    VALUE_TEXT_COLOR, text_label,
)

__all__ = [
    "RULE_Y", "SIDE_X", "CHAIN_Y", "PRODUCT_Y", "CHECK_Y",
    "LONG_RULE_Y", "LONG_CHAIN_Y", "RUNNING_Y", "CHAIN_RESULT_Y",
    "derivative", "ChainLabels", "chain_rule_row", "chain_rule_factor",
    "abstract_chain", "composition_formula", "example_formulas",
    "two_link_product", "numerical_check", "running_arrow", "chain_product", "text_lines",
]

# Scene 1's rows, top to bottom (y of each row's centre)
RULE_Y = 2.35          # the chain rule, and the example's formulas beside it
SIDE_X = 3.6           # rule left (-SIDE_X), example right (+SIDE_X)
CHAIN_Y = 0.75         # the two-link chain x -> g -> F
PRODUCT_Y = -1.85      # dF/dx = dF/dg . dg/dx = ... (its notes stand here first)
CHECK_Y = -3.05        # the central-difference check
LONG_RULE_Y = 2.4      # the long chain's rule
LONG_CHAIN_Y = 0.95    # the four-link chain
RUNNING_Y = -0.8       # the running products under it
CHAIN_RESULT_Y = -2.0  # its product = x.grad (its notes stand here first)
FRAME_MARGIN = 0.2     # running products stay this far inside the frame


def derivative(top: str, bottom: str) -> str:
    """d top / d bottom, as TeX."""
    return rf"\frac{{d{top}}}{{d{bottom}}}"


class ChainLabels:
    """One chain of one-input functions the engine built, x -> ... -> root,
    and its numbers as labels keyed (`part`, what it is).

    `names` are the graph's names of its values, `links` its functions
    (src/visualization/chain.py), `contributions` each link's local
    derivative from `root.backward_steps()`, `nodes` its values from x to
    the root.
    """

    def __init__(self, root: Value, part: str):
        self.root, self.part = root, part
        self.names = graph_names(root)
        self.links = chain_links(root)
        steps = root.backward_steps()
        self.contributions = [link_local(steps, link) for link in self.links]
        self.nodes = [self.links[0].input] + [link.value for link in self.links]

    def tex(self, value: Value) -> str:
        return tex_name(self.names[value])

    def number(self, x: float, quantity: str, color=WHITE, **options):
        """A number label keyed (part, quantity); options go to number_label."""
        return number_label(x, color, key=(self.part, quantity), **options)

    def value(self, value: Value, scale: float):
        """The engine's value of a node, in white, keyed by the node's name."""
        return self.number(value.data, self.names[value], VALUE_TEXT_COLOR).scale(scale)

    def values_above(self, diagram: FunctionChain, scale: float) -> VGroup:
        """Each node's value above its circle."""
        return VGroup(*(diagram.above(node, self.value(v, scale))
                        for node, v in zip(diagram.nodes, diagram.values)))

    def local(self, link, contribution, scale: float, with_name: bool = True) -> VGroup:
        """d out/d in = rule = number, in red (the rule only when it is not
        already the number); `.rule_part` and `.number_part` name its pieces."""
        out, inp = self.names[link.value], self.names[link.input]
        rule = local_rule(link.value, link.index, self.names, tex=True)
        number = self.number(contribution.local, f"d{out}/d{inp}", GRADIENT_COLOR)
        pieces = [(derivative(tex_name(out), tex_name(inp)), GRADIENT_COLOR), "="]
        if not with_name:
            pieces = []
        if rule != number_tex(contribution.local):
            pieces += [(rule, GRADIENT_COLOR), "="]
        label = typeset_row(pieces + [number], scale=scale)
        label.rule_part = label[2] if with_name else label[0]
        label.number_part = number
        return label

    def running(self, value: Value, grad: float, under) -> VGroup:
        """d root/d value = grad in the running-product row, under `under`,
        kept inside the frame; `.number_part` is the number."""
        root, name = self.names[self.root], self.names[value]
        number = self.number(grad, f"d{root}/d{name}", GRADIENT_COLOR)
        label = typeset_row([(derivative(tex_name(root), tex_name(name)), GRADIENT_COLOR), "=",
                             number], scale=0.68)
        label.move_to(RUNNING_Y * UP).set_x(under.get_x())
        half = FRAME_WIDTH / 2 - FRAME_MARGIN
        label.shift(max(0.0, -half - label.get_left()[0]) * RIGHT)
        label.shift(min(0.0, half - label.get_right()[0]) * RIGHT)
        label.number_part = number
        return label


def chain_rule_row(node_names, height: float) -> VGroup:
    """d(last)/d(first) = d(last)/d(...) . ... . d(second)/d(first), the
    factors from the output back to the input, in red (one Tex per piece)."""
    pieces = [(derivative(node_names[-1], node_names[0]), GRADIENT_COLOR), "="]
    for i in reversed(range(len(node_names) - 1)):
        if i < len(node_names) - 2:
            pieces.append(r"\cdot")
        pieces.append((derivative(node_names[i + 1], node_names[i]), GRADIENT_COLOR))
    return typeset_row(pieces, height=height)


def chain_rule_factor(row: VGroup, k: int):
    """The factor of a `chain_rule_row` that belongs to link k (counted from
    the input): the row lists them from the output back."""
    links = (len(row) - 1) // 2
    return row[2 + 2 * (links - 1 - k)]


def abstract_chain() -> FunctionChain:
    """x -> [g] -> [f] -> F, at the chain's row."""
    chain = FunctionChain([ChainNode("x", "input"), FunctionBox("g"), FunctionBox("f"),
                           ChainNode("F", "output")], gap=0.9)
    return chain.move_to(CHAIN_Y * UP)


def composition_formula() -> VGroup:
    """F = f(g(x)), beside the rule."""
    row = typeset_row([("F", LOSS_COLOR), "=", "f(g(", ("x", INPUT_COLOR), "))"], height=0.45)
    return row.move_to(RULE_Y * UP).set_x(SIDE_X)


def example_formulas(labels: ChainLabels, inner, outer) -> VGroup:
    """F = (x + 2)^2 over "g = x + 2, F = g^2", from the graph, beside the
    rule: `[0]` the composition, `[1]` the definitions."""
    names = labels.names
    g_formula, F_formula = link_formula(inner, names), link_formula(outer, names)
    g_name, F_name = labels.tex(inner.value), labels.tex(labels.root)
    concrete = typeset_row([(F_name, LOSS_COLOR), "=", substitute(F_formula, g_name, g_formula)],
                           height=0.45)
    definitions = typeset_row([(g_name, ACTIVATION_COLOR), "=", g_formula + r",\qquad",
                               (F_name, LOSS_COLOR), "=", F_formula], height=0.36)
    header = VGroup(concrete, definitions).arrange(DOWN, buff=0.2)
    return header.move_to(RULE_Y * UP).set_x(SIDE_X)


def two_link_product(labels: ChainLabels, inner, locals_, factors, total: float) -> VGroup:
    """dF/dx = (outer rule) . (inner rule) = simplified = n1 . n2 = total,
    on the product row. `locals_` are the two links' local labels (outer
    first), `factors` their local derivatives; pieces: [2], [4] the rules,
    [8], [10] the numbers, [12] the total."""
    names = labels.names
    F_name, x_name = labels.tex(labels.root), labels.tex(inner.input)
    outer_rule = locals_[0].rule_part.tex_string
    inner_rule = locals_[1].rule_part.tex_string
    simplified = substitute(outer_rule, labels.tex(inner.value), link_formula(inner, names))
    if inner_rule != "1":  # a factor 1 is left out of the simplified form
        simplified = rf"{simplified} \cdot {inner_rule}"
    g, x, F = names[inner.value], names[inner.input], names[labels.root]
    shown = shown_identity("a * b", factors, total)
    n1 = labels.number(factors[0], f"d{F}/d{g}", GRADIENT_COLOR, bracket_negative=True,
                       text=shown.operands[0])
    n2 = labels.number(factors[1], f"d{g}/d{x}", GRADIENT_COLOR, bracket_negative=True,
                       text=shown.operands[1])
    result = labels.number(total, f"d{F}/d{x}", GRADIENT_COLOR, text=shown.result)
    row = typeset_row([
        (derivative(F_name, x_name), GRADIENT_COLOR), "=",
        (outer_rule, GRADIENT_COLOR), r"\cdot", (inner_rule, GRADIENT_COLOR), "=", simplified,
        "=", n1, r"\cdot", n2, relation_tex(shown), result,
    ], height=0.75)
    record_identity(result, shown)
    return row.move_to(PRODUCT_Y * UP)


def numerical_check(labels: ChainLabels, x: Value, plus: float, minus: float, h: float,
                    estimate: float) -> VGroup:
    """(F(x+h) - F(x-h)) / 2h = (...) / ... ~ estimate, with "h = ..." beside
    it, on the check row: `[0]` the row (its last piece the check mark),
    `[1]` the note; `.estimate` the estimate's label."""
    F_name, x_name = labels.tex(labels.root), labels.tex(x)
    F, xn = labels.names[labels.root], labels.names[x]
    # F(x+h) and F(x-h) need many digits for their difference to show
    shown = shown_identity("(a - b) / c", [plus, minus, 2 * h], estimate, digits=8,
                           result_digits=6)
    plus_text, minus_text, two_h_text = shown.operands
    estimate_label = labels.number(estimate, "numerical", GRADIENT_COLOR, digits=6,
                                   text=shown.result)
    check = typeset_row([
        rf"\frac{{{F_name}({x_name}+h) - {F_name}({x_name}-h)}}{{2h}}", "=",
        "(", labels.number(plus, f"{F}({xn}+h)", digits=8, text=plus_text), "-",
        labels.number(minus, f"{F}({xn}-h)", digits=8, text=minus_text), ")", "/",
        labels.number(2 * h, "2h", text=two_h_text),
        relation_tex(shown), estimate_label, (r"\;\checkmark", HIGHLIGHT_COLOR),
    ], height=0.7)
    record_identity(estimate_label, shown)
    h_note = typeset_row([("h", NOTE_COLOR), ("=", NOTE_COLOR),
                          labels.number(h, "h", NOTE_COLOR)], height=0.24)
    h_note.next_to(check, RIGHT, buff=0.5)
    group = VGroup(check, h_note)
    group.move_to(CHECK_Y * UP)
    group.estimate = estimate_label
    return group


def running_arrow(previous, product) -> Arrow:
    """A red arrow from one running product back to the next one."""
    arrow = Arrow(previous.get_left(), product.get_right(), buff=0.12, thickness=2.5)
    return arrow.set_fill(GRADIENT_COLOR)


def chain_product(labels: ChainLabels, contributions, x: Value) -> VGroup:
    """dF/dx = local . local . ... = product    x.grad = x.grad  (check), on
    the long chain's result row: the locals multiplied from F back to x,
    then the engine's own x.grad."""
    names = labels.names
    F, xn = names[labels.root], names[x]
    order = list(reversed(range(len(labels.links))))  # from F back to x
    factors = [contributions[k].local for k in order]
    shown = shown_identity(joined("*", len(factors)), factors, contributions[0].added)
    pieces = [(derivative(labels.tex(labels.root), labels.tex(x)), GRADIENT_COLOR), "="]
    for i, k in enumerate(order):
        link = labels.links[k]
        pieces += ([r"\cdot"] if i else []) + [labels.number(
            contributions[k].local, f"d{names[link.value]}/d{names[link.input]}",
            GRADIENT_COLOR, bracket_negative=True, text=shown.operands[i])]
    product = labels.number(contributions[0].added, f"d{F}/d{xn}", GRADIENT_COLOR,
                            text=shown.result)
    pieces += [relation_tex(shown), record_identity(product, shown),
               r"\qquad", rf"\texttt{{{xn}.grad}} =",
               labels.number(x.grad, f"{xn}.grad", GRADIENT_COLOR),
               (r"\;\checkmark", HIGHLIGHT_COLOR)]
    return typeset_row(pieces, height=0.62).move_to(CHAIN_RESULT_Y * UP)


def text_lines(*lines, font_size: int = 30) -> VGroup:
    """Centred lines of white text, one under the other, at the bottom edge."""
    group = VGroup(*(text_label(line, font_size=font_size) for line in lines))
    return group.arrange(DOWN, buff=0.15).to_edge(DOWN, buff=0.35)
