"""Computation graphs drawn from a real `Value` graph, and the gradient flow.

`ComputationGraph(root)` walks the engine's topological order, lays the
nodes out (inputs left, output right) and shows `node.data`; the gradients
it shows come from `root.backward_steps()`. Helpers here return animations;
the scenes decide when to play them.
"""

from __future__ import annotations

import numpy as np
from manimlib import (
    DOWN, FRAME_HEIGHT, FRAME_WIDTH, UP, WHITE,
    Animation, AnimationGroup, ArcBetweenPoints, Arrow, Circle, FadeIn, GrowArrow, GrowFromCenter,
    Indicate, LaggedStart, Rectangle, Square, Tex, Transform,
    VGroup, VMobject, VShowPassingFlash,
)

from src.autograd import Value, operation_of
from src.lesson.graph_layout import COLUMN_GAP, ROW_GAP, node_positions
from src.lesson.graph_text import graph_names, tex_name, tex_number
from src.visualization.formulas import number_tex
from src.visualization.style import (
    EDGE_COLOR, FADE_TIME, FORWARD_FLOW_COLOR, GRADIENT_COLOR, ROLE_COLORS,
    TRANSFORM_TIME, VALUE_TEXT_COLOR, math_label,
)

__all__ = [
    "op_symbol",
    "ComputationNode",
    "ComputationEdge",
    "ComputationGraph",
    "GradientFlow",
    "seed_gradient",
]

# --------------------------------------------------------------------------
# Nodes and edges
# --------------------------------------------------------------------------

def op_symbol(value: Value) -> str:
    """The LaTeX symbol drawn in the diamond of the operation that made value
    (its entry's `tex` in the engine's operation table)."""
    op = operation_of(value)
    if op is None or op.tex is None:  # an operation of its own (custom_ops)
        return rf"\mathrm{{{value.op}}}"
    n = value.exponent
    return op.tex.format(n="" if n is None else tex_number(n))


class ComputationNode(VGroup):
    """One node of a drawn graph.

    A value node is a circle in its role's colour with its name inside, its
    value above and a slot below where its gradient appears (`grad_label`,
    invisible until a gradient arrives). An operation node is a green
    diamond with the operation's symbol. `value` is the engine's `Value`.

    `reserve_gradient_room(width)` widens the slot (an invisible box,
    `grad_slot`) so the node's bounding box, and so a graph fitted to the
    frame, holds the widest gradient label that will land there.
    """

    RADIUS = 0.42
    LABEL_HEIGHT = 0.3

    def __init__(self, value: Value, role: str, name: str):
        super().__init__()
        if role not in ROLE_COLORS:
            raise ValueError(f"unknown node role {role!r}; expected one of {sorted(ROLE_COLORS)}")
        self.value = value
        self.role = role
        self.name = name
        self.color = ROLE_COLORS[role]
        if role == "operation":
            self._build_operation()
        else:
            self._build_value()

    @property
    def is_operation(self) -> bool:
        return self.role == "operation"

    DIAMOND_SIDE = 0.7

    def _build_operation(self):
        side = self.DIAMOND_SIDE
        self.shape = Square(side).rotate(np.pi / 4)
        self.shape.set_stroke(self.color, 3).set_fill(self.color, 0.25)
        self.symbol = math_label(op_symbol(self.value), WHITE)
        self.symbol.set_max_height(0.34).set_max_width(0.62)
        self.symbol.move_to(self.shape)
        self.add(self.shape, self.symbol)

    def _build_value(self):
        self.shape = Circle(radius=self.RADIUS)
        self.shape.set_stroke(self.color, 3).set_fill(self.color, 0.35)
        self.name_label = math_label(tex_name(self.name), WHITE)
        self.name_label.set_max_height(0.36).set_max_width(1.5 * self.RADIUS)
        self.name_label.move_to(self.shape)
        self.value_label = self.number_label(self.value.data, VALUE_TEXT_COLOR)
        self.value_label.next_to(self.shape, UP, buff=0.1)
        self.grad_label = self.number_label(0.0, GRADIENT_COLOR).set_opacity(0)
        self.grad_label.next_to(self.shape, DOWN, buff=0.1)
        self.add(self.shape, self.name_label, self.value_label, self.grad_label)

    def number_label(self, x: float, color) -> Tex:
        label = math_label(number_tex(x), color)
        label.set_height(self.LABEL_HEIGHT * (0.8 if label.get_width() > 1.4 else 1.0))
        label.number = x  # what the label shows, for checks and tests
        return label

    def reserve_gradient_room(self, width: float) -> "ComputationNode":
        """Make the gradient slot at least `width` wide (units at the node's
        current scale), centred under the circle; the slot draws nothing."""
        slot = getattr(self, "grad_slot", None)
        width = max(width, self.grad_label.get_width(), slot.get_width() if slot else 0.0)
        new = Rectangle(width, self.grad_label.get_height())
        new.set_stroke(width=0, opacity=0).set_fill(opacity=0)
        new.move_to(self.grad_label).set_x(self.shape.get_x())
        if slot is None:
            self.add(new)
        else:
            self.replace_submobject(self.submobjects.index(slot), new)
        self.grad_slot = new
        return self

    def gradient_label(self, grad: float) -> Tex:
        """A red label for `grad`, placed in this node's gradient slot."""
        label = self.number_label(grad, GRADIENT_COLOR)
        label.scale(self.get_scale())
        label.move_to(self.grad_label).align_to(self.grad_label, UP)
        return label

    def get_scale(self) -> float:
        """How much the graph was shrunk to fit (1 = design size)."""
        return self.shape.get_width() / (2 * self.half_extent_design())

    def half_extent_design(self) -> float:
        return self.DIAMOND_SIDE / np.sqrt(2) if self.is_operation else self.RADIUS

    def set_gradient_label(self, label: Tex) -> "ComputationNode":
        """Swap in a new gradient label (keeps the node's family in order)."""
        index = self.submobjects.index(self.grad_label)
        self.replace_submobject(index, label)
        self.grad_label = label
        return self

    def boundary_point(self, direction: np.ndarray) -> np.ndarray:
        """Where a ray from the centre in `direction` leaves the shape."""
        center = self.shape.get_center()
        unit = direction / (np.linalg.norm(direction) or 1.0)
        half = self.shape.get_width() / 2
        if self.is_operation:  # a diamond: |x| + |y| = half
            return center + unit * half / (abs(unit[0]) + abs(unit[1]))
        return center + unit * half


def travelling_label(grad: float, height: float) -> Tex:
    """The red number a GradientFlow carries, `height` tall (its landing
    label's height), with a dark outline."""
    label = math_label(number_tex(grad), GRADIENT_COLOR)
    label.set_height(height)
    label.set_backstroke(width=6)
    return label


class ComputationEdge(Arrow):
    """An arrow in the data-flow direction, boundary to boundary.

    `flash_path()` gives a plain stroked line along it for passing-flash
    effects (the arrow itself is a filled shape in manimgl 1.7.2), and
    `gradient_label(g)` a red number sitting beside its middle.
    """

    def __init__(self, source: ComputationNode, target: ComputationNode, bend: float = 0.0):
        self.source_node = source
        self.target_node = target
        self.bend = bend
        super().__init__(*self.endpoints(), buff=0.04, path_arc=bend, thickness=3.0)
        self.set_fill(EDGE_COLOR)

    def endpoints(self) -> tuple:
        """Where the straight line between the two shapes' centres leaves
        the source and enters the target, at their current positions."""
        direction = self.target_node.shape.get_center() - self.source_node.shape.get_center()
        return self.source_node.boundary_point(direction), self.target_node.boundary_point(-direction)

    def flash_path(self, reverse: bool = False) -> VMobject:
        start, end = self.endpoints()
        if reverse:
            start, end = end, start
        path = VMobject()
        if self.bend:
            path = ArcBetweenPoints(start, end, angle=-self.bend if reverse else self.bend)
        else:
            path.set_points_as_corners([start, end])
        return path

    def gradient_label(self, grad: float) -> Tex:
        label = math_label(number_tex(grad), GRADIENT_COLOR, height=0.24)
        label.next_to(self.get_center(), UP, buff=0.12)
        return label


# --------------------------------------------------------------------------
# The graph
# --------------------------------------------------------------------------

class ComputationGraph(VGroup):
    """A drawn computation graph, built from a real `Value` root.

    Every non-leaf Value becomes an operation diamond feeding a value circle;
    leaves become circles. Layout: columns by dependency (inputs left, the
    output right, each leaf just before its first use), rows by operand
    order with collisions pushed apart, then the whole graph is shrunk to
    fit `max_width` x `max_height` if needed.

    `parameters` lists the leaves drawn as parameters (BLUE_E); other
    labelled leaves are inputs (BLUE), unlabelled ones constants.

    Before fitting, each value node's gradient slot is widened to the
    widest label the backward pass (`root.backward_steps()`, as GradientFlow
    and seed_gradient draw it) will put there: every running total and the
    number travelling in with it. A gradient landing on a node at the
    graph's edge stays inside the room the graph was fitted into.
    """

    COLUMN_GAP = COLUMN_GAP
    ROW_GAP = ROW_GAP

    def __init__(
        self,
        root: Value,
        parameters=(),
        max_width: float = FRAME_WIDTH - 1.0,
        max_height: float = FRAME_HEIGHT - 2.0,
    ):
        super().__init__()
        if not isinstance(root, Value):
            raise TypeError(f"ComputationGraph needs a Value as its root, got {type(root).__name__}")
        self.root = root
        self.order = root.topological_order()
        self.names = graph_names(root)
        self.parameters = set(parameters)
        self.value_nodes = {}
        self.op_nodes = {}
        self.in_edges = {}   # value -> edges from its inputs into its op node
        self.out_edges = {}  # value -> edge from its op node to its circle
        self.drawn_gradients = {}  # value -> the gradient total drawn so far
        self._build_nodes()
        self._layout()
        self._reserve_gradient_room()
        self._build_edges()
        self.nodes = VGroup(*self.value_nodes.values(), *self.op_nodes.values())
        self.edges = VGroup(*[e for v in self.order if not v.is_leaf
                              for e in (*self.in_edges[v], self.out_edges[v])])
        self.add(self.edges, self.nodes)
        self.set_max_width(max_width)
        self.set_max_height(max_height)
        self.center()

    # ---- construction ----

    def role_of(self, value: Value) -> str:
        if value is self.root:
            return "output"
        if not value.is_leaf:
            return "activation"
        if value in self.parameters:
            return "parameter"
        return "input" if value.label else "constant"

    def _build_nodes(self):
        for value in self.order:
            self.value_nodes[value] = ComputationNode(value, self.role_of(value), self.names[value])
            if not value.is_leaf:
                self.op_nodes[value] = ComputationNode(value, "operation", self.names[value])

    def _layout(self):
        # The positions come from src/lesson/graph_layout.py, which the
        # explorer's page uses too: a graph sits the same way in both.
        positions = node_positions(self.root, self.order, self.COLUMN_GAP, self.ROW_GAP)
        for (kind, value), (x, y) in positions.items():
            node = self.op_nodes[value] if kind == "op" else self.value_nodes[value]
            node.shift(np.array([x, y, 0.0]) - node.shape.get_center())

    def _reserve_gradient_room(self):
        try:
            steps = self.root.backward_steps()
        except (ArithmeticError, ValueError):  # no backward pass to draw
            return
        widths = {}

        def room(value: Value, total: float, added: float | None = None) -> None:
            node = self.value_nodes[value]
            label = node.gradient_label(total)
            width = label.get_width()
            if added is not None:  # GradientFlow's traveller ends on the label's centre
                width = max(width, travelling_label(added, label.get_height()).get_width())
            widths[value] = max(widths.get(value, 0.0), width)

        room(self.root, 1.0)  # seed_gradient
        totals = {}
        for step in steps:
            for c in step.contributions:
                totals[c.input] = totals.get(c.input, 0.0) + c.added
                room(c.input, totals[c.input], c.added)
        for value, width in widths.items():
            self.value_nodes[value].reserve_gradient_room(width)

    def _build_edges(self):
        for value in self.order:
            if value.is_leaf:
                continue
            op = self.op_nodes[value]
            edges = []
            seen = {}
            for inp in value.inputs:
                repeat = seen.get(inp, 0)
                seen[inp] = repeat + 1
                bend = 0.0 if repeat == 0 else 0.6 * (1 if repeat % 2 else -1)
                edges.append(ComputationEdge(self.value_nodes[inp], op, bend=bend))
            self.in_edges[value] = edges
            self.out_edges[value] = ComputationEdge(op, self.value_nodes[value])

    # ---- look-ups ----

    def node(self, value: Value) -> ComputationNode:
        return self.value_nodes[value]

    def op_node(self, value: Value) -> ComputationNode:
        return self.op_nodes[value]

    def leaves(self) -> list:
        return [v for v in self.order if v.is_leaf]

    def operations(self) -> list:
        return [v for v in self.order if not v.is_leaf]

    # ---- animations (returned, not played) ----

    def reveal_leaf(self, value: Value):
        return FadeIn(self.value_nodes[value], scale=0.6, run_time=FADE_TIME)

    def reveal_operation(self, value: Value):
        """The op runs: edges grow from its inputs, the diamond appears,
        the result circle appears."""
        return LaggedStart(
            LaggedStart(*(GrowArrow(e) for e in self.in_edges[value]), lag_ratio=0.2),
            GrowFromCenter(self.op_nodes[value]),
            GrowArrow(self.out_edges[value]),
            FadeIn(self.value_nodes[value], scale=0.6),
            lag_ratio=0.55,
            run_time=TRANSFORM_TIME,
        )

    def pulse_value(self, value: Value):
        """Draw the eye to a freshly computed value."""
        return Indicate(self.value_nodes[value].value_label, color=FORWARD_FLOW_COLOR, scale_factor=1.4)

    def forward_flow(self, value: Value, run_time: float = 1.0):
        """A bright pulse runs along the edges that computed `value`."""
        paths = [e.flash_path() for e in self.in_edges[value]]
        out = self.out_edges[value].flash_path()
        for path in (*paths, out):
            path.set_stroke(FORWARD_FLOW_COLOR, 6)
        return LaggedStart(
            AnimationGroup(*(VShowPassingFlash(p, time_width=0.6) for p in paths)),
            VShowPassingFlash(out, time_width=0.6),
            lag_ratio=0.6,
            run_time=run_time,
        )


# --------------------------------------------------------------------------
# Gradient flow
# --------------------------------------------------------------------------

class GradientFlow(Animation):
    """One chain-rule product travelling backward and landing on a node.

    A red glow runs from `consumer`'s circle back through its operation to
    input number `index`, carrying the number `contribution.added`
    (= upstream x local, from `root.backward_steps()`); on arrival the
    input's gradient label shows its new running total. The graph keeps the
    totals it has drawn, so a node fed from two places shows the sum: that
    is gradient accumulation, drawn.

    Its own mobject is new (glow, travelling number, landing label) and is
    removed at the end, when the node takes the landing label as its own.
    Animating a group that holds parts already on screen would make
    manimgl's Scene.add break the graph's hierarchy apart.
    """

    TRAVEL = 0.75  # share of the run time spent travelling

    def __init__(self, graph: ComputationGraph, consumer: Value, index: int,
                 contribution, run_time: float = TRANSFORM_TIME):
        target_value = consumer.inputs[index]
        if contribution.input is not target_value:
            raise ValueError("the contribution does not belong to that input")
        self.graph = graph
        self.node = graph.node(target_value)
        # An earlier contribution left a visible label: it fades as the new total lands.
        self.old_opacity = 1.0 if target_value in graph.drawn_gradients else 0.0
        self.total = graph.drawn_gradients.get(target_value, 0.0) + contribution.added
        graph.drawn_gradients[target_value] = self.total
        self.new_label = self.node.gradient_label(self.total)

        self.path = VMobject()
        self.path.set_points_as_corners([
            graph.node(consumer).shape.get_center(),
            graph.op_node(consumer).shape.get_center(),
            self.node.shape.get_center(),
            self.new_label.get_center(),
        ])
        self.glow = self.path.copy().set_stroke(GRADIENT_COLOR, 10)
        self.traveller = travelling_label(contribution.added, self.new_label.get_height())
        self.landing = self.new_label.copy()
        super().__init__(VGroup(self.glow, self.traveller, self.landing),
                         run_time=run_time, remover=True)

    def begin(self) -> None:
        self.old_label = self.node.grad_label
        super().begin()

    def interpolate_mobject(self, alpha: float) -> None:
        travel = min(alpha / self.TRAVEL, 1.0)
        land = max(0.0, (alpha - self.TRAVEL) / (1.0 - self.TRAVEL))
        self.glow.pointwise_become_partial(self.path, max(0.0, travel - 0.3), travel)
        self.glow.set_stroke(GRADIENT_COLOR, 10, opacity=1.0 - land)
        self.traveller.move_to(self.path.point_from_proportion(travel))
        self.traveller.set_opacity(1.0 - land)
        self.landing.set_opacity(land)
        self.old_label.set_opacity(self.old_opacity * (1.0 - land))

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        self.node.set_gradient_label(self.new_label)


def seed_gradient(graph: ComputationGraph, run_time: float = FADE_TIME):
    """dL/dL = 1 appears under the output node."""
    node = graph.node(graph.root)
    graph.drawn_gradients[graph.root] = 1.0
    label = node.gradient_label(1.0)
    return _LabelSwap(node, label, run_time=run_time)


class _LabelSwap(Transform):
    """Transform a node's gradient label into a new one, then own it."""

    def __init__(self, node: ComputationNode, label: Tex, **kwargs):
        self.node_ = node
        self.label_ = label
        super().__init__(node.grad_label, label, **kwargs)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        self.node_.set_gradient_label(self.label_)

