"""Explain your own expression as a video: its graph and its backward pass.

    python -m src.cli.explain "tanh(x*w + b)" x=2 w=-1.5 b=0.5 --quality low
        -> videos/explain/low/<slug>.mp4 (+ .vtt captions); bad input: a one-line
           error and no video (see src/lesson/expression.py)

    manimgl explain_expression.py ExplainExpression -w -l
        renders the default example below, or the expression and values in
        the environment variables EXPLAIN_EXPRESSION and EXPLAIN_VALUES
        ("x=2 w=-1.5 b=0.5"), which is how `python -m src.cli.explain` uses it.

In a file of your own, subclass the kit's scene with class attributes:

    from src.rendering.explainer import ExplainExpressionScene

    class Shared(ExplainExpressionScene):
        expression = "x*x + x"
        values = {"x": 3.0}
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from src.rendering.explainer import ExplainExpressionScene  # noqa: E402


class ExplainExpression(ExplainExpressionScene):
    """The expression and values from the environment, else the example."""

    expression = os.environ.get("EXPLAIN_EXPRESSION") or ExplainExpressionScene.expression
    values = os.environ.get("EXPLAIN_VALUES") or ExplainExpressionScene.values
