"""Every entry of the engine's operation table (src.autograd.OPERATIONS) is
drawn, spoken, parsed, differentiated and has a forward-mode rule.

Each check below walks one entry and returns what it lacks, one line per
problem, naming the entry (`abs: ...`), so a new entry with a gap fails with
the gap spelled out. The entry is exercised through its own generated code
(`entry.code`, e.g. "{x}.abs()" or "{a} * {b}"), run on Values, on Duals
and on torch tensors alike, so the code the lecture prints is checked too.
Expected numbers come from `numerical_grad` (central differences) and, for
entries whose Python method torch's tensors have, from torch in float64 (first
and second derivatives). The last tests break a copy of an entry on purpose
and check the walk names what is missing: these checks can fail.
"""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from src.autograd import OPERATIONS, Operation, Value, function, grad, numerical_grad, operation_of
from src.lesson.expression import FUNCTIONS, ExplainError, explain, expression_tex, parse_expression
from src.lesson.graph_text import forward_code, graph_names, local_rule
from src.narration.spoken import spoken_form, unspeakable, untranslated
from src.theory.forward_mode import Dual

# Sample points: away from 0, where relu and abs have their kink (the
# numerical check would straddle it); 0 itself is checked against torch.
POINTS = (-1.7, -0.6, 0.35, 0.8, 1.9)
EXPONENTS = (2, 3, 0.5, -1.5)     # for x ** n, n a plain number
UNDEFINED = (ValueError, ZeroDivisionError, OverflowError)
# The helpers the code rules call (`cos(x)`, `sign(x)`), as a reader would define them.
CODE_HELPERS = {"log": math.log, "sin": math.sin, "cos": math.cos, "exp": math.exp,
                "sign": lambda v: (v > 0) - (v < 0)}


def label(op: Operation) -> str:
    return op.name if op.is_function else f"{op.name} ({op.arity} operand{'s' * (op.arity > 1)})"


def takes_exponent(op: Operation) -> bool:
    return op.code is not None and "{n}" in op.code


def cases(op: Operation, points=POINTS):
    """(operand values, plain exponent or None) to try the entry at."""
    exponents = EXPONENTS if takes_exponent(op) else (None,)
    for xs in itertools.product(points, repeat=op.arity):
        for n in exponents:
            yield list(xs), n


def apply(op: Operation, operands: list, n=None):
    """The entry's own forward code, run on `operands` (Values, Duals, tensors)."""
    source = op.code.format(a="x0", b="x1", x="x0", n=repr(n))
    return eval(source, {}, {f"x{i}": v for i, v in enumerate(operands)})


# --------------------------------------------------------------------------
# The checks: each returns the entry's problems
# --------------------------------------------------------------------------

def writing_problems(op: Operation) -> list[str]:
    """The fields every entry needs, and the methods Value and Dual need."""
    missing = []
    for field, what in (("tex", "a TeX symbol for the graph's node"),
                        ("tex_rules", "local rules in TeX"),
                        ("code", "a forward line of generated code"),
                        ("code_rules", "local rules as code"),
                        ("words", "words for the narration"),
                        ("symbol", "a plain-text symbol for the explorer's graph"),
                        ("local_values", "a Value form of its derivative, for "
                                         "grad(create_graph=True)")):
        value = getattr(op, field)
        if value is None or value == "" or value == ():
            missing.append(f"{label(op)}: lacks {what} ({field})")
    for field in ("tex_rules", "code_rules"):
        rules = getattr(op, field)
        if rules is not None and len(rules) != op.arity:
            missing.append(f"{label(op)}: {field} has {len(rules)} rules for {op.arity} operands")
    if not hasattr(Value, op.method):
        missing.append(f"{label(op)}: Value has no method {op.method} (is the entry in OPERATIONS?)")
    if not hasattr(Dual, op.method):
        missing.append(f"{label(op)}: no forward-mode rule: Dual has no method {op.method}")
    return missing


def differentiation_problems(op: Operation) -> list[str]:
    """Value and gradient against the entry's forward, numerical_grad and torch."""
    problems, defined = [], 0
    torch_has_it = hasattr(torch.Tensor, op.method)
    points = POINTS + ((0.0,) if op.arity == 1 and not takes_exponent(op) else ())
    for xs, n in cases(op, points):
        where = f"at {xs}" + ("" if n is None else f", n = {n}")
        leaves = [Value(x) for x in xs]
        try:
            out = apply(op, leaves, n)
            out.backward()
            ours = [v.grad for v in leaves]
            hessian = None if op.local_values is None else [   # (writing_problems names it)
                [h.data for h in grad(g, leaves)] for g in grad(out, leaves, create_graph=True)]
        except UNDEFINED:
            continue  # outside its domain (log(-1), 1/0, ...): checked in test_autograd_*
        except Exception as error:  # noqa: BLE001 - report, do not crash the walk
            problems.append(f"{label(op)}: {where} fails: {type(error).__name__}: {error}")
            continue
        defined += 1
        if (out.op, len(out.inputs)) != (op.name, op.arity):
            problems.append(f"{label(op)}: its code {op.code!r} makes a {out.op!r} node, "
                            "not this entry's")
            continue
        expected = op.forward(*xs, *(() if n is None else (float(n),)))
        if not math.isclose(out.data, expected, rel_tol=1e-12, abs_tol=1e-12):
            problems.append(f"{label(op)}: {where} Value gives {out.data}, forward {expected}")
        if xs.count(0.0) == 0:   # no kink is straddled away from 0
            f = lambda *vs: apply(op, list(vs), n)  # noqa: E731
            numerical = numerical_grad(f, list(xs))
            for i, (g, e) in enumerate(zip(ours, numerical)):
                if not math.isclose(g, e, rel_tol=1e-5, abs_tol=1e-6):
                    problems.append(f"{label(op)}: {where} d/d(operand {i}) = {g}, "
                                    f"numerically {e}")
        if torch_has_it:
            t = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
            t_out = apply(op, t, n)
            t_first = torch.autograd.grad(t_out, t, create_graph=True, allow_unused=True)
            t_first = [torch.zeros((), dtype=torch.float64) if g is None else g for g in t_first]
            for i, (g, e) in enumerate(zip(ours, t_first)):
                if not math.isclose(g, e.item(), rel_tol=1e-9, abs_tol=1e-12):
                    problems.append(f"{label(op)}: {where} d/d(operand {i}) = {g}, torch {e.item()}")
            for i, g in enumerate(t_first if hessian is not None else ()):
                row = ([0.0] * len(t) if not g.requires_grad else
                       [0.0 if h is None else h.item()
                        for h in torch.autograd.grad(g, t, allow_unused=True)])
                for j, (h, e) in enumerate(zip(hessian[i], row)):
                    if not math.isclose(h, e, rel_tol=1e-9, abs_tol=1e-12):
                        problems.append(f"{label(op)}: {where} second derivative d2/d{i}d{j} "
                                        f"= {h}, torch {e}")
    if defined < 3:
        problems.append(f"{label(op)}: defined at only {defined} of the sample points "
                        f"{POINTS}: cannot check its derivatives")
    return problems


def forward_mode_problems(op: Operation) -> list[str]:
    """Dual's rule gives the engine's value and gradient, operand by operand."""
    problems = []
    for xs, n in cases(op):
        leaves = [Value(x) for x in xs]
        try:
            out = apply(op, leaves, n)
            out.backward()
        except UNDEFINED:
            continue
        except Exception:  # noqa: BLE001 - differentiation_problems reports it
            continue
        for i in range(op.arity):
            duals = [Dual(x, 1.0 if k == i else 0.0) for k, x in enumerate(xs)]
            try:
                d = apply(op, duals, n)
            except UNDEFINED:
                continue  # forward mode computes the derivative at once (x ** 0.5 at 0)
            except Exception as error:  # noqa: BLE001
                return [f"{label(op)}: no forward-mode rule: {type(error).__name__}: {error}"]
            if not isinstance(d, Dual):
                return [f"{label(op)}: forward mode returns {type(d).__name__}, not a Dual"]
            if not (math.isclose(d.primal, out.data, rel_tol=1e-12, abs_tol=1e-12)
                    and math.isclose(d.tangent, leaves[i].grad, rel_tol=1e-12, abs_tol=1e-12)):
                problems.append(f"{label(op)}: at {xs} Dual gives ({d.primal}, {d.tangent}), "
                                f"reverse mode ({out.data}, {leaves[i].grad})")
    return problems


def parse_problems(op: Operation) -> list[str]:
    """The explainer parses the entry (name(x) for a function) and builds its node."""
    if op.is_function and not op.parsed:
        return []  # left out of the explainer on purpose
    if op.is_function and op.name not in FUNCTIONS:
        return [f"{label(op)}: the explainer does not accept {op.name}(x)"]
    text = op.code.format(a="x", b="y", x="x", n="3") if not op.is_function else f"{op.name}(x)"
    for xs in itertools.product(POINTS, repeat=op.arity):
        values = dict(zip(("x", "y"), xs))
        try:
            explanation = explain(text, values)
        except ExplainError as error:
            if "math error" in str(error):
                continue
            return [f"{label(op)}: the explainer refuses {text!r}: {error}"]
        root = explanation.root
        if operation_of(root) is not op:
            return [f"{label(op)}: the explainer builds {text!r} as a {root.op!r} node"]
        leaves = [Value(x) for x in xs]
        apply(op, leaves, 3).backward()
        expected = dict(zip(("x", "y"), (v.grad for v in leaves)))
        if explanation.gradients != expected:
            return [f"{label(op)}: the explainer's gradients {explanation.gradients} "
                    f"are not the engine's {expected}"]
        return []
    return [f"{label(op)}: the explainer finds {text!r} undefined at every sample point"]


def rule_sentences(op: Operation) -> list[str]:
    """The local rules as the narration could say them: "dy/dx = sign(x)"."""
    names = ("x", "w")
    sentences = []
    for i, rule in enumerate(op.code_rules or ()):
        if callable(rule):
            rule = rule(3)
        body = rule.format(a="x", b="w", x="x", out="y", n="3", m="2")
        sentences.append(f"dy/d{names[i]} = {body}")
    return sentences


def spoken_problems(op: Operation) -> list[str]:
    """Its words and rules read aloud without a dropped or unreadable token;
    a function's name is said with the entry's words."""
    problems = []
    for text in [op.words or "", *rule_sentences(op)]:
        dropped = untranslated(text)
        bad = unspeakable(spoken_form(text))
        if dropped or bad:
            problems.append(f"{label(op)}: {text!r} is spoken as {spoken_form(text)!r} "
                            f"(dropped {dropped}, unreadable {bad})")
    if op.is_function and op.words and spoken_form(op.name) != spoken_form(op.words):
        problems.append(f"{label(op)}: the narration says {op.name!r} as "
                        f"{spoken_form(op.name)!r}, not its words {op.words!r}")
    return problems


def code_rule_problems(op: Operation) -> list[str]:
    """Each local rule, as code, evaluates to the engine's local derivative."""
    problems = []
    for xs, n in cases(op):
        leaves = [Value(x, name) for x, name in zip(xs, ("x", "w"))]
        try:
            out = apply(op, leaves, n)
            step = out.backward_steps()[0]
        except UNDEFINED:
            continue
        except Exception:  # noqa: BLE001 - differentiation_problems reports it
            continue
        out.label = "y"
        names = graph_names(out)
        namespace = {**CODE_HELPERS, **{names[v]: v.data for v in (*leaves, out)}}
        for i, contribution in enumerate(step.contributions):
            rule = local_rule(out, i, names)
            try:
                got = float(eval(rule, namespace))
            except Exception as error:  # noqa: BLE001
                return [f"{label(op)}: its code rule {rule!r} does not run: {error}"]
            if not math.isclose(got, contribution.local, rel_tol=1e-12, abs_tol=1e-12):
                problems.append(f"{label(op)}: at {xs} its code rule {rule!r} gives {got}, "
                                f"the engine {contribution.local}")
        lines = forward_code(out, names)
        run = {"x": Value(xs[0]), "w": Value(xs[-1])}
        try:
            exec("\n".join(lines), run)
            same = math.isclose(run["y"].data, out.data, rel_tol=1e-12, abs_tol=1e-12)
        except Exception as error:  # noqa: BLE001
            same, lines = False, [*lines, f"{type(error).__name__}: {error}"]
        if len(lines) != 1 or not same:
            problems.append(f"{label(op)}: its generated forward code {lines} does not "
                            "recompute the node")
    return problems


def all_problems(op: Operation) -> list[str]:
    return (writing_problems(op) + differentiation_problems(op) + forward_mode_problems(op)
            + parse_problems(op) + spoken_problems(op) + code_rule_problems(op))


# --------------------------------------------------------------------------
# Every entry
# --------------------------------------------------------------------------

@pytest.mark.parametrize("op", OPERATIONS, ids=label)
def test_every_entry_is_complete_and_differentiated(op):
    problems = all_problems(op)
    assert not problems, "\n".join(problems)


def test_entries_are_distinct_and_found_by_their_nodes():
    keys = [(op.name, op.arity) for op in OPERATIONS]
    assert len(set(keys)) == len(keys), keys
    assert len({op.local for op in OPERATIONS}) == len(OPERATIONS)
    x, y = Value(1.5), Value(0.5)
    assert operation_of(x) is None
    assert operation_of(x ** 2).arity == 1 and operation_of(x ** y).arity == 2
    assert operation_of(-x).name == "-" and operation_of(x - y).arity == 2


def test_the_explainer_and_the_narration_read_the_table():
    functions = [op.name for op in OPERATIONS if op.is_function]
    assert list(FUNCTIONS) == functions and "abs" in functions
    assert spoken_form("tanh(x) and relu") == "tanch of x and rayloo"
    assert spoken_form("abs(x*w + b)") == "absolute value of x times w plus b"


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.is_function], ids=label)
def test_a_function_is_a_value_method_and_a_dual_rule(op):
    x = Value(0.8)
    assert getattr(x, op.name)().op == op.name
    assert op(x).data == getattr(x, op.name)().data == op.forward(0.8)
    d = getattr(Dual(0.8, 1.0), op.name)()
    assert d.tangent == op.derivative(0.8, op.forward(0.8))


# --------------------------------------------------------------------------
# abs: torch's convention at 0, the explainer, forward mode, the drawn rule
# --------------------------------------------------------------------------

@pytest.mark.parametrize("x0", [-2.5, -1e-300, 0.0, -0.0, 1e-300, 3.0])
def test_abs_matches_torch_with_derivative_zero_at_zero(x0):
    x = Value(x0)
    y = abs(x * 3.0) * x            # |3x| x: first and second derivative
    dx = grad(y, x, create_graph=True)
    d2x = grad(dx, x)
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    ty = torch.abs(t * 3.0) * t
    (tdx,) = torch.autograd.grad(ty, t, create_graph=True)
    (td2x,) = torch.autograd.grad(tdx, t)
    assert (y.data, dx.data, d2x.data) == (ty.item(), tdx.item(), td2x.item())
    z = Value(x0)
    abs(z).backward()
    assert z.grad == torch.sign(torch.tensor(x0, dtype=torch.float64)).item()  # 0 at 0


def test_abs_in_the_explainer_and_forward_mode():
    e = explain("abs(x*w + b)", "x=2 w=-1.5 b=0.5")
    assert e.root.op == "abs" and e.root.data == 2.5
    assert e.gradients == {"x": 1.5, "w": -2.0, "b": -1.0}
    assert all(e.agrees(name) for name in e.gradients)
    assert expression_tex(parse_expression("abs(x*w + b)")) == r"\left|x \cdot w + b\right|"
    assert Dual(-2.0, 1.0).abs().tangent == -1.0 and abs(Dual(0.0, 1.0)).tangent == 0.0
    names = graph_names(e.root)
    assert local_rule(e.root, 0, names, tex=True) == r"\operatorname{sign}(t_{2})"
    assert local_rule(e.root, 0, names) == "sign(t2)"
    assert forward_code(e.root, names)[-1] == "f = t2.abs()"


# --------------------------------------------------------------------------
# The walk can fail: broken entries are named with what they lack
# --------------------------------------------------------------------------

ABS = next(op for op in OPERATIONS if op.name == "abs")


def test_missing_fields_are_named():
    broken = ABS._replace(tex=None, code_rules=None, words="", local_values=None)
    problems = writing_problems(broken)
    assert problems == [
        "abs: lacks a TeX symbol for the graph's node (tex)",
        "abs: lacks local rules as code (code_rules)",
        "abs: lacks words for the narration (words)",
        "abs: lacks a Value form of its derivative, for grad(create_graph=True) (local_values)",
    ]


def test_a_wrong_derivative_is_caught_against_numerical_grad_and_torch():
    wrong = function("abs", abs, derivative=lambda x, y: 1.0,
                     derivative_value=lambda x, y: 1.0, tex=ABS.tex, tex_rule="1",
                     code_rule="1", words="absolute value")
    # run through the real method name, so Value.abs must use the broken local
    original = Value.abs
    try:
        Value.abs = lambda self: wrong(self)
        problems = differentiation_problems(wrong)
    finally:
        Value.abs = original
    assert any("numerically" in p for p in problems), problems
    assert any("torch" in p for p in problems), problems
    assert all(p.startswith("abs: ") for p in problems)


def test_an_entry_outside_the_table_has_no_methods_and_is_not_parsed():
    softsign = function("softsign", lambda x: x / (1 + abs(x)),
                        derivative=lambda x, y: 1 / (1 + abs(x)) ** 2,
                        derivative_value=lambda x, y: 1 / (1 + abs(x)) ** 2,
                        tex=r"\mathrm{{softsign}}", tex_rule=r"\frac{{1}}{{(1 + |{x}|)^2}}",
                        code_rule="1 / (1 + abs({x})) ** 2", words="soft sign")
    problems = writing_problems(softsign) + parse_problems(softsign)
    assert problems == [
        "softsign: Value has no method softsign (is the entry in OPERATIONS?)",
        "softsign: no forward-mode rule: Dual has no method softsign",
        "softsign: the explainer does not accept softsign(x)",
    ]
    # ... yet the entry computes and differentiates on its own
    x = Value(1.0)
    y = softsign(x)
    y.backward()
    assert (y.data, x.grad) == (0.5, 0.25)


def test_unspeakable_words_are_named():
    problems = spoken_problems(ABS._replace(words="|x|"))
    assert problems and problems[0].startswith("abs: '|x|' is spoken as")


# --------------------------------------------------------------------------
# Drawn: every TeX string of every entry typesets (manim's Tex, real LaTeX)
# --------------------------------------------------------------------------

def tex_strings(op: Operation) -> list[str]:
    """What the lecture typesets for this entry: the node's symbol, each
    local rule, and for a function the explainer's formula."""
    from src.visualization.graph import op_symbol
    for xs, n in cases(op):
        leaves = [Value(x, name) for x, name in zip(xs, ("x", "w"))]
        try:
            out = apply(op, leaves, n)
        except UNDEFINED:
            continue
        out.label = "y"
        names = graph_names(out)
        strings = [op_symbol(out)]
        strings += [local_rule(out, i, names, tex=True) for i in range(op.arity)]
        if op.is_function and op.parsed:
            strings.append(expression_tex(parse_expression(f"{op.name}(x * w)")))
        return strings
    return []


def test_every_entry_is_drawn():
    from tests.manim_harness import import_manimlib
    mn = import_manimlib()
    problems = []
    for op in OPERATIONS:
        strings = tex_strings(op) if op.tex and op.tex_rules else []
        if not strings:
            problems.append(f"{label(op)}: nothing to draw (tex, tex_rules)")
        for tex in strings:
            try:
                drawn = mn.Tex(tex)
            except Exception as error:  # noqa: BLE001 - LaTeX errors, format errors
                problems.append(f"{label(op)}: {tex!r} does not typeset: "
                                f"{type(error).__name__}: {str(error).strip()[:120]}")
                continue
            if drawn.get_width() <= 0 or not drawn.family_members_with_points():
                problems.append(f"{label(op)}: {tex!r} typesets to nothing")
    assert not problems, "\n".join(problems)
