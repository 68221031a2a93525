"""Gradient clipping: keep one bad batch from throwing the parameters away.

Why clip
--------
Backpropagation multiplies local derivatives along every path from the loss
back to a parameter. In a deep network that is a long product, and a long
product of factors a little larger than 1 grows geometrically: one unlucky
batch can produce a gradient thousands of times larger than usual. Gradient
descent then takes a step `lr * gradient` that lands far outside the region
where the gradient was informative, the loss jumps, and training may never
recover (or the numbers overflow). These are *exploding gradients*.

Clipping by norm puts a ceiling on the length of the step without changing
its direction. Stack every parameter's gradient into one long vector `g`:

    ||g||     = sqrt(g_1**2 + g_2**2 + ... + g_n**2)
    g_clipped = g * min(1, max_norm / ||g||)

If the gradient is already short enough (||g|| <= max_norm) the factor is 1
and nothing happens. Otherwise every component is shrunk by the *same*
factor, so the clipped vector points exactly where the original did, but
has length `max_norm`. The optimizer still goes downhill; it just refuses
to go too far in one step. Because the factor is shared, the relative sizes
of the gradients (which parameter matters most) survive; clipping each
component on its own (`clip_grad_value`) is cruder: it bends the direction.

    >>> from src.autograd import Value
    >>> a, b = Value(1.0, "a"), Value(2.0, "b")
    >>> a.grad, b.grad = 6.0, 8.0             # ||g|| = 10
    >>> clip_grad_norm([a, b], max_norm=5.0)  # returns the norm *before* clipping
    10.0
    >>> a.grad, b.grad                        # same direction, length 5
    (3.0, 4.0)

The usual place is between `loss.backward()` and `optimizer.step()`.

Matching PyTorch
----------------
`torch.nn.utils.clip_grad_norm_` uses `max_norm / (||g|| + 1e-6)`: the tiny
`eps` keeps the division safe when the norm is 0 and leaves the clipped norm
a hair below `max_norm`. Here `eps` defaults to 0 (the formula above,
exactly); pass `eps=1e-6` to reproduce PyTorch's numbers. A zero gradient
is never divided by: its factor is 1.

Standard library only. Each parameter is counted once even if it appears
twice in the list (PyTorch would count and scale a repeated tensor twice).
"""

from __future__ import annotations

import math
import numbers

from src.autograd import Value

__all__ = ["grad_norm", "clip_grad_norm", "clip_grad_value"]


# --------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------

def _to_float(x, what: str) -> float:
    try:
        return float(x)
    except OverflowError:  # an int beyond the float range
        raise ValueError(f"{what} must be a finite number; {x!r:.40} is too large for a float") from None


def _positive_finite(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a positive finite number, got {type(x).__name__} {x!r}")
    x = _to_float(x, what)
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"{what} must be a positive finite number, got {x!r}")
    return x


def _nonnegative_finite(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a finite number >= 0, got {type(x).__name__} {x!r}")
    x = _to_float(x, what)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"{what} must be a finite number >= 0, got {x!r}")
    return x


def _name(p: Value, i: int) -> str:
    return f"parameter {i} ({p.label!r})" if p.label else f"parameter {i}"


def _parameters(parameters, who: str) -> list:
    """The distinct Values of `parameters`, in order, each with a finite grad."""
    if isinstance(parameters, Value):
        parameters = [parameters]
    elif callable(getattr(parameters, "parameters", None)):
        raise TypeError(
            f"{who} expects a list of Values; pass model.parameters(), "
            f"not the {type(parameters).__name__} itself"
        )
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(
            f"{who} expects a list of Values (e.g. model.parameters()), got "
            f"{type(parameters).__name__} {parameters!r}"
        ) from None
    if not items:
        raise ValueError(
            f"{who} got an empty parameter list: there is no gradient to clip "
            "(did the model or list end up empty?)"
        )
    seen, params = set(), []
    for i, p in enumerate(items):
        if not isinstance(p, Value):
            raise TypeError(
                f"{who} expects Values, but entry {i} is {type(p).__name__} {p!r}"
            )
        g = p.grad
        if isinstance(g, bool) or not isinstance(g, numbers.Real):
            raise TypeError(
                f"{who}: the gradient of {_name(p, i)} is {type(g).__name__} {g!r}, "
                "not a number"
            )
        if not math.isfinite(g):
            raise ValueError(
                f"{who}: the gradient of {_name(p, i)} is {g}; clipping cannot "
                "repair a non-finite gradient, find where it overflowed"
            )
        if id(p) not in seen:
            seen.add(id(p))
            params.append(p)
    return params


def _norm(params: list, who: str) -> float:
    # math.hypot scales internally: no overflow or underflow in the squares.
    norm = math.hypot(*(p.grad for p in params))
    if not math.isfinite(norm):
        raise OverflowError(
            f"{who}: the total gradient norm is larger than the largest float; "
            "every gradient is finite but together they overflow"
        )
    return norm


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

def grad_norm(parameters) -> float:
    """The L2 norm of all the parameters' gradients taken as one vector.

    Changes nothing. `parameters` is a list of Values (or one Value).
    """
    return _norm(_parameters(parameters, "grad_norm"), "grad_norm")


def clip_grad_norm(parameters, max_norm: float, *, eps: float = 0.0) -> float:
    """Scale every `.grad` by `min(1, max_norm / (||g|| + eps))`, in place.

    `parameters`: a list of Values (e.g. `model.parameters()`) or one Value;
    `||g||` is the L2 norm of all their gradients as one vector. Returns
    that norm as it was *before* clipping (as `torch.nn.utils.clip_grad_norm_`
    does), so a training loop can log how large the gradients really were.
    `eps=0` (default) is the textbook formula; `eps=1e-6` gives PyTorch's
    numbers exactly. Only `.grad` changes, never `.data`.

    Errors: `max_norm` not a positive finite number, an empty list, an entry
    that is not a Value, or a gradient that is nan or infinite (the message
    names the parameter).
    """
    max_norm = _positive_finite(max_norm, "clip_grad_norm max_norm")
    eps = _nonnegative_finite(eps, "clip_grad_norm eps")
    params = _parameters(parameters, "clip_grad_norm")
    norm = _norm(params, "clip_grad_norm")
    if norm + eps > 0:
        scale = max_norm / (norm + eps)
        if scale < 1.0:
            for p in params:
                p.grad *= scale
    return norm


def clip_grad_value(parameters, clip_value: float) -> int:
    """Clamp every `.grad` into `[-clip_value, clip_value]`, in place.

    The cruder cousin of `clip_grad_norm`: each component is cut on its own,
    so a large gradient loses its direction (the big components are flattened
    while the small ones are kept). Same as `torch.nn.utils.clip_grad_value_`;
    returns how many gradients were changed (PyTorch returns None).
    """
    clip_value = _positive_finite(clip_value, "clip_grad_value clip_value")
    params = _parameters(parameters, "clip_grad_value")
    changed = 0
    for p in params:
        g = p.grad
        if g > clip_value:
            p.grad = clip_value
            changed += 1
        elif g < -clip_value:
            p.grad = -clip_value
            changed += 1
    return changed
