"""How autograd works: the lecture's scenes, in the plan's order.

Render one scene:   manimgl 01_autograd_visualization.py BackwardPassScene -w
Render them all:    make video          (headless; see README.md)

Every number on screen is computed by our engine (src/autograd.py): a scene
builds its expression from `Value`s, runs forward and backward, and draws
what came back. Each scene's inputs are class attributes, so a lecturer can
subclass with other numbers and everything drawn is recomputed:

    class MyBackwardPass(BackwardPassScene):
        x, w, b = 1.0, 3.0, -2.0
"""

from __future__ import annotations

import os
import sys

from manimlib import (
    DOWN, LEFT, RIGHT, UL, UP, UR, GREY_A, YELLOW,
    FadeIn, FadeOut, FadeTransform, FlashAround, Indicate, InteractiveScene,
    LaggedStart, LaggedStartMap, SurroundingRectangle, VGroup,
    Write,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from src.autograd import Value  # noqa: E402
from src.examples import lecture_loss, shared_input  # noqa: E402
from src.graph_text import (  # noqa: E402
    backward_code, forward_code, local_rule, tex_name, tex_number,
)
from src.visualization import (  # noqa: E402
    FADE_TIME, GRADIENT_COLOR, LOSS_COLOR,
    OPERATION_COLOR, PARAMETER_COLOR, TRANSFORM_TIME, CodePanel,
    ComputationGraph, GradientFlow, caption_rows, legend, math_label,
    seed_gradient, text_label, title_text,
)


def chain_rule_caption(graph: ComputationGraph, step, index: int) -> VGroup:
    """dL/d(input) = dL/d(node) * d(node)/d(input) = (upstream)(local) = added."""
    names = graph.names
    node, contribution = step.node, step.contributions[index]
    root = tex_name(names[graph.root])
    node_name, input_name = tex_name(names[node]), tex_name(names[contribution.input])
    symbolic = math_label(
        rf"\frac{{\partial {root}}}{{\partial {input_name}}}"
        rf" = \frac{{\partial {root}}}{{\partial {node_name}}}"
        rf"\cdot \frac{{\partial {node_name}}}{{\partial {input_name}}}"
        rf" = \frac{{\partial {root}}}{{\partial {node_name}}} \cdot"
        rf" {local_rule(node, index, names, tex=True)}"
    )
    numeric = VGroup(
        math_label(rf"= ({tex_number(step.upstream)}) \cdot ({tex_number(contribution.local)}) ="),
        math_label(tex_number(contribution.added), GRADIENT_COLOR),
    ).arrange(RIGHT, buff=0.15)
    return caption_rows(symbolic, numeric)


# --------------------------------------------------------------------------
# Scene 2
# --------------------------------------------------------------------------

class ComputationGraphScene(InteractiveScene):
    """The forward pass builds the graph: L = (x*w + b)^2 step by step."""

    x, w, b = 2.0, -1.5, 0.5

    def construct(self):
        self.loss, self.leaves = lecture_loss(self.x, self.w, self.b)
        self.graph = ComputationGraph(self.loss, parameters=self.leaves[1:],
                                      max_height=4.3)
        self.graph.move_to(0.1 * DOWN)
        self.show_title()
        self.place_inputs()
        self.run_operations()
        self.show_stored_backward_rules()
        self.flow_data_forward()

    def show_title(self):
        # The question: what does the computer record while computing L?
        title = title_text("Building the Computational Graph")
        formula = math_label(r"L = (x \cdot w + b)^2")
        formula.set_height(0.42).next_to(title, DOWN, buff=0.25)
        key = legend(["input", "parameter", "operation", "activation", "output"])
        key.to_corner(UR, buff=0.3).shift(0.9 * DOWN)
        self.title, self.formula, self.key = title, formula, key
        self.play(Write(title), run_time=TRANSFORM_TIME)
        self.play(FadeIn(formula, shift=0.2 * DOWN), FadeIn(key), run_time=FADE_TIME)
        self.wait()

    def place_inputs(self):
        # Leaves first: the numbers we start from.
        self.caption = self.make_caption(
            "Leaves: the input x and the parameters w, b")
        leaves = self.graph.leaves()
        self.play(
            LaggedStart(*(self.graph.reveal_leaf(v) for v in leaves), lag_ratio=0.3),
            FadeIn(self.caption, shift=0.2 * UP),
            run_time=TRANSFORM_TIME,
        )
        self.wait()

    def run_operations(self):
        # Each operation runs, and the engine records a node for it.
        for value in self.graph.operations():
            caption = self.operation_caption(value)
            self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
            self.caption = caption
            self.play(self.graph.reveal_operation(value))
            self.play(self.graph.pulse_value(value), run_time=1.0)
            self.wait(0.8)
        # Now every part is on screen: hold the graph as one object.
        self.add(self.graph)
        self.play(FlashAround(self.graph.node(self.loss), color=LOSS_COLOR), run_time=1.2)
        self.wait()

    def show_stored_backward_rules(self):
        # Beside its value, every node keeps a rule for the backward pass.
        caption = self.make_caption(
            "Each operation also stores its backward rule (local derivatives)")
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        self.cards = VGroup()
        steps = {step.node: step for step in self.loss.backward_steps()}
        for value in self.graph.operations():
            card = self.rule_card(value, steps[value])
            self.cards.add(card)
            self.play(
                Indicate(self.graph.op_node(value), color=OPERATION_COLOR),
                FadeIn(card, shift=0.2 * UP),
                run_time=1.2,
            )
            self.wait(1.2)
        self.wait(1.5)

    def flow_data_forward(self):
        # Forward pass, replayed: data flows left to right through the graph.
        caption = self.make_caption("Forward pass: values flow from the leaves to L")
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        for value in self.graph.operations():
            self.play(self.graph.forward_flow(value, run_time=1.0),
                      self.graph.pulse_value(value), run_time=1.2)
        self.wait()
        caption = self.make_caption(
            "The graph, its values and rules are saved for the backward pass")
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        self.play(FlashAround(self.graph, color=GREY_A), run_time=TRANSFORM_TIME)
        self.wait(2)

    # ---- pieces ----

    def make_caption(self, text: str):
        caption = text_label(text, GREY_A, font_size=30)
        caption.set_max_width(13)
        caption.to_edge(DOWN, buff=0.35)
        return caption

    def operation_caption(self, value: Value):
        names = self.graph.names
        inputs = [tex_name(names[v]) for v in value.inputs]
        numbers = [tex_number(v.data) for v in value.inputs]
        symbol = {"*": r"\cdot", "+": "+", "-": "-", "/": "/"}.get(value.op)
        if value.op == "**" and value.exponent is not None:
            symbolic = rf"{inputs[0]}^{{{tex_number(value.exponent)}}}"
            numeric = rf"({numbers[0]})^{{{tex_number(value.exponent)}}}"
        elif symbol is not None and len(inputs) == 2:
            symbolic = f" {symbol} ".join(inputs)
            numeric = f" {symbol} ".join(f"({n})" if n.startswith("-") else n for n in numbers)
        else:
            symbolic = rf"\mathrm{{{value.op}}}({', '.join(inputs)})"
            numeric = rf"\mathrm{{{value.op}}}({', '.join(numbers)})"
        caption = math_label(
            rf"{tex_name(names[value])} = {symbolic} = {numeric} = {tex_number(value.data)}")
        caption.set_height(0.42).set_max_width(13)
        caption.to_edge(DOWN, buff=0.35)
        return caption

    def rule_card(self, value: Value, step) -> VGroup:
        """The op's stored local derivatives, each with the number it needs."""
        names = self.graph.names
        out = tex_name(names[value])
        rows = VGroup()
        for index, contribution in enumerate(step.contributions):
            inp = tex_name(names[value.inputs[index]])
            rule = local_rule(value, index, names, tex=True)
            row = math_label(
                rf"\partial {out} / \partial {inp} = {rule}"
                + ("" if rule == tex_number(contribution.local) else
                   rf" = {tex_number(contribution.local)}"))
            row.set_height(0.3)
            rows.add(row)
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        frame = SurroundingRectangle(rows, buff=0.15)
        frame.set_stroke(OPERATION_COLOR, 2).set_fill(OPERATION_COLOR, 0.12)
        card = VGroup(frame, rows)
        op = self.graph.op_node(value)
        card.next_to(self.graph, DOWN, buff=0.25)
        card.set_x(op.get_x())
        card.shift(max(0, -7.0 + 0.15 - card.get_left()[0]) * RIGHT)
        card.shift(min(0, 7.0 - 0.15 - card.get_right()[0]) * RIGHT)
        card.set_y(self.caption.get_top()[1] + 0.2 + card.get_height() / 2)
        return card


# --------------------------------------------------------------------------
# Scene 5
# --------------------------------------------------------------------------

class BackwardPassScene(InteractiveScene):
    """The backward pass: gradients flow from L back to every node."""

    x, w, b = 2.0, -1.5, 0.5

    def construct(self):
        self.loss, self.leaves = lecture_loss(self.x, self.w, self.b)
        self.steps = self.loss.backward_steps()
        self.graph = ComputationGraph(self.loss, parameters=self.leaves[1:],
                                      max_width=13.0, max_height=4.0)
        self.show_graph_and_code()
        self.show_reverse_order()
        self.seed_the_output()
        self.propagate_gradients()
        self.flash_parameter_gradients()
        self.show_accumulation()

    def show_graph_and_code(self):
        # Start where the forward pass left us: the graph with its values.
        self.title = title_text("Backward Pass: Computing Gradients")
        self.graph.next_to(self.title, DOWN, buff=0.15)
        names = self.graph.names
        self.forward_code = CodePanel("# Forward", forward_code(self.loss, names))
        self.code_lines = backward_code(self.loss, names)
        self.code = CodePanel("# Backward", [line for line, _, _ in self.code_lines])
        self.code.to_corner(DOWN + RIGHT, buff=0.3)
        self.forward_code.to_edge(LEFT, buff=0.5).align_to(self.code, UP)
        self.play(Write(self.title), FadeIn(self.graph), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.forward_code), run_time=FADE_TIME)
        self.play(FadeIn(self.code), run_time=FADE_TIME)
        self.wait()

    def show_reverse_order(self):
        # Backward visits nodes in reverse topological order: L first.
        self.caption = self.make_caption(
            text_label("Visit nodes in reverse topological order", GREY_A, font_size=28))
        badges = VGroup()
        for number, step in enumerate(self.steps, start=1):
            node = self.graph.node(step.node)
            badge = text_label(str(number), YELLOW, font_size=26)
            badge.next_to(node.shape, UL, buff=0.0).shift(0.05 * LEFT)
            badges.add(badge)
        self.play(FadeIn(self.caption), run_time=FADE_TIME)
        self.play(LaggedStartMap(FadeIn, badges, lag_ratio=0.35, scale=1.5), run_time=2.0)
        self.wait()
        self.play(FadeOut(badges), run_time=FADE_TIME)

    def seed_the_output(self):
        # dL/dL = 1: the seed of every chain-rule product.
        root = tex_name(self.graph.names[self.loss])
        caption = self.make_caption(math_label(
            rf"\frac{{\partial {root}}}{{\partial {root}}} = 1"))
        self.play(
            FadeTransform(self.caption, caption),
            self.code.highlight(0),
            run_time=FADE_TIME,
        )
        self.caption = caption
        self.play(seed_gradient(self.graph), self.code.annotate(0, 1.0), run_time=1.0)
        self.wait(0.6)

    def propagate_gradients(self):
        # One chain-rule product per code line: upstream x local, landing as a grad.
        for line, (_, s, c) in enumerate(self.code_lines):
            if c is None:
                continue  # the seed, shown already
            step = self.steps[s]
            contribution = step.contributions[c]
            caption = self.make_caption(chain_rule_caption(self.graph, step, c))
            self.play(
                FadeTransform(self.caption, caption),
                self.code.highlight(line),
                run_time=FADE_TIME,
            )
            self.caption = caption
            flow = GradientFlow(self.graph, step.node, c, contribution)
            self.play(flow, self.code.annotate(line, flow.total))
            self.wait(0.5)

    def flash_parameter_gradients(self):
        # The point of it all: the parameters' gradients, ready for SGD.
        names = self.graph.names
        parts = [rf"\frac{{\partial L}}{{\partial {tex_name(names[p])}}} = {tex_number(p_grad)}"
                 for p, p_grad in ((p, self.graph.drawn_gradients[p]) for p in self.leaves[1:])]
        caption = self.make_caption(caption_rows(
            text_label("Parameter gradients, ready for the update:", GREY_A, font_size=28),
            math_label(r",\qquad ".join(parts), GRADIENT_COLOR),
        ))
        self.play(FadeTransform(self.caption, caption), self.code.highlight(None), run_time=FADE_TIME)
        self.caption = caption
        self.play(*(FlashAround(self.graph.node(p).grad_label, color=GRADIENT_COLOR)
                    for p in self.leaves[1:]), run_time=1.5)
        self.play(*(FlashAround(self.graph.node(p), color=PARAMETER_COLOR)
                    for p in self.leaves[1:]), run_time=1.2)
        self.wait(1.5)

    def show_accumulation(self):
        # A value used twice receives two gradients, and they add up.
        f, (x, w) = shared_input(self.x, self.w)
        graph = ComputationGraph(f, parameters=[w], max_width=8.0, max_height=3.6)
        graph.move_to(0.3 * UP)
        title = title_text("When a value feeds two places, gradients add up")
        self.play(
            FadeOut(VGroup(self.graph, self.code, self.forward_code, self.caption)),
            FadeTransform(self.title, title),
            run_time=FADE_TIME,
        )
        self.title = title
        self.caption = self.make_caption(math_label(r"f = x \cdot w + x"))
        self.play(FadeIn(graph), FadeIn(self.caption), run_time=FADE_TIME)
        self.play(seed_gradient(graph), run_time=FADE_TIME)
        for step in f.backward_steps():
            for index, contribution in enumerate(step.contributions):
                self.play(GradientFlow(graph, step.node, index, contribution, run_time=1.2))
        x_total = graph.drawn_gradients[x]
        parts = [c.added for s in f.backward_steps() for c in s.contributions if c.input is x]
        sum_text = " + ".join(f"({tex_number(p)})" if p < 0 else tex_number(p) for p in parts)
        caption = self.make_caption(VGroup(
            math_label(rf"\frac{{\partial f}}{{\partial x}} = {sum_text} ="),
            math_label(tex_number(x_total), GRADIENT_COLOR),
        ).arrange(RIGHT, buff=0.15))
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        self.play(FlashAround(graph.node(x).grad_label, color=GRADIENT_COLOR), run_time=1.2)
        self.wait(2)

    def make_caption(self, mobject):
        """Captions sit under the forward code while the code is shown,
        across the bottom once it is gone."""
        if self.code in self.mobjects:
            space = self.code.get_left()[0] - 0.4 - self.forward_code.get_left()[0]
            mobject.set_max_width(space).set_max_height(1.25)
            mobject.next_to(self.forward_code, DOWN, buff=0.35, aligned_edge=LEFT)
        else:
            mobject.set_max_width(13).set_max_height(1.1)
            mobject.to_edge(DOWN, buff=0.4)
        return mobject
