"""The parsed-SVG cache (src/visualization/parsed_svg.py) gives back exactly
what manimgl's own parse gives: the same glyph mobjects, labels, substring
selections and frames, whether a Tex or Text is parsed (cold) or rebuilt
from disk (warm); it survives damaged entries and unwritable folders, writes
nothing when off, and steps aside for another manimgl.

"Fresh" below means as in a new process: manimgl's in-process caches
(SVG_HASH_TO_MOB_MAP, PATH_TO_POINTS) replaced by empty ones for the test.
Every test keeps its entries in its own tmp folder (AUTOGRAD_SVG_CACHE).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from tests.manim_harness import import_manimlib, run_scene

mn = import_manimlib()

from manimlib.mobject.svg import svg_mobject  # noqa: E402
from manimlib.mobject.svg.svg_mobject import SVGMobject  # noqa: E402

from src.visualization import parsed_svg  # noqa: E402
from src.visualization.formulas import number_label, typeset_row  # noqa: E402
from src.visualization.style import (  # noqa: E402
    GRADIENT_COLOR, INPUT_COLOR, TEXT_FONT, math_label, text_label, title_text,
)

TEX = r"\frac{\partial L}{\partial w} = x \cdot \sqrt{w} + b"
TEX_OPTIONS = dict(isolate=["w", "b"], t2c={"x": INPUT_COLOR})
TEXT = "Backward pass: every gradient, ∂L/∂w"
TEXT_OPTIONS = dict(font=TEXT_FONT, font_size=28, t2c={"gradient": GRADIENT_COLOR})
SHORT = r"\frac{a}{b} = x"   # with a fraction bar (a rectangle glyph)
FALLBACK = ("autograd lecture: parsed-SVG cache off for manimgl {}; "
            "parsing every Tex and Text as stock manimgl does")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of the test's own, fresh counts, fresh manimgl."""
    folder = tmp_path / "svg"
    monkeypatch.setenv(parsed_svg.ENV_CACHE, str(folder))
    monkeypatch.setattr(parsed_svg, "stats", dict.fromkeys(parsed_svg.stats, 0))
    monkeypatch.setattr(parsed_svg, "_warned", set())
    fresh(monkeypatch)
    return folder


def fresh(monkeypatch):
    """manimgl's in-process caches emptied, as in a new process."""
    monkeypatch.setattr(svg_mobject, "SVG_HASH_TO_MOB_MAP", {})
    monkeypatch.setattr(svg_mobject, "PATH_TO_POINTS", {})


def entries(folder):
    return sorted(folder.glob("*.glyphs")) if folder.exists() else []


# ------------------------------------------------------------------ comparing

def same(a, b) -> bool:
    """Equal values, arrays byte for byte (and of one dtype and shape)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and a.tobytes() == b.tobytes())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


SKIPPED = {"path_obj", "family", "parents", "submobjects", "target", "saved_state",
           "shader_wrapper", "updaters", "event_listners"}


def assert_identical(a, b):
    """Two mobjects alike member by member: class, every array (data,
    bounding box...), the uniforms, labels and every plain attribute."""
    family_a, family_b = a.get_family(), b.get_family()
    assert [type(m).__name__ for m in family_a] == [type(m).__name__ for m in family_b]
    for m, n in zip(family_a, family_b):
        assert vars(m).keys() == vars(n).keys()
        for name, value in vars(m).items():
            if name in SKIPPED or isinstance(value, mn.Mobject):
                continue
            if isinstance(value, (np.ndarray, dict, list, tuple, int, float, str, bool,
                                  type(None))):
                assert same(value, vars(n)[name]), (type(m).__name__, name)
    assert [getattr(m, "label", None) for m in family_a] == \
        [getattr(m, "label", None) for m in family_b]


def data_of(mob) -> list[bytes]:
    return [m.data.tobytes() for m in mob.family_members_with_points()]


def built(cls, string, options, monkeypatch):
    fresh(monkeypatch)
    return cls(string, **options)


# ------------------------------------------------------------------ (1) exact, cold and warm

@pytest.mark.parametrize("kind", ["Tex", "Text"])
def test_cold_and_warm_equal_stock_manimgl(kind, cache, monkeypatch):
    stock_cls, string, options = {"Tex": (mn.Tex, TEX, TEX_OPTIONS),
                                  "Text": (mn.Text, TEXT, TEXT_OPTIONS)}[kind]
    kit_cls = getattr(parsed_svg, kind)
    stock = built(stock_cls, string, options, monkeypatch)
    cold = built(kit_cls, string, options, monkeypatch)
    assert parsed_svg.stats == {"hits": 0, "misses": 1, "stored": 1, "not_stored": 0}
    assert len(entries(cache)) == 1
    warm = built(kit_cls, string, options, monkeypatch)
    assert parsed_svg.stats["hits"] == 1 and parsed_svg.stats["misses"] == 1

    assert type(warm).__name__ == kind and isinstance(warm, stock_cls)
    for other in (cold, warm):
        assert_identical(stock, other)
        assert other.labels == stock.labels and len(set(stock.labels)) > 1
    # substring selection (isolate=, t2c=, tex["w"]) picks the same glyphs
    parts = ["w", "b", "x"] if kind == "Tex" else ["gradient", "pass", "every"]
    for part in parts:
        assert data_of(warm[part]) == data_of(stock[part]), part
        assert len(warm[part].submobjects) == len(stock[part].submobjects) > 0
    assert data_of(warm.select_part(parts[0])) == data_of(stock.select_part(parts[0]))


def test_rebuilt_glyphs_equal_parsed_glyphs_before_any_styling(cache, monkeypatch):
    """What mobjects_from_svg_string returns, compared as it is returned."""
    tex = parsed_svg.Tex(TEX, **TEX_OPTIONS)
    fresh(monkeypatch)
    parsed = mn.Tex.mobjects_from_svg_string(tex, tex.svg_string)
    rebuilt = parsed_svg.Tex.mobjects_from_svg_string(tex, tex.svg_string)
    assert parsed_svg.stats["hits"] == 1
    assert [type(m) for m in parsed] == [type(m) for m in rebuilt]
    assert {type(m).__name__ for m in parsed} == {"VMobjectFromSVGPath", "Rectangle"}
    for p, r in zip(parsed, rebuilt):
        assert vars(p).keys() == vars(r).keys()
        assert r.path_obj is None if hasattr(p, "path_obj") else True
        for name in set(vars(p)) - {"path_obj", "family"}:
            assert same(vars(p)[name], vars(r)[name]), name
        assert r.family == [r] and r.data.base is None   # owns its arrays
    # containers are the glyph's own, not shared with other glyphs
    assert rebuilt[0].locked_data_keys is not rebuilt[1].locked_data_keys
    assert rebuilt[0].uniforms is not rebuilt[1].uniforms


def test_kit_labels_go_through_the_cache(cache, monkeypatch):
    labels = [math_label("-0.385"), text_label("loss"), title_text("Autograd"),
              typeset_row([number_label(2.0), r"\cdot", number_label(-1.5)])]
    assert all(type(label).__module__ == parsed_svg.__name__ for label in labels[:3])
    parsed = parsed_svg.stats["misses"]
    assert parsed_svg.stats["stored"] == parsed >= 4
    fresh(monkeypatch)
    again = [math_label("-0.385"), text_label("loss"), title_text("Autograd"),
             typeset_row([number_label(2.0), r"\cdot", number_label(-1.5)])]
    assert parsed_svg.stats["misses"] == parsed and parsed_svg.stats["hits"] == parsed
    for a, b in zip(labels, again):
        assert_identical(a, b)


# ------------------------------------------------------------------ (2) same frames

class KitLabels(mn.Scene):
    def construct(self):
        title = title_text("Backward pass")
        row = typeset_row([number_label(2.0, INPUT_COLOR), r"\cdot",
                           number_label(-1.5), "=", number_label(-3.0, GRADIENT_COLOR)])
        formula = math_label(TEX, GRADIENT_COLOR).next_to(row, mn.DOWN)
        note = text_label(TEXT, font_size=24).to_edge(mn.DOWN)
        self.add(title)
        self.play(mn.FadeIn(row), mn.FadeIn(formula), run_time=0.1)
        self.add(note)
        self.wait(0.1)


def frames(monkeypatch) -> list[bytes]:
    fresh(monkeypatch)
    run = run_scene(KitLabels, capture_frames=True)
    return [cp.image.tobytes() for cp in run.checkpoints] + [run.image.tobytes()]


def test_frames_byte_identical_cold_warm_and_stock(cache, monkeypatch):
    cold = frames(monkeypatch)
    assert parsed_svg.stats["stored"] > 0 and parsed_svg.stats["hits"] == 0
    warm = frames(monkeypatch)
    assert parsed_svg.stats["hits"] == parsed_svg.stats["stored"]
    monkeypatch.setenv(parsed_svg.ENV_CACHE, "0")
    stock = frames(monkeypatch)
    assert len(cold) == 3
    assert cold == warm == stock


# ------------------------------------------------------------------ (3) damaged, unwritable, off

@pytest.mark.parametrize("damage", ["garbage", "truncated", "one byte flipped", "empty"])
def test_damaged_entry_is_parsed_again_and_rewritten(damage, cache, monkeypatch):
    stock = built(mn.Tex, SHORT, {}, monkeypatch)
    built(parsed_svg.Tex, SHORT, {}, monkeypatch)
    (entry,) = entries(cache)
    good = entry.read_bytes()
    bad = {"garbage": b"\x00not an entry" * 50, "truncated": good[:len(good) // 2],
           "one byte flipped": good[:-7] + bytes([good[-7] ^ 1]) + good[-6:],
           "empty": b""}[damage]
    entry.write_bytes(bad)
    again = built(parsed_svg.Tex, SHORT, {}, monkeypatch)
    assert parsed_svg.stats["hits"] == 0 and parsed_svg.stats["misses"] == 2
    assert_identical(stock, again)
    assert entry.read_bytes() == good          # overwritten with the right entry
    assert not list(cache.glob("*.tmp"))        # no temporary file left behind
    built(parsed_svg.Tex, SHORT, {}, monkeypatch)
    assert parsed_svg.stats["hits"] == 1


def test_unwritable_folder_works_with_one_warning(cache, tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")        # works as root too, unlike chmod
    monkeypatch.setenv(parsed_svg.ENV_CACHE, str(blocker / "svg"))
    stock = built(mn.Text, "x + y", {}, monkeypatch)
    first = built(parsed_svg.Text, "x + y", {}, monkeypatch)
    second = built(parsed_svg.Tex, SHORT, {}, monkeypatch)
    assert_identical(stock, first)
    assert second.submobjects
    assert parsed_svg.stats["stored"] == 0 and parsed_svg.stats["misses"] == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"autograd lecture: parsed-SVG cache not written to {blocker / 'svg'}"), lines


def test_off_writes_nothing(cache, tmp_path, monkeypatch):
    monkeypatch.setenv(parsed_svg.ENV_CACHE, "0")
    monkeypatch.setattr(parsed_svg, "DEFAULT_CACHE", tmp_path / "default")
    assert parsed_svg.cache_dir() is None
    stock = built(mn.Tex, SHORT, {}, monkeypatch)
    kit = built(parsed_svg.Tex, SHORT, {}, monkeypatch)
    built(parsed_svg.Text, "x + y", {}, monkeypatch)
    assert_identical(stock, kit)
    assert parsed_svg.stats == dict.fromkeys(parsed_svg.stats, 0)
    assert not list(tmp_path.rglob("*.glyphs"))


def test_where_entries_go(monkeypatch):
    monkeypatch.delenv(parsed_svg.ENV_CACHE, raising=False)
    assert parsed_svg.cache_dir() == parsed_svg.ROOT / ".cache" / "svg"
    assert parsed_svg.cache_dir({parsed_svg.ENV_CACHE: "~/svg"}).name == "svg"
    assert parsed_svg.cache_dir({parsed_svg.ENV_CACHE: "0"}) is None


def test_key_covers_the_parse_inputs(cache, monkeypatch):
    """Other options of one string, other entries; plain sha256 names."""
    built(parsed_svg.Tex, "x + y", {}, monkeypatch)
    built(parsed_svg.Tex, "x + y", {"isolate": ["x"]}, monkeypatch)   # other labels
    built(parsed_svg.Tex, "x + y", {"font_size": 30}, monkeypatch)    # same svg: one entry
    built(parsed_svg.Text, "x + y", {}, monkeypatch)
    names = [entry.stem for entry in entries(cache)]
    assert len(names) == 3 and all(re.fullmatch(r"[0-9a-f]{64}", n) for n in names)
    assert parsed_svg.stats["hits"] == 1


# ------------------------------------------------------------------ (4) another manimgl

def report_another_version(monkeypatch):
    monkeypatch.setattr(mn, "__version__", "1.8.0")


def change_a_parse_method(monkeypatch):
    original = SVGMobject.handle_transform

    def handle_transform(mob, matrix):   # same result, other source
        return original(mob, matrix)
    monkeypatch.setattr(SVGMobject, "handle_transform", staticmethod(handle_transform))


@pytest.mark.parametrize("change, expected", [
    (report_another_version, "1.8.0 (made for 1.7.2)"),
    (change_a_parse_method, "1.7.2 (SVGMobject.handle_transform differs from 1.7.2's)"),
])
def test_other_manimgl_parses_as_stock_with_one_warning(change, expected, cache, monkeypatch,
                                                        capsys):
    stock = built(mn.Tex, SHORT, {}, monkeypatch)
    change(monkeypatch)
    monkeypatch.setattr(parsed_svg, "_problems", None)   # not checked yet, as in a new process
    tex = built(parsed_svg.Tex, SHORT, {}, monkeypatch)
    built(parsed_svg.Text, "x + y", {}, monkeypatch)
    built(parsed_svg.Tex, "y", {}, monkeypatch)
    assert_identical(stock, tex)
    assert entries(cache) == [] and parsed_svg.stats["misses"] == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [FALLBACK.format(expected)]
    assert parsed_svg.manimgl_problems()


def test_a_subclass_changing_the_parse_is_not_cached(cache, monkeypatch, capsys):
    class Outlined(parsed_svg.Tex):
        def path_to_mobject(self, path):
            return super().path_to_mobject(path).set_stroke(width=3)
    built(Outlined, "x", {}, monkeypatch)
    built(parsed_svg.Tex, "x", {}, monkeypatch)
    assert len(entries(cache)) == 1 and parsed_svg.stats["misses"] == 1
    assert capsys.readouterr().err == ""


def test_relied_on_sources_are_the_installed_ones():
    assert parsed_svg.manimgl_problems() == []
    assert parsed_svg._overrides(parsed_svg.Tex) == parsed_svg._overrides(parsed_svg.Text) == []
