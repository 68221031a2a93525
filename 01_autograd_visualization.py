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
    DOWN, LEFT, RIGHT, UL, UP, UR, GREY_A, GREY_B, WHITE, YELLOW,
    Arrow, FadeIn, FadeOut, FadeTransform, FlashAround, GrowArrow, Indicate,
    InteractiveScene, LaggedStart, LaggedStartMap, ShowCreation,
    SurroundingRectangle, VGroup, Write,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from src.autograd import Value  # noqa: E402
from src.examples import lecture_loss, shared_input  # noqa: E402
from src.models import MLP, mse  # noqa: E402
from src.graph_text import (  # noqa: E402
    backward_code, forward_code, local_rule, tex_name, tex_number,
)
from src.visualization import (  # noqa: E402
    FADE_TIME, FORWARD_FLOW_COLOR, GRADIENT_COLOR, LOSS_COLOR,
    OPERATION_COLOR, PARAMETER_COLOR, TRANSFORM_TIME, CodePanel,
    ComputationGraph, ComputationNode, GradientFlow, NetworkDiagram,
    caption_rows, legend, math_label, scene_icon, seed_gradient, text_label,
    title_text,
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


# --------------------------------------------------------------------------
# Scene 7
# --------------------------------------------------------------------------

class SummaryScene(InteractiveScene):
    """The five takeaways, each with the picture that taught it, then the
    whole story on one small network: values forward, gradients back."""

    seed = 3                     # the closing network, MLP(2, [3, 1]) from this seed
    x_input = (0.6, -0.4)        # the example it runs forward and backward
    target = 1.0

    TAKEAWAYS = [
        ("chain", "Chain rule: a complex derivative is a product of simple local ones"),
        ("graph", "The forward pass builds the computation graph and saves activations"),
        ("cache", "Activations are saved because gradient computation needs them"),
        ("two_gradients", "Each layer computes gradients for BOTH its parameters AND its input"),
        ("reverse", "The backward pass visits nodes in reverse topological order"),
    ]

    def construct(self):
        self.model, self.loss = self.run_example()
        self.show_title()
        self.list_takeaways()
        self.assemble_network()
        self.run_forward_and_backward()
        self.close()

    def run_example(self):
        # One real forward and backward pass: the closing diagram draws it.
        model = MLP(2, [3, 1], activation="tanh", seed=self.seed)
        loss = mse(model(list(self.x_input)), self.target)
        loss.backward()
        return model, loss

    def show_title(self):
        self.title = title_text("Automatic Differentiation: Key Takeaways")
        self.play(Write(self.title), run_time=TRANSFORM_TIME)

    def list_takeaways(self):
        # One idea per scene, each beside a reminder of the scene's picture.
        rows = VGroup()
        for number, (icon_kind, sentence) in enumerate(self.TAKEAWAYS, start=1):
            icon = scene_icon(icon_kind, height=0.5).set_max_width(1.2)
            badge = text_label(f"{number}.", YELLOW, font_size=28)
            words = text_label(sentence, WHITE, font_size=28)
            words.set_max_width(10.8)
            row = VGroup(icon, badge, words).arrange(RIGHT, buff=0.3)
            rows.add(row)
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.6)
        for row in rows:  # icons share one column, sentences another
            row[0].set_x(-6.0)
            row[1].next_to(row[0], RIGHT, buff=0.4).set_x(-5.0, LEFT)
            row[2].next_to(row[1], RIGHT, buff=0.2)
        rows.set_x(0).set_y(-0.25)
        self.rows = rows
        for row in rows:
            self.play(FadeIn(row, shift=0.3 * RIGHT), run_time=FADE_TIME)
            self.wait(1.1)
        self.wait(0.6)

    def assemble_network(self):
        # The whole story on one small network.
        self.net = NetworkDiagram(self.model, layer_gap=2.6, neuron_gap=1.0, radius=0.3)
        self.loss_node = ComputationNode(self.loss, "output", "L")
        self.loss_node.remove(self.loss_node.value_label, self.loss_node.grad_label)
        self.loss_node.scale(0.8).next_to(self.net, RIGHT, buff=1.0)
        self.loss_arrow = Arrow(self.net.neurons[-1][0].get_right(), self.loss_node.get_left(),
                                buff=0.1, thickness=3.0).set_fill(GREY_B)
        self.diagram = VGroup(self.net, self.loss_arrow, self.loss_node).move_to(0.2 * DOWN)
        self.forward_arrow = Arrow(LEFT, RIGHT, thickness=4.0).set_fill(FORWARD_FLOW_COLOR)
        self.forward_arrow.set_width(self.diagram.get_width()).next_to(self.diagram, UP, buff=0.35)
        self.forward_words = text_label("forward: compute values, save activations",
                                        FORWARD_FLOW_COLOR, font_size=24)
        self.forward_words.next_to(self.forward_arrow, UP, buff=0.12)
        self.backward_arrow = Arrow(RIGHT, LEFT, thickness=4.0).set_fill(GRADIENT_COLOR)
        self.backward_arrow.set_width(self.diagram.get_width()).next_to(self.diagram, DOWN, buff=0.35)
        self.backward_words = text_label("backward: gradients in reverse order",
                                         GRADIENT_COLOR, font_size=24)
        self.backward_words.next_to(self.backward_arrow, DOWN, buff=0.12)
        self.play(FadeOut(self.rows, shift=0.5 * UP), run_time=FADE_TIME)
        self.play(LaggedStart(
            FadeIn(self.net.neurons, lag_ratio=0.1),
            ShowCreation(self.net.edge_layers, lag_ratio=0.02),
            FadeIn(VGroup(self.loss_arrow, self.loss_node)),
            lag_ratio=0.4), run_time=TRANSFORM_TIME)
        self.add(self.net)

    def run_forward_and_backward(self):
        # Values flow forward (neurons light up), gradients flow back (edges recolour).
        inputs, hidden, output = ([v.data for v in layer] for layer in self.model.activations)
        self.play(GrowArrow(self.forward_arrow), FadeIn(self.forward_words), run_time=FADE_TIME)
        self.play(self.net.full_forward_flow(run_time=1.4),
                  self.net.restyled(neurons={0: inputs, 1: hidden, 2: output}, run_time=1.4))
        self.play(Indicate(self.loss_node, color=LOSS_COLOR), run_time=0.8)
        self.play(GrowArrow(self.backward_arrow), FadeIn(self.backward_words), run_time=FADE_TIME)
        self.play(self.net.full_backward_flow(run_time=1.4),
                  self.net.restyled(edges=self.net.edge_values("grad"), run_time=1.4))

    def close(self):
        # Where this lives in practice.
        words = text_label("This is how PyTorch's autograd works!", WHITE, font_size=34)
        words.to_edge(DOWN, buff=0.3)
        self.play(Write(words), run_time=TRANSFORM_TIME)
        self.play(FlashAround(words, color=YELLOW), run_time=1.2)
        self.wait(2)
