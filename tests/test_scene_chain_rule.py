"""Scene 1 (ChainRuleScene), run in-process and headless (tests/manim_harness.py).

Each input variant runs once (tests/scene_checks.scene_run, which subclasses
the scene only to set other inputs and keep the scene object). Every number
the scene draws carries `.number` and a `.key` saying what it is; the expected
numbers come from fresh, independent engine graphs (and closed forms), the
expected colours from manimlib's own constants, compared as hex strings.
"""
import math

import pytest

from tests.manim_harness import (
    bboxes_overlap, import_manimlib, lecture_module, text_mobjects,
)

mn = import_manimlib()
from src.visualization import style  # noqa: E402  (the palette)

from tests import scene_checks  # noqa: E402
from tests.scene_checks import (  # noqa: E402
    assert_identities_hold, assert_legible, assert_no_problems, assert_not_blank,
    assert_on_time, hex_of, off_frame, opacity, shows, text_overlaps,
)
from src.autograd import Value  # noqa: E402

ChainRuleScene = lecture_module().ChainRuleScene

VARIANTS = {
    "lecture": {},                               # the class defaults (x = 3, chain_x = 0.2)
    "other": {"x": -1.5, "chain_x": -0.1},
    "zero": {"x": -2.0, "chain_x": 1 / 3},       # g = 0 and g2 = 0: both dF/dx are 0
    # large and negative x, tiny chain_x: F(x +- h) need 9 digits for their difference
    "extreme": {"x": -1234.5, "chain_x": 0.000321},
}
STRESS = {"extreme"}   # make check only (scene_checks.variant_params)
PLANNED_SECONDS = 30.0
ROLE_COLOR = {"input": style.INPUT_COLOR, "activation": style.ACTIVATION_COLOR,
              "output": style.LOSS_COLOR, "operation": style.OPERATION_COLOR}


def is_chain_part(mob):
    """A value circle or a function box of a drawn chain (by class name, so
    this file does not depend on where the kit lives)."""
    return type(mob).__name__ in ("ChainNode", "FunctionBox")


def fill_hexes(mob):
    return {hex_of(sm.get_fill_color()) for sm in mob.family_members_with_points()}


def inputs_of(variant):
    x = VARIANTS[variant].get("x", ChainRuleScene.x)
    chain_x = VARIANTS[variant].get("chain_x", ChainRuleScene.chain_x)
    return x, chain_x, ChainRuleScene.h


# --------------------------------------------------------------------------
# Independent expectations: fresh graphs, written out here
# --------------------------------------------------------------------------

def expected_numbers(x, chain_x, h):
    """key -> the float the scene must draw for it."""
    xv = Value(x)
    g = xv + 2
    F = g ** 2
    F.backward()
    assert xv.grad == pytest.approx(2 * (x + 2))      # the closed form agrees

    def F_at(t):
        return ((Value(t) + 2) ** 2).data

    example = {
        "x": x, "g": g.data, "F": F.data,
        "dF/dg": g.grad, "dg/dx": 1.0, "dF/dx": xv.grad,
        "F(x+h)": F_at(x + h), "F(x-h)": F_at(x - h), "2h": 2 * h, "h": h,
        "numerical": (F_at(x + h) - F_at(x - h)) / (2 * h),
    }

    cx = Value(chain_x)
    g1 = cx * 3
    g2 = g1 - 1
    g3 = g2 ** 2
    out = g3.tanh()
    out.backward()
    assert out.data == pytest.approx(math.tanh((3 * chain_x - 1) ** 2))
    chain = {
        "x": chain_x, "g1": g1.data, "g2": g2.data, "g3": g3.data, "F": out.data,
        "dg1/dx": 3.0, "dg2/dg1": 1.0, "dg3/dg2": 2 * g2.data, "dF/dg3": 1 - out.data ** 2,
        "dF/dF": 1.0, "dF/dg3_run": g3.grad, "dF/dg2": g2.grad, "dF/dg1": g1.grad,
        "dF/dx": cx.grad, "x.grad": cx.grad,
    }
    # dF/dg3 is both a local derivative and the first running product: equal.
    assert chain.pop("dF/dg3_run") == pytest.approx(chain["dF/dg3"])
    return {("example", k): v for k, v in example.items()} | \
        {("chain", k): v for k, v in chain.items()}


# --------------------------------------------------------------------------
# Running each variant once
# --------------------------------------------------------------------------

def scene_run(variant):
    return scene_checks.scene_run(ChainRuleScene, variant, VARIANTS[variant])


@pytest.fixture(scope="module", params=scene_checks.variant_params(VARIANTS, STRESS))
def case(request):
    run, scene = scene_run(request.param)
    return request.param, run, scene


def drawn_numbers(run):
    """Every visible number label at every checkpoint (copies), in order."""
    labels = []
    for cp in run.checkpoints:
        for t in text_mobjects(cp.mobjects):
            if hasattr(t, "number") and opacity(t) > 0:
                labels.append((cp, t))
    return labels


# --------------------------------------------------------------------------
# Runs, frame, overlaps, blank, timing
# --------------------------------------------------------------------------

def test_scene_runs_to_the_end(case):
    variant, run, scene = case
    assert run.num_plays == len(run.checkpoints) > 20
    assert run.checkpoints[-1].index == run.num_plays - 1
    x, chain_x, _ = inputs_of(variant)
    assert scene.x == x and scene.chain_x == chain_x
    # the last frame holds the key insight
    words = " ".join(t.text for t in text_mobjects(run.last.mobjects) if hasattr(t, "text"))
    assert "breaking them into simple parts" in words


def test_everything_visible_is_inside_the_frame(case):
    _, run, _ = case
    assert_no_problems(off_frame(run), "off-frame")


def test_no_two_visible_texts_overlap(case):
    _, run, _ = case
    assert_no_problems(text_overlaps(run, require_text=True), "overlaps")


def test_last_frame_not_blank(case):
    _, run, _ = case
    assert_not_blank(run)


def test_numbers_stay_legible(case):
    _, run, _ = case
    assert_legible(run)


def test_drawn_arithmetic_is_true_as_drawn(case):
    # dF/dx = n1 . n2 = total, the central difference, the long chain's product
    _, run, _ = case
    assert_identities_hold(run, {"a * b", "(a - b) / c", "a * b * c * d"})


def test_duration_matches_plan(case):
    variant, run, _ = case
    if variant == "extreme":  # the voice paces the scene: long numbers take long to say
        times = [cp.time for cp in run.checkpoints]
        assert times == sorted(times) and run.time <= 2 * PLANNED_SECONDS
        return
    assert_on_time(run, PLANNED_SECONDS)


# --------------------------------------------------------------------------
# Colours by role
# --------------------------------------------------------------------------

def test_chain_colours_follow_the_palette(case):
    variant, run, _ = case
    seen = {}
    for cp in run.checkpoints:
        for mob in cp.mobjects:
            for part in mob.get_family():
                if is_chain_part(part):
                    want = hex_of(ROLE_COLOR[part.role])
                    assert hex_of(part.shape.get_stroke_color()) == want, (cp.label, part.role)
                    assert hex_of(part.shape.get_fill_color()) == want, (cp.label, part.role)
                    name = getattr(part, "name_label", getattr(part, "label", None)).string
                    seen.setdefault(part.role, set()).add(name)
    # both chains, every role: x an input, g/g1..g3 activations, F the output
    assert seen["input"] == {"x"}
    assert seen["output"] == {"F"}
    assert seen["activation"] == {"g", "g_{1}", "g_{2}", "g_{3}"}
    assert {"g", "f", "+2", r"(\cdot)^{2}", r"\times 3", "-1", r"\tanh"} <= seen["operation"]


def test_number_colours_by_role(case):
    variant, run, _ = case
    for cp, label in drawn_numbers(run):
        part, key = label.key
        if key.startswith("d") or key in ("numerical", "x.grad"):
            want = {hex_of(style.GRADIENT_COLOR)}   # derivatives and gradients
        elif key == "h":
            want = {hex_of(mn.GREY_A)}       # an aside
        else:
            want = {hex_of(mn.WHITE)}        # values and the F(x +- h) evaluations
        assert fill_hexes(label) == want, (cp.label, label.key)


def test_formula_colours(case):
    """Derivative symbols red; standing alone in a formula, x is drawn in the
    input colour, g in the activation colour and F in the output colour
    (inside circles and boxes names are white on the role's colour)."""
    _, run, scene = case
    red = hex_of(style.GRADIENT_COLOR)
    for row in (scene.rule, scene.long_rule, scene.product):
        fractions = [t for t in row if t.string.startswith(r"\frac{d")]
        assert fractions
        for t in fractions:
            assert fill_hexes(t) == {red}, t.string
    want = {"x": hex_of(style.INPUT_COLOR), "g": hex_of(style.ACTIVATION_COLOR),
            "F": hex_of(style.LOSS_COLOR)}
    seen = set()
    for cp in run.checkpoints:
        in_nodes = {id(sm) for mob in cp.mobjects for part in mob.get_family()
                    if is_chain_part(part) for sm in part.get_family()}
        for t in text_mobjects(cp.mobjects):
            if getattr(t, "string", None) in want and id(t) not in in_nodes:
                assert fill_hexes(t) == {want[t.string]}, (cp.label, t.string)
                seen.add(t.string)
    assert seen == set(want)


# --------------------------------------------------------------------------
# Every number drawn equals the engine
# --------------------------------------------------------------------------

def test_every_drawn_number_equals_the_engine(case):
    variant, run, _ = case
    expected = expected_numbers(*inputs_of(variant))
    labels = drawn_numbers(run)
    assert labels
    problems = []
    for cp, label in labels:
        key = label.key
        if key not in expected:
            problems.append(f"{cp.label}: unknown number {key} = {label.number}")
            continue
        tolerance = 1e-6 if key == ("example", "numerical") else 1e-12
        if label.number != pytest.approx(expected[key], rel=1e-12, abs=tolerance):
            problems.append(f"{cp.label}: {key} drawn {label.number}, engine {expected[key]}")
        if not shows(label.string, label.number):
            problems.append(f"{cp.label}: {key} shows {label.string!r} for {label.number}")
    assert not problems, "\n".join(problems[:15])
    # everything the scene is meant to show is shown
    assert {label.key for _, label in labels} == set(expected)


def test_numerical_check_agrees_with_the_chain_rule(case):
    variant, run, scene = case
    x, _, h = inputs_of(variant)
    estimate = [label for _, label in drawn_numbers(run) if label.key == ("example", "numerical")]
    assert estimate
    assert estimate[-1].number == pytest.approx(2 * (x + 2), abs=1e-6)
    assert scene.estimate == pytest.approx(scene.xv.grad, abs=1e-6)


def test_running_products_multiply_the_locals(case):
    """The chain's running products are the locals multiplied in from F back
    to x, and the last one is the engine's x.grad."""
    variant, run, scene = case
    expected = expected_numbers(*inputs_of(variant))
    locals_ = ["dF/dg3", "dg3/dg2", "dg2/dg1", "dg1/dx"]
    running = ["dF/dg3", "dF/dg2", "dF/dg1", "dF/dx"]
    product = 1.0
    for local, total in zip(locals_, running):
        product *= expected[("chain", local)]
        assert product == pytest.approx(expected[("chain", total)], rel=1e-12, abs=1e-15)
    drawn = [label.number_part.number for label in scene.running]
    assert drawn == pytest.approx([1.0] + [expected[("chain", k)] for k in running], abs=1e-12)
    assert scene.running[-1].number_part.number == pytest.approx(scene.chain_xv.grad, abs=1e-15)


def test_the_scenes_numbers_agree_with_each_other(case):
    """The engine's own cross-checks of what the scene draws: the product of
    the two locals is x.grad (as is the last link's added gradient), the
    estimate is the central difference of the two F values drawn, and along
    the long chain each running product is the gradient the engine added."""
    _, _, scene = case
    close = dict(rel=1e-12, abs=1e-12)
    assert scene.dF_dg.local * scene.dg_dx.local == pytest.approx(scene.xv.grad, **close)
    assert scene.dg_dx.added == pytest.approx(scene.xv.grad, **close)
    assert scene.dF_dx == scene.xv.grad
    assert scene.estimate == pytest.approx((scene.F_plus - scene.F_minus) / (2 * scene.h),
                                           rel=1e-9, abs=1e-12)
    running = 1.0
    for contribution in reversed(scene.contributions):
        running *= contribution.local
        assert running == pytest.approx(contribution.added, **close)
    assert running == pytest.approx(scene.chain_xv.grad, **close)


def test_variants_draw_different_numbers():
    shown = {}
    variants = scene_checks.everyday(VARIANTS, STRESS)
    for variant in variants:
        run, _ = scene_run(variant)
        shown[variant] = tuple(sorted({(label.key, label.string) for _, label in drawn_numbers(run)}))
    assert len(set(shown.values())) == len(variants)


# --------------------------------------------------------------------------
# The kit pieces the scene relies on (no scene run needed)
# --------------------------------------------------------------------------

def test_chain_formulas_come_from_the_graph():
    from src.lesson.examples import four_link_chain, shifted_square
    from src.visualization.chain import chain_links, link_formula, link_symbol, substitute
    from src.lesson.graph_text import graph_names

    F, x = shifted_square(3.0)
    names = graph_names(F)
    links = chain_links(F)
    assert [link.input for link in links][0] is x
    assert [link_symbol(link) for link in links] == ["+2", r"(\cdot)^{2}"]
    assert [link_formula(link, names) for link in links] == ["x + 2", "g^{2}"]
    assert substitute("g^{2}", "g", "x + 2") == "(x + 2)^{2}"
    assert substitute("2 g", "g", "x + 2") == "2(x + 2)"

    F, _ = four_link_chain(0.2)
    links = chain_links(F)
    assert [link_symbol(link) for link in links] == [r"\times 3", "-1", r"(\cdot)^{2}", r"\tanh"]
    assert [link_formula(link, graph_names(F)) for link in links] == \
        ["3x", "g_{1} - 1", "g_{2}^{2}", r"\tanh g_{3}"]


def test_chain_links_refuse_a_graph_that_is_not_a_chain():
    from src.visualization.chain import chain_links
    x, w = Value(1.0, "x"), Value(2.0, "w")
    with pytest.raises(ValueError, match="not a chain"):
        chain_links(x * w)


def test_typeset_row_places_each_piece_where_tex_puts_it():
    from src.visualization.formulas import number_label, typeset_row
    n = number_label(-2.5, mn.RED, bracket_negative=True, key=("t", "n"))
    row = typeset_row([(r"\frac{dF}{dx}", mn.RED), "=", n, r"\cdot", "3"], height=0.6)
    assert len(row) == 5 and row[2] is n
    assert n.string == "(-2.5)" and n.number == -2.5 and n.key == ("t", "n")
    assert row.get_height() == pytest.approx(0.6)
    lefts = [piece.get_left()[0] for piece in row]
    assert lefts == sorted(lefts)
    assert not any(bboxes_overlap(a, b) for a, b in zip(row, row[1:]))
    assert fill_hexes(row[0]) == {hex_of(mn.RED)} and fill_hexes(row[1]) == {hex_of(mn.WHITE)}
