"""Networks as pictures: a neuron diagram of a real MLP, and a layer pipeline.

`NetworkDiagram(model)` draws an `MLP` from src/models.py neuron by neuron:
columns of circles (inputs blue, hidden and output neurons in the activation
colour) and one line per weight. Everything it shows comes from the model:
a line's colour and width show its weight's sign and size (or its
gradient's) through `value_to_color`; neurons light up with the activations
the engine computed. Its helpers return animations; scenes play them.

`LayerPipeline` is the coarser picture of scenes 3 and 4: boxes in a row
(`[x] -> [Layer 1: W1, b1] -> [h1] -> ...`) joined by arrows, along which
values flow forward and gradients flow back.
"""

from __future__ import annotations

from manimlib import (
    DOWN, RIGHT, WHITE, GREY_B,
    AnimationGroup, Arrow, Circle, LaggedStart, Line, RoundedRectangle,
    Transform, VGroup, VShowPassingFlash,
)

from src.autograd import Value
from src.visualization.formulas import number_tex
from src.visualization.style import (
    ACTIVATION_COLOR, FORWARD_FLOW_COLOR, GRADIENT_COLOR, INPUT_COLOR,
    TRANSFORM_TIME, digit_height, math_label, value_to_color,
)

__all__ = ["NetworkDiagram", "LayerPipeline", "edge_style", "flash_path"]

MIN_EDGE_WIDTH = 1.0
MAX_EDGE_WIDTH = 6.0


FLASH_CURVES = 40  # pieces a flash path is cut into


def flash_path(start, end, color, width: float) -> Line:
    """A straight path a passing flash can run along.

    manimgl 1.7.2's VShowPassingFlash varies the stroke width point by point;
    a bare `Line` has only 3 points, so a flash along it never shows (its
    width is 0 at every point at every moment). Subdividing the line fixes it.
    """
    path = Line(start, end).set_stroke(color, width)
    path.insert_n_curves(FLASH_CURVES)
    return path


def edge_style(x: float, max_abs: float) -> tuple:
    """(colour, stroke width) for a weight or gradient `x`: blue positive,
    red negative, brighter and thicker the larger |x| is relative to max_abs."""
    max_abs = max_abs if max_abs > 0 else 1.0
    strength = min(abs(x) / max_abs, 1.0)
    return value_to_color(x, max_abs), MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * strength


class NetworkDiagram(VGroup):
    """A neuron-level drawing of a real `MLP`.

    Layer 0 is the input; layer k (1..) are the model's layers. Parts:
    `neurons[k][j]` (a Circle), `edge(k, j, i)` (the line for weight i of
    neuron j in layer k, from neuron i of layer k-1), `parameter(k, j, i)`
    (that weight's `Value`). Lines start styled by the weights' current
    values (`by="data"`).
    """

    def __init__(self, model, layer_gap: float = 2.4, neuron_gap: float = 0.95,
                 radius: float = 0.24, max_abs: float | None = None):
        super().__init__()
        if not hasattr(model, "layers") or not hasattr(model, "sizes"):
            raise TypeError(f"NetworkDiagram draws an MLP from src.models, got {type(model).__name__}")
        self.model = model
        self.sizes = list(model.sizes)
        self.radius = radius
        self.neurons = VGroup()
        for k, size in enumerate(self.sizes):
            column = VGroup(*(self._neuron(k) for _ in range(size)))
            column.arrange(DOWN, buff=neuron_gap - 2 * radius)
            column.move_to(k * layer_gap * RIGHT)
            self.neurons.add(column)
        self.edge_layers = VGroup()
        for k in range(1, len(self.sizes)):
            lines = VGroup()
            for j in range(self.sizes[k]):
                for i in range(self.sizes[k - 1]):
                    a, b = self.neurons[k - 1][i], self.neurons[k][j]
                    lines.add(Line(a.get_center(), b.get_center(), buff=radius))
            self.edge_layers.add(lines)
        self.add(self.edge_layers, self.neurons)
        self.center()
        self.style_edges(self.edge_values("data"), max_abs)

    def _neuron(self, k: int) -> Circle:
        color = INPUT_COLOR if k == 0 else ACTIVATION_COLOR
        neuron = Circle(radius=self.radius)
        neuron.set_stroke(color, 3).set_fill(color, 0.15)
        neuron.role = "input" if k == 0 else "activation"
        return neuron

    # ---- look-ups ----

    def edge(self, k: int, j: int, i: int) -> Line:
        return self.edge_layers[k - 1][j * self.sizes[k - 1] + i]

    def parameter(self, k: int, j: int, i: int):
        return self.model.layers[k - 1].neurons[j].w[i]

    def all_edges(self) -> list:
        return [line for layer in self.edge_layers for line in layer]

    def all_parameters(self) -> list:
        """The weights in edge order (layer, neuron, input)."""
        return [self.parameter(k, j, i)
                for k in range(1, len(self.sizes))
                for j in range(self.sizes[k]) for i in range(self.sizes[k - 1])]

    def edge_values(self, by: str = "data") -> list:
        """Each weight's value (`by="data"`) or gradient (`by="grad"`), in edge order."""
        if by not in ("data", "grad"):
            raise ValueError(f"edge values are by 'data' or 'grad', got {by!r}")
        return [getattr(p, by) for p in self.all_parameters()]

    # ---- styling (immediate) and restyling (animations) ----

    def style_edges(self, values, max_abs: float | None = None) -> "NetworkDiagram":
        """Colour and size every line by `values` (one per edge, edge order)."""
        values = list(values)
        edges = self.all_edges()
        if len(values) != len(edges):
            raise ValueError(f"need one value per edge ({len(edges)}), got {len(values)}")
        if max_abs is None:
            max_abs = max((abs(v) for v in values), default=1.0) or 1.0
        for line, v in zip(edges, values):
            color, width = edge_style(v, max_abs)
            line.set_stroke(color, width)
            line.shown_value = v
        return self

    def light_neurons(self, k: int, values, max_abs: float | None = None) -> "NetworkDiagram":
        """Fill layer k's neurons by the activations `values` (sign and size)."""
        values = list(values)
        if len(values) != self.sizes[k]:
            raise ValueError(f"layer {k} has {self.sizes[k]} neurons, got {len(values)} values")
        if max_abs is None:
            max_abs = max((abs(v) for v in values), default=1.0) or 1.0
        for neuron, v in zip(self.neurons[k], values):
            neuron.set_fill(value_to_color(v, max_abs), 0.85)
            neuron.shown_value = v
        return self

    def dim_neurons(self) -> "NetworkDiagram":
        for column in self.neurons:
            for neuron in column:
                color = INPUT_COLOR if neuron.role == "input" else ACTIVATION_COLOR
                neuron.set_fill(color, 0.15)
                neuron.shown_value = None
        return self

    def restyled(self, edges=None, neurons=None, max_abs=None, dim: bool = False,
                 run_time=TRANSFORM_TIME):
        """Animate to new edge values and/or lit neurons.

        `edges`: one value per edge (e.g. `edge_values("grad")`); `neurons`:
        {layer: values}; `dim=True` first puts every neuron back to unlit.
        The whole diagram is transformed into a restyled copy, so no part of
        it is pulled out of the group on screen.
        """
        target = self.copy()
        if dim:
            target.dim_neurons()
        if edges is not None:
            target.style_edges(edges, max_abs)
        for k, values in (neurons or {}).items():
            target.light_neurons(k, values)
        return _Restyle(self, target, run_time=run_time)

    # ---- flows (new mobjects; nothing on screen is moved) ----

    def _flow(self, k: int, backward: bool, color, width: float, run_time: float):
        flashes = []
        for line in self.edge_layers[k - 1]:
            start, end = line.get_start(), line.get_end()
            if backward:
                start, end = end, start
            flashes.append(VShowPassingFlash(flash_path(start, end, color, width), time_width=0.5))
        return AnimationGroup(*flashes, run_time=run_time)

    def forward_flow(self, k: int, run_time: float = 1.0, color=FORWARD_FLOW_COLOR):
        """Light runs along every line into layer k."""
        return self._flow(k, False, color, 5, run_time)

    def backward_flow(self, k: int, run_time: float = 1.0, color=GRADIENT_COLOR):
        """A red glow runs backward along every line into layer k."""
        return self._flow(k, True, color, 6, run_time)

    def full_forward_flow(self, run_time: float = 2.0):
        return LaggedStart(*(self.forward_flow(k) for k in range(1, len(self.sizes))),
                           lag_ratio=0.8, run_time=run_time)

    def full_backward_flow(self, run_time: float = 2.0):
        return LaggedStart(*(self.backward_flow(k) for k in reversed(range(1, len(self.sizes)))),
                           lag_ratio=0.8, run_time=run_time)

    def value_labels(self, k: int, values, side=RIGHT, color=WHITE, height: float = 0.24) -> VGroup:
        """Numbers beside layer k's neurons (new mobjects, each with `.number`)."""
        labels = VGroup()
        for neuron, v in zip(self.neurons[k], values):
            v = float(v.data if isinstance(v, Value) else v)
            label = math_label(number_tex(v), color)
            label.scale(height * neuron.get_height() / (2 * self.radius) / digit_height())
            label.next_to(neuron, side, buff=0.1)
            label.number = v
            labels.add(label)
        return labels


class _Restyle(Transform):
    """Transform a diagram into a restyled copy; the diagram keeps the style."""

    def __init__(self, diagram, target, **kwargs):
        self.diagram_target = target
        super().__init__(diagram, target, **kwargs)

    def clean_up_from_scene(self, scene) -> None:
        super().clean_up_from_scene(scene)
        for line, styled in zip(self.mobject.all_edges(), self.diagram_target.all_edges()):
            line.shown_value = getattr(styled, "shown_value", None)
        for column, styled_column in zip(self.mobject.neurons, self.diagram_target.neurons):
            for neuron, styled in zip(column, styled_column):
                neuron.shown_value = getattr(styled, "shown_value", None)


class LayerPipeline(VGroup):
    """Boxes in a row joined by arrows: `[x] -> [Layer 1] -> [h1] -> ...`.

    `stages` is a list of (LaTeX label, colour) pairs; `box(i)` is stage i's
    frame, `label(i)` its text, `arrow(i)` the arrow from stage i to i+1.
    `flow(i)` and `flow_back(i)` return passing-flash animations along arrow
    i (forward in yellow, backward in the gradient red).
    """

    def __init__(self, stages, box_height: float = 0.9, min_box_width: float = 1.0,
                 gap: float = 0.7, label_height: float = 0.34,
                 text_height: float | None = None):
        super().__init__()
        if len(stages) < 2:
            raise ValueError("a pipeline needs at least two stages")
        # text_height: one font size for every label (a digit gets this
        # height), so "FC_1" and "ReLU" read alike; otherwise every label is
        # fitted to label_height.
        factor = None if text_height is None else text_height / digit_height()
        self.stages = VGroup()
        for tex, color in stages:
            label = math_label(tex, WHITE)
            if factor is None:
                label.set_height(label_height)
            else:
                label.scale(factor)
            frame = RoundedRectangle(width=max(min_box_width, label.get_width() + 0.4),
                                     height=box_height, corner_radius=0.12)
            frame.set_stroke(color, 3).set_fill(color, 0.22)
            label.move_to(frame)
            stage = VGroup(frame, label)
            stage.frame, stage.label, stage.color = frame, label, color
            self.stages.add(stage)
        self.stages.arrange(RIGHT, buff=gap)
        self.arrows = VGroup(*(
            Arrow(a.get_right(), b.get_left(), buff=0.06, thickness=3.0).set_fill(GREY_B)
            for a, b in zip(self.stages[:-1], self.stages[1:])
        ))
        self.add(self.arrows, self.stages)
        self.center()

    def box(self, i: int):
        return self.stages[i].frame

    def label(self, i: int):
        return self.stages[i].label

    def arrow(self, i: int):
        return self.arrows[i]

    def _path(self, i: int, reverse: bool, color, width: float) -> Line:
        start, end = self.stages[i].get_right(), self.stages[i + 1].get_left()
        if reverse:
            start, end = end, start
        return flash_path(start, end, color, width)

    # The arrows between stages are short: a wide glow reads better on them.
    FLOW_WIDTH = 12

    def flow(self, i: int, run_time: float = 0.8):
        return VShowPassingFlash(self._path(i, False, FORWARD_FLOW_COLOR, self.FLOW_WIDTH),
                                 time_width=0.6, run_time=run_time)

    def flow_back(self, i: int, run_time: float = 0.8):
        return VShowPassingFlash(self._path(i, True, GRADIENT_COLOR, self.FLOW_WIDTH),
                                 time_width=0.6, run_time=run_time)

    def flow_all(self, run_time: float = 2.0):
        return LaggedStart(*(self.flow(i) for i in range(len(self.arrows))),
                           lag_ratio=0.7, run_time=run_time)

    def flow_all_back(self, run_time: float = 2.0):
        return LaggedStart(*(self.flow_back(i) for i in reversed(range(len(self.arrows)))),
                           lag_ratio=0.7, run_time=run_time)

