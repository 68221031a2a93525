"""src/lesson/graph_text.py: numbers, names, local rules and generated code.

No manim here. Every expected value comes from an independent source: the
engine (`Value.backward()`, `backward_steps()`), Python's own arithmetic, or
numbers written out by hand for the formatting rules.
"""
import math
import random
import re

import pytest

from src.autograd import Value
from src.lesson.examples import lecture_loss
from src.lesson.graph_text import (
    backward_code, format_number, forward_code, graph_names, local_rule,
    tex_name, tex_number,
)

MATH = {"log": math.log, "sin": math.sin, "cos": math.cos, "exp": math.exp,
        "tanh": math.tanh}


# --------------------------------------------------------------------------
# format_number / tex_number
# --------------------------------------------------------------------------

@pytest.mark.parametrize("x, text", [
    (2.0, "2"), (-1.5, "-1.5"), (0.5, "0.5"), (6.25, "6.25"), (-10.0, "-10"),
    (3.14159, "3.14"), (-2.71828, "-2.72"), (0.123456, "0.123"), (999.0, "999"),
    (0.001234, "0.00123"), (1 / 3, "0.333"), (-2 / 3, "-0.667"),
    (0.0, "0"), (-0.0, "0"), (1e-20, "0"), (-1e-20, "0"),
])
def test_format_number_three_significant_digits(x, text):
    assert format_number(x) == text


@pytest.mark.parametrize("x, text", [
    (123456.0, "1.23e5"), (-123456.0, "-1.23e5"), (1e6, "1e6"), (12345.0, "1.23e4"),
    (1e-5, "1e-5"), (-0.0000123456, "-1.23e-5"), (2.5e-8, "2.5e-8"), (1e300, "1e300"),
])
def test_format_number_uses_e_notation_for_large_and_small(x, text):
    assert format_number(x) == text


def test_format_number_never_negative_zero_and_rounds_correctly():
    rng = random.Random(7)
    samples = [rng.uniform(-1, 1) * 10 ** rng.randint(-9, 9) for _ in range(2000)]
    samples += [-1e-13, -4e-13, -0.0, -1e-300]
    for x in samples:
        text = format_number(x)
        assert text != "-0" and not re.fullmatch(r"-0(\.0*)?(e-?\d+)?", text), (x, text)
        mantissa = text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
        assert len(mantissa) <= 3, (x, text)
        shown = float(text)
        if shown != 0:
            exponent = math.floor(math.log10(abs(x)))
            assert abs(shown - x) <= 0.5 * 10 ** (exponent - 2) * (1 + 1e-9), (x, text)
        else:
            assert abs(x) < 5e-13, (x, text)


@pytest.mark.parametrize("x, tex", [
    (123456.0, r"1.23 \times 10^{5}"), (-0.000012, r"-1.2 \times 10^{-5}"), (0.00012, "0.00012"),
    (1e-5, r"1 \times 10^{-5}"), (2.0, "2"), (-1.5, "-1.5"), (-0.0, "0"),
])
def test_tex_number(x, tex):
    assert tex_number(x) == tex
    assert not re.search(r"\de", tex_number(x))  # no "1.23e5" left in the LaTeX


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name, tex", [
    ("h1", "h_{1}"), ("h_2", "h_{2}"), ("t12", "t_{12}"), ("w", "w"), ("L", "L"),
    ("loss", r"\mathrm{loss}"), ("2", "2"), ("-1.5", "-1.5"),
    ("1e-5", r"1 \times 10^{-5}"),
])
def test_tex_name(name, tex):
    assert tex_name(name) == tex


def _lecture(x=2.0, w=-1.5, b=0.5):
    return lecture_loss(x, w, b)[0]


def test_graph_names_uses_labels():
    L = _lecture()
    names = graph_names(L)
    assert sorted(names.values()) == sorted(["x", "w", "b", "h1", "h2", "L"])
    assert all(names[v] == v.label for v in L.topological_order())
    assert list(names) == L.topological_order()


def test_graph_names_constants_by_value_and_t_numbers_in_forward_order():
    x = Value(3.0, "x")
    f = (2 - x) * x + 0.5
    names = graph_names(f)
    order = f.topological_order()
    constants = [v for v in order if v.is_leaf and not v.label]
    assert sorted(names[c] for c in constants) == ["0.5", "2"]
    intermediates = [names[v] for v in order if not v.is_leaf]
    assert intermediates == ["t1", "t2", "t3"]
    # t1 is the first operation the engine ran (2 - x), t3 the last.
    t = {names[v]: v for v in order if not v.is_leaf}
    assert t["t1"].op == "-" and t["t3"] is f
    assert names[x] == "x"


def test_graph_names_deterministic():
    def build():
        a, b = Value(1.0, "a"), Value(2.0, "b")
        return ((a * b).tanh() + a * 3 - b ** 2).relu()
    first = [(v.op, v.label, name) for v, name in graph_names(build()).items()]
    for _ in range(5):
        assert [(v.op, v.label, name) for v, name in graph_names(build()).items()] == first


# --------------------------------------------------------------------------
# Local rules, checked by evaluation against the engine's local derivatives
# --------------------------------------------------------------------------

def _eval_rule(rule, names):
    namespace = dict(MATH)
    for v, name in names.items():
        if name.isidentifier():
            namespace[name] = v.data
    return float(eval(rule, namespace))


def _op_cases():
    def lab(v, name):
        v.label = name
        return v

    def make(build, **leaves):
        vals = {k: Value(d, k) for k, d in leaves.items()}
        return lab(build(**vals), "out")

    return {
        "add": make(lambda x, y: x + y, x=1.5, y=-2.0),
        "sub": make(lambda x, y: x - y, x=1.5, y=-2.0),
        "rsub_const": make(lambda x: 2 - x, x=0.7),
        "neg": make(lambda x: -x, x=1.5),
        "mul": make(lambda x, y: x * y, x=1.5, y=-2.0),
        "mul_self": make(lambda x: x * x, x=-1.25),
        "div": make(lambda x, y: x / y, x=1.5, y=-2.0),
        "rdiv_const": make(lambda x: 3 / x, x=-0.8),
        "pow2": make(lambda x: x ** 2, x=-2.5),
        "pow3": make(lambda x: x ** 3, x=-1.5),
        "pow1": make(lambda x: x ** 1, x=4.0),
        "pow_half": make(lambda x: x ** 0.5, x=2.25),
        "pow_neg1": make(lambda x: x ** -1, x=-4.0),
        "pow_zero": make(lambda x: x ** 0, x=3.0),
        "pow_value": make(lambda x, y: x ** y, x=1.7, y=2.5),
        "relu_pos": make(lambda x: x.relu(), x=0.9),
        "relu_neg": make(lambda x: x.relu(), x=-0.9),
        "relu_zero": make(lambda x: x.relu(), x=0.0),
        "tanh": make(lambda x: x.tanh(), x=0.6),
        "sigmoid": make(lambda x: x.sigmoid(), x=-0.4),
        "exp": make(lambda x: x.exp(), x=0.3),
        "log": make(lambda x: x.log(), x=2.5),
        "sin": make(lambda x: x.sin(), x=0.8),
        "cos": make(lambda x: x.cos(), x=0.8),
    }


OP_CASES = _op_cases()


@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_local_rule_evaluates_to_engine_local_derivative(case):
    out = OP_CASES[case]
    names = graph_names(out)
    step = out.backward_steps()[0]
    assert step.node is out and len(step.contributions) == len(out.inputs)
    for index, contribution in enumerate(step.contributions):
        rule = local_rule(out, index, names)
        got = _eval_rule(rule, names)
        assert got == pytest.approx(contribution.local, rel=1e-12, abs=1e-12), (case, index, rule)
        tex = local_rule(out, index, names, tex=True)
        assert isinstance(tex, str) and tex


def test_local_rule_x_pow_zero_at_zero():
    # The engine defines d(x**0)/dx = 0 even at x = 0; the rule must agree.
    x = Value(0.0, "x")
    out = x ** 0
    out.label = "out"
    names = graph_names(out)
    assert _eval_rule(local_rule(out, 0, names), names) == out.backward_steps()[0].contributions[0].local


def test_local_rule_negative_constant_base():
    # (-1.5) ** 3 as a drawn constant: d/dc = 3 c^2 = +6.75, not -6.75.
    x = Value(1.0, "x")
    out = Value(-1.5) ** 3 * x
    names = graph_names(out)
    power = out.inputs[0]
    local = [s for s in out.backward_steps() if s.node is power][0].contributions[0].local
    assert local == pytest.approx(6.75)
    assert _eval_rule(local_rule(power, 0, names), names) == pytest.approx(local)


def test_local_rule_rejects_leaf():
    with pytest.raises(ValueError):
        local_rule(Value(1.0, "x"), 0, {})


# --------------------------------------------------------------------------
# Generated code, executed
# --------------------------------------------------------------------------

class F(float):
    """A float with the engine's method names, computed with math (not the engine)."""

    def relu(self):
        return F(self if self > 0 else 0.0)

    def tanh(self):
        return F(math.tanh(self))

    def sigmoid(self):
        return F(1 / (1 + math.exp(-self)))

    def exp(self):
        return F(math.exp(self))

    def log(self):
        return F(math.log(self))

    def sin(self):
        return F(math.sin(self))

    def cos(self):
        return F(math.cos(self))


def _run_forward(root, names):
    namespace = dict(MATH)
    for v in root.topological_order():
        if v.is_leaf and v.label:
            namespace[names[v]] = F(v.data)
    lines = forward_code(root, names)
    for line in lines:
        target = line.split("=")[0].strip()
        exec(line, namespace)
        namespace[target] = F(namespace[target])
    return lines, namespace


def _expressions():
    def lecture():
        return _lecture()

    def lecture_other():
        return _lecture(1.0, 3.0, -2.0)

    def lecture_zero():
        return _lecture(2.0, -1.5, 3.0)

    def square():
        a = Value(-3.0, "a")
        f = a * a
        f.label = "f"
        return f

    def shared():
        x, w = Value(2.0, "x"), Value(-1.5, "w")
        u = x * w
        u.label = "u"
        f = u + x
        f.label = "f"
        return f

    def deep_chain():
        v = Value(0.3, "x")
        for i in range(8):
            v = (v * 2).tanh() if i % 2 else v + 1
        return v

    def wide_sum():
        xs = [Value(0.5 * i - 1, f"x{i}") for i in range(6)]
        total = xs[0]
        for v in xs[1:]:
            total = total + v
        total.label = "s"
        return total

    def constants():
        x = Value(0.7, "x")
        return (2 - x) * x ** 3 + x.tanh() - x.relu() + (x * 3).sigmoid()

    def functions():
        x, y = Value(1.3, "x"), Value(0.4, "y")
        return (x / y).log() + (x * y).exp() + x.sin() * y.cos() + x ** y - (-y)

    def tanh_times_weight():
        x, w = Value(0.5, "x"), Value(-1.2, "w")
        y = (x * w).tanh()
        y.label = "y"
        L = y * w
        L.label = "L"
        return L

    return {f.__name__: f for f in (tanh_times_weight, lecture, lecture_other, lecture_zero, square, shared,
                                    deep_chain, wide_sum, constants, functions)}


EXPRESSIONS = _expressions()


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_forward_code_recomputes_every_node(name):
    root = EXPRESSIONS[name]()
    names = graph_names(root)
    lines, namespace = _run_forward(root, names)
    ops = [v for v in root.topological_order() if not v.is_leaf]
    assert len(lines) == len(ops)
    for v in ops:
        assert namespace[names[v]] == pytest.approx(v.data, rel=1e-12, abs=1e-12), (names[v], lines)


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_backward_code_recomputes_every_gradient(name):
    root = EXPRESSIONS[name]()
    names = graph_names(root)
    _, namespace = _run_forward(root, names)
    triples = backward_code(root, names)
    lines = [line for line, _, _ in triples]
    for line in lines:
        exec(line, namespace)
    root.backward()  # the engine's gradients, computed independently of the code
    root_name = names[root]
    counts = {}
    for v in root.topological_order():
        counts[names[v]] = counts.get(names[v], 0) + 1
    for v in root.topological_order():
        if v.is_leaf and not v.label:
            # A literal number: no gradient line (nobody asks for it) ...
            assert f"d{root_name}_d{names[v]} " not in "\n".join(lines)
            continue
        if counts[names[v]] > 1:
            continue  # two nodes with the same name
        var = f"d{root_name}_d{names[v]}"
        assert var in namespace, (var, lines)
        assert namespace[var] == pytest.approx(v.grad, rel=1e-12, abs=1e-12), (var, lines)


def test_backward_code_accumulates_with_plus_equals():
    # f = x*w + x: x receives two contributions; the second line is "+=".
    f = EXPRESSIONS["shared"]()
    lines = [line for line, _, _ in backward_code(f, graph_names(f))]
    x_lines = [line for line in lines if line.startswith("df_dx ")]
    assert len(x_lines) == 2
    assert " = " in x_lines[0] and "+=" not in x_lines[0]
    assert "+=" in x_lines[1]
    # a*a: both operands are a; "=" then "+=".
    g = EXPRESSIONS["square"]()
    lines = [line for line, _, _ in backward_code(g, graph_names(g))]
    a_lines = [line for line in lines if line.startswith("df_da ")]
    assert len(a_lines) == 2 and "+=" not in a_lines[0] and "+=" in a_lines[1]
    assert lines[0] == "df_df = 1"


def test_backward_code_step_indices_match_backward_steps():
    f = EXPRESSIONS["shared"]()
    steps = f.backward_steps()
    triples = backward_code(f, graph_names(f))
    assert triples[0][1:] == (0, None)
    expected = [(s, c) for s, step in enumerate(steps) for c in range(len(step.contributions))]
    assert [t[1:] for t in triples[1:]] == expected


@pytest.mark.parametrize("constant", [2.0, 0.5, -1.5])
def test_code_with_constants_is_valid_python(constant):
    # The panel shows the code as Python: it must run, whatever the constant.
    x = Value(0.8, "x")
    f = x * constant + x
    f.label = "f"
    names = graph_names(f)
    _, namespace = _run_forward(f, names)
    for line, _, _ in backward_code(f, names):
        exec(line, namespace)
    f.backward()
    assert namespace["df_dx"] == pytest.approx(x.grad)


def test_forward_code_negative_constant_base():
    x = Value(1.0, "x")
    f = Value(-1.5) ** 2 + x
    f.label = "f"
    names = graph_names(f)
    _, namespace = _run_forward(f, names)
    assert namespace["f"] == pytest.approx(f.data)
