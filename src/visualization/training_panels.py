"""One training run on screen: the panels of scene 6.

Scene 6 (MLPAutogradScene) watches a recorded run (src/lesson/training_record.py)
step by step. `TrainingBoard` lays out its pictures: the moons with the
model's class regions, a class key and a status line (left); the network
(`TrainingDiagram`, right) with its column names; and under the network a
panel for the beat's numbers: a point's forward pass, the gradient
matrices, the SGD update, the training curves.

Every number drawn records what it is: `.kind` (e.g. "score", "grad_matrix",
"weight_after"), `.step`, and where it applies `.point`, `.position` or
`.weight` (a parameter label such as "L2.n0.w3"); the diagram records what
its edges show, `showing = ("weights" | "grads", step)`. The module's
constants are the scene's layout. Helpers return mobjects or animations.
"""

from __future__ import annotations

from manimlib import (
    DOWN, LEFT, RIGHT, UP, GREY_A, WHITE, YELLOW,
    SurroundingRectangle, UpdateFromAlphaFunc, VGroup,
)

from src.lesson.identities import shown_identity
from src.visualization.formulas import (
    number_label, parameter_backing, record_identity, relation_tex, tag_labels, typeset_row,
)
from src.visualization.network import NetworkDiagram
from src.visualization.plots import (
    DecisionBoundaryPlot, TrainingCurves, TrainingStatus, class_color,
)
from src.visualization.style import (
    ACTIVATION_COLOR, GRADIENT_COLOR, LOSS_COLOR, text_label,
)
from src.visualization.tensors import ValueMatrix

__all__ = ["TrainingBoard", "TrainingDiagram", "weight_address", "run_subtitle"]

PLOT_TOP_LEFT = (-6.4, 2.5)     # the data plot's top-left corner
PLOT_WIDTH = 6.0
DIAGRAM_CENTER = (3.2, 1.1)     # the network
PANEL_LEFT = 0.3                # the panel under the network: left edge ...
PANEL_BOTTOM = -3.15            # ... lowest point ...
PANEL_MAX_WIDTH = 6.5           # ... and width
PANELS_IN_A_ROW = 6.6           # gradient matrices wider than this side by side stack
PANEL_GAP = 0.3                 # its top under the column names
COLUMN_NAME_GAP = 0.42          # the column names under the network
SUBTITLE_MAX_WIDTH = 13.2
NUMBER_HEIGHT = 0.32            # digit height of the update's numbers
ROW_HEIGHT = 0.3                # ... and of the forward pass's


def weight_address(label: str) -> tuple:
    """"L2.n0.w3" -> (2, 0, 3): layer, neuron, input (NetworkDiagram.edge order)."""
    layer, neuron, weight = label.split(".")
    return int(layer[1:]), int(neuron[1:]), int(weight[1:])


def run_subtitle(run, title) -> VGroup:
    """The run in one grey line under `title`: data, model, optimiser."""
    s = run.settings
    sizes = " \u2192 ".join(str(n) for n in [2, *s["sizes"]])
    subtitle = text_label(
        f"{len(run.X)} moons points (seed {s['data_seed']}) \u00b7 MLP {sizes},"
        f" {s['activation']} (seed {s['model_seed']}) \u00b7 full-batch gradient descent,"
        f" \u03b7 = {s['lr']:g}", GREY_A, font_size=22)
    subtitle.set_max_width(SUBTITLE_MAX_WIDTH)
    return subtitle.next_to(title, DOWN, buff=0.15)


class TrainingDiagram(NetworkDiagram):
    """The network of a recorded run, starting with step `step`'s weights.

    `showing` records what the edges show: ("weights", k) or ("grads", k).
    """

    def __init__(self, run, step: int):
        weight_scale = run.max_abs_weight()  # one scale for the whole run
        super().__init__(run.model_at(step), layer_gap=2.2, neuron_gap=0.72, radius=0.22,
                         max_abs=weight_scale)
        self.run, self.weight_scale = run, weight_scale
        self.move_to([*DIAGRAM_CENTER, 0])
        self.showing = ("weights", step)

    def show_weights(self, step: int, dim: bool = False, **options):
        """Animation: the edges take step `step`'s weights (on the run's fixed scale)."""
        self.showing = ("weights", step)
        return self.restyled(edges=self.run.weights_at(step), max_abs=self.weight_scale,
                             dim=dim, **options)

    def show_gradients(self, step: int, **options):
        """Animation: the edges take step `step`'s weight gradients."""
        grads = self.run.weight_grads_at(step)
        self.showing = ("grads", step)
        return self.restyled(edges=grads, max_abs=max(abs(g) for g in grads), **options)

    def column_names(self) -> VGroup:
        """input x, hidden h (activation), score s: under the columns."""
        names = ["input x", f"hidden h ({self.run.settings['activation']})", "score s"]
        labels = VGroup()
        for column, name in zip(self.neurons, names):
            label = text_label(name, GREY_A, font_size=20)
            label.next_to(self.neurons[1], DOWN, buff=COLUMN_NAME_GAP).set_x(column.get_x())
            labels.add(label)
        return labels

    def point_values(self, point, k: int) -> VGroup:
        """Layer k's values for one point's forward pass, beside its neurons:
        inputs left, the rest right (hidden ones nudged off the outgoing edges)."""
        values, last = point.activations[k], len(self.sizes) - 1
        if k == 0:
            kind, labels = "input", self.value_labels(0, values, side=LEFT, height=0.22)
        elif k == last:
            kind, labels = "output", self.value_labels(k, values, side=RIGHT, height=0.22)
        else:
            kind = "hidden"
            labels = self.value_labels(k, values, side=RIGHT, height=0.2)
            out_y = self.neurons[k + 1][0].get_y()
            for label, neuron in zip(labels, self.neurons[k]):
                label.next_to(neuron, RIGHT, buff=0.06)
                label.shift((0.17 if neuron.get_y() >= out_y else -0.17) * UP)
        return tag_labels(labels, kind, point.step, point.index)

    def saved_mark(self, hidden_labels) -> VGroup:
        """An orange frame round the hidden layer and its values: "saved for backward"."""
        box = SurroundingRectangle(VGroup(self.neurons[1], hidden_labels), buff=0.12)
        box.set_stroke(ACTIVATION_COLOR, 2)
        tag = text_label("saved for backward", ACTIVATION_COLOR, font_size=20)
        tag.next_to(box, UP, buff=0.08)
        return VGroup(box, tag)


class TrainingBoard:
    """Scene 6's pictures of one recorded run, laid out (see the module doc).

    `plot`, `key`, `status` (left), `diagram`, `column_names` (right) start
    at step `step`; `resolution` is the raster width of the class regions.
    """

    def __init__(self, run, step: int, x_range, y_range, resolution, max_step: int):
        self.run, self.resolution = run, resolution
        self.plot = DecisionBoundaryPlot(run.X, run.y, x_range, y_range, width=PLOT_WIDTH)
        self.plot.shift([*PLOT_TOP_LEFT, 0] - self.plot.frame.get_corner(UP + LEFT))
        self.plot.set_boundary(self.grid(step), step)
        self.key = self.plot.class_key(font_size=22)
        self.key.next_to(self.plot.frame, DOWN, buff=0.4).align_to(self.plot.frame, LEFT)
        self.status = TrainingStatus(font_size=24, max_step=max_step)
        self.status.next_to(self.key, DOWN, buff=0.3).align_to(self.plot.frame, LEFT)
        self.show_status(step)
        self.diagram = TrainingDiagram(run, step)
        self.column_names = self.diagram.column_names()
        self.panel_top = self.column_names.get_bottom()[1] - PANEL_GAP

    def parts(self) -> list:
        return [self.plot, self.key, self.status, self.diagram, self.column_names]

    # ---- the data side ----

    def grid(self, step: int):
        return self.run.grid_at(step, *self.plot.grid_spec(self.resolution))

    def boundary_change(self, step: int, **options):
        """Animation: the class regions and boundary become step `step`'s."""
        return self.plot.boundary_transition(self.grid(step), step, **options)

    def show_status(self, step: int):
        self.status.set_step(step, self.run.loss_at(step), self.run.accuracy_at(step))

    def status_change(self, step: int):
        """Animation: the status line jumps to `step` halfway through."""
        def update(status, alpha):
            if alpha >= 0.5 and status.shown[0] != step:
                self.show_status(step)
        return UpdateFromAlphaFunc(self.status, update)

    def learned_result(self, step: int) -> VGroup:
        """"Learned: 97% of the points classified correctly", under the
        status line; `[1]` (the percentage) has `.number` (in percent)."""
        accuracy = 100 * self.run.accuracy_at(step)
        percent = text_label(f"{accuracy:.0f}%", YELLOW, font_size=24)
        percent.number, percent.kind, percent.step = accuracy, "final_accuracy_percent", step
        result = VGroup(text_label("Learned:", GREY_A, font_size=24), percent,
                        text_label("of the points classified correctly", GREY_A, font_size=24))
        result.arrange(RIGHT, buff=0.15)
        for part in result[1:]:  # on the first word's baseline
            part.shift((result[0][0].get_bottom()[1] - part[0].get_bottom()[1]) * UP)
        result.set_max_width(self.plot.frame.get_width())
        return result.next_to(self.status, DOWN, buff=0.3).align_to(self.status, LEFT)

    # ---- the panel under the network ----

    def place_panel(self, mob):
        """Put `mob` in the panel under the network (left-aligned, top at panel_top)."""
        mob.set_max_width(PANEL_MAX_WIDTH)
        mob.set_max_height(self.panel_top - PANEL_BOTTOM)
        mob.move_to([PANEL_LEFT, self.panel_top, 0], UP + LEFT)
        return mob

    def forward_rows(self, point) -> VGroup:
        """A point's score, predicted and true class, its loss term, and the
        mean loss L of its step; `[-1][-1]` is L."""
        run, step = self.run, point.step
        predicted = 1 if point.score > 0 else -1
        numbers = [
            number_label(point.score, ACTIVATION_COLOR, kind="score", step=step),
            number_label(predicted, class_color(predicted), kind="predicted", step=step,
                         signed=True),
            number_label(point.label, class_color(point.label), kind="label", step=step,
                         signed=True),
            number_label(point.term, LOSS_COLOR, kind="term", step=step),
        ]
        for label in numbers:
            label.point = point.index
        rows = VGroup(
            typeset_row([r"\text{score } s =", numbers[0],
                         r"\;\Rightarrow\; \text{predicted class}\;", numbers[1],
                         r"\text{, true class } y =", numbers[2]], digit_height=ROW_HEIGHT),
            typeset_row([r"\text{its loss term } \max(0,\, 1 - y\, s) =", numbers[3]],
                        digit_height=ROW_HEIGHT),
            typeset_row([(r"L", LOSS_COLOR), rf"= \text{{mean of all {len(run.X)} terms}} =",
                         number_label(run.loss_at(step), LOSS_COLOR, kind="loss", step=step)],
                        digit_height=ROW_HEIGHT),
        )
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.28)
        return self.place_panel(rows)

    def gradient_panels(self, step: int, zero: bool = False) -> VGroup:
        """dL/dW1 (4 x 2), dL/dW2 (1 x 4), ...: step `step`'s weight
        gradients, one matrix per layer (`zero`: the zeros zero_grad() left)."""
        values = self.run.weight_grads_at(step)
        sizes = self.diagram.sizes
        panels, pos = VGroup(), 0
        for k in range(1, len(sizes)):
            rows = []
            for _ in range(sizes[k]):
                rows.append([0.0] * sizes[k - 1] if zero else values[pos:pos + sizes[k - 1]])
                pos += sizes[k - 1]
            matrix = ValueMatrix(rows, GRADIENT_COLOR, entry_height=0.2, v_buff=0.14, h_buff=0.28)
            for r, row in enumerate(matrix.entries):
                for c, entry in enumerate(row):
                    entry.kind = "zero_grad" if zero else "grad_matrix"
                    entry.step, entry.weight = (None if zero else step), f"L{k}.n{r}.w{c}"
            panels.add(matrix.labelled(rf"\partial L / \partial W_{{{k}}}", GRADIENT_COLOR))
        panels.arrange(RIGHT, buff=0.5, aligned_edge=UP)
        if panels.get_width() > PANELS_IN_A_ROW:
            panels.arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        return self.place_panel(panels)

    def weight_marks(self, label: str, panels) -> tuple:
        """(frame, glow): a yellow frame round weight `label`'s entry in the
        gradient `panels`, and a yellow copy of its edge in the network."""
        k, j, i = weight_address(label)
        marker = SurroundingRectangle(panels[k - 1].matrix.entry(j, i), buff=0.06)
        marker.set_stroke(YELLOW, 3)
        return marker, self.diagram.edge(k, j, i).copy().set_stroke(YELLOW, 8)

    def update_rows(self, step: int, label: str) -> VGroup:
        """w <- w - eta dL/dw, then with weight `label`'s numbers at step
        `step` (before and after on parameter-coloured backings)."""
        run = self.run
        pick = run.weight_labels().index(label)
        rule = typeset_row([r"w \;\leftarrow\; w - \eta \cdot",
                            (r"\frac{\partial L}{\partial w}", GRADIENT_COLOR)],
                           digit_height=NUMBER_HEIGHT)
        before, grad = run.weights_at(step)[pick], run.weight_grads_at(step)[pick]
        after = run.weights_at(step + 1)[pick]
        # w - eta * g with the digits that make it true as drawn
        shown = shown_identity("a - b * c", [before, run.lr, grad], after)
        values = [number_label(x, color, kind=kind, step=step, text=text) for x, color, kind, text
                  in zip((before, run.lr, grad, after), (WHITE, WHITE, GRADIENT_COLOR, WHITE),
                         ("weight_before", "learning_rate", "grad", "weight_after"),
                         (*shown.operands, shown.result))]
        for value in values:
            value.weight = label
        numbers = typeset_row([
            (rf"\mathrm{{{label}}}:\quad", GREY_A), values[0], r"\;-\;", values[1],
            r"\cdot (", values[2], rf") \;{relation_tex(shown)}\;", values[3]],
            digit_height=NUMBER_HEIGHT)
        record_identity(values[3], shown)
        backings = VGroup(parameter_backing(values[0]), parameter_backing(values[3]))
        rows = VGroup(rule, VGroup(backings, numbers)).arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        return self.place_panel(rows)

    def training_curves(self, start: int) -> TrainingCurves:
        """Loss and accuracy of the whole run, drawn up to step `start`."""
        run = self.run
        curves = TrainingCurves([run.loss_at(k) for k in range(run.steps + 1)],
                                [run.accuracy_at(k) for k in range(run.steps + 1)],
                                width=6.4, height=1.4, font_size=28)  # ticks >= 9 px at 480p
        curves.show_until(start)
        return self.place_panel(curves)
