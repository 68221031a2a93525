"""Two moons from the standard library alone, for the explorer (no numpy, no scikit-learn).

`src.data.make_moons` asks scikit-learn for its points, which a browser
running our engine through Pyodide does not have. `moons()` draws the same
shape with `random.Random(seed)`: the upper half circle around (0, 0) and
the lower one around (1, 0.5), Gaussian noise on both coordinates, shuffled.
Same seed, same points; the explorer's page and the Python tests call this
one function, so a training run in the browser and one in Python start from
the same data. (The points differ from scikit-learn's for the same seed:
another random generator. The lecture's Scene 6 keeps scikit-learn's.)

    >>> X, y = moons(100, noise=0.1, seed=0)
    >>> len(X), sorted(set(y))
    (100, [-1, 1])
"""
from __future__ import annotations

import math
import numbers
import random

__all__ = ["moons"]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0):
    """`n` points of two interleaving half circles and their labels.

    Returns `(X, y)` as `src.data.make_moons` does: `X` a list of `[x1, x2]`
    floats, `y` the labels, -1 for the upper moon and +1 for the lower one.
    The upper moon gets `n // 2` points, evenly spaced in angle before the
    noise (a normal draw with standard deviation `noise` per coordinate).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise ValueError(f"moons n must be an int >= 2 (points in total), got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) \
            or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"moons noise must be a finite number >= 0, got {noise!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"moons seed must be an int, got {type(seed).__name__} {seed!r}")
    rng = random.Random(int(seed))
    upper, lower = int(n) // 2, int(n) - int(n) // 2
    points = []
    for k in range(upper):
        t = math.pi * k / (upper - 1) if upper > 1 else 0.0
        points.append(([math.cos(t), math.sin(t)], -1))
    for k in range(lower):
        t = math.pi * k / (lower - 1) if lower > 1 else 0.0
        points.append(([1.0 - math.cos(t), 0.5 - math.sin(t)], 1))
    rng.shuffle(points)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for (a, b), _ in points]
    return X, [label for _, label in points]
