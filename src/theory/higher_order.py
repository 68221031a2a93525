"""Derivatives of derivatives, with `grad(..., create_graph=True)`.

A first backward pass with `create_graph=True` returns gradients that are
Values with graphs of their own, so a second pass can differentiate them:

    d/dx (df/dx)            second derivative f''(x)
    d/dx (df/dy)            mixed partial, equal to d/dy (df/dx)
    d/dx (sum_i v_i df/dx_i) Hessian-vector product H v, without forming H

and Newton's method, which needs f'' to take its step
x <- x - f'(x) / f''(x), is a few lines on top. Standard library only.
"""

from __future__ import annotations

import numbers
from typing import Callable, NamedTuple, Sequence

from src.autograd import Value, as_real, grad

__all__ = [
    "nth_derivative",
    "hessian",
    "hessian_vector_product",
    "NewtonStep",
    "newton_minimize",
]


def _leaves(values, who: str) -> list:
    """Fresh leaves holding `values` (numbers or Values), with clear errors."""
    if isinstance(values, (Value, numbers.Real)):
        raise TypeError(f"{who} expects a sequence of numbers, got a single {type(values).__name__}; "
                        "wrap it in a list")
    leaves = [Value(v.data if isinstance(v, Value) else as_real(v, who), f"x{i}")
              for i, v in enumerate(values)]
    if not leaves:
        raise ValueError(f"{who} needs at least one input")
    return leaves


def _call(f: Callable, leaves: list, who: str) -> Value:
    out = f(*leaves)
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        # Usually math.sin(x) & co.: they turn a Value into a float, and the
        # derivative would silently be 0. Say so rather than return 0.
        raise TypeError(
            f"{who}: f returned the plain number {out!r}, so it cannot be "
            "differentiated; build it from Value operations (x.sin(), x.exp(), "
            "x ** 2) instead of math.sin(x), math.exp(x), ..."
        )
    if not isinstance(out, Value):
        raise TypeError(f"{who}: f must return a Value (or a number), got "
                        f"{type(out).__name__} {out!r}")
    return out


def nth_derivative(f: Callable, x, order: int = 1) -> float:
    """The `order`-th derivative of a one-input function `f` at `x`.

    Each pass differentiates the previous derivative, recording a graph for
    the next one (all but the last pass use create_graph=True).

        >>> nth_derivative(lambda x: x ** 4, 2.0, order=3)   # 24 x
        48.0
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ValueError(f"nth_derivative order must be a non-negative int, got {order!r}")
    (leaf,) = _leaves([x], "nth_derivative()")
    d = _call(f, [leaf], "nth_derivative()")
    for k in range(order):
        d = grad(d, leaf, create_graph=k < order - 1)
    return d.data


def hessian(f: Callable, values: Sequence) -> list:
    """The matrix of second derivatives H[i][j] = d^2 f / dx_i dx_j.

    One recorded backward pass for the gradient, then one backward pass per
    gradient entry: n + 1 passes for n inputs.
    """
    xs = _leaves(values, "hessian()")
    gradient = grad(_call(f, xs, "hessian()"), xs, create_graph=True)
    return [[g.data for g in grad(gi, xs)] for gi in gradient]


def hessian_vector_product(f: Callable, values: Sequence, vector: Sequence) -> list:
    """H v for the Hessian H of `f` at `values`, in two backward passes.

    The trick: H v is the gradient of the scalar g . v, where g is the
    gradient, so H itself (n^2 numbers) is never formed.
    """
    xs = _leaves(values, "hessian_vector_product()")
    if isinstance(vector, (Value, numbers.Real)) or not hasattr(vector, "__iter__"):
        raise TypeError(f"hessian_vector_product(): the vector must be a list of numbers, "
                        f"one per input, got {type(vector).__name__} {vector!r:.40}")
    v = [as_real(c, "hessian_vector_product() vector entry") for c in vector]
    if len(v) != len(xs):
        raise ValueError(f"hessian_vector_product(): the vector has {len(v)} entries "
                         f"for {len(xs)} inputs; give one per input")
    gradient = grad(_call(f, xs, "hessian_vector_product()"), xs, create_graph=True)
    g_dot_v = gradient[0] * v[0]
    for gi, vi in zip(gradient[1:], v[1:]):
        g_dot_v = g_dot_v + gi * vi
    return [h.data for h in grad(g_dot_v, xs)]


class NewtonStep(NamedTuple):
    """One iterate of Newton's method: where it stands and what it sees."""
    x: float
    f: float
    slope: float       # f'(x)
    curvature: float   # f''(x)


def newton_minimize(f: Callable, x0, steps: int = 6) -> list:
    """Newton's method for a stationary point of a one-input function.

    Each step fits the parabola with the local slope and curvature and jumps
    to its vertex: x <- x - f'(x) / f''(x). Near a minimum the number of
    correct digits roughly doubles per step. Returns the iterates, the start
    included (`steps + 1` NewtonSteps).

    Stops with a clear error where the curvature is 0 (the parabola has no
    vertex). A negative curvature means the step heads for a maximum.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"newton_minimize steps must be a non-negative int, got {steps!r}")
    x = as_real(x0, "newton_minimize x0")
    path = []
    for k in range(steps + 1):
        leaf = Value(x, "x")
        fx = _call(f, [leaf], "newton_minimize()")
        slope = grad(fx, leaf, create_graph=True)
        curvature = grad(slope, leaf)
        path.append(NewtonStep(x, fx.data, slope.data, curvature.data))
        if k == steps:
            break
        if curvature.data == 0:
            raise ZeroDivisionError(
                f"Newton's method stopped at x = {x:.6g}: f''(x) = 0, so the step "
                "f'(x)/f''(x) is undefined; start somewhere else"
            )
        x = x - slope.data / curvature.data
    return path
