"""Chains of one-input functions: the pictures and formulas of scene 1.

Two kinds of piece, both drawn from what the engine built:

* `FunctionChain`: x -> [f1] -> v1 -> [f2] -> ... -> F, value circles in
  their role's colour and green function boxes joined by arrows. Built by
  hand for an abstract composition (`FunctionChain([ChainNode("x", "input"),
  FunctionBox("g"), ...])`) or from a real unary chain of `Value`s
  (`FunctionChain.from_value(root)`), whose boxes then say what each link does
  ("+2", "(.)^2", "tanh"), read from the graph.
  `morph_chain(old, new, matches)` turns one chain into another (the
  abstract f(g(x)) into the concrete one) and leaves `new` whole on screen;
  `backward_arrow` bows a red arrow under the chain from a node back to an
  earlier one.
* `chain_links(root)`: the links of such a chain as data (which node, fed by
  which input, with which constant), and `link_local(steps, link)` the local
  derivative of a link, taken from `root.backward_steps()`. `link_symbol`
  (what a box says), `link_formula` ("x + 2", "g^{2}") and `substitute`
  ("2 g" -> "2(x + 2)") write a chain's formulas from the graph.
Its formulas are set with formulas.py's `typeset_row` and `number_label`.

Helpers return mobjects or animations; the scene plays them.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
from manimlib import (
    DOWN, RIGHT, UP, WHITE,
    AnimationGroup, Arrow, Circle, FadeTransform, GrowFromCenter, ReplacementTransform,
    RoundedRectangle, VGroup,
)

from src.autograd import Value, operation_of
from src.lesson.graph_text import graph_names, tex_name, tex_number
from src.visualization.graph import op_symbol
from src.visualization.style import (
    EDGE_COLOR, GRADIENT_COLOR, OPERATION_COLOR, ROLE_COLORS,
    TRANSFORM_TIME, math_label,
)

__all__ = [
    "ChainLink", "chain_links", "link_local", "link_symbol", "link_formula", "substitute",
    "ChainNode", "FunctionBox", "FunctionChain", "morph_chain",
]


# --------------------------------------------------------------------------
# A unary chain of Values, as data
# --------------------------------------------------------------------------

class ChainLink(NamedTuple):
    """One function of a chain: `value` = op(`input`[, `constant`]).

    `index` is the position of `input` among `value.inputs` (the position
    whose local derivative the chain rule needs).
    """
    value: Value
    input: Value
    index: int
    constant: Value | None


def _is_constant(v: Value) -> bool:
    return v.is_leaf and not v.label


def chain_links(root: Value) -> list:
    """The links from the chain's single variable leaf up to `root`, in
    forward order. Every operation must have exactly one non-constant input
    (x + 2, 3 * x, g ** 2, g.tanh() ...); anything else is not a chain."""
    links = []
    node = root
    while not node.is_leaf:
        variables = [i for i, v in enumerate(node.inputs) if not _is_constant(v)]
        constants = [v for v in node.inputs if _is_constant(v)]
        if len(variables) != 1 or len(constants) > 1:
            raise ValueError(
                f"not a chain of one-input functions: the {node.op!r} node has "
                f"{len(variables)} variable input(s)")
        index = variables[0]
        links.append(ChainLink(node, node.inputs[index], index,
                               constants[0] if constants else None))
        node = node.inputs[index]
    return links[::-1]


def link_local(steps, link: ChainLink):
    """The engine's contribution for `link` (its `.local` is d value / d input,
    its `.added` the chain-rule product so far) from `root.backward_steps()`."""
    for step in steps:
        if step.node is link.value:
            return step.contributions[link.index]
    raise ValueError("the link's node is not in these backward steps")


def _constant_tex(c: Value) -> str:
    text = tex_number(c.data)
    return f"({text})" if text.startswith("-") else text


def link_symbol(link: ChainLink) -> str:
    """What the link does, as LaTeX for its box: "+2", "\\times 3", "-1",
    "(\\cdot)^{2}", "\\tanh"..."""
    value, c = link.value, link.constant
    if c is None:
        return op_symbol(value)
    k = _constant_tex(c)
    op, first = value.op, link.index == 0
    if op == "+":  # commutative: the constant is written after the sign
        return f"+{k}"
    if op == "*":
        return rf"\times {k}"
    if op == "-":
        return f"-{k}" if first else rf"{k} - (\cdot)"
    if op == "/":
        return rf"\div {k}" if first else rf"{k} \div (\cdot)"
    if op == "**":
        return rf"{k}^{{(\cdot)}}"
    return op_symbol(value)


def link_formula(link: ChainLink, names: dict) -> str:
    """The right-hand side of the link as LaTeX in graph names: "x + 2",
    "3x", "g_{1} - 1", "g^{2}", "\\tanh g_{3}"."""
    value, c = link.value, link.constant
    v = tex_name(names[link.input])
    if c is None:
        if value.op == "-":
            return f"-{v}"
        if value.op == "**" and value.exponent is not None:
            return f"{v}^{{{_constant_tex(Value(value.exponent))}}}"
        op = operation_of(value)
        if op is not None and op.tex_call is not None:  # |g|, not a symbol before g
            return op.tex_call.format(x=v)
        return rf"{op_symbol(value)} {v}"
    k = _constant_tex(c)
    a, b = (v, k) if link.index == 0 else (k, v)
    op = value.op
    if op == "*":
        return f"{k}{v}" if link.index == 1 else rf"{v} \cdot {k}"
    if op == "/":
        return rf"\frac{{{a}}}{{{b}}}"
    return f"{a} {op} {b}"


def substitute(tex: str, name: str, replacement: str) -> str:
    """Replace the variable `name` (a whole TeX token) in `tex` by
    `(replacement)`, dropping a space before it: "2 g" -> "2(x + 2)"."""
    pattern = rf"\s*(?<![A-Za-z\\]){re.escape(name)}(?![A-Za-z_])"
    return re.sub(pattern, lambda _: f"({replacement})", tex)


# --------------------------------------------------------------------------
# Mobjects: value circles, function boxes, the chain
# --------------------------------------------------------------------------

class ChainNode(VGroup):
    """A value on a chain: a circle in its role's colour, its name inside."""

    RADIUS = 0.36

    def __init__(self, name_tex: str, role: str, radius: float = RADIUS):
        super().__init__()
        if role not in ROLE_COLORS or role == "operation":
            raise ValueError(f"a chain node's role must be a value role, got {role!r}")
        self.role = role
        self.color = ROLE_COLORS[role]
        self.shape = Circle(radius=radius)
        self.shape.set_stroke(self.color, 3).set_fill(self.color, 0.35)
        self.name_label = math_label(name_tex, WHITE)
        self.name_label.set_max_height(0.34).set_max_width(1.5 * radius)
        self.name_label.move_to(self.shape)
        self.add(self.shape, self.name_label)


class FunctionBox(VGroup):
    """A function as a green rounded box, what it does written inside."""

    HEIGHT = 0.66

    def __init__(self, tex: str, min_width: float = 0.95):
        super().__init__()
        self.role = "operation"
        self.color = OPERATION_COLOR
        self.label = math_label(tex, WHITE)
        self.label.set_max_height(0.34 if self.label.get_height() < 0.45 else 0.44)
        width = max(min_width, self.label.get_width() + 0.4)
        self.shape = RoundedRectangle(width=width, height=self.HEIGHT, corner_radius=0.14)
        self.shape.set_stroke(self.color, 3).set_fill(self.color, 0.2)
        self.label.move_to(self.shape)
        self.add(self.shape, self.label)


class FunctionChain(VGroup):
    """Parts (ChainNode / FunctionBox) left to right, each joined to the
    next by a grey arrow in the data's direction.

    `parts`, `nodes`, `boxes` and `arrows` name the pieces; `above(part, m)`
    and `below(part, m)` place a label over or under a part; `backward_arrow`
    draws a red arrow from one node back to an earlier one, under the chain.
    """

    GAP = 0.55

    def __init__(self, parts, gap: float = GAP):
        super().__init__()
        self.parts = VGroup(*parts).arrange(RIGHT, buff=gap)
        self.nodes = [p for p in parts if isinstance(p, ChainNode)]
        self.boxes = [p for p in parts if isinstance(p, FunctionBox)]
        self.arrows = VGroup()
        for a, b in zip(parts, parts[1:]):
            arrow = Arrow(a.get_right(), b.get_left(), buff=0.06, thickness=3.0)
            arrow.set_fill(EDGE_COLOR)
            self.arrows.add(arrow)
        self.add(self.arrows, self.parts)

    @classmethod
    def from_value(cls, root: Value, names: dict | None = None, gap: float = GAP):
        """The chain that computed `root`: its variable leaf (an input), one
        box per link, each link's result (an activation; `root` the output)."""
        names = graph_names(root) if names is None else names
        links = chain_links(root)
        parts = [ChainNode(tex_name(names[links[0].input]), "input")]
        for link in links:
            parts.append(FunctionBox(link_symbol(link)))
            role = "output" if link.value is root else "activation"
            parts.append(ChainNode(tex_name(names[link.value]), role))
        chain = cls(parts, gap=gap)
        chain.values = [links[0].input] + [link.value for link in links]
        chain.links = links
        return chain

    def above(self, part, label, buff: float = 0.14):
        return label.next_to(part, UP, buff=buff)

    def below(self, part, label, buff: float = 0.14):
        return label.next_to(part, DOWN, buff=buff)

    def backward_arrow(self, source: ChainNode, target: ChainNode, depth: float = 0.55,
                       color=GRADIENT_COLOR) -> Arrow:
        """A red arrow bowing under the chain from `source` back to `target`."""
        start = source.shape.get_bottom() + 0.06 * DOWN
        end = target.shape.get_bottom() + 0.06 * DOWN
        span = np.linalg.norm(end - start)
        angle = 4 * np.arctan(2 * depth / span) if span else 0.0
        if end[0] < start[0]:  # travelling left: a clockwise arc bows downward
            angle = -angle
        arrow = Arrow(start, end, buff=0.0, path_arc=angle, thickness=3.0)
        arrow.set_fill(color)
        return arrow


def morph_chain(old: FunctionChain, new: FunctionChain, matches, run_time=TRANSFORM_TIME):
    """Turn `old` into `new`: for each (old part, new part) pair of `matches`
    the shape morphs and the label cross-fades; the arrows re-form; new parts
    with no match grow from their centres.

    When it ends, the scene holds `new` as one object again."""
    matched = {id(n) for _, n in matches}
    return _Regroup(
        new,
        *(ReplacementTransform(o.shape, n.shape) for o, n in matches),
        *(FadeTransform(_label_of(o), _label_of(n)) for o, n in matches),
        ReplacementTransform(old.arrows, new.arrows),
        *(GrowFromCenter(p) for p in new.parts if id(p) not in matched),
        run_time=run_time,
    )


class _Regroup(AnimationGroup):
    """Animations that leave the parts of `whole` loose on screen; at the
    end the scene takes `whole` back as one object."""

    def __init__(self, whole, *animations, **kwargs):
        self.whole = whole
        super().__init__(*animations, **kwargs)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        scene.add(self.whole)


def _label_of(part):
    return part.name_label if isinstance(part, ChainNode) else part.label


# --------------------------------------------------------------------------
# Formulas, one Tex per piece
# --------------------------------------------------------------------------
