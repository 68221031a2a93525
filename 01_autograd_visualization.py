"""How autograd works: the lecture's seven scenes, in the plan's order.

    1 ChainRuleScene               5 BackwardPassScene
    2 ComputationGraphScene        6 MLPAutogradScene
    3 ParametersVsActivationsScene 7 SummaryScene
    4 GradientPropagationScene

Render one scene:   manimgl 01_autograd_visualization.py BackwardPassScene -w
Render them all:    make video          (headless; see README.md)

Every number on screen is computed by our engine (src/autograd.py): a scene
builds its expression from `Value`s, runs forward and backward, and draws
what came back. Each scene's inputs are class attributes, so a lecturer can
subclass with other numbers and everything drawn is recomputed:

    from src.lecture import BackwardPassScene   # in a file of your own

    class MyBackwardPass(BackwardPassScene):
        x, w, b = 1.0, 3.0, -2.0

The pictures themselves (graphs, chains, matrices, networks, plots) live in
the visual kit, src/visualization/; this file only tells the story.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
from manimlib import (
    DOWN, FRAME_WIDTH, LEFT, RIGHT, UL, UP, UR, GREY_A, GREY_B, WHITE, YELLOW,
    AnimationGroup, Arrow, Cross, FadeIn, FadeOut, FadeTransform, FlashAround,
    GrowArrow, Indicate, LaggedStart, LaggedStartMap, Line,
    ReplacementTransform, Restore, RoundedRectangle, ShowCreation, Square,
    SurroundingRectangle, Transform, TransformFromCopy, TransformMatchingShapes,
    VGroup, Write, Dot, Flash, UpdateFromAlphaFunc,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from src.autograd import Value, numerical_grad  # noqa: E402
from src.data import MOONS_SETTINGS  # noqa: E402
from src.lesson.examples import (  # noqa: E402
    four_link_chain, lecture_loss, shared_input, shifted_square,
)
from src.lesson.graph_text import (  # noqa: E402
    backward_code, format_number, forward_code, graph_names, local_rule, tex_name, tex_number,
)
from src.lesson.layer_gradients import TwoLayerBackward  # noqa: E402
from src.models import MLP, mse  # noqa: E402
from src.lesson.training_record import record_training  # noqa: E402
from src.visualization import (  # noqa: E402
    ACTIVATION_COLOR, FADE_TIME, FORWARD_FLOW_COLOR, GRADIENT_COLOR,
    HIGHLIGHT_COLOR, INPUT_COLOR, LOSS_COLOR, NOTE_COLOR, OPERATION_COLOR,
    PARAMETER_COLOR, TRANSFORM_TIME, VALUE_TEXT_COLOR,
    CacheBox, ChainNode, CodePanel, ComputationGraph, ComputationNode,
    FunctionBox, FunctionChain, GradientEquation, GradientFlow, LayerPipeline,
    NetworkDiagram, ValueMatrix, arrow_flash, bullet_notes, caption_rows,
    chain_links, fork_arrows, formula, formula_line, legend, link_formula,
    link_local, math_label, math_tag, formula_matrix, morph_chain,
    formula_number, number_label, panel_header, reveal_from, role_arrow, scene_icon,
    seed_gradient, substitute, text_label, title_text, typeset_row,
    DecisionBoundaryPlot, TrainingCurves, TrainingStatus, class_color,
    parameter_backing, tag_labels,
)
from src.rendering.scene import LectureScene  # noqa: E402
from src.visualization.graph_beats import (  # noqa: E402
    chain_rule_caption, code_line_products, operation_equation, operation_sentence, rule_card,
    rule_sentence, step_sentence,
)


# --------------------------------------------------------------------------
# Scene 1
# --------------------------------------------------------------------------

def _d(top: str, bottom: str) -> str:
    return rf"\frac{{d{top}}}{{d{bottom}}}"


class ChainRuleScene(LectureScene):
    """The chain rule: the derivative of a composition is the product of
    the local derivatives of its parts."""

    x = 3.0          # input of F = (x + 2)^2
    h = 1e-3         # step of the central-difference check
    chain_x = 0.2    # input of x -> 3x -> -1 -> (.)^2 -> tanh

    def construct(self):
        self.compute_example()
        self.show_title_and_rule()
        self.show_composition()
        self.make_it_concrete()
        self.compute_local_derivatives()
        self.multiply_the_factors()
        self.check_numerically()
        self.extend_the_chain()
        self.multiply_link_by_link()
        self.state_the_insight()

    # ---- the engine's numbers ----

    def compute_example(self):
        """Forward and backward on both expressions; the scene only draws these."""
        self.F, self.xv = shifted_square(self.x)
        self.names = graph_names(self.F)
        (self.link_g, self.link_F) = chain_links(self.F)
        steps = self.F.backward_steps()
        self.dF_dg = link_local(steps, self.link_F)    # local of F = g^2: 2g
        self.dg_dx = link_local(steps, self.link_g)    # local of g = x + 2: 1
        self.dF_dx = self.dF_dg.local * self.dg_dx.local
        self.F.backward()
        assert math.isclose(self.dF_dx, self.xv.grad, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(self.dg_dx.added, self.xv.grad, rel_tol=1e-12, abs_tol=1e-12)
        # The check: central differences on the same expression, from the engine.
        self.F_plus = shifted_square(self.x + self.h)[0].data
        self.F_minus = shifted_square(self.x - self.h)[0].data
        self.estimate = numerical_grad(lambda v: shifted_square(v)[0], self.x, eps=self.h)
        assert math.isclose(self.estimate, (self.F_plus - self.F_minus) / (2 * self.h),
                            rel_tol=1e-9, abs_tol=1e-12)

        self.chain, self.chain_xv = four_link_chain(self.chain_x)
        self.chain_names = graph_names(self.chain)
        self.links = chain_links(self.chain)
        chain_steps = self.chain.backward_steps()
        self.contributions = [link_local(chain_steps, link) for link in self.links]
        running = 1.0
        for c in reversed(self.contributions):
            running *= c.local
            assert math.isclose(running, c.added, rel_tol=1e-12, abs_tol=1e-12)
        self.chain.backward()
        assert math.isclose(running, self.chain_xv.grad, rel_tol=1e-12, abs_tol=1e-12)

    # ---- beats ----

    def show_title_and_rule(self):
        # The rule itself: the derivative of a composition is a product.
        self.say("Backpropagation rests on the chain rule.")
        self.title = self.heading("The Chain Rule: Foundation of Backpropagation")
        self.rule = typeset_row([
            (_d("F", "x"), GRADIENT_COLOR), "=", (_d("F", "g"), GRADIENT_COLOR),
            r"\cdot", (_d("g", "x"), GRADIENT_COLOR),
        ], height=0.8)
        self.rule.move_to(2.35 * UP)
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.rule, shift=0.2 * DOWN), run_time=FADE_TIME)
        self.wait(0.5)

    def show_composition(self):
        # F = f(g(x)): x goes through g, then through f.
        self.say("F = f(g(x)), so dF/dx = dF/dg times dg/dx.")
        self.abstract = FunctionChain([
            ChainNode("x", "input"), FunctionBox("g"), FunctionBox("f"),
            ChainNode("F", "output"),
        ], gap=0.9)
        self.abstract.move_to(0.75 * UP)
        self.composition = typeset_row([
            ("F", LOSS_COLOR), "=", "f(g(", ("x", INPUT_COLOR), "))"], height=0.45)
        self.composition.move_to(2.35 * UP).set_x(3.6)
        self.play(
            self.rule.animate.set_x(-3.6),
            FadeIn(self.composition, shift=0.2 * LEFT),
            LaggedStartMap(FadeIn, VGroup(*self.abstract.parts), lag_ratio=0.25),
            LaggedStartMap(GrowArrow, self.abstract.arrows, lag_ratio=0.25),
            run_time=TRANSFORM_TIME,
        )
        self.add(self.abstract)
        self.wait(1.2)

    def make_it_concrete(self):
        # The concrete example: g = x + 2, F = g^2, so F = (x + 2)^2.
        self.say("Concretely: g shifts x, F squares g.")
        names = self.names
        g_formula = link_formula(self.link_g, names)
        F_formula = link_formula(self.link_F, names)
        g_name, F_name = tex_name(names[self.link_g.value]), tex_name(names[self.F])
        concrete = typeset_row([(F_name, LOSS_COLOR), "=",
                                substitute(F_formula, g_name, g_formula)], height=0.45)
        definitions = typeset_row([
            (g_name, ACTIVATION_COLOR), "=", g_formula + r",\qquad",
            (F_name, LOSS_COLOR), "=", F_formula], height=0.36)
        self.header = VGroup(concrete, definitions).arrange(DOWN, buff=0.2)
        self.header.move_to(2.35 * UP).set_x(3.6)
        self.diagram = FunctionChain.from_value(self.F, names, gap=0.9)
        self.diagram.move_to(self.abstract)
        old, new = self.abstract, self.diagram
        self.play(
            morph_chain(old, new, [(old.nodes[0], new.nodes[0]), (old.boxes[0], new.boxes[0]),
                                   (old.boxes[1], new.boxes[1]), (old.nodes[1], new.nodes[2])]),
            TransformMatchingShapes(self.composition, concrete),
            run_time=TRANSFORM_TIME,
        )
        self.play(FadeIn(definitions, shift=0.15 * DOWN), run_time=FADE_TIME)
        # Forward: the engine's values above x, g and F.
        self.say(f"Forward: g = {format_number(self.link_g.value.data)},"
                 f" F = {format_number(self.F.data)}.")
        self.values = VGroup(*(
            self.diagram.above(node, self.value_label(v, "example", names, scale=0.95))
            for node, v in zip(self.diagram.nodes, self.diagram.values)))
        self.play(LaggedStartMap(FadeIn, self.values, shift=0.15 * UP, lag_ratio=0.3),
                  run_time=FADE_TIME)
        self.wait(0.8)

    def compute_local_derivatives(self):
        # Backward, one link at a time: dF/dg first, then dg/dx.
        self.say("Backward: one local derivative per link.")
        x_node, g_node, F_node = self.diagram.nodes
        self.arcs, self.locals = VGroup(), VGroup()
        self.caption = self.make_caption("Backward: each function contributes its local derivative",
                                         1.85 * DOWN)
        for step, (link, contribution, (src, dst), box) in enumerate((
            (self.link_F, self.dF_dg, (F_node, g_node), self.diagram.boxes[1]),
            (self.link_g, self.dg_dx, (g_node, x_node), self.diagram.boxes[0]),
        )):
            arc = self.diagram.backward_arrow(src, dst, depth=0.42)
            label = self.local_label(link, contribution, scale=0.7)
            label.next_to(arc, DOWN, buff=0.12)
            self.arcs.add(arc)
            self.locals.add(label)
            self.play(
                Indicate(box, color=HIGHLIGHT_COLOR, scale_factor=1.1),
                GrowArrow(arc),
                FadeIn(label, shift=0.15 * DOWN),
                *([FadeIn(self.caption)] if step == 0 else []),
                run_time=1.1,
            )
        self.wait(0.7)

    def multiply_the_factors(self):
        # The chain: dF/dx = 2g . 1 = 2(x + 2), then the same in numbers.
        self.say("The chain rule: multiply the two factors.")
        names = self.names
        F_name, x_name = tex_name(names[self.F]), tex_name(names[self.xv])
        g_name = tex_name(names[self.link_g.value])
        dF_rule = self.locals[0].rule_part.tex_string
        dg_rule = self.locals[1].rule_part.tex_string
        total = substitute(dF_rule, g_name, link_formula(self.link_g, names))
        if dg_rule != "1":  # a factor 1 is left out of the simplified form
            total = rf"{total} \cdot {dg_rule}"
        n1 = number_label(self.dF_dg.local, GRADIENT_COLOR, bracket_negative=True,
                          key=("example", "dF/dg"))
        n2 = number_label(self.dg_dx.local, GRADIENT_COLOR, bracket_negative=True,
                          key=("example", "dg/dx"))
        result = number_label(self.dF_dx, GRADIENT_COLOR, key=("example", "dF/dx"))
        row = typeset_row([
            (_d(F_name, x_name), GRADIENT_COLOR), "=",
            (dF_rule, GRADIENT_COLOR), r"\cdot", (dg_rule, GRADIENT_COLOR), "=", total,
            "=", n1, r"\cdot", n2, "=", result,
        ], height=0.75)
        row.move_to(1.85 * DOWN)
        self.product = row
        # Each factor lights up where it was computed and joins the product.
        self.play(FadeOut(self.caption), FadeIn(row[:2], shift=0.1 * UP), run_time=FADE_TIME)
        for local, factor, dot in ((self.locals[0], row[2], row[3]), (self.locals[1], row[4], None)):
            self.play(
                FlashAround(local, color=HIGHLIGHT_COLOR),
                TransformFromCopy(local.rule_part, factor),
                *([FadeIn(dot)] if dot is not None else []),
                run_time=0.9,
            )
        self.play(FadeIn(row[5:7], shift=0.1 * LEFT), run_time=FADE_TIME)
        self.say(f"In numbers: {format_number(self.dF_dg.local)} times"
                 f" {format_number(self.dg_dx.local)} is {format_number(self.dF_dx)}.")
        self.play(
            TransformFromCopy(self.locals[0].number_part, n1),
            TransformFromCopy(self.locals[1].number_part, n2),
            FadeIn(VGroup(row[7], row[9])),
            run_time=TRANSFORM_TIME,
        )
        self.play(FadeIn(VGroup(row[11], result), shift=0.1 * LEFT), run_time=FADE_TIME)

    def check_numerically(self):
        # Not a trick: nudge x both ways and measure the slope.
        self.say(f"Nudge x both ways: the slope is {format_number(self.estimate)} too.")
        F_name, x_name = tex_name(self.names[self.F]), tex_name(self.names[self.xv])
        plus = number_label(self.F_plus, digits=8, key=("example", "F(x+h)"))
        minus = number_label(self.F_minus, digits=8, key=("example", "F(x-h)"))
        two_h = number_label(2 * self.h, key=("example", "2h"))
        estimate = number_label(self.estimate, GRADIENT_COLOR, digits=6,
                                key=("example", "numerical"))
        check = typeset_row([
            rf"\frac{{{F_name}({x_name}+h) - {F_name}({x_name}-h)}}{{2h}}", "=",
            "(", plus, "-", minus, ")", "/", two_h, r"\approx", estimate,
            (r"\;\checkmark", HIGHLIGHT_COLOR),
        ], height=0.7)
        h_note = typeset_row([("h", NOTE_COLOR), ("=", NOTE_COLOR),
                              number_label(self.h, NOTE_COLOR, key=("example", "h"))], height=0.24)
        h_note.next_to(check, RIGHT, buff=0.5)
        VGroup(check, h_note).move_to(3.05 * DOWN)
        self.check = VGroup(check, h_note)
        self.play(FadeIn(check[:-1], shift=0.15 * UP), FadeIn(h_note), run_time=FADE_TIME)
        self.play(
            Write(check[-1]),
            FlashAround(estimate, color=HIGHLIGHT_COLOR),
            FlashAround(self.product[-1], color=HIGHLIGHT_COLOR),
            run_time=1.2,
        )
        self.mark_poster()
        self.wait(0.8)

    def extend_the_chain(self):
        # Longer chains work the same way: x -> g1 -> g2 -> g3 -> F.
        self.say("A longer chain works the same way.")
        names = self.chain_names
        node_names = [tex_name(names[v]) for v in self.chain_nodes()]
        pieces = [(_d(node_names[-1], node_names[0]), GRADIENT_COLOR), "="]
        for i in reversed(range(len(self.links))):
            if i < len(self.links) - 1:
                pieces.append(r"\cdot")
            pieces.append((_d(node_names[i + 1], node_names[i]), GRADIENT_COLOR))
        self.long_rule = typeset_row(pieces, height=0.72).move_to(2.4 * UP)
        self.diagram2 = FunctionChain.from_value(self.chain, names, gap=0.5)
        self.diagram2.move_to(0.95 * UP)
        self.values2 = VGroup(*(
            self.diagram2.above(node, self.value_label(v, "chain", names, scale=0.88))
            for node, v in zip(self.diagram2.nodes, self.diagram2.values)))
        old = VGroup(self.diagram, self.values, self.arcs, self.locals, self.product,
                     self.check, self.header)
        self.play(FadeOut(old), FadeTransform(self.rule, self.long_rule), run_time=FADE_TIME)
        self.play(
            LaggedStartMap(FadeIn, VGroup(*self.diagram2.parts), lag_ratio=0.15),
            LaggedStartMap(GrowArrow, self.diagram2.arrows, lag_ratio=0.15),
            run_time=TRANSFORM_TIME,
        )
        self.add(self.diagram2)
        self.play(LaggedStartMap(FadeIn, self.values2, shift=0.15 * UP, lag_ratio=0.2),
                  run_time=FADE_TIME)

    def multiply_link_by_link(self):
        # Backward from F: each link's local derivative multiplies the running product.
        self.say("Walk back from F: each link multiplies the running product"
                 " by its local derivative.")
        names = self.chain_names
        nodes, boxes = self.diagram2.nodes, self.diagram2.boxes
        seed = self.running_label(self.chain, 1.0, nodes[-1])
        self.locals2, self.running, self.run_arrows = VGroup(), VGroup(seed), VGroup()
        self.caption = self.make_caption(
            "Backward from F: multiply in one local derivative per link", 2.0 * DOWN)
        self.play(FadeIn(seed, shift=0.15 * UP), FadeIn(self.caption), run_time=FADE_TIME)
        for k in reversed(range(len(self.links))):
            link, contribution = self.links[k], self.contributions[k]
            local = self.local_label(link, contribution, scale=0.75, part="chain", names=names,
                                     with_name=False)
            local.next_to(boxes[k], DOWN, buff=0.2)
            product = self.running_label(link.input, contribution.added, nodes[k])
            previous = self.running[-1]
            arrow = Arrow(previous.get_left(), product.get_right(), buff=0.12, thickness=2.5)
            arrow.set_fill(GRADIENT_COLOR)
            self.locals2.add(local)
            self.run_arrows.add(arrow)
            self.running.add(product)
            self.play(LaggedStart(
                AnimationGroup(
                    Indicate(boxes[k], color=HIGHLIGHT_COLOR, scale_factor=1.1),
                    Indicate(self.rule_factor(k), color=HIGHLIGHT_COLOR, scale_factor=1.1),
                    FadeIn(local, shift=0.1 * DOWN),
                ),
                AnimationGroup(
                    GrowArrow(arrow),
                    FadeTransform(VGroup(previous.number_part, local.number_part).copy(),
                                  product.number_part),
                    FadeIn(product[:-1]),
                ),
                lag_ratio=0.5,
            ), run_time=1.3)

    def state_the_insight(self):
        # The product is the engine's x.grad; the lesson: break it into simple parts.
        names = self.chain_names
        x_name, F_name = tex_name(names[self.chain_xv]), tex_name(names[self.chain])
        pieces = [(_d(F_name, x_name), GRADIENT_COLOR), "="]
        for i, k in enumerate(reversed(range(len(self.links)))):
            link = self.links[k]
            pieces += ([r"\cdot"] if i else []) + [number_label(
                self.contributions[k].local, GRADIENT_COLOR, bracket_negative=True,
                key=("chain", f"d{names[link.value]}/d{names[link.input]}"))]
        pieces += ["=", number_label(self.contributions[0].added, GRADIENT_COLOR,
                                     key=("chain", "dF/dx")),
                   r"\qquad", r"\texttt{x.grad} =",
                   number_label(self.chain_xv.grad, GRADIENT_COLOR, key=("chain", "x.grad")),
                   (r"\;\checkmark", HIGHLIGHT_COLOR)]
        row = typeset_row(pieces, height=0.62).move_to(2.0 * DOWN)
        insight = VGroup(
            text_label("We can compute derivatives of complex functions", font_size=30),
            text_label("by breaking them into simple parts", font_size=30),
        ).arrange(DOWN, buff=0.15).to_edge(DOWN, buff=0.35)
        self.say(f"The product, {format_number(self.contributions[0].added)},"
                 " matches x.grad.")
        self.play(FadeOut(self.caption), FadeIn(row, shift=0.15 * UP),
                  FlashAround(self.running[-1], color=HIGHLIGHT_COLOR), run_time=1.2)
        self.wait(1.2)
        self.say("Break hard derivatives into simple parts.")
        self.play(FadeIn(insight, shift=0.2 * UP), run_time=FADE_TIME)
        self.wait(2.2)

    # ---- pieces ----

    def make_caption(self, text: str, where):
        caption = text_label(text, NOTE_COLOR, font_size=28)
        return caption.set_max_width(12.5).move_to(where)

    def value_label(self, value: Value, part: str, names: dict, scale: float):
        """The engine's value of a node, in white, keyed by the node's name."""
        label = number_label(value.data, VALUE_TEXT_COLOR, key=(part, names[value]))
        return label.scale(scale)

    def chain_nodes(self):
        return [self.links[0].input] + [link.value for link in self.links]

    def local_label(self, link, contribution, scale, part="example", names=None,
                    with_name=True):
        """d out/d in = rule = number, in red (the rule only when it is not
        already the number); `.rule_part` and `.number_part` name its pieces."""
        names = self.names if names is None else names
        out, inp = names[link.value], names[link.input]
        rule = local_rule(link.value, link.index, names, tex=True)
        number = number_label(contribution.local, GRADIENT_COLOR, key=(part, f"d{out}/d{inp}"))
        pieces = [(_d(tex_name(out), tex_name(inp)), GRADIENT_COLOR), "="] if with_name else []
        if rule != tex_number(contribution.local):
            pieces += [(rule, GRADIENT_COLOR), "="]
        label = typeset_row(pieces + [number], scale=scale)
        label.rule_part = label[2] if with_name else label[0]
        label.number_part = number
        return label

    def running_label(self, value: Value, grad: float, node) -> VGroup:
        """dF/d(value) = grad, under `node`, kept inside the frame."""
        names = self.chain_names
        F_name, name = names[self.chain], names[value]
        number = number_label(grad, GRADIENT_COLOR, key=("chain", f"d{F_name}/d{name}"))
        label = typeset_row([(_d(tex_name(F_name), tex_name(name)), GRADIENT_COLOR), "=", number],
                            scale=0.68)
        label.move_to(0.8 * DOWN).set_x(node.get_x())
        half = FRAME_WIDTH / 2 - 0.2
        label.shift(max(0.0, -half - label.get_left()[0]) * RIGHT)
        label.shift(min(0.0, half - label.get_right()[0]) * RIGHT)
        label.number_part = number
        return label

    def rule_factor(self, k):
        """The factor of the long rule that belongs to link k (the rule lists
        them from F back to x: dF/dx, =, last link, ., ..., ., first link)."""
        return self.long_rule[2 + 2 * (len(self.links) - 1 - k)]


# --------------------------------------------------------------------------
# Scene 2
# --------------------------------------------------------------------------

class ComputationGraphScene(LectureScene):
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
        self.say("What does autograd record while it computes L?")
        title = self.heading("Building the Computational Graph")
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
        names = self.graph.names
        self.say("Leaves first: " + ", ".join(
            f"{names[v]} = {format_number(v.data)}" for v in self.leaves) + ".")
        self.caption = self.make_caption(
            "Leaves: the input x and the parameters w, b")
        leaves = self.graph.leaves()
        self.play(
            LaggedStart(*(self.graph.reveal_leaf(v) for v in leaves), lag_ratio=0.3),
            FadeIn(self.caption, shift=0.2 * UP),
            run_time=TRANSFORM_TIME,
        )
        self.wait(1.5)

    def run_operations(self):
        # Each operation runs, and the engine records a node for it.
        for value in self.graph.operations():
            self.say(self.operation_sentence(value))
            caption = self.operation_caption(value)
            self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
            self.caption = caption
            self.play(self.graph.reveal_operation(value))
            self.play(self.graph.pulse_value(value), run_time=1.0)
            self.wait(0.8)
        # Now every part is on screen: hold the graph as one object.
        self.say("The graph is complete.")
        self.add(self.graph)
        self.play(FlashAround(self.graph.node(self.loss), color=LOSS_COLOR), run_time=1.2)
        self.wait()

    def show_stored_backward_rules(self):
        # Beside its value, every node keeps a rule for the backward pass.
        self.say("Each operation also keeps a backward rule.")
        caption = self.make_caption(
            "Each operation also stores its backward rule (local derivatives)")
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        self.cards = VGroup()
        steps = {step.node: step for step in self.loss.backward_steps()}
        for n, value in enumerate(self.graph.operations()):
            if n > 0:
                self.say(self.rule_sentence(value, steps[value]))
            card = self.rule_card(value, steps[value])
            self.cards.add(card)
            self.play(
                Indicate(self.graph.op_node(value), color=OPERATION_COLOR),
                FadeIn(card, shift=0.2 * UP),
                run_time=1.2,
            )
            self.wait(1.5)
        self.mark_poster()
        self.wait(1.5)

    def flow_data_forward(self):
        # Forward pass, replayed: data flows left to right through the graph.
        self.say("Replay the forward pass: values flow from the leaves to L.")
        caption = self.make_caption("Forward pass: values flow from the leaves to L")
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        for value in self.graph.operations():
            self.play(self.graph.forward_flow(value, run_time=1.0),
                      self.graph.pulse_value(value), run_time=1.2)
        self.wait()
        self.say("All of it is kept: the backward pass will need it.")
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

    def operation_sentence(self, value: Value) -> str:
        """What the lecturer says as an operation runs: it records a node."""
        return operation_sentence(value, self.graph.names)

    def rule_sentence(self, value: Value, step) -> str:
        """The stored backward rule of one operation, in words and numbers."""
        return rule_sentence(value, step, self.graph.names)

    def operation_caption(self, value: Value):
        caption = math_label(operation_equation(value, self.graph.names))
        caption.set_height(0.42).set_max_width(13)
        caption.to_edge(DOWN, buff=0.35)
        return caption

    def rule_card(self, value: Value, step) -> VGroup:
        """The op's stored local derivatives, under its diamond, above the caption."""
        card = rule_card(value, step, self.graph.names)
        op = self.graph.op_node(value)
        card.next_to(self.graph, DOWN, buff=0.25)
        card.set_x(op.get_x())
        card.shift(max(0, -7.0 + 0.15 - card.get_left()[0]) * RIGHT)
        card.shift(min(0, 7.0 - 0.15 - card.get_right()[0]) * RIGHT)
        card.set_y(self.caption.get_top()[1] + 0.2 + card.get_height() / 2)
        return card


# --------------------------------------------------------------------------
# Scene 3
# --------------------------------------------------------------------------

class ParametersVsActivationsScene(LectureScene):
    """What a network keeps: parameters it learns, activations it saves."""

    # A 2 -> 3 -> 1 ReLU network from src/models.py. Seed 38 with this input
    # was found by computing: all three hidden pre-activations are clearly
    # positive (about 0.29, 0.79, 0.44), so no ReLU is dead and every entry
    # of dL/dW2 = dL/dh2 * a1^T (and of dL/dW1) is non-zero; W2 has weights
    # of both signs, and the output (about -0.60) is far from the target, so
    # the gradients are large enough to read.
    seed = 38
    x_input = (0.8, -0.5)
    target = 1.0

    LEFT_X, RIGHT_X = -3.55, 3.55

    def construct(self):
        self.run_the_network()
        self.reveal_split_screen()
        self.show_parameters()
        self.show_activations()
        self.run_forward_pass()
        self.run_backward_pass()
        self.show_weight_gradient_formula()
        self.multiply_entry_by_entry()
        self.compare_with_engine()
        self.take_the_cache_away()
        self.layer_one_outer_product()
        self.close_on_the_cache()

    # ---- the numbers: one forward and backward pass of the engine ----

    def run_the_network(self):
        # Everything drawn below comes from this model, this input, this loss.
        self.model = MLP(2, [3, 1], activation="relu", seed=self.seed)
        self.out = self.model(list(self.x_input))
        self.loss = mse(self.out, self.target)
        self.loss.backward()
        acts = self.model.activations
        self.x_values = list(acts[0])
        self.a1 = list(acts[1])
        self.h1 = [pre_activation(a) for a in self.a1]
        self.h2 = [pre_activation(v) for v in acts[2]]
        layer1, layer2 = self.model.layers
        self.weights = {k: [[w.data for w in n.w] for n in layer.neurons]
                        for k, layer in ((1, layer1), (2, layer2))}
        self.biases = {k: [n.b.data for n in layer.neurons]
                       for k, layer in ((1, layer1), (2, layer2))}
        # Layer 2's weight gradient, as the engine computed it scalar by scalar.
        self.upstream = [h.grad for h in self.h2]
        self.saved_input = [a.data for a in self.a1]
        self.w2_grad = [[w.grad for w in n.w] for n in layer2.neurons]
        # ... and layer 1's: upstream dL/dh1, its input x, W1.grad.
        self.upstream1 = [h.grad for h in self.h1]
        self.x_row = [x.data for x in self.x_values]
        self.w1_grad = [[w.grad for w in n.w] for n in layer1.neurons]

    # ---- beats ----

    def reveal_split_screen(self):
        # Two kinds of numbers live in a network: a split screen, one per kind.
        self.say("A network holds two kinds of numbers.")
        self.title = self.heading("Parameters vs Activations")
        self.divider = Line(3.05 * UP, 1.9 * DOWN).set_stroke(GREY_B, 2)
        self.param_header = panel_header("Parameters", "weights and biases", PARAMETER_COLOR)
        self.act_header = panel_header("Activations", "intermediate values", ACTIVATION_COLOR)
        for header, x in ((self.param_header, self.LEFT_X), (self.act_header, self.RIGHT_X)):
            header.move_to([x, 0, 0]).align_to(3.1 * UP, UP)
        self.caption = self.make_caption(
            "Two kinds of numbers: what the network learns, what it computes")
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.play(
            ShowCreation(self.divider),
            FadeIn(self.param_header, shift=0.6 * RIGHT),
            FadeIn(self.act_header, shift=0.6 * LEFT),
            FadeIn(self.caption, shift=0.2 * UP),
            run_time=TRANSFORM_TIME,
        )
        self.wait(0.5)

    def show_parameters(self):
        # Left: the model's real W1, b1, W2, b2 (biases start at zero).
        self.say("Parameters are the weights and biases.")
        self.W1 = ValueMatrix(self.weights[1], PARAMETER_COLOR)
        self.b1 = ValueMatrix(self.biases[1], PARAMETER_COLOR)
        self.W2 = ValueMatrix(self.weights[2], PARAMETER_COLOR)
        self.b2 = ValueMatrix(self.biases[2], PARAMETER_COLOR)
        self.param_matrices = {"W_1": self.W1, "b_1": self.b1, "W_2": self.W2, "b_2": self.b2}
        named = [m.labelled(name) for name, m in self.param_matrices.items()]
        layer1 = VGroup(*named[:2]).arrange(RIGHT, buff=0.45)
        layer2 = VGroup(*named[2:]).arrange(RIGHT, buff=0.45)
        self.params = VGroup(layer1, layer2).arrange(DOWN, buff=0.3)
        self.params.set_max_width(6.4)
        self.params.move_to([self.LEFT_X, 0, 0]).align_to(2.2 * UP, UP)
        self.param_notes = bullet_notes(
            ["Learned values", "Updated during training", "Require gradients for optimization"],
            PARAMETER_COLOR)
        self.param_notes.move_to([self.LEFT_X, 0, 0]).align_to(0.55 * DOWN, UP)
        caption = self.make_caption(
            "Parameters belong to the model: weights start random, biases at zero")
        self.play(
            LaggedStart(*(FadeIn(group, shift=0.2 * DOWN) for group in named), lag_ratio=0.25),
            FadeTransform(self.caption, caption),
            run_time=TRANSFORM_TIME,
        )
        self.caption = caption
        self.play(LaggedStart(*(FadeIn(row, shift=0.2 * RIGHT) for row in self.param_notes),
                              lag_ratio=0.3), run_time=1.2)
        self.wait(0.6)

    def show_activations(self):
        # Right: an empty cache, to be filled by the forward pass.
        self.say("Activations are computed from one input.")
        self.cache = CacheBox("Cache: saved for the backward pass", slots=4,
                                   width=6.3, height=2.3, font_size=22)
        self.cache.move_to([self.RIGHT_X, 0, 0]).align_to(2.2 * UP, UP)
        self.act_notes = bullet_notes(
            ["Computed during forward pass", "Saved for backward pass",
             "Needed to compute parameter gradients"], ACTIVATION_COLOR)
        self.act_notes.move_to([self.RIGHT_X, 0, 0]).align_to(0.55 * DOWN, UP)
        caption = self.make_caption(
            "Activations belong to one input: they exist only after a forward pass")
        self.play(FadeIn(self.cache), FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        self.play(LaggedStart(*(FadeIn(row, shift=0.2 * LEFT) for row in self.act_notes),
                              lag_ratio=0.3), run_time=1.2)
        self.wait(0.6)

    def run_forward_pass(self):
        # The input runs through the network; each activation drops into the cache.
        self.say("Forward: x enters and is cached.")
        self.pipeline = LayerPipeline([
            (r"\text{Input } x", INPUT_COLOR),
            (r"\text{FC}_1", OPERATION_COLOR),
            (r"\text{ReLU}", OPERATION_COLOR),
            (r"\text{FC}_2", OPERATION_COLOR),
            (r"\text{Output } h_2", ACTIVATION_COLOR),
            (r"\text{Loss } L", LOSS_COLOR),
        ], text_height=0.21, box_height=0.7, gap=0.55)
        self.pipeline.move_to(2.55 * DOWN)
        caption = self.make_caption("Forward pass: the input x enters, and FC\u2081 keeps a copy")
        self.play(FadeIn(self.pipeline), FadeTransform(self.caption, caption),
                  Indicate(self.act_notes[0], color=ACTIVATION_COLOR), run_time=1.0)
        self.caption = caption

        self.cached = {}
        steps = [
            # (name, values, colour, stage it leaves, caption, narration)
            ("x", self.x_values, INPUT_COLOR, 0, None, None),
            ("h_1", self.h1, ACTIVATION_COLOR, 1,
             "FC\u2081: h\u2081 = W\u2081x + b\u2081, kept for ReLU's backward",
             "FC1 computes h1, cached too."),
            ("a_1", self.a1, ACTIVATION_COLOR, 2,
             "ReLU: a\u2081 = max(0, h\u2081), the input FC\u2082 will need",
             "ReLU gives a1: FC2's input."),
            ("h_2", self.h2, ACTIVATION_COLOR, 3,
             "FC\u2082: h\u2082 = W\u2082a\u2081 + b\u2082, the output, kept for the loss",
             f"FC2 outputs h2 = {format_number(self.h2[0].data)}."),
        ]
        uses = {1: (self.W1, self.b1), 3: (self.W2, self.b2)}
        for name, values, color, stage, text, narration in steps:
            item = ValueMatrix(values, color).labelled(name, side=UP, buff=0.1)
            self.cached[name] = item
            animations = [self.cache.store(self.pipeline.stages[stage], item, run_time=1.2)]
            if stage == 0:
                animations.append(Indicate(self.act_notes[1], color=ACTIVATION_COLOR))
            else:
                self.say(narration)
                caption = self.make_caption(text)
                self.play(FadeTransform(self.caption, caption),
                          self.pipeline.flow(stage - 1), run_time=FADE_TIME)
                self.caption = caption
                animations.append(self.pipeline.flow(stage, run_time=1.2))
                animations += [FlashAround(m, color=PARAMETER_COLOR, run_time=1.2)
                               for m in uses.get(stage, ())]
            self.play(*animations)

        # The loss, from mse in src/models.py.
        self.say(f"The loss is L = {format_number(self.loss.data)}.")
        self.loss_row = typeset_row([
            "L = (h_2 - y)^2 =", "(", number_label(self.h2[0].data), "-",
            number_label(self.target), ")^2", "=", number_label(self.loss.data, LOSS_COLOR),
        ])
        caption = self.make_caption(self.loss_row)
        self.play(FadeTransform(self.caption, caption), self.pipeline.flow(4, run_time=0.8),
                  FlashAround(self.pipeline.stages[5], color=LOSS_COLOR, run_time=1.4))
        self.caption = caption
        self.wait(0.4)

    def run_backward_pass(self):
        # loss.backward(): the gradients need the values the forward pass left behind.
        self.say("Backward: the gradients need the cache.")
        caption = self.make_caption(
            "loss.backward(): gradients flow back, and need what was cached")
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        self.play(self.pipeline.flow_all_back(run_time=1.6),
                  Indicate(self.param_notes[2], color=PARAMETER_COLOR, run_time=1.6))
        self.play(Indicate(self.act_notes[2], color=ACTIVATION_COLOR),
                  FlashAround(self.cache, color=ACTIVATION_COLOR), run_time=1.2)
        self.wait(0.3)

    def show_weight_gradient_formula(self):
        # Why: for h = Wx + b, the weight gradient needs the layer's input x.
        self.say("Why? Look at a linear layer.")
        self.play(
            FadeOut(self.param_notes), FadeOut(self.act_notes), FadeOut(self.pipeline),
            self.divider.animate.put_start_and_end_on(3.05 * UP, 0.25 * DOWN),
            run_time=FADE_TIME,
        )
        linear = typeset_row(["h", "=", ("W", PARAMETER_COLOR), "x", "+", ("b", PARAMETER_COLOR)])
        rule = typeset_row([
            (r"\frac{\partial L}{\partial W}", GRADIENT_COLOR), "=",
            (r"\frac{\partial L}{\partial h}", GRADIENT_COLOR), r"\cdot", ("x^T", YELLOW),
        ])
        linear.set_height(0.3)
        rule.set_height(0.72)
        self.formulas = VGroup(linear, rule).arrange(RIGHT, buff=0.9)
        self.formulas.move_to([self.LEFT_X, -0.95, 0])
        self.x_t = rule[-1]
        caption = self.make_caption(math_label(
            r"x^T \text{ is the INPUT to this layer --- we MUST save it!}", YELLOW))
        self.play(FadeIn(linear, shift=0.2 * UP), Write(rule), run_time=TRANSFORM_TIME)
        self.say("dL/dW needs the input x, so x is saved.")
        self.play(FadeTransform(self.caption, caption),
                  FlashAround(self.x_t, color=YELLOW), run_time=1.0)
        self.caption = caption
        # the saved values: exactly what these formulas will ask for
        self.play(*(FlashAround(item, color=YELLOW) for item in self.cached.values()),
                  run_time=1.2)
        self.wait(0.6)

    def multiply_entry_by_entry(self):
        # Layer 2 with its real numbers: upstream gradient times the saved a1, as a row.
        self.say("In layer 2, that input is the cached a1.")
        self.layer2_rule = typeset_row([
            r"\text{layer 2:}\quad",
            (r"\frac{\partial L}{\partial W_2}", GRADIENT_COLOR), "=",
            (r"\frac{\partial L}{\partial h_2}", GRADIENT_COLOR), r"\cdot", ("a_1^T", YELLOW),
        ])
        self.layer2_rule.set_height(0.72)
        self.layer2_rule.move_to([self.RIGHT_X, -0.95, 0])
        self.upstream_matrix = ValueMatrix(self.upstream, GRADIENT_COLOR)
        self.saved_row = ValueMatrix([self.saved_input], ACTIVATION_COLOR)
        self.product = ValueMatrix(self.w2_grad, GRADIENT_COLOR)
        for entry in (*self.saved_row.all_entries(), *self.product.all_entries()):
            entry.set_opacity(0)
        dot, equals = math_label(r"\cdot"), math_label("=")
        self.numbers_row = VGroup(self.upstream_matrix, dot, self.saved_row,
                                  equals, self.product).arrange(RIGHT, buff=0.25)
        self.numbers_row.move_to(1.95 * DOWN)
        caption = self.make_caption(
            "In layer 2 the input x is a\u2081: the saved activation, laid down as a row")
        self.play(FadeTransform(self.caption, caption),
                  TransformFromCopy(self.formulas[1], self.layer2_rule), run_time=TRANSFORM_TIME)
        self.caption = caption
        source = self.cached["a_1"].matrix
        self.play(
            FadeIn(self.upstream_matrix), FadeIn(dot), FadeIn(self.saved_row),
            FlashAround(self.cached["a_1"], color=YELLOW),
            *(reveal_from(self.saved_row.entry(0, j), [source.entry(j)])
              for j in range(self.saved_row.n_cols)),
            run_time=TRANSFORM_TIME,
        )
        self.play(FadeIn(equals), FadeIn(self.product), run_time=FADE_TIME)
        g_entry = self.upstream_matrix.entry(0)
        self.say(f"Entry by entry: {format_number(self.upstream[0])} times"
                 f" {format_number(self.saved_input[0])} gives"
                 f" {format_number(self.upstream[0] * self.saved_input[0])}, and so on.")
        boxes = None
        for j in range(self.product.n_cols):
            a_entry = self.saved_row.entry(0, j)
            product = self.upstream[0] * self.saved_input[j]
            caption = self.make_caption(typeset_row([
                rf"\partial L / \partial (W_2)_{{1{j + 1}}} = "
                rf"\partial L / \partial h_2 \cdot a_{{1,{j + 1}}} =",
                number_label(self.upstream[0], bracket_negative=True), r"\cdot",
                number_label(self.saved_input[j], bracket_negative=True), "=",
                number_label(product, GRADIENT_COLOR),
            ]))
            new_boxes = VGroup(*(SurroundingRectangle(m, buff=0.06).set_stroke(YELLOW, 2)
                                 for m in (g_entry, a_entry)))
            self.play(
                FadeTransform(self.caption, caption),
                ShowCreation(new_boxes) if boxes is None else Transform(boxes, new_boxes),
                run_time=FADE_TIME,
            )
            if boxes is None:
                boxes = new_boxes
            self.caption = caption
            self.play(reveal_from(self.product.entry(0, j), [g_entry, a_entry], run_time=0.8))
        self.entry_boxes = boxes

    def compare_with_engine(self):
        # The engine never built a matrix: it computed each w.grad as a scalar. Same numbers.
        self.say("The engine's w.grad agrees.")
        self.engine_grad = ValueMatrix(self.w2_grad, GRADIENT_COLOR)
        name = typeset_row([r"W_2.\text{grad} \text{ from the engine} ="]).set_height(0.3)
        check = math_label(r"\checkmark", OPERATION_COLOR).set_height(0.3)
        self.engine_row = VGroup(name, self.engine_grad, check).arrange(RIGHT, buff=0.2)
        self.engine_row.shift(self.product.get_center() - self.engine_grad.get_center())
        self.engine_row.set_y(-2.75)
        caption = self.make_caption(
            "The engine computed each w.grad as a scalar; the matrix formula agrees")
        self.play(FadeTransform(self.caption, caption), FadeOut(self.entry_boxes),
                  FadeIn(VGroup(name, self.engine_grad), shift=0.2 * UP), run_time=FADE_TIME)
        self.caption = caption
        self.play(FadeIn(check, scale=1.5),
                  FlashAround(self.product, color=OPERATION_COLOR),
                  FlashAround(self.engine_grad, color=OPERATION_COLOR), run_time=1.2)
        self.mark_poster()
        self.wait(0.3)

    def take_the_cache_away(self):
        # Without the saved a1 there is nothing to multiply: dL/dW2 cannot be formed.
        self.say("Without a1 cached, dL/dW2 is lost.")
        saved = self.cached["a_1"]
        saved.save_state()
        self.engine_row.save_state()
        cross = Cross(saved, stroke_width=[0, 6, 0])
        row_marks = self.saved_row.question_marks(YELLOW)
        product_marks = self.product.question_marks(GRADIENT_COLOR)
        caption = self.make_caption(
            "Without the saved a\u2081 the product cannot be formed: \u2202L/\u2202W\u2082 is lost")
        self.play(FadeTransform(self.caption, caption),
                  saved.animate.set_opacity(0.2), ShowCreation(cross), run_time=1.2)
        self.caption = caption
        self.play(
            *(entry.animate.set_opacity(0) for entry in self.saved_row.all_entries()),
            *(entry.animate.set_opacity(0) for entry in self.product.all_entries()),
            FadeIn(row_marks, scale=1.4), FadeIn(product_marks, scale=1.4),
            self.engine_row.animate.set_opacity(0.15),
            run_time=TRANSFORM_TIME,
        )
        self.wait(1.0)
        # Put it back: with the cache, the gradient can be formed again.
        self.say("Keep a1, and it is back.")
        caption = self.make_caption("Keep a\u2081 in the cache, and the gradient is there again")
        self.play(
            FadeTransform(self.caption, caption),
            FadeOut(cross), Restore(saved), Restore(self.engine_row),
            FadeOut(row_marks), FadeOut(product_marks),
            *(entry.animate.set_opacity(1) for entry in self.saved_row.all_entries()),
            *(entry.animate.set_opacity(1) for entry in self.product.all_entries()),
            run_time=TRANSFORM_TIME,
        )
        self.caption = caption
        self.wait(0.5)

    def layer_one_outer_product(self):
        # Layer 1 the same way: a full outer product, its input x taken from the cache.
        self.say("Layer 1 works the same, with x cached.")
        rule = typeset_row([
            r"\text{layer 1:}\quad",
            (r"\frac{\partial L}{\partial W_1}", GRADIENT_COLOR), "=",
            (r"\frac{\partial L}{\partial h_1}", GRADIENT_COLOR), r"\cdot", ("x^T", YELLOW),
        ])
        rule.set_height(0.72).move_to(self.layer2_rule)
        self.upstream1_matrix = ValueMatrix(self.upstream1, GRADIENT_COLOR)
        self.input_row = ValueMatrix([self.x_row], self.cached["x"].matrix.color)
        self.product1 = ValueMatrix(self.w1_grad, GRADIENT_COLOR)
        for entry in (*self.input_row.all_entries(), *self.product1.all_entries()):
            entry.set_opacity(0)
        dot, equals = math_label(r"\cdot"), math_label("=")
        # the product's entries are the engine's W1.grad (a test checks them
        # against the outer product of the drawn factors)
        self.engine_claim = VGroup(
            typeset_row([r"= W_1.\text{grad} \text{ from the engine}"]).set_height(0.3),
            math_label(r"\checkmark", OPERATION_COLOR).set_height(0.3),
        ).arrange(RIGHT, buff=0.2)
        self.layer1_row = VGroup(self.upstream1_matrix, dot, self.input_row, equals,
                                 self.product1, self.engine_claim)
        self.layer1_row.arrange(RIGHT, buff=0.25).move_to(2.22 * DOWN)
        caption = self.make_caption(
            "Layer 1 the same way: its input is x, also waiting in the cache")
        self.play(
            FadeTransform(self.caption, caption),
            FadeOut(VGroup(self.numbers_row, self.engine_row)),
            FadeTransform(self.layer2_rule, rule),
            run_time=TRANSFORM_TIME,
        )
        self.caption, self.layer2_rule = caption, rule
        source = self.cached["x"].matrix
        self.play(
            FadeIn(self.upstream1_matrix), FadeIn(dot), FadeIn(self.input_row),
            FadeIn(equals), FadeIn(self.product1),
            FlashAround(self.cached["x"], color=YELLOW),
            *(reveal_from(self.input_row.entry(0, j), [source.entry(j)])
              for j in range(self.input_row.n_cols)),
            run_time=TRANSFORM_TIME,
        )
        # every entry (i, j) is g_i times x_j
        self.play(LaggedStart(*(
            reveal_from(self.product1.entry(i, j),
                        [self.upstream1_matrix.entry(i), self.input_row.entry(0, j)])
            for i in range(self.product1.n_rows) for j in range(self.product1.n_cols)),
            lag_ratio=0.2), run_time=1.2)
        i, j = self.highlighted_entry()
        self.say(f"For example, {format_number(self.upstream1[i])} times"
                 f" {format_number(self.x_row[j])} gives {format_number(self.w1_grad[i][j])}.")
        caption = self.make_caption(typeset_row([
            rf"\partial L / \partial (W_1)_{{{i + 1}{j + 1}}} = "
            rf"\partial L / \partial h_{{1,{i + 1}}} \cdot x_{{{j + 1}}} =",
            number_label(self.upstream1[i], bracket_negative=True), r"\cdot",
            number_label(self.x_row[j], bracket_negative=True), "=",
            number_label(self.w1_grad[i][j], GRADIENT_COLOR),
        ]))
        boxes = VGroup(*(SurroundingRectangle(m, buff=0.06).set_stroke(YELLOW, 2) for m in (
            self.upstream1_matrix.entry(i), self.input_row.entry(0, j), self.product1.entry(i, j))))
        self.play(FadeTransform(self.caption, caption), ShowCreation(boxes), run_time=FADE_TIME)
        self.caption = caption
        self.wait(0.6)
        self.play(FadeOut(boxes), FadeIn(self.engine_claim, shift=0.2 * LEFT),
                  FlashAround(self.product1, color=OPERATION_COLOR), run_time=1.2)

    def close_on_the_cache(self):
        # The point: every layer's input stays in the cache until backward is done.
        self.say("Layer inputs stay cached until backward.")
        caption = self.make_caption(
            "So the forward pass keeps every layer's input until backward is done")
        self.play(FadeTransform(self.caption, caption, run_time=FADE_TIME),
                  *(FlashAround(item, color=ACTIVATION_COLOR, run_time=1.5)
                    for item in self.cached.values()))
        self.caption = caption
        self.wait(2.0)

    def highlighted_entry(self) -> tuple:
        """The entry of dL/dW1 to spell out: the largest one, so it is never a dead zero."""
        return max(((i, j) for i in range(len(self.w1_grad)) for j in range(len(self.x_row))),
                   key=lambda ij: abs(self.w1_grad[ij[0]][ij[1]]))

    # ---- pieces ----

    def make_caption(self, content):
        """One caption line at the bottom: a sentence, or a prepared formula."""
        if isinstance(content, str):
            content = text_label(content, GREY_A, font_size=30)
        else:
            content.set_max_height(0.38)
        content.set_max_width(13)
        content.to_edge(DOWN, buff=0.35)
        return content


def pre_activation(value):
    """The pre-activation of a neuron's output: the input of its ReLU, or the
    output itself for a linear neuron (the last layer of our MLP)."""
    return value.inputs[0] if value.op == "relu" else value


# --------------------------------------------------------------------------
# Scene 4
# --------------------------------------------------------------------------

class GradientPropagationScene(LectureScene):
    """Backward through two layers: each computes a gradient for its weights
    (for the optimizer) and one for its input (sent back to the layer before)."""

    # A real MLP(2, [3, 1], relu) on one example, L = (out - target)^2.
    # Seed 8 with this input keeps every hidden unit alive (z1 = 1.01, 0.952,
    # 0.577, all > 0, found by computing), so ReLU'(z1) = 1 everywhere and no
    # gradient drawn is zero; dL/dout = -0.765.
    seed = 8
    inputs = (-1.0, 0.5)
    target = 1.0

    # pipeline stages
    X, LAYER1, H1, LAYER2, OUT, LOSS = range(6)
    # layout: the upstream gradient on the left, the two computations it feeds on the right
    HEADER_LEFT = -6.85
    ROWS_LEFT = -2.2
    WORK_Y = -0.55
    WORK_TOP, WORK_BOTTOM = 1.85, -3.0

    def construct(self):
        self.net = TwoLayerBackward(self.seed, tuple(self.inputs), self.target)
        self.numbers = self.net.check()  # numpy's matrix formulas = the engine's gradients
        self.show_network()
        self.start_at_the_loss()
        self.split_layer_two()
        self.send_gradient_back()
        self.gate_through_relu()
        self.split_layer_one()
        self.show_key_insight()

    # ---- beats ----

    def show_network(self):
        # The network, forward: x -> Layer 1 -> h1 -> Layer 2 -> out -> L.
        self.say("A two-layer network runs forward, saving every value.")
        self.title = self.heading("Gradient Propagation: Parameters and Inputs")
        self.pipeline = LayerPipeline([
            ("x", INPUT_COLOR),
            (r"\text{Layer 1: } W_1, b_1", PARAMETER_COLOR),
            ("h_1", ACTIVATION_COLOR),
            (r"\text{Layer 2: } W_2, b_2", PARAMETER_COLOR),
            (r"\mathrm{out}", ACTIVATION_COLOR),
            ("L", LOSS_COLOR),
        ], box_height=0.8, gap=0.8, label_height=0.3)
        self.pipeline.set_max_width(13.4).next_to(self.title, DOWN, buff=0.35)
        self.caption = self.make_caption(VGroup(
            text_label("Forward:", GREY_A, font_size=28),
            formula(r"h_1 = \mathrm{ReLU}(W_1 x + b_1),\quad "
                    r"\mathrm{out} = W_2 h_1 + b_2,\quad "
                    r"L = (\mathrm{out} - y)^2"),
        ).arrange(RIGHT, buff=0.2))
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.pipeline, lag_ratio=0.1), FadeIn(self.caption), run_time=TRANSFORM_TIME)
        self.play(self.pipeline.flow_all(run_time=2.0))
        loss = self.net.loss.data
        self.say(f"The loss is L = {format_number(loss)}.")
        self.set_caption(formula_line(
            text_label("Every value is saved for the backward pass;", GREY_A, font_size=28),
            "L =", formula_number(loss, quantity="L")))
        self.wait()

    def start_at_the_loss(self):
        # Backward starts at the loss: dL/dout, the upstream gradient of layer 2.
        a = self.numbers
        out_number = formula_number(a["out"][0, 0], quantity="out")
        target_number = formula_number(self.target, quantity="target")
        upstream = formula_matrix(a["dL/dout"], GRADIENT_COLOR, "dL/dout")
        self.header = self.upstream_header([
            [formula(r"\frac{\partial L}{\partial \mathrm{out}}", GRADIENT_COLOR), "=",
             r"2(\mathrm{out} - y)"],
            ["=", formula_line("2(", out_number, "-", target_number, ")",
                                buff=[0.04, 0.1, 0.1, 0.04])],
            ["=", upstream],
        ], "upstream gradient, from the loss")
        self.header.result = upstream
        self.line_up(self.header, self.WORK_Y)
        lines = self.header.lines
        self.say("Backward starts at the loss.")
        self.set_caption("Backward starts at the loss: how does L change with out?",
                         self.pipeline.flow_back(self.LOSS - 1), run_time=1.0)
        self.play(FadeIn(VGroup(self.header.note, lines[0])), run_time=FADE_TIME)
        self.say(f"With out = {format_number(a['out'][0, 0])}, y = {format_number(self.target)}:"
                 f" dL/dout = {format_number(a['dL/dout'][0, 0])}.")
        self.play(
            FadeIn(VGroup(lines[1][0], *(p for p in lines[1][1] if p is not out_number))),
            self.bring(self.pipeline.stages[self.OUT], out_number),
            run_time=TRANSFORM_TIME,
        )
        self.play(FadeIn(lines[2], shift=0.2 * RIGHT), run_time=FADE_TIME)
        self.add(self.header)
        self.play(FlashAround(upstream, color=GRADIENT_COLOR), run_time=1.0)

    def split_layer_two(self):
        # Layer 2 turns dL/dout into TWO gradients: for W2, and for its input h1.
        weight_grad, input_grad = self.layer_gradients(
            2, "dL/dout", r"\mathrm{out}", "h1", "h_1", ACTIVATION_COLOR, "propagated backward")
        self.rows = self.place_rows(weight_grad, input_grad)
        self.say("Layer 2 makes two gradients. For W2: upstream times the saved h1.")
        self.play(self.pipeline.flow_back(self.OUT - 1),
                  FlashAround(self.pipeline.box(self.LAYER2), color=WHITE), run_time=1.0)
        self.fork = fork_arrows(self.header.result, [weight_grad.name, input_grad.name],
                                [PARAMETER_COLOR, GRADIENT_COLOR])
        self.derive(weight_grad, self.fork[0], self.header.result, self.pipeline.stages[self.H1],
                    "Layer 2, gradient 1 of 2: for W2, the upstream times the saved h1 (for b2: the upstream)")
        self.say("Second, for its input h1: W2 transposed times the upstream.")
        self.derive(input_grad, self.fork[1], self.pipeline.stages[self.LAYER2], self.header.result,
                    "Layer 2, gradient 2 of 2: for its input, the weights (transposed) times the upstream",
                    poster=True)

    def layer_gradients(self, k: int, upstream: str, upstream_tex: str, inp: str,
                        inp_tex: str, inp_color, input_note: str):
        """Layer k's two gradients as equations with the engine's numbers:
        dL/dW_k = upstream . input^T (for the optimizer) and
        dL/d(input) = W_k^T . upstream (sent back)."""
        a = self.numbers

        def d(wrt):
            return rf"\frac{{\partial L}}{{\partial {wrt}}}"

        weight_grad = GradientEquation(
            d(f"W_{k}"), rf"{d(upstream_tex)} \cdot {inp_tex}^{{\top}}",
            formula_matrix(a[upstream], GRADIENT_COLOR, upstream), r"\cdot",
            formula_matrix(a[inp].T, inp_color, f"{inp}^T"),
            formula_matrix(a[f"dL/dW{k}"], PARAMETER_COLOR, f"dL/dW{k}"),
            PARAMETER_COLOR, "used for optimization")
        input_grad = GradientEquation(
            d(inp_tex), rf"W_{k}^{{\top}} \cdot {d(upstream_tex)}",
            formula_matrix(a[f"W{k}"].T, PARAMETER_COLOR, f"W{k}^T"), r"\cdot",
            formula_matrix(a[upstream], GRADIENT_COLOR, upstream),
            formula_matrix(a[f"dL/d{inp}"], GRADIENT_COLOR, f"dL/d{inp}"),
            GRADIENT_COLOR, input_note)
        return weight_grad, input_grad

    def send_gradient_back(self):
        # dL/dh1 travels back and becomes the upstream gradient of layer 1.
        a = self.numbers
        _, input_grad = self.rows
        arriving_name = formula(r"\frac{\partial L}{\partial h_1}", GRADIENT_COLOR)
        arriving = formula_matrix(a["dL/dh1"], GRADIENT_COLOR, "dL/dh1")
        mask = formula_matrix(a["relu'"], ACTIVATION_COLOR, "relu'")
        upstream = formula_matrix(a["dL/dz1"], GRADIENT_COLOR, "dL/dz1")
        header = self.upstream_header([
            [formula(r"\frac{\partial L}{\partial z_1}", GRADIENT_COLOR), "=", arriving_name,
             r"{}\odot \mathrm{ReLU}'(z_1)"],
            ["=", arriving, r"\odot", mask],
            ["=", upstream],
        ], "upstream gradient, from Layer 2")
        header.arriving_name, header.arriving, header.mask, header.result = (
            arriving_name, arriving, mask, upstream)
        self.line_up(header, self.WORK_Y)
        leaving = VGroup(self.header, self.fork, self.rows[0],
                         input_grad.without(input_grad.name, input_grad.result))
        self.say("dL/dh1 travels back to layer 1.")
        self.set_caption(
            "The input gradient travels back: it is the upstream gradient of Layer 1",
            FadeOut(leaving), run_time=FADE_TIME)
        self.play(
            ReplacementTransform(input_grad.name, arriving_name, path_arc=0.5),
            ReplacementTransform(input_grad.result, arriving, path_arc=0.5),
            LaggedStart(self.pipeline.flow_back(self.H1), self.pipeline.flow_back(self.LAYER1),
                        lag_ratio=0.6),
            run_time=2.0,
        )
        self.header = header
        self.wait(0.5)

    def gate_through_relu(self):
        # Inside layer 1 the ReLU gates it: zero wherever z1 was not positive.
        header = self.header
        first, second, third = header.lines
        active = sum(1 for local in self.net.relu_locals if local > 0)
        self.say(f"ReLU passes it only through active units:"
                 f" {active} of {len(self.net.relu_locals)}.")
        self.set_caption(
            VGroup(text_label("ReLU passes the gradient only where the unit was active:",
                              GREY_A, font_size=28),
                   formula(r"\mathrm{ReLU}'(z_1) = 1 \text{ if } z_1 > 0, \text{ else } 0")
                   ).arrange(RIGHT, buff=0.2),
            FadeIn(VGroup(header.note, *(p for p in first if p is not header.arriving_name))),
            run_time=FADE_TIME)
        self.play(
            FadeIn(VGroup(second[0], second[2])),
            self.bring(self.pipeline.stages[self.LAYER1], header.mask),
            run_time=TRANSFORM_TIME,
        )
        self.play(FadeIn(third, shift=0.2 * RIGHT), run_time=FADE_TIME)
        self.add(header)
        self.wait(0.5)

    def split_layer_one(self):
        # Layer 1 again computes two: for W1, and for its input x.
        weight_grad, input_grad = self.layer_gradients(
            1, "dL/dz1", "z_1", "x", "x", INPUT_COLOR, "could be propagated further")
        self.rows = self.place_rows(weight_grad, input_grad)
        self.fork = fork_arrows(self.header.result, [weight_grad.name, input_grad.name],
                                [PARAMETER_COLOR, GRADIENT_COLOR])
        self.say("Layer 1 does the same. For W1, upstream times the saved x.")
        self.play(FlashAround(self.pipeline.box(self.LAYER1), color=WHITE), run_time=1.0)
        self.derive(weight_grad, self.fork[0], self.header.result, self.pipeline.stages[self.X],
                    "Layer 1 does the same. Gradient 1 of 2: for W1, the upstream times the saved x (b1: the upstream)")
        self.say("For its input x: a deeper network would send this further back.")
        self.derive(input_grad, self.fork[1], self.pipeline.stages[self.LAYER1], self.header.result,
                    "Gradient 2 of 2: for its input x; in a deeper network it would be propagated further")
        self.play(self.pipeline.flow_back(self.X),
                  FlashAround(input_grad.result, color=GRADIENT_COLOR), run_time=1.2)

    def show_key_insight(self):
        # Every layer: one gradient for its parameters, one for its input.
        self.summary = self.layer_summary()
        self.say("Layer by layer, each one splits its upstream gradient in two.")
        self.set_caption("Backward, layer by layer: every layer splits its upstream gradient in two",
                         FadeOut(VGroup(self.header, self.fork, self.rows)))
        self.play(LaggedStartMap(FadeIn, self.summary, lag_ratio=0.25), run_time=2.0)
        # gradients flow back along the pipeline, and out of each layer down and back
        self.play(
            self.pipeline.flow_all_back(run_time=2.0),
            LaggedStart(*(arrow_flash(part[0]) for part in self.summary),
                        lag_ratio=0.5, run_time=2.0),
        )
        self.insight = self.key_insight()
        self.say("Two gradients per layer: one updates it, one goes back.")
        self.play(FadeIn(self.insight, shift=0.2 * UP), run_time=TRANSFORM_TIME)
        self.wait(2.5)

    # ---- pieces ----

    def upstream_header(self, lines, note):
        """The gradient a layer receives, at the left: a note, then `lines`
        (lists of pieces, see `formula_line`); the first starts with the
        gradient's name and "=", every later line with "=" under that one."""
        header = VGroup()
        header.note = text_label(note, GREY_A, font_size=24)
        header.lines = VGroup(*(formula_line(*pieces, buff=0.1) for pieces in lines))
        header.lines.arrange(DOWN, buff=0.22, aligned_edge=LEFT)
        equals_x = header.lines[0][1].get_x()
        for line in header.lines[1:]:
            line.shift((equals_x - line[0].get_x()) * RIGHT)
        header.note.next_to(header.lines, UP, buff=0.25, aligned_edge=LEFT)
        header.add(header.note, header.lines)
        header.set_max_width(self.ROWS_LEFT - 0.8 - self.HEADER_LEFT)
        header.align_to([self.HEADER_LEFT, 0, 0], LEFT)
        return header

    def line_up(self, header, y):
        """Put the header's result at height y (the middle of the rows), as
        far as the work area allows."""
        header.shift((y - header.result.get_y()) * UP)
        header.shift(min(0.0, self.WORK_TOP - header.get_top()[1]) * UP)
        header.shift(max(0.0, self.WORK_BOTTOM - header.get_bottom()[1]) * UP)

    def place_rows(self, weight_grad, input_grad) -> VGroup:
        rows = VGroup(weight_grad, input_grad).arrange(DOWN, buff=0.45, aligned_edge=LEFT)
        rows.set_max_width(7.1 - 0.25 - self.ROWS_LEFT)
        rows.set_max_height(self.WORK_TOP - self.WORK_BOTTOM)
        rows.move_to([0, self.WORK_Y, 0]).align_to([self.ROWS_LEFT, 0, 0], LEFT)
        return rows

    def derive(self, equation, arrow, source_a, source_b, caption, poster=False):
        """Play one gradient: its branch and formula, the saved operands
        flying in, the product, and what the result is for (`poster`: the
        frame after it is the scene's poster)."""
        self.set_caption(caption, GrowArrow(arrow), FadeIn(equation.first_line()),
                         run_time=FADE_TIME)
        self.play(
            FadeIn(VGroup(equation.lead, equation.op, equation.equals)),
            self.bring(source_a, equation.a), self.bring(source_b, equation.b),
            run_time=TRANSFORM_TIME,
        )
        self.play(FadeIn(equation.result, shift=0.2 * RIGHT), FadeIn(equation.tag, shift=0.2 * LEFT),
                  run_time=FADE_TIME)
        self.add(equation)
        self.play(FlashAround(equation.result, color=equation.tag.color), run_time=0.8)
        if poster:
            self.mark_poster()
        self.wait()

    @staticmethod
    def bring(source, target):
        """Target appears from what is on screen (a saved value in the
        pipeline, or a gradient already drawn): the source flashes in the
        target's colour while the target fades in, drifting from it."""
        drift = target.get_center() - source.get_center()
        drift = 0.3 * drift / max(np.linalg.norm(drift), 1e-6)
        return AnimationGroup(FlashAround(source, color=target.color),
                              FadeIn(target, shift=drift))

    def layer_summary(self) -> VGroup:
        """Under each layer: a blue arrow down to its parameter gradients and a
        red one back to its input's gradient."""
        summary = VGroup()
        rows_y = self.pipeline.get_bottom()[1] - 1.3
        # (offsets keep the notes under the pills apart: "propagated backward" is long)
        for layer, previous, k, input_tex, input_note, param_dx, grad_dx in (
                (self.LAYER2, self.H1, 2, "h_1", "propagated backward", 0.45, 0.2),
                (self.LAYER1, self.X, 1, "x", "could go further", 0.0, 0.0)):
            box, prev = self.pipeline.box(layer), self.pipeline.box(previous)
            param = math_tag(
                rf"\frac{{\partial L}}{{\partial W_{k}}},\ \frac{{\partial L}}{{\partial b_{k}}}",
                PARAMETER_COLOR)
            param.move_to([box.get_x() + param_dx, rows_y, 0])
            grad = math_tag(rf"\frac{{\partial L}}{{\partial {input_tex}}}", GRADIENT_COLOR)
            grad_note = text_label(input_note, GREY_A, font_size=22)
            # centred under the previous stage, but its note kept 0.25 from the left edge
            half = max(grad.get_width(), grad_note.get_width()) / 2
            grad.move_to([max(prev.get_x() + grad_dx, -7.1 + 0.25 + half), rows_y, 0])
            down = role_arrow([param.get_x(), box.get_bottom()[1], 0], param.get_top(), PARAMETER_COLOR)
            back = role_arrow(box.get_corner(DOWN + LEFT) + 0.3 * RIGHT,
                              grad.get_corner(UP + RIGHT) + 0.15 * LEFT, GRADIENT_COLOR)
            param_note = text_label("update weights", GREY_A, font_size=22)
            param_note.next_to(param, DOWN, buff=0.12)
            grad_note.next_to(grad, DOWN, buff=0.12)
            summary.add(VGroup(down, param, param_note), VGroup(back, grad, grad_note))
        return summary

    def key_insight(self) -> VGroup:
        head = text_label("Each layer computes TWO gradients", WHITE, font_size=40)
        lines = VGroup()
        for color, text in ((PARAMETER_COLOR, "one for its parameters (to update weights)"),
                            (GRADIENT_COLOR, "one for its input (to propagate backward)")):
            marker = Square(0.22).set_stroke(color, 2).set_fill(color, 0.9)
            lines.add(VGroup(marker, text_label(text, WHITE, font_size=34)).arrange(RIGHT, buff=0.25))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        body = VGroup(head, lines).arrange(DOWN, buff=0.3)
        frame = RoundedRectangle(width=body.get_width() + 0.8, height=body.get_height() + 0.5,
                                 corner_radius=0.15)
        frame.set_stroke(GREY_A, 2).set_fill(GREY_A, 0.08)
        insight = VGroup(frame, body)
        top, bottom = self.summary.get_bottom()[1], self.caption.get_top()[1]
        insight.move_to([0, (top + bottom) / 2, 0])
        return insight

    def make_caption(self, content):
        if isinstance(content, str):
            content = text_label(content, GREY_A, font_size=28)
        content.set_max_width(13).set_max_height(0.6)
        content.to_edge(DOWN, buff=0.35)
        return content

    def set_caption(self, content, *animations, run_time=FADE_TIME):
        """Change the caption, together with any other animations."""
        caption = self.make_caption(content)
        self.play(FadeTransform(self.caption, caption), *animations, run_time=run_time)
        self.caption = caption


# --------------------------------------------------------------------------
# Scene 5
# --------------------------------------------------------------------------

class BackwardPassScene(LectureScene):
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
        self.say("The forward pass's graph, and its code.")
        self.title = self.heading("Backward Pass: Computing Gradients")
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
        self.say("Backward visits the nodes in reverse topological order.")
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
        name = self.graph.names[self.loss]
        self.say(f"It starts at {name}: d{name}/d{name} = {format_number(self.steps[0].upstream)}.")
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
        for line, step, c, contribution in code_line_products(self.code_lines, self.steps):
            self.say(self.step_sentence(step, contribution))
            caption = self.make_caption(chain_rule_caption(self.graph, step, c))
            self.play(
                FadeTransform(self.caption, caption),
                self.code.highlight(line),
                run_time=FADE_TIME,
            )
            self.caption = caption
            flow = GradientFlow(self.graph, step.node, c, contribution)
            self.play(flow, self.code.annotate(line, flow.total))
            self.wait(0.7)

    def flash_parameter_gradients(self):
        # The point of it all: the parameters' gradients, ready for SGD.
        names = self.graph.names
        root = names[self.loss]
        self.say("Parameter gradients, ready for the update: " + ", ".join(
            f"d{root}/d{names[p]} = {format_number(self.graph.drawn_gradients[p])}"
            for p in self.leaves[1:]) + ".")
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
        self.mark_poster()
        self.wait(1.5)

    def show_accumulation(self):
        # A value used twice receives two gradients, and they add up.
        self.say("Now x feeds two places.")
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
        self.say("Gradients flow back along both paths to x.")
        self.play(seed_gradient(graph), run_time=FADE_TIME)
        for step in f.backward_steps():
            for index, contribution in enumerate(step.contributions):
                self.play(GradientFlow(graph, step.node, index, contribution, run_time=1.2))
        x_total = graph.drawn_gradients[x]
        parts = [c.added for s in f.backward_steps() for c in s.contributions if c.input is x]
        sum_text = " + ".join(f"({tex_number(p)})" if p < 0 else tex_number(p) for p in parts)
        self.say("They add up: " + " + ".join(
            f"({format_number(p)})" if p < 0 else format_number(p) for p in parts)
                 + f" = {format_number(x_total)}.")
        caption = self.make_caption(VGroup(
            math_label(rf"\frac{{\partial f}}{{\partial x}} = {sum_text} ="),
            math_label(tex_number(x_total), GRADIENT_COLOR),
        ).arrange(RIGHT, buff=0.15))
        self.play(FadeTransform(self.caption, caption), run_time=FADE_TIME)
        self.caption = caption
        self.play(FlashAround(graph.node(x).grad_label, color=GRADIENT_COLOR), run_time=1.2)
        self.wait(2)

    def step_sentence(self, step, contribution) -> str:
        """One chain-rule product in words: upstream times local, for an input."""
        return step_sentence(step, contribution, self.graph.names)

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
# Scene 6
# --------------------------------------------------------------------------

class MLPAutogradScene(LectureScene):
    """Autograd at work: a 2 -> 4 -> 1 MLP learns the moons, step by step."""

    # The run (defaults: src/data.py MOONS_SETTINGS)
    n_points = MOONS_SETTINGS["n"]
    noise = MOONS_SETTINGS["noise"]
    data_seed = MOONS_SETTINGS["data_seed"]
    model_seed = MOONS_SETTINGS["model_seed"]
    layer_sizes = tuple(MOONS_SETTINGS["sizes"])  # after the 2 inputs: 2 -> 4 -> 1
    activation = MOONS_SETTINGS["activation"]
    learning_rate = MOONS_SETTINGS["lr"]
    steps = MOONS_SETTINGS["steps"]
    # What is shown
    shown_steps = (0, 1, 2)                      # iterations walked through one by one
    snapshot_steps = (5, 10, 20, 40, 70)         # boundaries on the way to the last step
    point_indices = None                         # highlighted point per shown step (None: pick)
    x_range, y_range = (-1.5, 2.5), (-1.0, 1.5)  # the plotted data area
    grid_resolution = 160                        # raster columns of the region picture

    def construct(self):
        self.run = record_training(
            n=self.n_points, noise=self.noise, data_seed=self.data_seed,
            model_seed=self.model_seed, sizes=list(self.layer_sizes),
            activation=self.activation, loss="hinge", steps=self.steps,
            lr=self.learning_rate)
        self.build_pictures()
        self.show_title_and_panels()
        for n, step in enumerate(self.shown_steps):
            self.forward_pass(n, step)
            self.backward_pass(n, step)
            self.update_parameters(n, step)
        self.train_the_rest()
        self.show_learned_model()

    # ---- set-up (not a beat: builds what the beats show) ----

    def build_pictures(self):
        run = self.run
        self.check_settings()
        self.weight_scale = run.max_abs_weight()
        self.plot = DecisionBoundaryPlot(run.X, run.y, self.x_range, self.y_range, width=6.0)
        self.plot.shift([-6.4, 2.5, 0] - self.plot.frame.get_corner(UP + LEFT))
        self.set_plot_boundary(self.shown_steps[0])
        self.key = self.plot.class_key(font_size=22)
        self.key.next_to(self.plot.frame, DOWN, buff=0.4).align_to(self.plot.frame, LEFT)
        self.status = TrainingStatus(font_size=24, max_step=self.steps)
        self.status.next_to(self.key, DOWN, buff=0.3).align_to(self.plot.frame, LEFT)
        self.show_status(self.shown_steps[0])

        self.diagram = NetworkDiagram(run.model_at(self.shown_steps[0]), layer_gap=2.2,
                                      neuron_gap=0.72, radius=0.22, max_abs=self.weight_scale)
        self.diagram.move_to([3.2, 1.1, 0])
        self.diagram.showing = ("weights", self.shown_steps[0])
        names = ["input x", f"hidden h ({self.activation})", "score s"]
        self.column_names = VGroup()
        for column, name in zip(self.diagram.neurons, names):
            label = text_label(name, GREY_A, font_size=20)
            label.next_to(self.diagram.neurons[1], DOWN, buff=0.42).set_x(column.get_x())
            self.column_names.add(label)
        self.panel_top = self.column_names.get_bottom()[1] - 0.3
        self.caption = None

    def check_settings(self):
        if sorted(self.shown_steps) != list(self.shown_steps) or not self.shown_steps:
            raise ValueError(f"shown_steps must be increasing, got {self.shown_steps}")
        if self.shown_steps[-1] + 1 > self.steps:
            raise ValueError(f"shown_steps must be below steps={self.steps}")
        if list(self.shown_steps) != list(range(self.shown_steps[0], self.shown_steps[-1] + 1)):
            raise ValueError("shown_steps must be consecutive: each update leads to the next step")
        if self.point_indices is not None and len(self.point_indices) != len(self.shown_steps):
            raise ValueError("point_indices needs one point per shown step")

    # ---- beats ----

    def show_title_and_panels(self):
        # The setting: the data, the untrained network, and the run we will watch.
        run = self.run
        self.say(f"Autograd at work: an MLP learns to classify {len(run.X)} points.")
        self.title = self.heading("Autograd in Action: Training an MLP")
        sizes = " \u2192 ".join(str(n) for n in [2, *self.layer_sizes])
        self.subtitle = text_label(
            f"{len(run.X)} moons points (seed {self.data_seed}) \u00b7 MLP {sizes},"
            f" {self.activation} (seed {self.model_seed}) \u00b7 full-batch gradient descent,"
            f" \u03b7 = {self.learning_rate:g}", GREY_A, font_size=22)
        self.subtitle.set_max_width(13.2)
        self.subtitle.next_to(self.title, DOWN, buff=0.15)
        self.play(Write(self.title), FadeIn(self.subtitle), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.plot), FadeIn(self.key), FadeIn(self.status),
                  FadeIn(self.diagram), FadeIn(self.column_names),
                  self.new_caption("Left: the data, and the class each region gets from the"
                                   " model. Right: the model's weights."),
                  run_time=TRANSFORM_TIME)
        self.wait(1.5)

    def forward_pass(self, n: int, step: int):
        # Forward: one of the points flows through the network; L averages all of them.
        fast = 1.0 if n == 0 else 0.65
        run = self.run
        index = self.point_index(n, step)
        point = run.point_pass(step, index)
        ring = self.plot.highlight(index)
        if n == 0:
            self.say(f"Step {step}: all points run forward. Watch one.")
        else:
            self.say(f"Step {step}: forward again, with another point.")
        self.play(ShowCreation(ring), Flash(ring.get_center(), color=YELLOW),
                  *self.leftovers_out(),
                  self.new_caption(f"Step {step}, forward pass: all {len(run.X)} points go"
                                   " through the network \u2014 here is one of them"),
                  run_time=1.0 * fast)
        traveller = Dot(radius=0.09).set_fill(YELLOW, 1).move_to(ring)
        self.play(traveller.animate.move_to(self.diagram.neurons[0]), run_time=0.9 * fast)
        acts = point.activations
        labels = [tag_labels(self.diagram.value_labels(0, acts[0], side=LEFT, height=0.22),
                             "input", step, index)]
        self.play(FadeOut(traveller), self.diagram.restyled(neurons={0: acts[0]}),
                  FadeIn(labels[0]), run_time=0.6)
        hidden = tag_labels(self.hidden_labels(acts[1]), "hidden", step, index)
        labels.append(hidden)
        self.play(self.diagram.forward_flow(1), self.diagram.restyled(neurons={1: acts[1]}),
                  FadeIn(hidden), run_time=1.0 * fast)
        saved = self.saved_mark(hidden)
        score = tag_labels(self.diagram.value_labels(2, acts[2], side=RIGHT, height=0.22),
                           "output", step, index)
        labels.append(score)
        if n == 0:
            self.say("Its hidden values are saved.")
            self.play(ShowCreation(saved[0]), FadeIn(saved[1], shift=0.1 * DOWN), run_time=0.8)
            self.play(self.diagram.forward_flow(2), self.diagram.restyled(neurons={2: acts[2]}),
                      FadeIn(score), run_time=1.0)
        else:
            self.play(self.diagram.forward_flow(2), self.diagram.restyled(neurons={2: acts[2]}),
                      FadeIn(score), FadeIn(saved), run_time=0.8)
        self.forward_rows = self.forward_panel(point)
        loss = format_number(run.loss_at(step))
        self.say(f"Its loss term joins the mean: L = {loss}." if n == 0
                 else f"The loss is now L = {loss}.")
        self.play(LaggedStart(*(FadeIn(row, shift=0.1 * UP) for row in self.forward_rows),
                              lag_ratio=0.5), run_time=1.5 * fast)
        self.play(FlashAround(self.forward_rows[-1][-1], color=LOSS_COLOR),
                  FlashAround(self.status.loss_number, color=LOSS_COLOR), run_time=0.8 * fast)
        self.wait(0.8 * fast)
        self.point_parts = VGroup(ring, *labels)
        self.saved = saved

    def backward_pass(self, n: int, step: int):
        # Backward: L.backward() fills every parameter's .grad, last layer first.
        fast = 1.0 if n == 0 else 0.7
        self.say("Backward: L.backward() fills every parameter's gradient." if n == 0
                 else "Backward fills every gradient again.")
        run = self.run
        grads = self.weight_rows(step)
        zero = [[[0.0] * len(row) for row in layer] for layer in grads]
        panels = self.grad_panels(zero, None)  # after zero_grad(): every .grad is 0
        self.play(FadeOut(self.forward_rows), FadeIn(panels),
                  self.new_caption("Backward pass: L.backward() fills every parameter's .grad"
                                   " (edges now show the gradients)"),
                  run_time=FADE_TIME)
        filled = self.grad_panels(grads, step)
        grad_values = run.weight_grads_at(step)
        grad_scale = max(abs(g) for g in grad_values)
        self.play(self.diagram.backward_flow(2),
                  Transform(panels[1], filled[1]),
                  Indicate(self.saved[1], color=ACTIVATION_COLOR),
                  run_time=1.2 * fast)
        self.diagram.showing = ("grads", step)
        self.play(self.diagram.backward_flow(1),
                  Transform(panels[0], filled[0]),
                  self.diagram.restyled(edges=grad_values, max_abs=grad_scale),
                  run_time=1.4 * fast)
        # keep the filled panels (with their numbers) on screen, not the morphed zeros
        self.remove(panels)
        self.add(filled)
        self.grad_shown = filled
        if n == 0:
            self.mark_poster()
        self.wait(0.8 * fast)

    def update_parameters(self, n: int, step: int):
        # Update: w <- w - eta * dL/dw for every weight; the boundary moves.
        fast = 1.0 if n == 0 else 0.7
        self.say("Update: weights move against the gradient." if n == 0
                 else "Update: weights and boundary move again.")
        run = self.run
        labels = run.weight_labels()
        grads = run.weight_grads_at(step)
        pick = max(range(len(grads)), key=lambda i: abs(grads[i]))
        label = labels[pick]
        before, after = run.weights_at(step)[pick], run.weights_at(step + 1)[pick]
        k, j, i = self.edge_address(label)
        entry = self.grad_shown[k - 1].matrix.entry(j, i)
        edge = self.diagram.edge(k, j, i)
        marker = SurroundingRectangle(entry, buff=0.06).set_stroke(YELLOW, 3)
        flash = edge.copy().set_stroke(YELLOW, 8)
        self.play(ShowCreation(marker), ShowCreation(flash),
                  self.new_caption("Update (SGD): every weight steps against its gradient"
                                   " \u2014 here the one with the largest |gradient|"),
                  run_time=0.8 * fast)
        rule = typeset_row([r"w \;\leftarrow\; w - \eta \cdot",
                           (r"\frac{\partial L}{\partial w}", GRADIENT_COLOR)], digit_height=0.32)
        values = [number_label(before, WHITE, kind="weight_before", step=step),
                  number_label(self.learning_rate, WHITE, kind="learning_rate", step=step),
                  number_label(grads[pick], GRADIENT_COLOR, kind="grad", step=step),
                  number_label(after, WHITE, kind="weight_after", step=step)]
        for value in values:
            value.weight = label
        numbers = typeset_row([
            (rf"\mathrm{{{label}}}:\quad", GREY_A), values[0], r"\;-\;", values[1],
            r"\cdot (", values[2], r") \;=\;", values[3]], digit_height=0.32)
        backings = VGroup(parameter_backing(values[0]), parameter_backing(values[3]))
        numbers = VGroup(backings, numbers)
        rows = VGroup(rule, numbers).arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        self.place_panel(rows)
        self.play(FadeOut(self.grad_shown), FadeOut(marker), FadeIn(rows[0]),
                  run_time=FADE_TIME * fast)
        self.play(FadeIn(rows[1], shift=0.1 * UP), run_time=1.0 * fast)
        self.update_rows = rows
        self.wait(0.8 * fast)
        new_step = step + 1
        self.diagram.showing = ("weights", new_step)
        if n == 0:
            self.say(f"The boundary moves: step {new_step}.")
        self.play(
            FadeOut(flash), FadeOut(self.point_parts), FadeOut(self.saved),
            self.diagram.restyled(edges=run.weights_at(new_step), max_abs=self.weight_scale, dim=True),
            self.plot.boundary_transition(self.grid(new_step), new_step),
            self.status_change(new_step),
            self.new_caption(f"All {len(run.labels)} parameters updated: the model and"
                             f" boundary of step {new_step}"),
            run_time=TRANSFORM_TIME * fast,
        )
        self.wait(0.8 * fast)
        self.leftovers = [rows]

    def train_the_rest(self):
        # The same three moves, over and over: the loss falls, the boundary bends.
        run = self.run
        start = self.shown_steps[-1] + 1
        self.curves = TrainingCurves([run.loss_at(k) for k in range(run.steps + 1)],
                                     [run.accuracy_at(k) for k in range(run.steps + 1)],
                                     width=6.4, height=1.4, font_size=22)
        self.curves.show_until(start)
        self.place_panel(self.curves)
        self.say(f"Forward, backward, update: {run.steps - start} more times.")
        self.play(*self.leftovers_out(), FadeIn(self.curves),
                  self.new_caption(f"Forward, backward, update \u2014 {run.steps - start}"
                                   " more times (each drawn state is a real step)"),
                  run_time=FADE_TIME)
        stops = [k for k in self.snapshot_steps if start < k < run.steps] + [run.steps]
        previous = start
        for n, k in enumerate(stops):
            if n == len(stops) // 2 and n > 0:
                trend = "falls" if run.loss_at(run.steps) < run.loss_at(start) else "rises"
                self.say(f"The loss {trend} and the boundary bends around the moons.")
            seconds = 0.9 + 1.4 * ((k - previous) / run.steps) ** 0.5
            self.diagram.showing = ("weights", k)
            self.play(
                self.curves.trace(previous, k, self.status, run_time=seconds),
                self.plot.boundary_transition(self.grid(k), k, run_time=seconds),
                self.diagram.restyled(edges=run.weights_at(k), max_abs=self.weight_scale,
                                      run_time=seconds),
                run_time=seconds,
            )
            previous = k
        self.wait()

    def show_learned_model(self):
        # The learned boundary, its accuracy, and the moral.
        run = self.run
        final = run.steps
        percent = text_label(f"{100 * run.accuracy_at(final):.0f}%", YELLOW, font_size=24)
        percent.number = 100 * run.accuracy_at(final)
        percent.kind, percent.step = "final_accuracy_percent", final
        result = VGroup(text_label("Learned:", GREY_A, font_size=24), percent,
                        text_label("of the points classified correctly", GREY_A, font_size=24))
        result.arrange(RIGHT, buff=0.15)
        for part in result[1:]:  # on the first word's baseline
            part.shift((result[0][0].get_bottom()[1] - part[0].get_bottom()[1]) * UP)
        result.set_max_width(self.plot.frame.get_width())
        result.next_to(self.status, DOWN, buff=0.3).align_to(self.status, LEFT)
        self.say(f"After {final} steps: {percent.number:.0f}% of points correct.")
        self.play(FadeIn(result, shift=0.1 * UP),
                  FlashAround(self.status.accuracy_number, color=YELLOW),
                  self.new_caption("Autograd enables efficient training by automatically"
                                   " computing all gradients", color=WHITE, font_size=30),
                  run_time=TRANSFORM_TIME)
        self.final_result = result
        self.wait(1.5)
        self.say("Autograd computed every gradient for us.")
        self.wait(3)

    # ---- pieces ----

    def leftovers_out(self) -> list:
        """FadeOuts for what the previous beat left (played with the next beat)."""
        out = [FadeOut(m) for m in getattr(self, "leftovers", [])]
        self.leftovers = []
        return out

    def new_caption(self, text: str, color=GREY_A, font_size: int = 26):
        """The animation replacing the caption line by `text` (play it with the beat)."""
        caption = text_label(text, color, font_size=font_size)
        caption.set_max_width(13.4)
        caption.to_edge(DOWN, buff=0.3)
        old, self.caption = self.caption, caption
        if old is None:
            return FadeIn(caption, shift=0.1 * UP)
        return FadeTransform(old, caption)

    def grid(self, step: int):
        return self.run.grid_at(step, *self.plot.grid_spec(self.grid_resolution))

    def set_plot_boundary(self, step: int):
        self.plot.set_boundary(self.grid(step), step)

    def show_status(self, step: int):
        self.status.set_step(step, self.run.loss_at(step), self.run.accuracy_at(step))

    def status_change(self, step: int):
        """The status line jumps to `step` halfway through an animation."""
        def update(status, alpha):
            if alpha >= 0.5 and status.shown[0] != step:
                self.show_status(step)
        return UpdateFromAlphaFunc(self.status, update)

    def point_index(self, n: int, step: int) -> int:
        """The point shown at the n-th walked-through step: a class +1 point,
        then a class -1 point, ..., each the one with the largest loss term."""
        if self.point_indices is not None:
            return self.point_indices[n]
        run = self.run
        want = 1 if n % 2 == 0 else -1
        scores = run.scores_at(step)
        candidates = [i for i, t in enumerate(run.y) if t == want] or list(range(len(run.y)))
        return max(candidates, key=lambda i: (1 - run.y[i] * scores[i], -i))

    def hidden_labels(self, values) -> VGroup:
        """Hidden activations beside their neurons, nudged off the outgoing edges."""
        labels = self.diagram.value_labels(1, values, side=RIGHT, height=0.2)
        out_y = self.diagram.neurons[2][0].get_y()
        for label, neuron in zip(labels, self.diagram.neurons[1]):
            label.next_to(neuron, RIGHT, buff=0.06)
            label.shift((0.17 if neuron.get_y() >= out_y else -0.17) * UP)
        return labels

    def saved_mark(self, hidden_labels) -> VGroup:
        box = SurroundingRectangle(VGroup(self.diagram.neurons[1], hidden_labels), buff=0.12)
        box.set_stroke(ACTIVATION_COLOR, 2)
        tag = text_label("saved for backward", ACTIVATION_COLOR, font_size=20)
        tag.next_to(box, UP, buff=0.08)
        return VGroup(box, tag)

    def forward_panel(self, point) -> VGroup:
        run, step = self.run, point.step
        predicted = 1 if point.score > 0 else -1
        numbers = [
            number_label(point.score, ACTIVATION_COLOR, kind="score", step=step),
            number_label(predicted, class_color(predicted), kind="predicted", step=step, signed=True),
            number_label(point.label, class_color(point.label), kind="label", step=step, signed=True),
            number_label(point.term, LOSS_COLOR, kind="term", step=step),
        ]
        for label in numbers:
            label.point = point.index
        rows = VGroup(
            typeset_row([r"\text{score } s =", numbers[0],
                        r"\;\Rightarrow\; \text{predicted class}\;", numbers[1],
                        r"\text{, true class } y =", numbers[2]], digit_height=0.3),
            typeset_row([r"\text{its loss term } \max(0,\, 1 - y\, s) =", numbers[3]], digit_height=0.3),
            typeset_row([(r"L", LOSS_COLOR), rf"= \text{{mean of all {len(run.X)} terms}} =",
                        number_label(run.loss_at(step), LOSS_COLOR, kind="loss", step=step)], digit_height=0.3),
        )
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.28)
        self.place_panel(rows)
        return rows

    def weight_rows(self, step: int) -> list:
        """Per layer, step k's weight gradients as matrix rows (neuron j, input i)."""
        values = self.run.weight_grads_at(step)
        sizes = [2] + list(self.layer_sizes)
        out, pos = [], 0
        for k in range(1, len(sizes)):
            rows = []
            for j in range(sizes[k]):
                rows.append(values[pos:pos + sizes[k - 1]])
                pos += sizes[k - 1]
            out.append(rows)
        return out

    def grad_panels(self, layer_rows, step) -> VGroup:
        """dL/dW1 (4 x 2), dL/dW2 (1 x 4), ...: one matrix of gradients per layer
        (`step` None: the zeros left by zero_grad())."""
        panels = VGroup()
        for k, layer in enumerate(layer_rows, start=1):
            matrix = ValueMatrix(layer, GRADIENT_COLOR, entry_height=0.2, v_buff=0.14, h_buff=0.28)
            for r, row in enumerate(matrix.entries):
                for c, entry in enumerate(row):
                    entry.kind = "zero_grad" if step is None else "grad_matrix"
                    entry.step, entry.weight = step, f"L{k}.n{r}.w{c}"
            labelled = matrix.labelled(rf"\partial L / \partial W_{{{k}}}", GRADIENT_COLOR)
            panels.add(labelled)
        panels.arrange(RIGHT, buff=0.5, aligned_edge=UP)
        if panels.get_width() > 6.6:
            panels.arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        self.place_panel(panels)
        return panels

    def place_panel(self, mob):
        """Put `mob` in the panel under the network (left-aligned, top at panel_top)."""
        mob.set_max_width(6.5)
        mob.set_max_height(self.panel_top - (-3.15))
        mob.move_to([0.3, self.panel_top, 0], UP + LEFT)
        return mob

    def edge_address(self, label: str) -> tuple:
        """"L2.n0.w3" -> (2, 0, 3): layer, neuron, input (NetworkDiagram.edge order)."""
        layer, neuron, weight = label.split(".")
        return int(layer[1:]), int(neuron[1:]), int(weight[1:])


# --------------------------------------------------------------------------
# Scene 7
# --------------------------------------------------------------------------

class SummaryScene(LectureScene):
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
    # What the lecturer says as each takeaway appears (short: a row is on for 2 s).
    SPOKEN = {
        "chain": "Derivatives of chains multiply.",
        "graph": "Forward builds the graph.",
        "cache": "Saved activations feed backward.",
        "two_gradients": "Each layer: two gradients.",
        "reverse": "Backward runs in reverse order.",
    }

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
        # What to remember from the whole lecture.
        self.say("The key takeaways.")
        self.title = self.heading("Automatic Differentiation: Key Takeaways")
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
        for row, (icon_kind, sentence) in zip(rows, self.TAKEAWAYS):
            self.say(self.SPOKEN.get(icon_kind, sentence))
            self.play(FadeIn(row, shift=0.3 * RIGHT), run_time=FADE_TIME)
            self.wait(1.3)
        self.mark_poster()
        self.wait(0.6)

    def assemble_network(self):
        # The whole story on one small network.
        self.say("All of it on one small network.")
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
        self.say(f"Forward: values flow in; L = {format_number(self.loss.data)}.")
        self.play(GrowArrow(self.forward_arrow), FadeIn(self.forward_words), run_time=FADE_TIME)
        self.play(self.net.full_forward_flow(run_time=1.4),
                  self.net.restyled(neurons={0: inputs, 1: hidden, 2: output}, run_time=1.4))
        self.play(Indicate(self.loss_node, color=LOSS_COLOR), run_time=0.8)
        self.say("Backward: gradients flow back.")
        self.play(GrowArrow(self.backward_arrow), FadeIn(self.backward_words), run_time=FADE_TIME)
        self.play(self.net.full_backward_flow(run_time=1.4),
                  self.net.restyled(edges=self.net.edge_values("grad"), run_time=1.4))

    def close(self):
        # Where this lives in practice.
        self.say("This is how PyTorch's autograd works.")
        words = text_label("This is how PyTorch's autograd works!", WHITE, font_size=34)
        words.to_edge(DOWN, buff=0.3)
        self.play(Write(words), run_time=TRANSFORM_TIME)
        self.play(FlashAround(words, color=YELLOW), run_time=1.2)
        self.wait(2)
