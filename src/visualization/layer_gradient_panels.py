"""Two layers, two gradients each: the panels of scene 4.

Scene 4 (GradientPropagationScene) runs a 2 -> 3 -> 1 network backward
(the numbers: src/lesson/layer_gradients.py, `TwoLayerBackward.arrays()`).
Under the pipeline x -> Layer 1 -> h1 -> Layer 2 -> out -> L the screen is
a work area: at the left, the gradient a layer receives (its *upstream*
header); at the right, the two computations it feeds (`layer_gradients`:
the weight gradient for the optimizer, the input gradient sent back).

    two_layer_pipeline(title), Stage.LAYER2, ...    the pipeline and its stages
    loss_gradient_header(numbers, target)           dL/dout = 2(out - y) = ...
    relu_gate_header(numbers)                       dL/dz1 = dL/dh1 (.) ReLU'(z1) = ...
    layer_gradients(numbers, k, ...)                the two computations, one under the other
    fork(source, rows)                              one arrow to each
    bring(source, target)                           a value drawn from what is on screen
    layer_summary(pipeline), key_insight(top, bottom)

Every matrix carries `.quantity`, every number `.number` (equations.py).
The module's constants are the scene's layout. Helpers return mobjects or
animations; the scene plays them.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from manimlib import (
    DOWN, LEFT, RIGHT, UP, GREY_A, WHITE,
    AnimationGroup, FadeIn, FlashAround, RoundedRectangle, Square, VGroup,
)

from src.lesson.identities import shown_identity
from src.visualization.equations import (
    GradientEquation, fork_arrows, formula, formula_line, formula_matrix, formula_number,
    math_tag, matrix_identity, role_arrow,
)
from src.visualization.formulas import record_identity
from src.visualization.network import LayerPipeline
from src.visualization.style import (
    ACTIVATION_COLOR, GRADIENT_COLOR, INPUT_COLOR, LOSS_COLOR, PARAMETER_COLOR, text_label,
)

__all__ = [
    "Stage", "WORK_Y", "two_layer_pipeline", "forward_caption", "relu_caption", "loss_caption",
    "upstream_header", "loss_gradient_header", "relu_gate_header", "layer_gradients",
    "fork", "bring", "layer_summary", "key_insight",
]


class Stage(IntEnum):
    """The pipeline's stages, left to right."""
    X, LAYER1, H1, LAYER2, OUT, LOSS = range(6)


PIPELINE_MAX_WIDTH = 13.4
HEADER_LEFT = -6.85     # the upstream header's left edge
ROWS_LEFT = -2.2        # the two computations' left edge
ROWS_RIGHT = 6.85       # ... and right edge
HEADER_CLEARANCE = 0.8  # between the header and the computations
WORK_Y = -0.55          # the middle of the computations: the header's result lines up here
WORK_TOP, WORK_BOTTOM = 1.85, -3.0
SUMMARY_DROP = 1.3      # the closing summary, under the pipeline
NOTE_MARGIN = 0.25      # its notes keep this far inside the frame
FRAME_X = 7.1


def two_layer_pipeline(title) -> LayerPipeline:
    """x -> Layer 1: W1, b1 -> h1 -> Layer 2: W2, b2 -> out -> L, under `title`."""
    pipeline = LayerPipeline([
        ("x", INPUT_COLOR),
        (r"\text{Layer 1: } W_1, b_1", PARAMETER_COLOR),
        ("h_1", ACTIVATION_COLOR),
        (r"\text{Layer 2: } W_2, b_2", PARAMETER_COLOR),
        (r"\mathrm{out}", ACTIVATION_COLOR),
        ("L", LOSS_COLOR),
    ], box_height=0.8, gap=0.8, label_height=0.3)
    return pipeline.set_max_width(PIPELINE_MAX_WIDTH).next_to(title, DOWN, buff=0.35)


def forward_caption() -> VGroup:
    """Forward: h1 = ReLU(W1 x + b1), out = W2 h1 + b2, L = (out - y)^2."""
    return VGroup(
        text_label("Forward:", GREY_A, font_size=28),
        formula(r"h_1 = \mathrm{ReLU}(W_1 x + b_1),\quad "
                r"\mathrm{out} = W_2 h_1 + b_2,\quad "
                r"L = (\mathrm{out} - y)^2"),
    ).arrange(RIGHT, buff=0.2)


def relu_caption() -> VGroup:
    """ReLU passes the gradient only where the unit was active: ReLU'(z1) = ..."""
    return VGroup(
        text_label("ReLU passes the gradient only where the unit was active:", GREY_A,
                   font_size=28),
        formula(r"\mathrm{ReLU}'(z_1) = 1 \text{ if } z_1 > 0, \text{ else } 0"),
    ).arrange(RIGHT, buff=0.2)


def loss_caption(loss: float) -> VGroup:
    """Every value is saved for the backward pass; L = (the loss)."""
    return formula_line(text_label("Every value is saved for the backward pass;", GREY_A,
                                   font_size=28),
                        "L =", formula_number(loss, quantity="L"))


def upstream_header(lines, note: str) -> VGroup:
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
    header.set_max_width(ROWS_LEFT - HEADER_CLEARANCE - HEADER_LEFT)
    header.align_to([HEADER_LEFT, 0, 0], LEFT)
    return header


def line_up(header, y: float = WORK_Y):
    """Put the header's result at height y (the middle of the rows), as
    far as the work area allows."""
    header.shift((y - header.result.get_y()) * UP)
    header.shift(min(0.0, WORK_TOP - header.get_top()[1]) * UP)
    header.shift(max(0.0, WORK_BOTTOM - header.get_bottom()[1]) * UP)
    return header


def loss_gradient_header(numbers: dict, target: float) -> VGroup:
    """dL/dout = 2(out - y) = 2(out - target) = [dL/dout]: layer 2's upstream,
    true as drawn. `.out_number` is the drawn out, `.result` the gradient."""
    out, gradient = numbers["out"][0, 0], numbers["dL/dout"][0, 0]
    shown = shown_identity("2 * (a - b)", [out, target], gradient)
    out_number = formula_number(out, quantity="out", text=shown.operands[0])
    target_number = formula_number(target, quantity="target", text=shown.operands[1],
                                   bracket_negative=True)
    upstream = formula_matrix(numbers["dL/dout"], GRADIENT_COLOR, "dL/dout",
                              texts=[[shown.result]])
    header = upstream_header([
        [formula(r"\frac{\partial L}{\partial \mathrm{out}}", GRADIENT_COLOR), "=",
         r"2(\mathrm{out} - y)"],
        ["=", formula_line("2(", out_number, "-", target_number, ")",
                           buff=[0.04, 0.1, 0.1, 0.04])],
        ["=", upstream],
    ], "upstream gradient, from the loss")
    header.out_number, header.result = out_number, upstream
    record_identity(upstream.entry(0), shown)
    return line_up(header)


def relu_gate_header(numbers: dict) -> VGroup:
    """dL/dz1 = dL/dh1 (.) ReLU'(z1) = [dL/dh1] (.) [mask] = [dL/dz1]: layer 1's
    upstream. Parts `.arriving_name`, `.arriving`, `.mask`, `.result`."""
    arriving_name = formula(r"\frac{\partial L}{\partial h_1}", GRADIENT_COLOR)
    arriving, mask, upstream = matrix_identity(
        numbers["dL/dh1"], numbers["relu'"], numbers["dL/dz1"], ["dL/dh1", "relu'", "dL/dz1"],
        [GRADIENT_COLOR, ACTIVATION_COLOR, GRADIENT_COLOR], elementwise=True)
    header = upstream_header([
        [formula(r"\frac{\partial L}{\partial z_1}", GRADIENT_COLOR), "=", arriving_name,
         r"{}\odot \mathrm{ReLU}'(z_1)"],
        ["=", arriving, r"\odot", mask],
        ["=", upstream],
    ], "upstream gradient, from Layer 2")
    header.arriving_name, header.arriving, header.mask, header.result = (
        arriving_name, arriving, mask, upstream)
    return line_up(header)


def _partial(wrt: str) -> str:
    return rf"\frac{{\partial L}}{{\partial {wrt}}}"


def layer_gradients(numbers: dict, k: int, upstream: str, upstream_tex: str, inp: str,
                    inp_tex: str, inp_color, input_note: str) -> VGroup:
    """Layer k's two gradients as equations with the engine's numbers, one
    under the other right of the header: dL/dW_k = upstream . input^T (for
    the optimizer) and dL/d(input) = W_k^T . upstream (sent back).
    `upstream` and `inp` are names in `numbers`."""
    a = numbers
    weight_parts = matrix_identity(
        a[upstream], a[inp].T, a[f"dL/dW{k}"], [upstream, f"{inp}^T", f"dL/dW{k}"],
        [GRADIENT_COLOR, inp_color, PARAMETER_COLOR])
    weight_grad = GradientEquation(
        _partial(f"W_{k}"), rf"{_partial(upstream_tex)} \cdot {inp_tex}^{{\top}}",
        weight_parts[0], r"\cdot", weight_parts[1], weight_parts[2],
        PARAMETER_COLOR, "used for optimization")
    input_parts = matrix_identity(
        a[f"W{k}"].T, a[upstream], a[f"dL/d{inp}"], [f"W{k}^T", upstream, f"dL/d{inp}"],
        [PARAMETER_COLOR, GRADIENT_COLOR, GRADIENT_COLOR])
    input_grad = GradientEquation(
        _partial(inp_tex), rf"W_{k}^{{\top}} \cdot {_partial(upstream_tex)}",
        input_parts[0], r"\cdot", input_parts[1], input_parts[2],
        GRADIENT_COLOR, input_note)
    rows = VGroup(weight_grad, input_grad).arrange(DOWN, buff=0.45, aligned_edge=LEFT)
    rows.set_max_width(ROWS_RIGHT - ROWS_LEFT)
    rows.set_max_height(WORK_TOP - WORK_BOTTOM)
    rows.move_to([0, WORK_Y, 0]).align_to([ROWS_LEFT, 0, 0], LEFT)
    return rows


def fork(source, rows) -> VGroup:
    """Two arrows from the upstream `source` to the two gradients' names:
    blue to the weight gradient, red to the input gradient."""
    return fork_arrows(source, [row.name for row in rows], [PARAMETER_COLOR, GRADIENT_COLOR])


def bring(source, target):
    """Target appears from what is on screen (a saved value in the
    pipeline, or a gradient already drawn): the source flashes in the
    target's colour while the target fades in, drifting from it."""
    drift = target.get_center() - source.get_center()
    drift = 0.3 * drift / max(np.linalg.norm(drift), 1e-6)
    return AnimationGroup(FlashAround(source, color=target.color),
                          FadeIn(target, shift=drift))


def layer_summary(pipeline: LayerPipeline) -> VGroup:
    """Under each layer: a blue arrow down to its parameter gradients and a
    red one back to its input's gradient (layer 2's pair, then layer 1's)."""
    summary = VGroup()
    rows_y = pipeline.get_bottom()[1] - SUMMARY_DROP
    # (offsets keep the notes under the pills apart: "propagated backward" is long)
    for layer, previous, k, input_tex, input_note, param_dx, grad_dx in (
            (Stage.LAYER2, Stage.H1, 2, "h_1", "propagated backward", 0.45, 0.2),
            (Stage.LAYER1, Stage.X, 1, "x", "could go further", 0.0, 0.0)):
        box, prev = pipeline.box(layer), pipeline.box(previous)
        param = math_tag(
            rf"\frac{{\partial L}}{{\partial W_{k}}},\ \frac{{\partial L}}{{\partial b_{k}}}",
            PARAMETER_COLOR)
        param.move_to([box.get_x() + param_dx, rows_y, 0])
        grad = math_tag(rf"\frac{{\partial L}}{{\partial {input_tex}}}", GRADIENT_COLOR)
        grad_note = text_label(input_note, GREY_A, font_size=22)
        # centred under the previous stage, but its note kept inside the frame
        half = max(grad.get_width(), grad_note.get_width()) / 2
        grad.move_to([max(prev.get_x() + grad_dx, -FRAME_X + NOTE_MARGIN + half), rows_y, 0])
        down = role_arrow([param.get_x(), box.get_bottom()[1], 0], param.get_top(), PARAMETER_COLOR)
        back = role_arrow(box.get_corner(DOWN + LEFT) + 0.3 * RIGHT,
                          grad.get_corner(UP + RIGHT) + 0.15 * LEFT, GRADIENT_COLOR)
        param_note = text_label("update weights", GREY_A, font_size=22)
        param_note.next_to(param, DOWN, buff=0.12)
        grad_note.next_to(grad, DOWN, buff=0.12)
        summary.add(VGroup(down, param, param_note), VGroup(back, grad, grad_note))
    return summary


def key_insight(top: float, bottom: float) -> VGroup:
    """"Each layer computes TWO gradients": one for its parameters, one for
    its input, framed, centred between heights `top` and `bottom`."""
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
    insight.move_to([0, (top + bottom) / 2, 0])
    return insight
