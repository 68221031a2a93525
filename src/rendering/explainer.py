"""ExplainExpressionScene: any expression's graph and backward pass, narrated.

    # my_expression.py
    from src.rendering.explainer import ExplainExpressionScene

    class MyNeuron(ExplainExpressionScene):
        expression = "sigmoid(x*w + b)"
        values = {"x": 1.0, "w": 0.5, "b": -2.0}     # or "x=1 w=0.5 b=-2"

    $ xvfb-run -a .venv/bin/manimgl my_expression.py MyNeuron -w -l

(or `python -m src.cli.explain "sigmoid(x*w + b)" x=1 w=0.5 b=-2`, which renders
explain_expression.py's scene into videos/explain/). The story is Scene 2's
and Scene 5's, told about the user's expression with the same beats
(src/visualization/graph_beats.py): the leaves, each operation running with
its numbers and its local rule, the backward pass in reverse topological
order with every chain-rule product in numbers and the backward code in
step, accumulation where a value is used twice, and each leaf's gradient
checked against `numerical_grad`. Everything drawn comes from the engine.

`explainer_layout(explanation)` builds the pictures without a scene and
measures their smallest number label; the scene refuses (ExplainError,
before drawing anything) when it is below src.lesson.expression.MIN_LABEL_HEIGHT.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from manimlib import (
    DOWN, FRAME_HEIGHT, FRAME_WIDTH, LEFT, RIGHT, UP, GREY_A,
    FadeIn, FadeOut, FlashAround, LaggedStart, VGroup, Write,
)

from src.lesson.expression import (
    ExplainError, Explanation, explain, expression_tex, legibility_error,
    GRAPH_HEIGHT, GRAPH_WIDTH,
)
from src.lesson.graph_text import backward_code, tex_name
from src.lesson.identities import shown_identity
from src.visualization.caption import DEFAULT_CAPTION_STYLE
from src.visualization.code_panel import CodePanel
from src.visualization.graph import ComputationGraph, GradientFlow, seed_gradient
from src.visualization.graph_beats import (
    accumulate_sentence, chain_rule_caption, code_line_products, expression_sentence,
    leaves_sentence, operation_caption, operation_sentence, result_sentence, rule_card,
    rule_sentence, seed_sentence, step_sentence,
)
from src.rendering.scene import LectureScene
from src.visualization.formulas import (
    identity_labels, number_label, relation_tex, typeset_row,
)
from src.visualization.style import (
    CODE_FONT,
    FADE_TIME, GRADIENT_COLOR, HIGHLIGHT_COLOR, LOSS_COLOR, NOTE_COLOR, OPERATION_COLOR,
    TRANSFORM_TIME, math_label, text_label, title_text,
)

__all__ = ["ExplainExpressionScene", "ExplainerLayout", "explainer_layout", "number_labels",
           "accumulate_row", "check_table", "Box"]

EDGE = 0.2                     # keep this far from every edge of the frame
TITLE = "Autograd, on your expression"
READING_SPEED = 15.0           # characters per second a caption stays up for, at least
HALF_W, HALF_H = FRAME_WIDTH / 2 - EDGE, FRAME_HEIGHT / 2 - EDGE
CAPTION_HEIGHT = 0.42          # one-line captions (forward equations)
SIDE_GRAPH_WIDTH = 7.6         # "side" arrangement: graph left, code right


def number_labels(mobject) -> list:
    """Every part of `mobject` that shows a number (has a float `.number`)."""
    return [m for m in mobject.get_family() if isinstance(getattr(m, "number", None), float)]


@dataclass
class Box:
    """A rectangle of the frame: left, right, bottom, top (units)."""
    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def center(self):
        return [(self.left + self.right) / 2, (self.bottom + self.top) / 2, 0.0]

    def fit(self, mobject, align=None):
        """Shrink `mobject` into the box (never enlarge) and put it there."""
        mobject.set_max_width(self.width).set_max_height(self.height)
        mobject.move_to(self.center)
        if align is not None and (align == LEFT).all():
            mobject.set_x(self.left, LEFT)
        return mobject


@dataclass
class ExplainerLayout:
    """The explainer's pictures and the regions of the frame they use.

    arrangement "stacked": the graph across the top, the code (right) and
    the chain-rule captions (left) under it; for long chains.
    arrangement "side": the graph left, the code right, captions across the
    bottom; for tall graphs (trees, sums of products).
    `smallest_label` is the height (units) of the smallest number label the
    scene will draw (node values, every gradient total, the code's values).
    """
    explanation: Explanation
    arrangement: str
    title: object
    formula: object
    graph: ComputationGraph
    code: CodePanel
    code_lines: list
    caption_box: Box        # forward captions (one line, bottom edge)
    card_box: Box           # rule cards, the numerical check
    step_box: Box           # chain-rule captions
    table: VGroup           # the numerical check, placed
    smallest_label: float


@lru_cache(maxsize=None)
def code_digit_height() -> float:
    """Height of a digit in the code panel's font at its design size."""
    return text_label("0", font_size=CodePanel.FONT_SIZE, font=CODE_FONT).get_height()


def explainer_layout(explanation: Explanation) -> ExplainerLayout:
    """Lay the explainer out both ways; keep the one with larger labels."""
    stacked = _layout(explanation, "stacked")
    side = _layout(explanation, "side")
    # the centred, stacked picture unless the side one is clearly more legible
    return side if side.smallest_label > stacked.smallest_label + 0.01 else stacked


def _layout(explanation: Explanation, arrangement: str) -> ExplainerLayout:
    title = title_text(TITLE)
    formula = math_label(rf"{tex_name(explanation.root_name)} = "
                         f"{expression_tex(explanation.expression)}")
    formula.set_height(0.42).set_max_width(2 * HALF_W - 1.0)
    formula.next_to(title, DOWN, buff=0.2)
    top = formula.get_bottom()[1] - 0.35  # room for a value label's pulse
    caption_box = Box(-HALF_W, HALF_W, -HALF_H, -HALF_H + CAPTION_HEIGHT + 0.1)
    if arrangement == "stacked":
        graph = ComputationGraph(explanation.root, max_width=GRAPH_WIDTH, max_height=GRAPH_HEIGHT)
        graph.move_to([0, top - graph.get_height() / 2, 0])
        band_top = graph.get_bottom()[1] - 0.25
        # (+0.05: a value in the code's column is 5% taller than its line)
        code_box = Box(-0.6, HALF_W, -HALF_H + 0.05, band_top)
        step_box = Box(-HALF_W, -0.9, -HALF_H, band_top)
        card_box = Box(-HALF_W, HALF_W, caption_box.top + 0.15, band_top + 0.1)
    else:
        band_top = -HALF_H + 1.45
        graph = ComputationGraph(explanation.root, max_width=SIDE_GRAPH_WIDTH,
                                 max_height=top - band_top - 0.2)
        graph.move_to([-HALF_W + SIDE_GRAPH_WIDTH / 2, (top + band_top) / 2, 0])
        code_box = Box(-HALF_W + SIDE_GRAPH_WIDTH + 0.4, HALF_W, band_top, top)
        step_box = Box(-HALF_W, HALF_W, -HALF_H, band_top - 0.1)
        card_box = code_box
    code_lines = backward_code(explanation.root, graph.names)
    code = CodePanel("# Backward", [line for line, _, _ in code_lines])
    design_height = code.get_height()
    code_box.fit(code)
    code.align_to([0, code_box.top, 0], UP)

    heights = [node.value_label.get_height() for node in graph.value_nodes.values()]
    totals = {}
    for step in explanation.steps:
        for c in step.contributions:
            totals[c.input] = totals.get(c.input, 0.0) + c.added
            heights.append(graph.node(c.input).gradient_label(totals[c.input]).get_height())
    table = check_table(explanation, card_box if arrangement == "side" else
                        Box(-HALF_W, HALF_W, -HALF_H, card_box.top))
    heights += [row.engine.get_height() for row in table.rows]
    heights += [row.numerical.get_height() for row in table.rows]
    # the code's own digits, as shrunk with the panel
    heights.append(code_digit_height() * code.get_height() / design_height)
    probe = code.annotate(0, 1.0).mobject  # the value column is typeset like this
    heights.append(probe.get_height())
    code.remove(probe)
    code.annotations.clear()
    return ExplainerLayout(explanation, arrangement, title, formula, graph, code, code_lines,
                           caption_box, card_box, step_box, table, min(heights))


class ExplainExpressionScene(LectureScene):
    """The forward graph and backward pass of `expression` at `values`."""

    expression = "tanh(x*w + b)"
    values = {"x": 2.0, "w": -1.5, "b": 0.5}
    # its captions are placed by its layout (main_caption, side_caption);
    # the first one fades in rising by 0.2
    caption_style = replace(DEFAULT_CAPTION_STYLE, rise=0.2)

    def construct(self):
        self.prepare()
        self.show_expression()
        self.place_leaves()
        self.run_operations()
        self.start_backward()
        self.propagate_gradients()
        self.check_numerically()

    def prepare(self):
        # Parse, check and lay out; refuse before drawing an unreadable picture.
        self.explanation = explain(self.expression, self.values)
        layout = explainer_layout(self.explanation)
        problem = legibility_error(layout.smallest_label)
        if problem:
            error_file = os.environ.get("EXPLAIN_ERROR_FILE")
            if error_file:
                Path(error_file).write_text(problem + "\n", encoding="utf-8")
            raise ExplainError(problem)
        self.layout = layout
        self.graph, self.code, self.code_lines = layout.graph, layout.code, layout.code_lines
        self.root = self.explanation.root
        self.names = self.graph.names
        self.steps = self.explanation.steps
        self.caption = None
        self.beat_needs = 0.0

    def show_expression(self):
        # The expression, as the user typed it.
        self.say(**expression_sentence(self.explanation.root_name,
                                       self.explanation.expression.text))
        self.heading(TITLE)
        self.title = self.layout.title
        self.formula = self.layout.formula
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.formula, shift=0.2 * DOWN), run_time=FADE_TIME)
        self.wait()

    def place_leaves(self):
        # Leaves first: the user's numbers (and any constants written in).
        leaves = self.graph.leaves()
        named = [v for v in leaves if v.label]
        self.say(**leaves_sentence(named, self.names))
        pieces = []
        for k, v in enumerate(named):
            pieces += [(r",\quad " if k else "") + f"{tex_name(self.names[v])} =",
                       number_label(v.data)]
        caption = self.bottom_caption(typeset_row(pieces))
        self.play(LaggedStart(*(self.graph.reveal_leaf(v) for v in leaves), lag_ratio=0.3),
                  *self.caption_change(caption), run_time=TRANSFORM_TIME)
        self.wait()

    def run_operations(self):
        # Each operation runs with the engine's numbers and stores its local rule.
        steps = {step.node: step for step in self.steps}
        card = None
        for value in self.graph.operations():
            self.say(**operation_sentence(value, self.names))
            caption = self.bottom_caption(operation_caption(value, self.names, CAPTION_HEIGHT))
            self.play(*self.caption_change(caption), *( [FadeOut(card)] if card else []),
                      run_time=FADE_TIME)
            card = None
            self.play(self.graph.reveal_operation(value))
            self.play(self.graph.pulse_value(value), run_time=1.0)
            self.say(**rule_sentence(value, steps[value], self.names))
            card = self.place_card(rule_card(value, steps[value], self.names), value)
            self.play(FlashAround(self.graph.op_node(value), color=OPERATION_COLOR),
                      FadeIn(card, shift=0.2 * UP), run_time=1.2)
            self.wait(0.8)
        self.say(**result_sentence(self.root, self.names))
        self.add(self.graph)  # every part is on screen: hold the graph as one object
        self.play(FadeOut(card), FlashAround(self.graph.node(self.root), color=LOSS_COLOR),
                  run_time=1.2)
        self.wait()

    def start_backward(self):
        # Backward: reverse topological order, starting from d root / d root = 1.
        order = [self.names[step.node] for step in self.steps
                 if not (step.node.is_leaf and not step.node.label)]
        self.say("Backward visits the nodes in reverse topological order: "
                 + ", ".join(order) + ".")
        caption = self.bottom_caption(math_label(r" \to ".join(tex_name(n) for n in order)))
        self.play(*self.caption_change(caption), run_time=FADE_TIME)
        self.wait()
        self.say(**seed_sentence(self.root, self.names,
                                 then=" The code does the same, line by line."))
        tex_root = tex_name(self.explanation.root_name)
        caption = self.side_caption(math_label(
            rf"\frac{{\partial {tex_root}}}{{\partial {tex_root}}} = 1"))
        self.play(*self.caption_change(caption), FadeIn(self.code), run_time=FADE_TIME)
        self.play(self.code.highlight(0), run_time=FADE_TIME)
        self.play(seed_gradient(self.graph), self.code.annotate(0, 1.0), run_time=1.0)
        self.wait(0.6)

    def propagate_gradients(self):
        # One chain-rule product per code line; a second arrival adds up.
        for n, (line, step, c, contribution) in enumerate(
                code_line_products(self.code_lines, self.steps)):
            target = contribution.input
            before = self.graph.drawn_gradients.get(target)
            rows = chain_rule_caption(self.graph, step, c)
            sentence = step_sentence(step, contribution, self.names, self.root, first=n == 0)
            if before is not None:
                total = before + contribution.added
                sentence = accumulate_sentence(self.root, step, contribution, before, self.names)
                accumulate = accumulate_row(before, contribution.added, total)
                if self.layout.arrangement == "side":  # a wide, low band: beside the product
                    numeric = rows[1]
                    rows.remove(numeric)
                    rows.add(VGroup(numeric, accumulate).arrange(RIGHT, buff=0.6))
                else:
                    rows.add(accumulate)
                rows.arrange(DOWN, aligned_edge=LEFT, buff=0.2)
            self.say(**sentence)
            caption = self.side_caption(rows)
            self.play(*self.caption_change(caption), self.code.highlight(line), run_time=FADE_TIME)
            flow = GradientFlow(self.graph, step.node, c, contribution)
            self.play(flow, self.code.annotate(line, flow.total))
            self.wait(0.7)

    def check_numerically(self):
        # Every leaf's gradient, checked against central differences.
        explanation = self.explanation
        names = [n for n in explanation.leaves]
        agree = all(explanation.agrees(n) for n in names)
        self.say("Check each gradient numerically: nudge a leaf by a millionth "
                 "and see how much " + explanation.root_name + " moves.")
        table = self.layout.table
        self.play(FadeOut(self.code), *self.caption_change(None), run_time=FADE_TIME)
        self.play(FadeIn(table, shift=0.2 * UP), run_time=TRANSFORM_TIME)
        self.check = table
        self.play(*(FlashAround(self.graph.node(leaf).grad_label, color=GRADIENT_COLOR)
                    for leaf in explanation.leaves.values()), run_time=1.2)
        self.mark_poster()
        verdict = ("They agree: the backward pass is right." if agree else
                   "Some differ: the expression has a kink at these values.")
        self.say(verdict)
        self.wait(2.5)
        self.finish_last_beat()

    # ---- pieces ----

    def say(self, text: str, spoken: str | None = None, **numbers: float) -> None:
        """A beat, after the previous one has been up long enough to read."""
        if self.beats:
            shown = self.clock() - self.beats[-1]["start"]
            if shown < self.beat_needs:
                self.wait(self.beat_needs - shown)
        super().say(text, spoken, **numbers)
        self.beat_needs = max(2.0, len(self.beats[-1]["text"]) / READING_SPEED)

    def finish_last_beat(self) -> None:
        """The last beat, too, stays up long enough to read."""
        shown = self.clock() - self.beats[-1]["start"]
        if shown < self.beat_needs:
            self.wait(self.beat_needs - shown)

    def bottom_caption(self, mobject):
        """A one-line caption at the bottom edge (forward part)."""
        mobject.set_height(min(mobject.get_height(), CAPTION_HEIGHT))
        return self.layout.caption_box.fit(mobject)

    def side_caption(self, mobject):
        """A chain-rule caption beside or under the code (backward part)."""
        box = self.layout.step_box
        mobject.set_max_height(min(1.6, box.height))
        return box.fit(mobject, align=LEFT if self.layout.arrangement == "stacked" else None)

    def place_card(self, card, value):
        """A rule card: under its diamond (stacked) or in the code's place (side)."""
        box = self.layout.card_box
        box.fit(card)
        if self.layout.arrangement == "stacked":
            card.set_x(self.graph.op_node(value).get_x())
            card.shift(max(0, box.left - card.get_left()[0]) * RIGHT)
            card.shift(min(0, box.right - card.get_right()[0]) * RIGHT)
        return card


def accumulate_row(before: float, added: float, total: float) -> VGroup:
    """"accumulate: before + (added) = total" in yellow, with the digits that
    make the sum exact as drawn."""
    shown = shown_identity("a + b", [before, added], total)
    before_n, added_n, total_n = identity_labels(shown, [before, added], total,
                                                 HIGHLIGHT_COLOR, HIGHLIGHT_COLOR)
    return typeset_row([(r"\text{accumulate: }", HIGHLIGHT_COLOR), before_n,
                        ("+", HIGHLIGHT_COLOR), added_n, (relation_tex(shown), HIGHLIGHT_COLOR),
                        total_n])


def check_table(explanation: Explanation, box: Box) -> VGroup:
    """One row per leaf: the engine's gradient, numerical_grad's, a verdict,
    under a one-line header; fitted into `box`. `.rows[i]` has `.engine`,
    `.numerical` (labels with `.number`) and `.ok`."""
    root = tex_name(explanation.root_name)
    rows = VGroup()
    for name in explanation.leaves:
        engine = explanation.gradients[name]
        numerical = explanation.numerical[name]
        ok = explanation.agrees(name)
        lhs = math_label(rf"\frac{{\partial {root}}}{{\partial {tex_name(name)}}} =")
        engine_label = number_label(engine, GRADIENT_COLOR)
        sign = math_label(r"\approx" if ok else r"\neq", GREY_A)
        numeric_label = number_label(numerical, NOTE_COLOR, digits=4)
        mark = math_label(r"\checkmark" if ok else r"\times",
                          HIGHLIGHT_COLOR if ok else GRADIENT_COLOR)
        row = VGroup(lhs, engine_label, sign, numeric_label, mark)
        row.arrange(RIGHT, buff=0.25).set_height(0.75)
        row.engine, row.numerical, row.ok = engine_label, numeric_label, ok
        rows.add(row)
    if len(rows) > 2 and box.width > 10:  # a wide band: two columns of rows
        rows.arrange_in_grid(n_cols=2, h_buff=1.0, v_buff=0.2, aligned_edge=LEFT)
    else:
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.2)
    header = text_label("backward pass vs. numerical_grad (h = 1e-6)", GREY_A, font_size=24)
    header.set_max_width(box.width)
    Box(box.left, box.right, box.bottom, box.top - header.get_height() - 0.2).fit(rows)
    header.next_to(rows, UP, buff=0.2)
    table = VGroup(header, rows)
    table.set_y(box.center[1])
    table.rows = rows
    return table
