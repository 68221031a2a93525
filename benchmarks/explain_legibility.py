"""How small do the explainer's labels get as an expression grows?

    PYTHONPATH=. .venv/bin/python benchmarks/explain_legibility.py

For families of growing expressions (a chain of functions, a left-deep
chain of binary operations, a sum of products, a balanced tree, shared
subexpressions) this lays the explainer out exactly as its scene does
(src/rendering/explainer.py `explainer_layout`: the graph fitted into
GRAPH_WIDTH x GRAPH_HEIGHT, the backward code under it) and prints the
smallest number label in pixels at 480p (60 px per unit). The structural
limits in src/lesson/expression.py (MAX_OPERATIONS, MAX_DEPTH, MAX_VARIABLES) are set
where this first falls below MIN_LABEL_PIXELS; bigger inputs are refused
before the graph is built (structural check, no manim needed) and the scene
re-checks the real layout (`legibility_error`).

Structural limits are lifted here (the families are built past them).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.manim_harness import import_manimlib, prepare_manimlib  # noqa: E402

prepare_manimlib()
import_manimlib()

import src.lesson.expression as ex  # noqa: E402
from src.rendering.explainer import code_digit_height, explainer_layout  # noqa: E402
from src.visualization.code_panel import CodePanel  # noqa: E402
from src.visualization.style import CODE_FONT, text_label  # noqa: E402


def text_line_height(text: str) -> float:
    return text_label(text, font_size=CodePanel.FONT_SIZE, font=CODE_FONT).get_height()

VALUES = {"x": 0.5, "y": -1.5, "z": 2.0, "w": 0.75, "a": 1.25, "b": -0.5, "c": 3.0, "d": 0.25}


def families():
    names = ["x", "y", "z", "w"]
    yield "chain of functions", [("x", 0)] + [
        ("(" * 0 + "".join(f"{f}(" for f in (["sin", "tanh", "exp", "cos", "sigmoid"] * 3)[:n])
         + "x" + ")" * n, n) for n in range(1, 10)]
    yield "left-deep binary chain", [
        ("x", 0)] + [(_left_deep(n), n) for n in range(1, 10)]
    yield "sum of products", [
        (" + ".join(f"{a}*{b}" for a, b in zip(names[:k], names[1:k + 1] + ["x"])), k)
        for k in range(1, 5)]
    yield "balanced tree", [("x*y", 1), ("x*y + z*w", 2), ("(x*y + z*w)*(x - w)", 3),
                            ("tanh(x*y + z*w)*sigmoid(x - w) + exp(y/z)", 4)]
    yield "shared subexpression", [("x*x + x", 1), ("x*x*x + x*x + x", 2),
                                   ("(x*y + x)*(x*y - y)", 3),
                                   ("tanh(x*y + x)*sigmoid(x*y - y) + x*y", 4)]


def _left_deep(n: int) -> str:
    ops = ["*", "+", "-", "*", "+", "/", "*", "+", "-"]
    text = "x"
    for k in range(n):
        operand = "xyzw"[(k + 1) % 4]
        text = f"({text} {ops[k]} {operand})" if k < n - 1 else f"{text} {ops[k]} {operand}"
    return text


def main():
    ex.MAX_OPERATIONS, ex.MAX_DEPTH = 99, 99
    print(f"threshold: {ex.MIN_LABEL_PIXELS:g} px at 480p "
          f"(= {ex.MIN_LABEL_HEIGHT:.3f} units); graph region {ex.GRAPH_WIDTH} x {ex.GRAPH_HEIGHT}")
    for family, cases in families():
        print(f"\n{family}")
        for text, _ in cases:
            if text == "x":
                continue
            parsed = ex.parse_expression(text)
            values = {v: VALUES[v] for v in parsed.variables}
            explanation = ex.explain(parsed, values)
            layout = explainer_layout(explanation)
            graph_px = min(n.value_label.get_height() for n in layout.graph.value_nodes.values()) * 60
            code_px = (code_digit_height() * layout.code.lines[0].get_height()
                       / text_line_height(layout.code.lines[0].text)) * 60
            flag = "" if layout.smallest_label >= ex.MIN_LABEL_HEIGHT - 1e-9 else "  <- too small"
            print(f"  {layout.arrangement:7s} ops {explanation.operations:2d} depth {explanation.depth:2d} "
                  f"lines {len(layout.code_lines):2d}: smallest label "
                  f"{layout.smallest_label * 60:5.1f} px (values {graph_px:5.1f}, "
                  f"code digits {code_px:5.1f})  {text[:60]}{flag}")


if __name__ == "__main__":
    main()
