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


def shifted_square(x):
    """F = (x + 2)^2 as g = x + 2, F = g^2. `x` is a number or a Value.
    Returns (F, x) with x as a Value."""
    xv = x if isinstance(x, Value) else Value(x, "x")
    g = _named(xv + 2, "g")
    return _named(g ** 2, "F"), xv


def four_link_chain(x):
    """F = tanh((3x - 1)^2) as g1 = 3x, g2 = g1 - 1, g3 = g2^2, F = tanh(g3).
    Returns (F, x) with x as a Value."""
    xv = x if isinstance(x, Value) else Value(x, "x")
    g1 = _named(3 * xv, "g1")
    g2 = _named(g1 - 1, "g2")
    g3 = _named(g2 ** 2, "g3")
    return _named(g3.tanh(), "F"), xv
