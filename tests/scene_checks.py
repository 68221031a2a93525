"""Checks every scene test runs on a SceneRun (tests/manim_harness.py).

    run, scene = scene_run(SceneClass, "other", {"x": 1.0})  # once per (class, variant)
    problems = off_frame(run)        # [] when everything visible stays in frame
    problems = text_overlaps(run)    # [] when no two visible texts overlap
    labels = numbered_labels(cp.mobjects)   # drawn numbers (mobjects with .number)

Each check returns human-readable lines naming the checkpoint and the
mobjects, so a failing assertion says what went wrong where.
"""
from __future__ import annotations

import pytest
from manimlib.utils.color import color_to_hex

from tests.manim_harness import bboxes_overlap, is_blank, run_scene, text_mobjects


def hex_of(color) -> str:
    return color_to_hex(color).upper()


def opacity(mob) -> float:
    """Largest fill opacity among the parts that draw (a Tex has no points itself)."""
    parts = mob.family_members_with_points()
    return max((float(sm.get_fill_opacity()) for sm in parts), default=0.0)


def describe(mob) -> str:
    text = getattr(mob, "string", None) or getattr(mob, "text", "")
    return f"{type(mob).__name__}({text[:40]!r})"


_RUNS = {}


def scene_run(base_cls, variant: str, attributes: dict):
    """(run, scene) of `base_cls` with `attributes` set on a subclass.

    Runs once per (class, variant); a failed run is cached too, and every
    later call raises an AssertionError for it without running again.
    """
    key = (base_cls, variant)
    if key not in _RUNS:
        holder = {}

        class Probe(base_cls):
            def construct(self):
                holder["scene"] = self
                super().construct()

        for name, value in attributes.items():
            setattr(Probe, name, value)
        Probe.__name__ = f"{base_cls.__name__}_{variant}"
        try:
            _RUNS[key] = (run_scene(Probe), holder["scene"], None)
        except Exception as error:  # run once; every test then reports it
            _RUNS[key] = (None, holder.get("scene"), error)
    run, scene, error = _RUNS[key]
    if error is not None:
        raise AssertionError(f"{base_cls.__name__} with {variant} inputs failed: "
                             f"{error!r}") from error
    return run, scene


def off_frame(run, margin: float = 0.0, texts_only: bool = False) -> list:
    """Visible parts (or only visible texts) not at least `margin` inside the frame."""
    problems = []
    for cp in run.checkpoints:
        for sm in visible_texts(cp.mobjects) if texts_only else cp.family:
            if not cp.in_frame(sm, margin=margin):
                (x0, y0, _), (x1, y1, _) = sm.get_bounding_box()[[0, 2]]
                problems.append(f"{cp.label}: {describe(sm)} "
                                f"x[{x0:.2f}, {x1:.2f}] y[{y0:.2f}, {y1:.2f}]")
    return problems


def visible_texts(mobjects) -> list:
    texts = [t for t in text_mobjects(mobjects) if opacity(t) > 0]
    return list({id(t): t for t in texts}.values())


def text_overlaps(run, require_text: bool = False) -> list:
    """Overlapping visible texts; with `require_text`, also every checkpoint
    after the first that shows no text at all."""
    problems = []
    for cp in run.checkpoints:
        texts = visible_texts(cp.mobjects)
        if require_text and not texts and cp.index != 0:
            problems.append(f"{cp.label}: no visible text")
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


def assert_not_blank(run) -> None:
    """The last frame is an RGBA image with something drawn on it."""
    assert run.image.ndim == 3 and run.image.shape[2] == 4
    assert not is_blank(run.image)


def assert_on_time(run, planned_seconds: float) -> None:
    """Checkpoint times never go back, end at run.time, and run.time is
    within -30%/+40% of the plan (the voice paces the scenes: a beat lasts at
    least as long as its speech)."""
    times = [cp.time for cp in run.checkpoints]
    assert times == sorted(times) and times[-1] == pytest.approx(run.time)
    assert 0.7 * planned_seconds <= run.time <= 1.4 * planned_seconds, run.time


def assert_no_problems(problems, what: str) -> None:
    assert not problems, f"{len(problems)} {what}:\n" + "\n".join(problems[:15])


def assert_clean(run) -> None:
    """In frame and free of overlapping text at every checkpoint."""
    assert_no_problems(off_frame(run), "off-frame")
    assert_no_problems(text_overlaps(run), "overlaps")
