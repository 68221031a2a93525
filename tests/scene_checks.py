"""Checks every scene test runs on a SceneRun (tests/manim_harness.py).

    problems = off_frame(run)        # [] when everything visible stays in frame
    problems = text_overlaps(run)    # [] when no two visible texts overlap
    labels = numbered_labels(cp.mobjects)   # drawn numbers (mobjects with .number)

Each returns human-readable lines naming the checkpoint and the mobjects, so
a failing assertion says what went wrong where.
"""
from __future__ import annotations

from manimlib.utils.color import color_to_hex

from tests.manim_harness import bboxes_overlap, mobject_in_frame, text_mobjects


def hex_of(color) -> str:
    return color_to_hex(color).upper()


def opacity(mob) -> float:
    """Largest fill opacity among the parts that draw (a Tex has no points itself)."""
    parts = mob.family_members_with_points()
    return max((float(sm.get_fill_opacity()) for sm in parts), default=0.0)


def describe(mob) -> str:
    text = getattr(mob, "string", None) or getattr(mob, "text", "")
    return f"{type(mob).__name__}({text[:40]!r})"


def off_frame(run) -> list:
    problems = []
    for cp in run.checkpoints:
        for sm in cp.family:
            if not mobject_in_frame(sm, cp.frame_width, cp.frame_height, center=cp.frame_center):
                (x0, y0, _), (x1, y1, _) = sm.get_bounding_box()[[0, 2]]
                problems.append(f"{cp.label}: {type(sm).__name__} "
                                f"x[{x0:.2f}, {x1:.2f}] y[{y0:.2f}, {y1:.2f}]")
    return problems


def visible_texts(mobjects) -> list:
    texts = [t for t in text_mobjects(mobjects) if opacity(t) > 0]
    return list({id(t): t for t in texts}.values())


def text_overlaps(run) -> list:
    problems = []
    for cp in run.checkpoints:
        texts = visible_texts(cp.mobjects)
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if bboxes_overlap(a, b):
                    problems.append(f"{cp.label}: {describe(a)} / {describe(b)}")
    return problems


def numbered_labels(mobjects) -> list:
    """Visible mobjects in the families of `mobjects` that show a number."""
    seen, out = set(), []
    for mob in mobjects:
        for sm in mob.get_family():
            if id(sm) in seen:
                continue
            seen.add(id(sm))
            if isinstance(getattr(sm, "number", None), float) and opacity(sm) > 0:
                out.append(sm)
    return out


def assert_clean(run) -> None:
    """In frame and free of overlapping text at every checkpoint."""
    problems = off_frame(run)
    assert not problems, f"{len(problems)} off-frame:\n" + "\n".join(problems[:15])
    problems = text_overlaps(run)
    assert not problems, f"{len(problems)} overlaps:\n" + "\n".join(problems[:15])
