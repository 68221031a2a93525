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

This file is the storyboard: each `construct` lists a scene's beats, and
each beat says what is shown and what is said. The pictures (graphs,
chains, matrices, networks, panels and where they go) live in the visual
kit, src/visualization/; captions are `LectureScene.set_caption`.
"""

from __future__ import annotations

import os
import sys

from manimlib import (
    DOWN, LEFT, RIGHT, UP, GREY_A, WHITE, YELLOW,
    AnimationGroup, Cross, Dot, FadeIn, FadeOut, FadeTransform, Flash, FlashAround,
    GrowArrow, Indicate, LaggedStart, LaggedStartMap, ReplacementTransform, Restore,
    ShowCreation, Transform, TransformFromCopy, TransformMatchingShapes, VGroup, Write,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from src.autograd import numerical_grad  # noqa: E402
from src.data import MOONS_SETTINGS  # noqa: E402
from src.lesson.examples import (  # noqa: E402
    four_link_chain, lecture_loss, shared_input, shifted_square,
)
from src.lesson.graph_text import (  # noqa: E402
    backward_code, forward_code, tex_name,
)
from src.lesson.identities import said_product  # noqa: E402
from src.lesson.layer_gradients import TwoLayerBackward  # noqa: E402
from src.lesson.training_record import record_training  # noqa: E402
from src.models import MLP, mse  # noqa: E402
from src.rendering.scene import LectureScene  # noqa: E402
from src.visualization import (  # noqa: E402
    ACTIVATION_COLOR, FADE_TIME, GRADIENT_COLOR, HIGHLIGHT_COLOR, INPUT_COLOR,
    LOSS_COLOR, OPERATION_COLOR, PARAMETER_COLOR, TRANSFORM_TIME,
    FunctionChain, GradientFlow, ValueMatrix, arrow_flash, math_label,
    morph_chain, seed_gradient, text_label, title_text,
)
from src.visualization import cache_panels, layer_gradient_panels as layer_panels  # noqa: E402
from src.visualization.caption import CaptionStyle, fit_caption  # noqa: E402
from src.visualization.chain_derivatives import (  # noqa: E402
    CHAIN_RESULT_Y, LONG_CHAIN_Y, LONG_RULE_Y, PRODUCT_Y, RULE_Y, SIDE_X,
    ChainLabels, abstract_chain, chain_product, chain_rule_factor, chain_rule_row,
    composition_formula, example_formulas, numerical_check, running_arrow, text_lines,
    two_link_product,
)
from src.visualization.code_panel import caption_beside_code, code_panels  # noqa: E402
from src.visualization.graph_beats import (  # noqa: E402
    backward_graph, chain_rule_caption, code_line_products, forward_graph, gradients_caption,
    gradients_sentence, graph_legend, leaves_sentence, operation_caption, operation_sentence,
    order_badges, place_rule_card, rule_card, rule_sentence, seed_sentence, shared_input_graph,
    step_sentence, sum_caption, sum_parts, sum_sentence,
)
from src.visualization.layer_gradient_panels import Stage  # noqa: E402
from src.visualization.takeaways import (  # noqa: E402
    closing_diagram, closing_words, takeaway_rows,
)
from src.visualization.training_panels import TrainingBoard, run_subtitle  # noqa: E402


# ---- Scene 1 ------------------------------------------------------------

class ChainRuleScene(LectureScene):
    """The chain rule: the derivative of a composition is the product of
    the local derivatives of its parts."""

    x = 3.0          # input of F = (x + 2)^2
    h = 1e-3         # step of the central-difference check
    chain_x = 0.2    # input of x -> 3x -> -1 -> (.)^2 -> tanh

    caption_style = CaptionStyle(max_width=12.5)

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

    def compute_example(self):
        # The engine's numbers: forward and backward on both chains; the beats only draw them.
        self.F, self.xv = shifted_square(self.x)
        self.example = ChainLabels(self.F, "example")      # its links and their local derivatives
        self.link_g, self.link_F = self.example.links
        self.dg_dx, self.dF_dg = self.example.contributions  # 1 (g = x + 2) and 2g (F = g^2)
        self.F.backward()
        self.dF_dx = self.xv.grad
        # The check: central differences on the same expression, from the engine.
        self.F_plus = shifted_square(self.x + self.h)[0].data
        self.F_minus = shifted_square(self.x - self.h)[0].data
        self.estimate = numerical_grad(lambda v: shifted_square(v)[0], self.x, eps=self.h)

        self.chain, self.chain_xv = four_link_chain(self.chain_x)
        self.long = ChainLabels(self.chain, "chain")
        self.links, self.contributions = self.long.links, self.long.contributions
        self.chain.backward()

    def show_title_and_rule(self):
        # The rule itself: the derivative of a composition is a product.
        self.say("Backpropagation rests on the chain rule.")
        self.title = self.heading("The Chain Rule: Foundation of Backpropagation")
        self.rule = chain_rule_row(["x", "g", "F"], height=0.8).move_to(RULE_Y * UP)
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.rule, shift=0.2 * DOWN), run_time=FADE_TIME)
        self.wait(0.3)

    def show_composition(self):
        # F = f(g(x)): x goes through g, then through f.
        self.say("Chain two functions, and their derivatives multiply.")
        self.abstract = abstract_chain()
        self.composition = composition_formula()
        self.play(
            self.rule.animate.set_x(-SIDE_X),
            FadeIn(self.composition, shift=0.2 * LEFT),
            LaggedStartMap(FadeIn, VGroup(*self.abstract.parts), lag_ratio=0.25),
            LaggedStartMap(GrowArrow, self.abstract.arrows, lag_ratio=0.25),
            run_time=TRANSFORM_TIME,
        )
        self.add(self.abstract)
        self.wait(1.2)

    def make_it_concrete(self):
        # The concrete example: g = x + 2, F = g^2, so F = (x + 2)^2.
        self.say("Here g shifts x, and F squares g.")
        self.header = example_formulas(self.example, self.link_g, self.link_F)
        concrete, definitions = self.header
        self.diagram = FunctionChain.from_value(self.F, self.example.names, gap=0.9)
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
        self.say("Forward: g is {g}, F is {F}.", g=self.link_g.value.data, F=self.F.data)
        self.values = self.example.values_above(self.diagram, scale=0.95)
        self.play(LaggedStartMap(FadeIn, self.values, shift=0.15 * UP, lag_ratio=0.3),
                  run_time=FADE_TIME)
        self.wait(0.8)

    def compute_local_derivatives(self):
        # Backward, one link at a time: dF/dg first, then dg/dx.
        self.say("Backward: each link gives its local derivative.")
        x_node, g_node, F_node = self.diagram.nodes
        g_box, f_box = self.diagram.boxes
        self.arcs, self.locals = VGroup(), VGroup()
        for n, (link, contribution, source, target, box) in enumerate((
                (self.link_F, self.dF_dg, F_node, g_node, f_box),
                (self.link_g, self.dg_dx, g_node, x_node, g_box))):
            arc = self.diagram.backward_arrow(source, target, depth=0.42)
            label = self.example.local(link, contribution, scale=0.7)
            label.next_to(arc, DOWN, buff=0.12)
            self.arcs.add(arc)
            self.locals.add(label)
            step = (Indicate(box, color=HIGHLIGHT_COLOR, scale_factor=1.1), GrowArrow(arc),
                    FadeIn(label, shift=0.15 * DOWN))
            if n == 0:
                self.set_caption("Backward: each function contributes its local derivative",
                                 *step, run_time=1.1)
            else:
                self.play(*step, run_time=1.1)
        self.wait(0.7)

    def multiply_the_factors(self):
        # The chain: dF/dx = 2g . 1 = 2(x + 2), then the same in numbers.
        dF_dg, dg_dx, dF_dx = said_product([self.dF_dg.local, self.dg_dx.local], self.dF_dx)
        self.say("The chain rule multiplies them: {dF_dg} times {dg_dx} is {dF_dx}.",
                 dF_dg=dF_dg, dg_dx=dg_dx, dF_dx=dF_dx)
        row = two_link_product(self.example, self.link_g, self.locals,
                               (self.dF_dg.local, self.dg_dx.local), self.dF_dx)
        self.product = row
        # Each factor lights up where it was computed and joins the product.
        self.set_caption(None, FadeIn(row[:2], shift=0.1 * UP), run_time=FADE_TIME)
        for local, factor, dot in ((self.locals[0], row[2], row[3]),
                                   (self.locals[1], row[4], None)):
            self.play(FlashAround(local, color=HIGHLIGHT_COLOR),
                      TransformFromCopy(local.rule_part, factor),
                      *([FadeIn(dot)] if dot is not None else []), run_time=0.9)
        self.play(FadeIn(row[5:7], shift=0.1 * LEFT), run_time=FADE_TIME)
        self.play(TransformFromCopy(self.locals[0].number_part, row[8]),
                  TransformFromCopy(self.locals[1].number_part, row[10]),
                  FadeIn(VGroup(row[7], row[9])), run_time=TRANSFORM_TIME)
        self.play(FadeIn(VGroup(row[11], row[12]), shift=0.1 * LEFT), run_time=FADE_TIME)

    def check_numerically(self):
        # Not a trick: nudge x both ways and measure the slope.
        self.say("Nudge x both ways: the slope is {slope}.", slope=self.estimate)
        self.check = numerical_check(self.example, self.xv, self.F_plus, self.F_minus, self.h,
                                     self.estimate)
        check, h_note = self.check
        self.play(FadeIn(check[:-1], shift=0.15 * UP), FadeIn(h_note), run_time=FADE_TIME)
        self.play(Write(check[-1]), FlashAround(self.check.estimate, color=HIGHLIGHT_COLOR),
                  FlashAround(self.product[-1], color=HIGHLIGHT_COLOR), run_time=1.2)
        self.mark_poster()
        self.wait(0.8)

    def extend_the_chain(self):
        # Longer chains work the same way: x -> g1 -> g2 -> g3 -> F.
        self.say("A longer chain works the same way.")
        self.long_rule = chain_rule_row([self.long.tex(v) for v in self.long.nodes], height=0.72)
        self.long_rule.move_to(LONG_RULE_Y * UP)
        self.diagram2 = FunctionChain.from_value(self.chain, self.long.names, gap=0.5)
        self.diagram2.move_to(LONG_CHAIN_Y * UP)
        self.values2 = self.long.values_above(self.diagram2, scale=0.88)
        old = VGroup(self.diagram, self.values, self.arcs, self.locals, self.product,
                     self.check, self.header)
        self.play(FadeOut(old), FadeTransform(self.rule, self.long_rule), run_time=FADE_TIME)
        self.play(LaggedStartMap(FadeIn, VGroup(*self.diagram2.parts), lag_ratio=0.15),
                  LaggedStartMap(GrowArrow, self.diagram2.arrows, lag_ratio=0.15),
                  run_time=TRANSFORM_TIME)
        self.add(self.diagram2)
        self.play(LaggedStartMap(FadeIn, self.values2, shift=0.15 * UP, lag_ratio=0.2),
                  run_time=FADE_TIME)

    def multiply_link_by_link(self):
        # Backward from F: each link's local derivative multiplies the running product.
        self.say("Walking back from F, each link multiplies in its local derivative.")
        nodes, boxes = self.diagram2.nodes, self.diagram2.boxes
        seed = self.long.running(self.chain, 1.0, under=nodes[-1])
        self.running = VGroup(seed)
        self.set_caption("Backward from F: multiply in one local derivative per link",
                         FadeIn(seed, shift=0.15 * UP), run_time=FADE_TIME)
        for k in reversed(range(len(self.links))):
            link, contribution = self.links[k], self.contributions[k]
            local = self.long.local(link, contribution, scale=0.75, with_name=False)
            local.next_to(boxes[k], DOWN, buff=0.2)
            product = self.long.running(link.input, contribution.added, under=nodes[k])
            previous = self.running[-1]
            arrow = running_arrow(previous, product)
            self.running.add(product)
            self.play(LaggedStart(
                AnimationGroup(
                    Indicate(boxes[k], color=HIGHLIGHT_COLOR, scale_factor=1.1),
                    Indicate(chain_rule_factor(self.long_rule, k), color=HIGHLIGHT_COLOR,
                             scale_factor=1.1),
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
        row = chain_product(self.long, self.contributions, self.chain_xv)
        insight = text_lines("We can compute derivatives of complex functions",
                             "by breaking them into simple parts")
        self.say("Their product, {chain_dF_dx}, is x.grad.",
                 chain_dF_dx=self.contributions[0].added)
        self.set_caption(None, FadeIn(row, shift=0.15 * UP),
                         FlashAround(self.running[-1], color=HIGHLIGHT_COLOR), run_time=1.2)
        self.wait(1.2)
        self.say("Break hard derivatives into simple parts.")
        self.play(FadeIn(insight, shift=0.2 * UP), run_time=FADE_TIME)
        self.wait(1.6)

    def place_caption(self, caption):
        # A note stands in the row its beat fills next: the short chain's product,
        # then the long chain's result.
        y = PRODUCT_Y if self.diagram in self.mobjects else CHAIN_RESULT_Y
        return fit_caption(caption, self.caption_style).move_to(y * UP)


# ---- Scene 2 ------------------------------------------------------------

class ComputationGraphScene(LectureScene):
    """The forward pass builds the graph: L = (x*w + b)^2 step by step."""

    x, w, b = 2.0, -1.5, 0.5

    caption_style = CaptionStyle(font_size=30, rise=0.2)

    def construct(self):
        self.loss, self.leaves = lecture_loss(self.x, self.w, self.b)
        self.graph = forward_graph(self.loss, self.leaves[1:])
        self.show_title()
        self.place_inputs()
        self.run_operations()
        self.show_stored_backward_rules()
        self.flow_data_forward()

    def show_title(self):
        # The question: what does the computer record while computing L?
        self.say("What does autograd record while it computes L?")
        self.title = self.heading("Building the Computational Graph")
        self.formula = math_label(r"L = (x \cdot w + b)^2")
        self.formula.set_height(0.42).next_to(self.title, DOWN, buff=0.25)
        self.key = graph_legend()
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.formula, shift=0.2 * DOWN), FadeIn(self.key), run_time=FADE_TIME)
        self.wait()

    def place_inputs(self):
        # Leaves first: the numbers we start from.
        self.say(**leaves_sentence(self.leaves, self.graph.names))
        self.set_caption(
            "Leaves: the input x and the parameters w, b",
            LaggedStart(*(self.graph.reveal_leaf(v) for v in self.graph.leaves()), lag_ratio=0.3),
            run_time=TRANSFORM_TIME)
        self.wait(1.5)

    def run_operations(self):
        # Each operation runs, and the engine records a node for it.
        for value in self.graph.operations():
            self.say(**operation_sentence(value, self.graph.names))
            self.set_caption(operation_caption(value, self.graph.names))
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
        self.say("Each operation also stores a backward rule: its local derivatives.")
        self.set_caption("Each operation also stores its backward rule (local derivatives)")
        self.cards = VGroup()
        steps = {step.node: step for step in self.loss.backward_steps()}
        for n, value in enumerate(self.graph.operations()):
            if n > 0:
                self.say(**rule_sentence(value, steps[value], self.graph.names))
            card = rule_card(value, steps[value], self.graph.names)
            self.cards.add(place_rule_card(card, self.graph, value, self.caption))
            self.play(Indicate(self.graph.op_node(value), color=OPERATION_COLOR),
                      FadeIn(card, shift=0.2 * UP), run_time=1.2)
            self.wait(1.5)
        self.mark_poster()
        self.wait(1.5)

    def flow_data_forward(self):
        # Forward pass, replayed: data flows left to right through the graph.
        self.say("Replay the forward pass: values flow from the leaves to L.")
        self.set_caption("Forward pass: values flow from the leaves to L")
        for value in self.graph.operations():
            self.play(self.graph.forward_flow(value, run_time=1.0),
                      self.graph.pulse_value(value), run_time=1.2)
        self.wait()
        self.say("All of it is kept, because the backward pass will need it.")
        self.set_caption("The graph, its values and rules are saved for the backward pass")
        self.play(FlashAround(self.graph, color=GREY_A), run_time=TRANSFORM_TIME)
        self.wait(2)


# ---- Scene 3 ------------------------------------------------------------

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

    caption_style = CaptionStyle(font_size=30, max_height=0.38, rise=0.2)

    def construct(self):
        # The numbers: one forward and backward pass of the 2-3-1 model (as in
        # scene 4). This scene calls the hidden pre-activation h1 (the model's
        # z1), its ReLU output a1 (the model's h1) and the output h2.
        self.net = TwoLayerBackward(self.seed, tuple(self.x_input), self.target)
        self.numbers, self.loss = self.net.arrays(), self.net.loss
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

    def reveal_split_screen(self):
        # Two kinds of numbers live in a network: a split screen, one per kind.
        self.say("A network holds two kinds of numbers.")
        self.title = self.heading("Parameters vs Activations")
        self.divider = cache_panels.divider()
        self.param_header, self.act_header = cache_panels.panel_headers()
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.set_caption(
            "Two kinds of numbers: what the network learns, what it computes",
            ShowCreation(self.divider),
            FadeIn(self.param_header, shift=0.6 * RIGHT),
            FadeIn(self.act_header, shift=0.6 * LEFT),
            run_time=TRANSFORM_TIME,
        )

    def show_parameters(self):
        # Left: the model's real W1, b1, W2, b2 (biases start at zero).
        self.say("Parameters: the weights and biases it learns.")
        a = self.numbers
        self.param_matrices = {name: ValueMatrix(a[key], PARAMETER_COLOR) for name, key in
                               (("W_1", "W1"), ("b_1", "b1"), ("W_2", "W2"), ("b_2", "b2"))}
        named = cache_panels.parameter_block(self.param_matrices)
        self.param_notes = cache_panels.notes(
            ["Learned values", "Updated during training", "Require gradients for optimization"],
            PARAMETER_COLOR, cache_panels.PARAMETER_X)
        self.set_caption(
            "Parameters belong to the model: weights start random, biases at zero",
            LaggedStart(*(FadeIn(group, shift=0.2 * DOWN) for group in named), lag_ratio=0.25),
            run_time=TRANSFORM_TIME)
        self.play(LaggedStart(*(FadeIn(row, shift=0.2 * RIGHT) for row in self.param_notes),
                              lag_ratio=0.3), run_time=1.2)
        self.wait(0.6)

    def show_activations(self):
        # Right: an empty cache, to be filled by the forward pass.
        self.say("Activations: what it computes for one input.")
        self.cache = cache_panels.activation_cache()
        self.act_notes = cache_panels.notes(
            ["Computed during forward pass", "Saved for backward pass",
             "Needed to compute parameter gradients"], ACTIVATION_COLOR, cache_panels.ACTIVATION_X)
        self.set_caption("Activations belong to one input: they exist only after a forward pass",
                         FadeIn(self.cache))
        self.play(LaggedStart(*(FadeIn(row, shift=0.2 * LEFT) for row in self.act_notes),
                              lag_ratio=0.3), run_time=1.2)
        self.wait(0.6)

    def run_forward_pass(self):
        # The input runs through the network; each activation drops into the cache.
        self.say("Forward: x enters, and is cached.")
        self.pipeline = cache_panels.fc_pipeline()
        self.set_caption("Forward pass: the input x enters, and FC\u2081 keeps a copy",
                         FadeIn(self.pipeline),
                         Indicate(self.act_notes[0], color=ACTIVATION_COLOR), run_time=1.0)
        a, p = self.numbers, self.param_matrices
        self.cached = {}
        for name, values, color, stage, caption, narration, numbers in (
            ("x", a["x"], INPUT_COLOR, 0, None, None, {}),
            ("h_1", a["z1"], ACTIVATION_COLOR, 1,
             "FC\u2081: h\u2081 = W\u2081x + b\u2081, kept for ReLU's backward",
             "FC1 computes h1; it is cached too.", {}),
            ("a_1", a["h1"], ACTIVATION_COLOR, 2,
             "ReLU: a\u2081 = max(0, h\u2081), the input FC\u2082 will need",
             "ReLU gives a1, the input of FC2.", {}),
            ("h_2", a["out"], ACTIVATION_COLOR, 3,
             "FC\u2082: h\u2082 = W\u2082a\u2081 + b\u2082, the output, kept for the loss",
             "The output, h2, is {h2}.", {"h2": self.net.out.data}),
        ):
            item = ValueMatrix(values, color).labelled(name, side=UP, buff=0.1)
            self.cached[name] = item
            store = self.cache.store(self.pipeline.stages[stage], item, run_time=1.2)
            if stage == 0:
                self.play(store, Indicate(self.act_notes[1], color=ACTIVATION_COLOR))
                continue
            self.say(narration, **numbers)
            self.set_caption(caption, self.pipeline.flow(stage - 1))
            used = {1: ("W_1", "b_1"), 3: ("W_2", "b_2")}.get(stage, ())
            self.play(store, self.pipeline.flow(stage, run_time=1.2),
                      *(FlashAround(p[m], color=PARAMETER_COLOR, run_time=1.2) for m in used))
        # The loss, from mse in src/models.py.
        self.say("The loss is {L}.", L=self.loss.data)
        self.loss_row = cache_panels.mse_row(self.net.out.data, self.target, self.loss.data)
        self.set_caption(self.loss_row, self.pipeline.flow(4, run_time=0.8),
                         FlashAround(self.pipeline.stages[5], color=LOSS_COLOR, run_time=1.4),
                         run_time=None)
        self.wait(0.4)

    def run_backward_pass(self):
        # loss.backward(): the gradients need the values the forward pass left behind.
        self.say("Backward, the gradients draw on that cache.")
        self.set_caption("loss.backward(): gradients flow back, and need what was cached")
        self.play(self.pipeline.flow_all_back(run_time=1.6),
                  Indicate(self.param_notes[2], color=PARAMETER_COLOR, run_time=1.6))
        self.play(Indicate(self.act_notes[2], color=ACTIVATION_COLOR),
                  FlashAround(self.cache, color=ACTIVATION_COLOR), run_time=1.2)

    def show_weight_gradient_formula(self):
        # Why: for h = Wx + b, the weight gradient needs the layer's input x.
        self.say("Why? Look at a linear layer.")
        self.play(FadeOut(self.param_notes), FadeOut(self.act_notes), FadeOut(self.pipeline),
                  self.divider.animate.put_start_and_end_on(
                      cache_panels.DIVIDER_TOP * UP, cache_panels.DIVIDER_SHORT_BOTTOM * UP),
                  run_time=FADE_TIME)
        self.formulas = cache_panels.linear_layer_rule()
        linear, rule = self.formulas
        self.x_t = rule[-1]
        self.play(FadeIn(linear, shift=0.2 * UP), Write(rule), run_time=TRANSFORM_TIME)
        self.say("dL/dW needs the layer's input x, so x is saved.",
                 "The weight gradient needs the layer's input x, so x is saved.")
        self.set_caption(math_label(r"x^T \text{ is the INPUT to this layer --- we MUST save it!}",
                                    YELLOW),
                         FlashAround(self.x_t, color=YELLOW), run_time=1.0)
        # the saved values: exactly what these formulas will ask for
        self.play(*(FlashAround(item, color=YELLOW) for item in self.cached.values()),
                  run_time=1.2)
        self.wait(0.2)

    def multiply_entry_by_entry(self):
        # Layer 2 with its real numbers: upstream gradient times the saved a1, as a row.
        self.say("In the output layer, that input is the cached a1.")
        a = self.numbers
        self.layer2_rule = cache_panels.layer_rule(2)
        self.numbers_row = row = cache_panels.OuterProduct(
            a["dL/dout"], a["h1"][:, 0], ACTIVATION_COLOR, a["dL/dW2"])
        row.move_to(cache_panels.PRODUCT_ROW_Y * UP)
        self.upstream_matrix, self.saved_row, self.product = row.upstream, row.saved, row.product
        self.set_caption(
            "In layer 2 the input x is a\u2081: the saved activation, laid down as a row",
            TransformFromCopy(self.formulas[1], self.layer2_rule), run_time=TRANSFORM_TIME)
        self.play(FadeIn(row.upstream), FadeIn(row.dot), FadeIn(row.saved),
                  FlashAround(self.cached["a_1"], color=YELLOW),
                  *row.reveal_saved(self.cached["a_1"].matrix), run_time=TRANSFORM_TIME)
        self.play(FadeIn(row.equals), FadeIn(row.product), run_time=FADE_TIME)
        g, saved, grads = a["dL/dout"][0, 0], a["h1"][:, 0], a["dL/dW2"][0]
        self.say("Entry by entry: the upstream gradient times each saved value.")
        boxes = None
        for j in range(row.product.n_cols):
            new_boxes = cache_panels.entry_boxes(row.upstream.entry(0), row.saved.entry(0, j))
            self.set_caption(cache_panels.entry_caption(2, 0, j, g, saved[j], grads[j]),
                             ShowCreation(new_boxes) if boxes is None else Transform(boxes, new_boxes))
            if boxes is None:
                boxes = new_boxes
            self.play(row.reveal_entry(0, j, run_time=0.8))
        self.entry_boxes = boxes

    def compare_with_engine(self):
        # The engine never built a matrix: it computed each w.grad as a scalar. Same numbers.
        self.say("The engine's own gradients agree.")
        self.engine_row = cache_panels.engine_gradient_row(
            self.numbers["dL/dW2"], r"W_2.\text{grad}", under=self.product)
        name, self.engine_grad, check = self.engine_row
        self.set_caption("The engine computed each w.grad as a scalar; the matrix formula agrees",
                         FadeOut(self.entry_boxes),
                         FadeIn(VGroup(name, self.engine_grad), shift=0.2 * UP))
        self.play(FadeIn(check, scale=1.5),
                  FlashAround(self.product, color=OPERATION_COLOR),
                  FlashAround(self.engine_grad, color=OPERATION_COLOR), run_time=1.2)
        self.mark_poster()
        self.wait(0.3)

    def take_the_cache_away(self):
        # Without the saved a1 there is nothing to multiply: dL/dW2 cannot be formed.
        self.say("Without a1 cached, dL/dW2 is lost.",
                 "Without a one in the cache, this gradient cannot be formed.")
        saved = self.cached["a_1"]
        saved.save_state()
        self.engine_row.save_state()
        cross = Cross(saved, stroke_width=[0, 6, 0])
        row_marks = self.saved_row.question_marks(YELLOW)
        product_marks = self.product.question_marks(GRADIENT_COLOR)
        entries = [*self.saved_row.all_entries(), *self.product.all_entries()]
        self.set_caption(
            "Without the saved a\u2081 the product cannot be formed: \u2202L/\u2202W\u2082 is lost",
            saved.animate.set_opacity(0.2), ShowCreation(cross), run_time=1.2)
        self.play(*(entry.animate.set_opacity(0) for entry in entries),
                  FadeIn(row_marks, scale=1.4), FadeIn(product_marks, scale=1.4),
                  self.engine_row.animate.set_opacity(0.15), run_time=TRANSFORM_TIME)
        self.wait(0.6)
        # Put it back: with the cache, the gradient can be formed again.
        self.say("Keep a1, and it is back.")
        self.set_caption(
            "Keep a\u2081 in the cache, and the gradient is there again",
            FadeOut(cross), Restore(saved), Restore(self.engine_row),
            FadeOut(row_marks), FadeOut(product_marks),
            *(entry.animate.set_opacity(1) for entry in entries),
            run_time=TRANSFORM_TIME,
        )
        self.wait(0.5)

    def layer_one_outer_product(self):
        # Layer 1 the same way: a full outer product, its input x taken from the cache.
        self.say("The first layer works the same way, with the cached x.")
        a = self.numbers
        rule = cache_panels.layer_rule(1)
        self.engine_claim = cache_panels.engine_claim(r"W_1.\text{grad}")
        self.layer1_row = row = cache_panels.OuterProduct(
            a["dL/dz1"], a["x"][:, 0], self.cached["x"].matrix.color, a["dL/dW1"],
            self.engine_claim)
        row.move_to(cache_panels.LAYER1_ROW_Y * UP)
        self.upstream1_matrix, self.input_row, self.product1 = row.upstream, row.saved, row.product
        self.set_caption(
            "Layer 1 the same way: its input is x, also waiting in the cache",
            FadeOut(VGroup(self.numbers_row, self.engine_row)),
            FadeTransform(self.layer2_rule, rule),
            run_time=TRANSFORM_TIME,
        )
        self.layer2_rule = rule
        self.play(FadeIn(row.upstream), FadeIn(row.dot), FadeIn(row.saved),
                  FadeIn(row.equals), FadeIn(row.product),
                  FlashAround(self.cached["x"], color=YELLOW),
                  *row.reveal_saved(self.cached["x"].matrix), run_time=TRANSFORM_TIME)
        # every entry (i, j) is g_i times x_j
        self.play(LaggedStart(*(row.reveal_entry(i, j) for i in range(row.product.n_rows)
                                for j in range(row.product.n_cols)), lag_ratio=0.2), run_time=1.2)
        i, j = self.net.largest_entry("dL/dW1")
        g, x, grad = a["dL/dz1"][i, 0], a["x"][j, 0], a["dL/dW1"][i, j]
        said = said_product([g, x], grad)  # the digits entry_caption draws
        self.say("For example, {dL_dh1_i} times {x_j} gives {dL_dW1_ij}.",
                 dL_dh1_i=said[0], x_j=said[1], dL_dW1_ij=said[2])
        boxes = cache_panels.entry_boxes(row.upstream.entry(i), row.saved.entry(0, j),
                                         row.product.entry(i, j))
        self.set_caption(cache_panels.entry_caption(1, i, j, g, x, grad), ShowCreation(boxes))
        self.wait(0.6)
        self.play(FadeOut(boxes), FadeIn(self.engine_claim, shift=0.2 * LEFT),
                  FlashAround(row.product, color=OPERATION_COLOR), run_time=1.2)

    def close_on_the_cache(self):
        # The point: every layer's input stays in the cache until backward is done.
        self.say("Every layer's input stays cached until backward is done.")
        self.set_caption("So the forward pass keeps every layer's input until backward is done",
                         *(FlashAround(item, color=ACTIVATION_COLOR, run_time=1.5)
                           for item in self.cached.values()), run_time=None)
        self.wait(2.0)


# ---- Scene 4 ------------------------------------------------------------

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

    caption_style = CaptionStyle(max_height=0.6)

    def construct(self):
        self.net = TwoLayerBackward(self.seed, tuple(self.inputs), self.target)
        self.numbers = self.net.arrays()
        self.show_network()
        self.start_at_the_loss()
        self.split_layer_two()
        self.send_gradient_back()
        self.gate_through_relu()
        self.split_layer_one()
        self.show_key_insight()

    def show_network(self):
        # The network, forward: x -> Layer 1 -> h1 -> Layer 2 -> out -> L.
        self.say("A small network runs forward and saves every value.")
        self.title = self.heading("Gradient Propagation: Parameters and Inputs")
        self.pipeline = layer_panels.two_layer_pipeline(self.title)
        self.play(Write(self.title), run_time=TRANSFORM_TIME)
        self.set_caption(layer_panels.forward_caption(), FadeIn(self.pipeline, lag_ratio=0.1),
                         run_time=TRANSFORM_TIME)
        self.play(self.pipeline.flow_all(run_time=2.0))
        loss = self.net.loss.data
        self.say("The loss is {L}.", L=loss)
        self.set_caption(layer_panels.loss_caption(loss))
        self.wait()

    def start_at_the_loss(self):
        # Backward starts at the loss: dL/dout, the upstream gradient of layer 2.
        a = self.numbers
        self.header = header = layer_panels.loss_gradient_header(a, self.target)
        lines = header.lines
        self.say("Backward starts at the loss.")
        self.set_caption("Backward starts at the loss: how does L change with out?",
                         self.pipeline.flow_back(Stage.LOSS - 1), run_time=1.0)
        self.play(FadeIn(VGroup(header.note, lines[0])), run_time=FADE_TIME)
        self.say("Output {out}, target {target}: the gradient at the output is {dL_dout}.",
                 out=a["out"][0, 0], target=self.target, dL_dout=a["dL/dout"][0, 0])
        numbers = [p for p in lines[1][1] if p is not header.out_number]
        self.play(FadeIn(VGroup(lines[1][0], *numbers)),
                  layer_panels.bring(self.pipeline.stages[Stage.OUT], header.out_number),
                  run_time=TRANSFORM_TIME)
        self.play(FadeIn(lines[2], shift=0.2 * RIGHT), run_time=FADE_TIME)
        self.add(header)
        self.play(FlashAround(header.result, color=GRADIENT_COLOR), run_time=1.0)

    def split_layer_two(self):
        # Layer 2 turns dL/dout into TWO gradients: for W2, and for its input h1.
        self.rows = weight_grad, input_grad = layer_panels.layer_gradients(
            self.numbers, 2, "dL/dout", r"\mathrm{out}", "h1", "h_1", ACTIVATION_COLOR,
            "propagated backward")
        self.say("The output layer makes two gradients. First, for its weights:"
                 " the upstream gradient times the saved h1.")
        self.play(self.pipeline.flow_back(Stage.OUT - 1),
                  FlashAround(self.pipeline.box(Stage.LAYER2), color=WHITE), run_time=1.0)
        self.fork = layer_panels.fork(self.header.result, self.rows)
        self.derive(weight_grad, self.fork[0], self.header.result,
                    self.pipeline.stages[Stage.H1],
                    "Layer 2, gradient 1 of 2: for W2, the upstream times the saved h1 (for b2: the upstream)")
        self.say("Second, for its input h1: the weights, transposed, times the upstream"
                 " gradient.")
        self.derive(input_grad, self.fork[1], self.pipeline.stages[Stage.LAYER2],
                    self.header.result,
                    "Layer 2, gradient 2 of 2: for its input, the weights (transposed) times the upstream",
                    poster=True)

    def send_gradient_back(self):
        # dL/dh1 travels back and becomes the upstream gradient of layer 1.
        _, input_grad = self.rows
        header = layer_panels.relu_gate_header(self.numbers)
        leaving = VGroup(self.header, self.fork, self.rows[0],
                         input_grad.without(input_grad.name, input_grad.result))
        self.say("That input gradient travels back to the first layer.")
        self.set_caption(
            "The input gradient travels back: it is the upstream gradient of Layer 1",
            FadeOut(leaving), run_time=FADE_TIME)
        self.play(
            ReplacementTransform(input_grad.name, header.arriving_name, path_arc=0.5),
            ReplacementTransform(input_grad.result, header.arriving, path_arc=0.5),
            LaggedStart(self.pipeline.flow_back(Stage.H1), self.pipeline.flow_back(Stage.LAYER1),
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
        self.say("ReLU lets it through only where a unit was active: {active} of {units}.",
                 active=active, units=len(self.net.relu_locals))
        self.set_caption(
            layer_panels.relu_caption(),
            FadeIn(VGroup(header.note, *(p for p in first if p is not header.arriving_name))))
        self.play(FadeIn(VGroup(second[0], second[2])),
                  layer_panels.bring(self.pipeline.stages[Stage.LAYER1], header.mask),
                  run_time=TRANSFORM_TIME)
        self.play(FadeIn(third, shift=0.2 * RIGHT), run_time=FADE_TIME)
        self.add(header)
        self.wait(0.5)

    def split_layer_one(self):
        # Layer 1 again computes two: for W1, and for its input x.
        self.rows = weight_grad, input_grad = layer_panels.layer_gradients(
            self.numbers, 1, "dL/dz1", "z_1", "x", "x", INPUT_COLOR, "could be propagated further")
        self.fork = layer_panels.fork(self.header.result, self.rows)
        self.say("The first layer does the same. For its weights:"
                 " the upstream gradient times the saved x.")
        self.play(FlashAround(self.pipeline.box(Stage.LAYER1), color=WHITE), run_time=1.0)
        self.derive(weight_grad, self.fork[0], self.header.result, self.pipeline.stages[Stage.X],
                    "Layer 1 does the same. Gradient 1 of 2: for W1, the upstream times the saved x (b1: the upstream)")
        self.say("For its input x: a deeper network would send this further back.")
        self.derive(input_grad, self.fork[1], self.pipeline.stages[Stage.LAYER1], self.header.result,
                    "Gradient 2 of 2: for its input x; in a deeper network it would be propagated further")
        self.play(self.pipeline.flow_back(Stage.X),
                  FlashAround(input_grad.result, color=GRADIENT_COLOR), run_time=1.2)

    def show_key_insight(self):
        # Every layer: one gradient for its parameters, one for its input.
        self.summary = layer_panels.layer_summary(self.pipeline)
        self.say("Layer by layer, each one splits its upstream gradient in two.")
        self.set_caption("Backward, layer by layer: every layer splits its upstream gradient in two",
                         FadeOut(VGroup(self.header, self.fork, self.rows)))
        self.play(LaggedStartMap(FadeIn, self.summary, lag_ratio=0.25), run_time=2.0)
        # gradients flow back along the pipeline, and out of each layer down and back
        self.play(self.pipeline.flow_all_back(run_time=2.0),
                  LaggedStart(*(arrow_flash(part[0]) for part in self.summary),
                              lag_ratio=0.5, run_time=2.0))
        self.insight = layer_panels.key_insight(self.summary.get_bottom()[1],
                                                self.caption.get_top()[1])
        self.say("Two gradients per layer: one updates its weights, one flows back.")
        self.play(FadeIn(self.insight, shift=0.2 * UP), run_time=TRANSFORM_TIME)
        self.wait(2.5)

    def derive(self, equation, arrow, source_a, source_b, caption, poster=False):
        # One gradient: its branch and formula, the saved operands flying in, the
        # product, and what the result is for (`poster`: the frame after it is the poster).
        self.set_caption(caption, GrowArrow(arrow), FadeIn(equation.first_line()))
        self.play(FadeIn(VGroup(equation.lead, equation.op, equation.equals)),
                  layer_panels.bring(source_a, equation.a), layer_panels.bring(source_b, equation.b),
                  run_time=TRANSFORM_TIME)
        self.play(FadeIn(equation.result, shift=0.2 * RIGHT), FadeIn(equation.tag, shift=0.2 * LEFT),
                  run_time=FADE_TIME)
        self.add(equation)
        self.play(FlashAround(equation.result, color=equation.tag.color), run_time=0.8)
        if poster:
            self.mark_poster()
        self.wait()


# ---- Scene 5 ------------------------------------------------------------

class BackwardPassScene(LectureScene):
    """The backward pass: gradients flow from L back to every node."""

    x, w, b = 2.0, -1.5, 0.5

    caption_style = CaptionStyle(max_height=1.1, edge_buff=0.4)

    def construct(self):
        self.loss, self.leaves = lecture_loss(self.x, self.w, self.b)
        self.steps = self.loss.backward_steps()
        self.graph = backward_graph(self.loss, self.leaves[1:])
        self.show_graph_and_code()
        self.show_reverse_order()
        self.seed_the_output()
        self.propagate_gradients()
        self.flash_parameter_gradients()
        self.show_accumulation()

    def show_graph_and_code(self):
        # Start where the forward pass left us: the graph with its values.
        self.say("Here is the forward pass's graph, and its code.")
        self.title = self.heading("Backward Pass: Computing Gradients")
        self.graph.next_to(self.title, DOWN, buff=0.15)
        names = self.graph.names
        self.code_lines = backward_code(self.loss, names)
        self.forward_code, self.code = code_panels(
            forward_code(self.loss, names), [line for line, _, _ in self.code_lines])
        self.play(Write(self.title), FadeIn(self.graph), run_time=TRANSFORM_TIME)
        self.play(FadeIn(self.forward_code), run_time=FADE_TIME)
        self.play(FadeIn(self.code), run_time=FADE_TIME)
        self.wait()

    def show_reverse_order(self):
        # Backward visits nodes in reverse topological order: L first.
        self.say("Backward visits the nodes in reverse topological order, from L to the leaves.")
        badges = order_badges(self.graph, self.steps)
        self.set_caption("Visit nodes in reverse topological order")
        self.play(LaggedStartMap(FadeIn, badges, lag_ratio=0.35, scale=1.5), run_time=2.0)
        self.wait()
        self.play(FadeOut(badges), run_time=FADE_TIME)

    def seed_the_output(self):
        # dL/dL = 1: the seed of every chain-rule product.
        root = tex_name(self.graph.names[self.loss])
        self.say(**seed_sentence(self.loss, self.graph.names))
        self.set_caption(math_label(rf"\frac{{\partial {root}}}{{\partial {root}}} = 1"),
                         self.code.highlight(0))
        self.play(seed_gradient(self.graph), self.code.annotate(0, 1.0), run_time=1.0)
        self.wait(0.6)

    def propagate_gradients(self):
        # One chain-rule product per code line: upstream x local, landing as a grad.
        for n, (line, step, c, contribution) in enumerate(
                code_line_products(self.code_lines, self.steps)):
            self.say(**step_sentence(step, contribution, self.graph.names, self.loss, first=n == 0))
            self.set_caption(chain_rule_caption(self.graph, step, c), self.code.highlight(line))
            flow = GradientFlow(self.graph, step.node, c, contribution)
            self.play(flow, self.code.annotate(line, flow.total))
            self.wait(0.7)

    def flash_parameter_gradients(self):
        # The point of it all: the parameters' gradients, ready for SGD.
        params, lead = self.leaves[1:], "Parameter gradients, ready for the update"
        self.say(**gradients_sentence(self.graph, params, lead))
        self.set_caption(gradients_caption(self.graph, params, lead), self.code.highlight(None))
        self.play(*(FlashAround(self.graph.node(p).grad_label, color=GRADIENT_COLOR)
                    for p in params), run_time=1.5)
        self.play(*(FlashAround(self.graph.node(p), color=PARAMETER_COLOR)
                    for p in params), run_time=1.2)
        self.mark_poster()
        self.wait(1.5)

    def show_accumulation(self):
        # A value used twice receives two gradients, and they add up.
        self.say("What if x feeds two places?")
        f, (x, w) = shared_input(self.x, self.w)
        graph = shared_input_graph(f, [w])
        title = title_text("When a value feeds two places, gradients add up")
        self.set_caption(None, FadeOut(VGroup(self.graph, self.code, self.forward_code)),
                         FadeTransform(self.title, title))
        self.title = title
        self.set_caption(math_label(r"f = x \cdot w + x"), FadeIn(graph))
        self.say("Gradients flow back along both paths to x.")
        self.play(seed_gradient(graph), run_time=FADE_TIME)
        for step in f.backward_steps():
            for index, contribution in enumerate(step.contributions):
                self.play(GradientFlow(graph, step.node, index, contribution, run_time=1.2))
        parts, total = sum_parts(f, x), graph.drawn_gradients[x]
        self.say(**sum_sentence(f, x, graph.names, total))
        self.set_caption(sum_caption(graph, x, parts, total))
        self.play(FlashAround(graph.node(x).grad_label, color=GRADIENT_COLOR), run_time=1.2)
        self.wait(2)

    def place_caption(self, caption):
        # While the code is shown, captions sit under the forward code, beside the
        # backward code; across the bottom once it is gone.
        if self.code in self.mobjects:
            return caption_beside_code(caption, self.forward_code, self.code)
        return super().place_caption(caption)


# ---- Scene 6 ------------------------------------------------------------

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

    caption_style = CaptionStyle(font_size=26, max_width=13.4, edge_buff=0.3, rise=0.1)

    def construct(self):
        self.run = record_training(
            n=self.n_points, noise=self.noise, data_seed=self.data_seed,
            model_seed=self.model_seed, sizes=list(self.layer_sizes),
            activation=self.activation, loss="hinge", steps=self.steps,
            lr=self.learning_rate)
        walkthrough = self.run.walkthrough(self.shown_steps, self.point_indices)
        self.board = TrainingBoard(self.run, self.shown_steps[0], self.x_range, self.y_range,
                                   self.grid_resolution, max_step=self.steps)
        self.diagram = self.board.diagram
        self.leftovers = []
        self.show_title_and_panels()
        for n, (step, point) in enumerate(walkthrough):
            self.forward_pass(n, step, point)
            self.backward_pass(n, step)
            self.update_parameters(n, step)
        self.train_the_rest()
        self.show_learned_model()

    def show_title_and_panels(self):
        # The setting: the data, the untrained network, and the run we will watch.
        self.say("Autograd at work: an MLP learns to classify {points} points.",
                 points=len(self.run.X))
        self.title = self.heading("Autograd in Action: Training an MLP")
        self.subtitle = run_subtitle(self.run, self.title)
        self.play(Write(self.title), FadeIn(self.subtitle), run_time=TRANSFORM_TIME)
        self.set_caption("Left: the data, and the class each region gets from the"
                         " model. Right: the model's weights.",
                         *(FadeIn(part) for part in self.board.parts()), run_time=TRANSFORM_TIME)
        self.wait(1.5)

    def forward_pass(self, n: int, step: int, index: int):
        # Forward: one of the points flows through the network; L averages all of them.
        fast = 1.0 if n == 0 else 0.65
        run, diagram = self.run, self.diagram
        point = run.point_pass(step, index)
        ring = self.board.plot.highlight(index)
        self.say("Step {step}: every point runs forward through the network. We follow one."
                 if n == 0 else "Step {step}: every point runs forward again. We follow another.",
                 step=step)
        self.set_caption(f"Step {step}, forward pass: all {len(run.X)} points go"
                         " through the network \u2014 here is one of them",
                         ShowCreation(ring), Flash(ring.get_center(), color=YELLOW),
                         *self.leftovers_out(), run_time=1.0 * fast)
        traveller = Dot(radius=0.09).set_fill(YELLOW, 1).move_to(ring)
        self.play(traveller.animate.move_to(diagram.neurons[0]), run_time=0.9 * fast)
        acts = point.activations
        labels = inputs, hidden, score = [diagram.point_values(point, k) for k in range(3)]
        self.play(FadeOut(traveller), diagram.restyled(neurons={0: acts[0]}),
                  FadeIn(inputs), run_time=0.6)
        self.play(diagram.forward_flow(1), diagram.restyled(neurons={1: acts[1]}),
                  FadeIn(hidden), run_time=1.0 * fast)
        saved = diagram.saved_mark(hidden)
        if n == 0:
            self.say("Its hidden values are saved.")
            self.play(ShowCreation(saved[0]), FadeIn(saved[1], shift=0.1 * DOWN), run_time=0.8)
            self.play(diagram.forward_flow(2), diagram.restyled(neurons={2: acts[2]}),
                      FadeIn(score), run_time=1.0)
        else:
            self.play(diagram.forward_flow(2), diagram.restyled(neurons={2: acts[2]}),
                      FadeIn(score), FadeIn(saved), run_time=0.8)
        self.forward_rows = self.board.forward_rows(point)
        self.say("Its loss joins the mean over all points: L is {loss}." if n == 0
                 else "The mean loss is now {loss}.", loss=run.loss_at(step))
        self.play(LaggedStart(*(FadeIn(row, shift=0.1 * UP) for row in self.forward_rows),
                              lag_ratio=0.5), run_time=1.5 * fast)
        self.play(FlashAround(self.forward_rows[-1][-1], color=LOSS_COLOR),
                  FlashAround(self.board.status.loss_number, color=LOSS_COLOR),
                  run_time=0.8 * fast)
        self.wait(0.8 * fast)
        self.point_parts = VGroup(ring, *labels)
        self.saved = saved

    def backward_pass(self, n: int, step: int):
        # Backward: L.backward() fills every parameter's .grad, last layer first.
        fast = 1.0 if n == 0 else 0.7
        self.say("Then backward: autograd fills in every parameter's gradient." if n == 0
                 else "Backward fills in every gradient again.")
        panels = self.board.gradient_panels(step, zero=True)  # after zero_grad(): every .grad is 0
        self.set_caption("Backward pass: L.backward() fills every parameter's .grad"
                         " (edges now show the gradients)",
                         FadeOut(self.forward_rows), FadeIn(panels), run_time=FADE_TIME)
        filled = self.board.gradient_panels(step)
        self.play(self.diagram.backward_flow(2),
                  Transform(panels[1], filled[1]),
                  Indicate(self.saved[1], color=ACTIVATION_COLOR),
                  run_time=1.2 * fast)
        self.play(self.diagram.backward_flow(1),
                  Transform(panels[0], filled[0]),
                  self.diagram.show_gradients(step),
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
        self.say("Then each weight takes a small step against its gradient." if n == 0
                 else "Each weight steps again, and the boundary moves.")
        label = self.run.largest_gradient_weight(step)
        marker, flash = self.board.weight_marks(label, self.grad_shown)
        self.set_caption("Update (SGD): every weight steps against its gradient"
                         " \u2014 here the one with the largest |gradient|",
                         ShowCreation(marker), ShowCreation(flash), run_time=0.8 * fast)
        rows = self.board.update_rows(step, label)
        self.play(FadeOut(self.grad_shown), FadeOut(marker), FadeIn(rows[0]),
                  run_time=FADE_TIME * fast)
        self.play(FadeIn(rows[1], shift=0.1 * UP), run_time=1.0 * fast)
        self.wait(0.8 * fast)
        new_step = step + 1
        if n == 0:
            self.say("The boundary moves: this is step {next_step}.", next_step=new_step)
        self.set_caption(f"All {len(self.run.labels)} parameters updated: the model and"
                         f" boundary of step {new_step}",
                         FadeOut(flash), FadeOut(self.point_parts), FadeOut(self.saved),
                         self.diagram.show_weights(new_step, dim=True),
                         self.board.boundary_change(new_step),
                         self.board.status_change(new_step),
                         run_time=TRANSFORM_TIME * fast)
        self.wait(0.8 * fast)
        self.leftovers = [rows]

    def train_the_rest(self):
        # The same three moves, over and over: the loss falls, the boundary bends.
        run = self.run
        start = self.shown_steps[-1] + 1
        self.curves = self.board.training_curves(start)
        self.say("Forward, backward, update: {remaining} more times.",
                 remaining=run.steps - start)
        self.set_caption(f"Forward, backward, update \u2014 {run.steps - start}"
                         " more times (each drawn state is a real step)",
                         *self.leftovers_out(), FadeIn(self.curves), run_time=FADE_TIME)
        stops = [k for k in self.snapshot_steps if start < k < run.steps] + [run.steps]
        previous = start
        for n, k in enumerate(stops):
            if n == len(stops) // 2 and n > 0:
                self.say("The loss falls, and the boundary bends around the moons."
                         if run.loss_at(run.steps) < run.loss_at(start)
                         else "The loss rises, and the boundary moves.")
            seconds = 0.9 + 1.4 * ((k - previous) / run.steps) ** 0.5
            self.play(self.curves.trace(previous, k, self.board.status, run_time=seconds),
                      self.board.boundary_change(k, run_time=seconds),
                      self.diagram.show_weights(k, run_time=seconds), run_time=seconds)
            previous = k
        self.wait()

    def show_learned_model(self):
        # The learned boundary, its accuracy, and the moral.
        final = self.run.steps
        self.final_result = self.board.learned_result(final)
        self.say("After {steps} steps, {accuracy}% of the points are classified correctly.",
                 steps=final, accuracy=self.final_result[1].number)
        self.set_caption(text_label("Autograd enables efficient training by automatically"
                                    " computing all gradients", WHITE, font_size=30),
                         FadeIn(self.final_result, shift=0.1 * UP),
                         FlashAround(self.board.status.accuracy_number, color=YELLOW),
                         run_time=TRANSFORM_TIME)
        self.wait(1.5)
        self.say("Autograd computed every gradient for us.")
        self.wait(3)

    def leftovers_out(self) -> list:
        """FadeOuts for what the previous beat left (played with the next beat)."""
        out = [FadeOut(m) for m in self.leftovers]
        self.leftovers = []
        return out


# ---- Scene 7 ------------------------------------------------------------

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
        # One real forward and backward pass: the closing diagram draws it.
        self.model = MLP(2, [3, 1], activation="tanh", seed=self.seed)
        self.loss = mse(self.model(list(self.x_input)), self.target)
        self.loss.backward()
        self.show_title()
        self.list_takeaways()
        self.assemble_network()
        self.run_forward_and_backward()
        self.close()

    def show_title(self):
        # What to remember from the whole lecture.
        self.say("The key takeaways.")
        self.title = self.heading("Automatic Differentiation: Key Takeaways")
        self.play(Write(self.title), run_time=TRANSFORM_TIME)

    def list_takeaways(self):
        # One idea per scene, each beside a reminder of the scene's picture.
        self.rows = takeaway_rows(self.TAKEAWAYS)
        for row, (icon_kind, sentence) in zip(self.rows, self.TAKEAWAYS):
            self.say(self.SPOKEN.get(icon_kind, sentence))
            self.play(FadeIn(row, shift=0.3 * RIGHT), run_time=FADE_TIME)
            self.wait(1.3)
        self.mark_poster()
        self.wait(0.2)

    def assemble_network(self):
        # The whole story on one small network.
        self.say("All of it on one small network.")
        self.diagram = closing_diagram(self.model, self.loss)
        self.net = self.diagram.net
        self.play(FadeOut(self.rows, shift=0.5 * UP), run_time=FADE_TIME)
        self.play(LaggedStart(
            FadeIn(self.net.neurons, lag_ratio=0.1),
            ShowCreation(self.net.edge_layers, lag_ratio=0.02),
            FadeIn(VGroup(self.diagram.loss_arrow, self.diagram.loss_node)),
            lag_ratio=0.4), run_time=TRANSFORM_TIME)
        self.add(self.net)

    def run_forward_and_backward(self):
        # Values flow forward (neurons light up), gradients flow back (edges recolour).
        inputs, hidden, output = ([v.data for v in layer] for layer in self.model.activations)
        diagram = self.diagram
        self.say("Forward: values flow in, and the loss is {L}.", L=self.loss.data)
        self.play(GrowArrow(diagram.forward_arrow), FadeIn(diagram.forward_words),
                  run_time=FADE_TIME)
        self.play(self.net.full_forward_flow(run_time=1.4),
                  self.net.restyled(neurons={0: inputs, 1: hidden, 2: output}, run_time=1.4))
        self.play(Indicate(diagram.loss_node, color=LOSS_COLOR), run_time=0.8)
        self.say("Backward: gradients flow back.")
        self.play(GrowArrow(diagram.backward_arrow), FadeIn(diagram.backward_words),
                  run_time=FADE_TIME)
        self.play(self.net.full_backward_flow(run_time=1.4),
                  self.net.restyled(edges=self.net.edge_values("grad"), run_time=1.4))

    def close(self):
        # Where this lives in practice.
        self.say("This is how PyTorch's autograd works.")
        words = closing_words("This is how PyTorch's autograd works!")
        self.play(Write(words), run_time=TRANSFORM_TIME)
        self.play(FlashAround(words, color=YELLOW), run_time=1.2)
        self.wait(1)
