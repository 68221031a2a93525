"""The lecture's worked expressions, built with the engine and named as on screen.

Scenes draw them; tests check them. No manim here.
"""

from __future__ import annotations

from src.autograd import Value


def _named(value: Value, label: str) -> Value:
    value.label = label
    return value


def lecture_loss(x: float = 2.0, w: float = -1.5, b: float = 0.5):
    """L = (x*w + b)^2 with h1 = x*w and h2 = h1 + b.

    Returns (L, (x, w, b)) with the leaves as Values.
    """
    xv, wv, bv = Value(x, "x"), Value(w, "w"), Value(b, "b")
    h1 = _named(xv * wv, "h1")
    h2 = _named(h1 + bv, "h2")
    return _named(h2 ** 2, "L"), (xv, wv, bv)


def shared_input(x: float = 2.0, w: float = -1.5):
    """f = x*w + x with u = x*w: x feeds two operations, so its gradient
    is the sum of two contributions (w and 1).

    Returns (f, (x, w)).
    """
    xv, wv = Value(x, "x"), Value(w, "w")
    u = _named(xv * wv, "u")
    return _named(u + xv, "f"), (xv, wv)
