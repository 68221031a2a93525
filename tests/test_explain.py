"""The expression explainer's parser, checks and command line (no manim).

src/lesson/expression.py reads a user's expression with `ast` (never eval), accepts
only a whitelist, builds the graph with the engine and refuses every bad
input with a one-line message before anything is rendered. Expected
gradients come from torch (float64), evaluated over the same syntax tree by
an evaluator written here, independent of the engine.
"""
from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import src.cli.explain as explain_cli
import src.lesson.expression as ex
from src.lesson.expression import ExplainError, explain, parse_expression, parse_values

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------
# An independent oracle: the same tree, evaluated by torch
# --------------------------------------------------------------------------

TORCH_FUNCTIONS = {
    "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "exp": torch.exp,
    "log": torch.log, "sin": torch.sin, "cos": torch.cos, "abs": torch.abs,
}


def torch_gradients(text: str, values: dict) -> tuple[float, dict]:
    """(value, {name: d value / d name}) by torch autograd in float64."""
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in values.items()}

    def ev(node):
        if isinstance(node, ast.Constant):
            return torch.tensor(float(node.value), dtype=torch.float64)
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else ev(node.operand)
        if isinstance(node, ast.Call):
            return TORCH_FUNCTIONS[node.func.id](ev(node.args[0]))
        a, b = ev(node.left), ev(node.right)
        return {ast.Add: torch.add, ast.Sub: torch.sub, ast.Mult: torch.mul,
                ast.Div: torch.div, ast.Pow: torch.pow}[type(node.op)](a, b)

    out = ev(ast.parse(text, mode="eval").body)
    grads = torch.autograd.grad(out, list(leaves.values()), allow_unused=True)
    return float(out.detach()), {k: (0.0 if g is None else float(g)) for k, g in zip(leaves, grads)}


# --------------------------------------------------------------------------
# Good input
# --------------------------------------------------------------------------

def test_readme_example_builds_the_right_graph():
    e = explain("tanh(x*w + b)", "x=2 w=-1.5 b=0.5")
    assert list(e.leaves) == ["x", "w", "b"]
    assert e.root.data == pytest.approx(math.tanh(2 * -1.5 + 0.5))
    value, grads = torch_gradients("tanh(x*w + b)", e.values)
    assert e.root.data == pytest.approx(value, abs=1e-12)
    for name, grad in grads.items():
        assert e.gradients[name] == pytest.approx(grad, abs=1e-12)
        assert e.numerical[name] == pytest.approx(grad, abs=1e-6)
        assert e.agrees(name)
    assert e.root_name == "f" and e.root.label == "f"
    assert (e.operations, e.depth) == (3, 3)


def test_shared_subexpression_accumulates():
    e = explain("x*x + x", {"x": 3})
    assert e.gradients["x"] == pytest.approx(2 * 3 + 1)
    contributions = [c.added for s in e.steps for c in s.contributions if c.input is e.leaves["x"]]
    assert len(contributions) == 3 and sum(contributions) == pytest.approx(7)


def test_root_name_avoids_the_users_names():
    e = explain("f*g", "f=1 g=2")
    assert e.root_name == "F"


@pytest.mark.parametrize("text, variables", [
    ("x", None), ("-x + 2", ("x",)), ("+x*3", ("x",)), ("2**x", ("x",)), ("x**y", ("x", "y")),
    ("relu(a) - sigmoid(b) / exp(c)", ("a", "b", "c")), ("log(sin(x)**2 + 1)", ("x",)),
    ("x1*w1 + x2*w2", ("x1", "w1", "x2", "w2")), ("1.5e-3*x", ("x",)),
])
def test_whitelist_parses(text, variables):
    if variables is None:
        with pytest.raises(ExplainError, match="just the variable x"):
            parse_expression(text)
        return
    assert parse_expression(text).variables == variables


def test_values_forms():
    assert parse_values(["x=2", "w=-1.5"]) == {"x": 2.0, "w": -1.5}
    assert parse_values("x=2 w=-1.5") == parse_values("x=2,w=-1.5") == {"x": 2.0, "w": -1.5}
    assert parse_values({"x": 2}) == {"x": 2.0}


def test_expression_tex_brackets_where_needed():
    tex = lambda s: ex.expression_tex(parse_expression(s))  # noqa: E731
    assert tex("tanh(x*w + b)") == r"\tanh\left(x \cdot w + b\right)"
    assert tex("a - (b + c)") == r"a - \left(b + c\right)"
    assert tex("a - b - c") == "a - b - c"
    assert tex("(-x)**2") == r"{\left(-x\right)}^{2}"
    assert tex("1/(x+1)") == r"\frac{1}{x + 1}"


def test_slug_is_a_safe_file_name_and_differs_by_values():
    a = ex.slug("tanh(x*w + b)", {"x": 2.0, "w": -1.5, "b": 0.5})
    b = ex.slug("tanh(x*w + b)", {"x": 1.0, "w": -1.5, "b": 0.5})
    assert a == "tanh-x-mul-w-plus-b__x2_w-1.5_b0.5" and a != b
    long = ex.slug("x*" * 90 + "x", {"x": 1.0})
    assert len(long) <= 100 and "/" not in long


# --------------------------------------------------------------------------
# Bad input: one clear line each
# --------------------------------------------------------------------------

BAD = [
    # (expression, values, the message must contain)
    ("tanh(x*w + b", "x=2 w=1 b=0", "syntax error at column 5"),
    ("x * * w", "x=1 w=2", "syntax error at column"),
    ("foo(x)", "x=1", "unknown function foo() at column 1"),
    ("math.exp(x)", "x=1", "unsupported call at column 1"),
    ("x.real", "x=1", "unsupported syntax at column 1: an attribute"),
    ("x // 2", "x=1", "unsupported operator //"),
    ("x < 2", "x=1", "a comparison"),
    ("tanh + x", "x=1", "tanh at column 1 is a function"),
    ("tanh(x, x)", "x=1", "takes exactly one argument"),
    ("'a' + x", "x=1", "unsupported constant 'a'"),
    ("t1 + x", "t1=1 x=2", "reserved for intermediate results"),
    ("alpha * x", "alpha=1 x=2", "too long to fit"),
    ("x + y", "x=1", "y has no value: add y=<number>"),
    ("x + 1", "x=1 z=2", "z=2 is given but z does not appear"),
    ("x + 1", "x=abc", "the value of x is not a number: 'abc'"),
    ("x + 1", "x=nan", "not a finite number"),
    ("x + 1", "x2", "expected name=number, got 'x2'"),
    ("x + 1", "x=1 x=2", "x is given twice"),
    ("log(x)", "x=-1", "math error at x=-1: log is only defined for positive numbers, "
                       "got log(-1)"),
    ("1 / x", "x=0", "math error at x=0: division by zero"),
    ("x ** y", "x=-2 y=0.5", "math error at x=-2, y=0.5: a negative base"),
    ("exp(x)", "x=1000", "math error at x=1000: exp overflowed"),
    ("3 + 4", "", "no variables"),
    ("+(+x)", "x=1", "just a variable"),
    ("", "", "empty expression"),
    ("sin(cos(tanh(exp(sigmoid(x)))))", "x=1", "too large to stay legible: 5 operations in a row"),
    ("x*y + y*z + z*w + w*x", "x=1 y=2 z=3 w=4", "too large to stay legible: 7 operations"),
    ("a+b+c+d+e", "a=1 b=1 c=1 d=1 e=1", "too large to stay legible: 5 variables"),
]


@pytest.mark.parametrize("text, values, message", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_input_gives_its_message(text, values, message):
    with pytest.raises(ExplainError) as info:
        explain(text, values)
    text_ = str(info.value)
    assert message in text_
    assert "\n" not in text_


@pytest.mark.parametrize("text, values, message", BAD[::3], ids=[b[2][:30] for b in BAD[::3]])
def test_command_line_refuses_without_writing(text, values, message, tmp_path, capsys):
    code = explain_cli.main([text, *values.split(), "--quality", "low", "--out-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_module_entry_point_exit_status(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "src.cli.explain", "log(x)", "x=-1", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: math error at x=-1: log is only defined for "
                                     "positive numbers, got log(-1)")
    assert not any(tmp_path.iterdir())
    ok = subprocess.run(
        [sys.executable, "-m", "src.cli.explain", "tanh(x*w + b)", "x=2", "w=-1.5", "b=0.5",
         "--check", "--out-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "tanh-x-mul-w-plus-b__x2_w-1.5_b0.5.mp4" in ok.stdout


def test_never_evaluates_python(tmp_path):
    marker = tmp_path / "pwned"
    text = f"__import__('os').system('touch {marker}')"
    with pytest.raises(ExplainError):
        explain(text, "")
    assert not marker.exists()


def test_legibility_error_states_the_limit():
    assert ex.legibility_error(ex.MIN_LABEL_HEIGHT) is None
    message = ex.legibility_error(0.1)
    assert message.startswith("expression too large to stay legible")
    assert "6.0 px" in message and "9 px minimum" in message


# --------------------------------------------------------------------------
# Random expressions from the whitelist
# --------------------------------------------------------------------------

def expressions(max_leaves: int = 4):
    """Random whitelisted expression texts (all brackets written out)."""
    leaf = st.sampled_from(["x", "y", "z", "x", "y", "2", "0.5", "3"])

    def extend(inner):
        return st.one_of(
            st.tuples(st.sampled_from(ex.FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda e: f"-({e})"),
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, st.sampled_from(["2", "3", "0.5", "-1"])).map(
                lambda t: f"({t[0]}) ** {t[1]}"),
        )
    return st.recursive(leaf, extend, max_leaves=max_leaves)


VALUE_GRID = [-1.5, -0.5, 0.5, 1.0, 2.0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(expressions(), st.lists(st.sampled_from(VALUE_GRID), min_size=3, max_size=3))
def test_random_expressions_are_explained_or_refused_cleanly(text, numbers):
    try:
        parsed = parse_expression(text)
    except ExplainError as error:
        assert "\n" not in str(error)
        return
    values = dict(zip(parsed.variables, numbers))
    try:
        e = explain(parsed, values)
    except ExplainError as error:
        assert "\n" not in str(error)
        return
    assert e.operations <= ex.MAX_OPERATIONS and e.depth <= ex.MAX_DEPTH
    value, grads = torch_gradients(text, values)
    assert e.root.data == pytest.approx(value, rel=1e-9, abs=1e-12)
    for name, grad in grads.items():
        assert e.gradients[name] == pytest.approx(grad, rel=1e-9, abs=1e-12), (text, name)


@pytest.mark.parametrize("quality, folder", [("high", "explain"), ("low", "explain/low"),
                                             ("medium", "explain/medium")])
def test_each_quality_has_its_own_folder_so_a_preview_never_overwrites_1080p(quality, folder, capsys):
    assert explain_cli.main(["x*x + x", "x=3", "--quality", quality, "--check"]) == 0
    would = capsys.readouterr().out.strip().split("would write ")[1]
    assert Path(would) == ROOT / "videos" / folder / "x-mul-x-plus-x__x3.mp4"
