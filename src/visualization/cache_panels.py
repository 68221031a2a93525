"""Parameters vs activations: the split screen of scene 3 and its products.

Scene 3 (ParametersVsActivationsScene) splits the screen: the model's
parameters on the left, the activations one input leaves in a cache on the
right, the FC pipeline under both. Then it shows why the cache matters:
dL/dW = dL/dh . x^T needs the layer's input x, multiplied entry by entry.

    divider(), panel_headers()          the split and its two headings
    parameter_block(matrices)           W1 b1 / W2 b2, named, on the left
    notes(lines, colour, side)          bullet notes under a panel
    activation_cache()                  the empty cache on the right
    fc_pipeline()                       Input x -> FC1 -> ReLU -> FC2 -> h2 -> L
    linear_layer_rule(), weight_gradient_rule(...), layer_rule(k)
    OuterProduct(...)                   upstream . saved row = product, revealed entry by entry
    mse_row(out, target, loss)          L = (h2 - y)^2 = (...)^2 = L
    entry_caption(k, i, j, ...), entry_boxes(...)
    engine_gradient_row(...)            "W2.grad from the engine = [...] (check)"
    engine_claim(...)                   "= W1.grad from the engine (check)", after a product

The module's constants are the scene's layout. Helpers return mobjects.
"""

from __future__ import annotations

from manimlib import (
    DOWN, FRAME_WIDTH, RIGHT, UP, GREY_B, YELLOW,
    Line, SurroundingRectangle, VGroup,
)

from src.lesson.identities import shown_identity, shown_matrix_product
from src.visualization.formulas import (
    identity_labels, record_identity, relation_tex, typeset_row,
)
from src.visualization.network import LayerPipeline
from src.visualization.style import (
    ACTIVATION_COLOR, GRADIENT_COLOR, INPUT_COLOR, LOSS_COLOR, OPERATION_COLOR,
    PARAMETER_COLOR, bullet_notes, math_label, panel_header,
)
from src.visualization.tensors import CacheBox, ValueMatrix, reveal_from

__all__ = [
    "PARAMETER_X", "ACTIVATION_X", "FORMULA_Y", "PRODUCT_ROW_Y", "ENGINE_ROW_Y",
    "LAYER1_ROW_Y", "DIVIDER_SHORT_BOTTOM", "DIVIDER_TOP", "layer_rule",
    "divider", "panel_headers", "parameter_block", "notes", "activation_cache", "fc_pipeline",
    "linear_layer_rule", "weight_gradient_rule", "OuterProduct", "mse_row", "entry_caption",
    "entry_boxes", "engine_gradient_row", "engine_claim",
]

PARAMETER_X, ACTIVATION_X = -3.55, 3.55  # the two panels' centres
HEADER_TOP = 3.1          # the panels' headings
CONTENT_TOP = 2.2         # the parameter matrices, the cache
NOTES_TOP = -0.55         # the notes under them
DIVIDER_TOP, DIVIDER_BOTTOM = 3.05, -1.9
DIVIDER_SHORT_BOTTOM = -0.25  # once the notes and the pipeline are gone
PIPELINE_Y = -2.55
FORMULA_Y = -0.95         # h = Wx + b and dL/dW = dL/dh . x^T; the layer rules
PRODUCT_ROW_Y = -1.95     # layer 2's product with numbers
ENGINE_ROW_Y = -2.75      # the engine's W2.grad under it
LAYER1_ROW_Y = -2.22      # layer 1's product with numbers
ROW_MAX_WIDTH = FRAME_WIDTH - 0.6  # a product row, at most
PARAMETERS_MAX_WIDTH = 6.4


def divider() -> Line:
    """The grey line between the two panels."""
    return Line(DIVIDER_TOP * UP, DIVIDER_BOTTOM * UP).set_stroke(GREY_B, 2)


def panel_headers() -> tuple:
    """("Parameters", "Activations") headings, each over its panel."""
    headers = (panel_header("Parameters", "weights and biases", PARAMETER_COLOR),
               panel_header("Activations", "intermediate values", ACTIVATION_COLOR))
    for header, x in zip(headers, (PARAMETER_X, ACTIVATION_X)):
        header.move_to([x, 0, 0]).align_to(HEADER_TOP * UP, UP)
    return headers


def parameter_block(matrices: dict) -> list:
    """The parameter matrices named ("W_1 = [...]"), layer 1 over layer 2,
    placed on the left panel; returns the named groups in order."""
    named = [m.labelled(name) for name, m in matrices.items()]
    half = len(named) // 2
    layers = [VGroup(*named[:half]).arrange(RIGHT, buff=0.45),
              VGroup(*named[half:]).arrange(RIGHT, buff=0.45)]
    block = VGroup(*layers).arrange(DOWN, buff=0.3)
    block.set_max_width(PARAMETERS_MAX_WIDTH)
    block.move_to([PARAMETER_X, 0, 0]).align_to(CONTENT_TOP * UP, UP)
    return named


def notes(lines, color, x: float) -> VGroup:
    """Bullet notes in a panel's colour, under its content."""
    group = bullet_notes(lines, color)
    return group.move_to([x, 0, 0]).align_to(NOTES_TOP * UP, UP)


def activation_cache() -> CacheBox:
    """The empty cache of the right panel: four slots side by side."""
    cache = CacheBox("Cache: saved for the backward pass", slots=4,
                     width=6.3, height=2.3, font_size=22)
    return cache.move_to([ACTIVATION_X, 0, 0]).align_to(CONTENT_TOP * UP, UP)


def fc_pipeline() -> LayerPipeline:
    """Input x -> FC1 -> ReLU -> FC2 -> Output h2 -> Loss L, under the panels."""
    pipeline = LayerPipeline([
        (r"\text{Input } x", INPUT_COLOR),
        (r"\text{FC}_1", OPERATION_COLOR),
        (r"\text{ReLU}", OPERATION_COLOR),
        (r"\text{FC}_2", OPERATION_COLOR),
        (r"\text{Output } h_2", ACTIVATION_COLOR),
        (r"\text{Loss } L", LOSS_COLOR),
    ], text_height=0.21, box_height=0.7, gap=0.55)
    return pipeline.move_to(PIPELINE_Y * UP)


def weight_gradient_rule(weight: str = "W", output: str = "h", saved: str = "x",
                         layer: int | None = None) -> VGroup:
    """[layer k:]  dL/dW = dL/dh . x^T, the saved input in yellow."""
    pieces = [rf"\text{{layer {layer}:}}\quad"] if layer is not None else []
    return typeset_row(pieces + [
        (rf"\frac{{\partial L}}{{\partial {weight}}}", GRADIENT_COLOR), "=",
        (rf"\frac{{\partial L}}{{\partial {output}}}", GRADIENT_COLOR), r"\cdot", (saved, YELLOW),
    ])


def linear_layer_rule() -> VGroup:
    """h = Wx + b beside dL/dW = dL/dh . x^T, on the left panel; `[1][-1]` is x^T."""
    linear = typeset_row(["h", "=", ("W", PARAMETER_COLOR), "x", "+", ("b", PARAMETER_COLOR)])
    rule = weight_gradient_rule(saved="x^T")
    linear.set_height(0.3)
    rule.set_height(0.72)
    return VGroup(linear, rule).arrange(RIGHT, buff=0.9).move_to([PARAMETER_X, FORMULA_Y, 0])


class OuterProduct(VGroup):
    """upstream . saved^T = product (then `extra`), on one row: the saved
    values laid down as a row, its entries and the product's hidden until
    revealed. Parts: `.upstream`, `.dot`, `.saved`, `.equals`, `.product`;
    the digits make every entry true as drawn (each product entry records
    its identity)."""

    def __init__(self, upstream, saved, saved_color, product, *extra):
        column = [[float(x)] for x in _flat(upstream)]
        row = [[float(x) for x in _flat(saved)]]
        up_text, saved_text, product_text, shown = shown_matrix_product(
            column, row, [[float(x) for x in _flat(r)] for r in _rows(product)])
        super().__init__(ValueMatrix(upstream, GRADIENT_COLOR, texts=up_text),
                         math_label(r"\cdot"),
                         ValueMatrix([saved], saved_color, texts=saved_text), math_label("="),
                         ValueMatrix(product, GRADIENT_COLOR, texts=product_text), *extra)
        self.upstream, self.dot, self.saved, self.equals, self.product = self[:5]
        for entry, identity in zip(self.product.all_entries(), shown):
            record_identity(entry, identity)
        for entry in (*self.saved.all_entries(), *self.product.all_entries()):
            entry.set_opacity(0)
        self.arrange(RIGHT, buff=0.25)
        self.set_max_width(ROW_MAX_WIDTH)  # wide numbers: the row shrinks to the frame

    def reveal_saved(self, source) -> list:
        """Animations: each saved entry flies out of `source`, the cached column."""
        return [reveal_from(self.saved.entry(0, j), [source.entry(j)])
                for j in range(self.saved.n_cols)]

    def reveal_entry(self, i: int, j: int, **options):
        """Animation: product entry (i, j) forms from upstream i and saved j."""
        return reveal_from(self.product.entry(i, j),
                           [self.upstream.entry(i), self.saved.entry(0, j)], **options)


def _rows(values) -> list:
    """A matrix's rows (a flat list or a column array is one column)."""
    rows = [list(r) if hasattr(r, "__len__") else [r] for r in values]
    return rows


def _flat(values) -> list:
    return [x for row in _rows(values) for x in row]


def mse_row(out: float, target: float, loss: float) -> VGroup:
    """L = (h2 - y)^2 = (out - target)^2 = loss, true as drawn."""
    shown = shown_identity("(a - b)**2", [out, target], loss)
    out_n, target_n, loss_n = identity_labels(shown, [out, target], loss,
                                              result_color=LOSS_COLOR,
                                              bracket_negative=[False, True])
    return typeset_row(["L = (h_2 - y)^2 =", "(", out_n, "-", target_n, ")^2",
                        relation_tex(shown), loss_n])


# what layer k's weight gradient multiplies: (weight, output, saved input as a row)
LAYER_FACTORS = {1: ("W_1", "h_1", "x^T"), 2: ("W_2", "h_2", "a_1^T")}


def layer_rule(k: int) -> VGroup:
    """layer k:  dL/dW_k = dL/dh_k . (its input)^T, on the right panel."""
    rule = weight_gradient_rule(*LAYER_FACTORS[k], layer=k).set_height(0.72)
    return rule.move_to([ACTIVATION_X, FORMULA_Y, 0])


def entry_caption(k: int, i: int, j: int, g: float, a: float, product: float) -> VGroup:
    """dL/d(W_k)_ij = dL/dh_k,i . (input)_j = g . a = product: one entry of
    layer k's outer product (layer 2 has one output, so i is left out)."""
    if k == 2:
        entry, factors = rf"(W_2)_{{1{j + 1}}}", rf"\partial L / \partial h_2 \cdot a_{{1,{j + 1}}}"
    else:
        entry = rf"(W_{k})_{{{i + 1}{j + 1}}}"
        factors = rf"\partial L / \partial h_{{{k},{i + 1}}} \cdot x_{{{j + 1}}}"
    shown = shown_identity("a * b", [g, a], product)
    g_n, a_n, product_n = identity_labels(shown, [g, a], product, result_color=GRADIENT_COLOR)
    return typeset_row([rf"\partial L / \partial {entry} = {factors} =",
                        g_n, r"\cdot", a_n, relation_tex(shown), product_n])


def entry_boxes(*entries) -> VGroup:
    """Yellow frames around the entries being multiplied."""
    return VGroup(*(SurroundingRectangle(m, buff=0.06).set_stroke(YELLOW, 2) for m in entries))


def engine_gradient_row(grad, name_tex: str, under) -> VGroup:
    """"name from the engine = [grad] (check)" with the matrix right under
    `under` (the product it confirms), on the engine row; `[1]` the matrix,
    `[2]` the check mark."""
    matrix = ValueMatrix(grad, GRADIENT_COLOR)
    name = typeset_row([rf"{name_tex} \text{{ from the engine}} ="]).set_height(0.3)
    check = math_label(r"\checkmark", OPERATION_COLOR).set_height(0.3)
    row = VGroup(name, matrix, check).arrange(RIGHT, buff=0.2)
    row.shift(under.get_center() - matrix.get_center())
    return row.set_y(ENGINE_ROW_Y)


def engine_claim(name_tex: str) -> VGroup:
    """"= name from the engine (check)": said of the product it follows."""
    return VGroup(
        typeset_row([rf"= {name_tex} \text{{ from the engine}}"]).set_height(0.3),
        math_label(r"\checkmark", OPERATION_COLOR).set_height(0.3),
    ).arrange(RIGHT, buff=0.2)
