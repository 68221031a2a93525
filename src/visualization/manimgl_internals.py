"""Checking the manimgl internals a speed-up relies on, and the one warning.

The speed-ups that use private members of manimgl 1.7.2 (the parsed-SVG
cache, src/visualization/parsed_svg.py; the fast renderer,
src/rendering/fast_render.py) check once per process that the installed
manimgl is the one they were written for: its version, and the md5 of the
source of every method they re-implement or whose output they reproduce.
If anything differs they use stock manimgl and print one line on stderr
(`fallback_line`), e.g.

    autograd lecture: parsed-SVG cache off for manimgl 1.8.0 (made for 1.7.2);
    parsing every Tex and Text as stock manimgl does

This module lives in the kit (visualization), the lowest layer that may
import manimlib, so that both the kit and rendering can use it.
"""

from __future__ import annotations

import functools
import hashlib
import inspect

__all__ = ["MANIMGL_VERSION", "manimgl_version", "text_md5", "source_md5", "source_problem",
           "fallback_line"]

MANIMGL_VERSION = "1.7.2"


def manimgl_version() -> str:
    """The installed manimgl's version, as manimlib reports it."""
    try:
        import manimlib
        version = getattr(manimlib, "__version__", None)
        if not version:
            from importlib.metadata import version as dist_version
            version = dist_version("manimgl")
        return str(version)
    except Exception:
        return "unknown"


def text_md5(text: str) -> str:
    """First 12 hex digits of the md5 of `text` (a source, a shader's code)."""
    return hashlib.md5(text.encode()).hexdigest()[:12]


@functools.lru_cache(maxsize=256)
def source_md5(function) -> str:
    """text_md5 of a function's source (a property: its getter's). Raises
    OSError or TypeError when there is no source."""
    if isinstance(function, property):
        function = function.fget
    return text_md5(inspect.getsource(function))


def source_problem(where: str, function, expected: str) -> str | None:
    """Why `function` (named `where` in the warning) is not the manimgl
    MANIMGL_VERSION one whose source_md5 is `expected`; None if it is."""
    try:
        if source_md5(function) != expected:
            return f"{where} differs from {MANIMGL_VERSION}'s"
    except (OSError, TypeError):
        return f"{where}: source not readable"
    return None


def fallback_line(version: str, problems: list[str], what: str, then: str) -> str:
    """The one-line warning: `what` is off for this manimgl, and why."""
    parts = [] if version == MANIMGL_VERSION else [f"made for {MANIMGL_VERSION}"]
    if problems:
        more = len(problems) - 1
        parts.append(problems[0] + (f" and {more} more" if more else ""))
    return f"autograd lecture: {what} off for manimgl {version} ({'; '.join(parts)}); {then}"
