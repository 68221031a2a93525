"""Explain your own expression: parse it safely and check it (no manim).

The command `python -m src.cli.explain "tanh(x*w + b)" x=2 w=-1.5 b=0.5
[--quality low]` (src/cli/explain.py) uses this module, then renders
videos/explain/<slug>.mp4 (videos/explain/<quality>/ below high quality,
as the scenes) with its captions (<slug>.vtt) beside it:
the expression's graph built operation by operation with the engine's values,
each operation's local rule, the backward pass in reverse topological order
with every chain-rule product in numbers and the backward code in step, and
every leaf's gradient checked against `numerical_grad`.

This module parses and validates; it imports no manim. The expression is
read with Python's `ast` and only a whitelist is accepted (never `eval`):

    names and numbers, + - * / **, unary minus (and plus),
    calls of the engine's functions (`FUNCTIONS`, read from its operation
    table: relu tanh sigmoid exp log sin cos abs), one argument each

Every bad input raises `ExplainError` with a one-line message naming the
problem; the command prints it and exits with status 2 before anything is
rendered, so no video is written. The checks: syntax (with the column),
unknown functions and names, a variable without a value or a value without a
variable, a value that is not a finite number, a math error at those values
(the engine's own message), and an expression too large to stay legible.

Legibility (how the size limit was measured): `ComputationGraph` shrinks a
graph to fit the region the explainer gives it, and the backward code panel
shrinks to fit its box, so every number drawn shrinks as the expression
grows. The limit: every number the video draws (node values, gradients,
the code's digits and value column, the check table) must be at least
`MIN_LABEL_PIXELS` = 9 px tall in a 480p video (the frame's 8 units are 480
px: 60 px per unit, so `MIN_LABEL_HEIGHT` = 0.15 units; 9 px digits are the
size of a 12-13 px font). benchmarks/explain_legibility.py lays out growing
families of expressions exactly as the scene does (both of its arrangements:
graph on top with the code under it, or graph left with the code right; the
more legible one is used) and prints the smallest number in pixels. Measured
(smallest number, 480p): a chain of functions 12.3 px at depth 4, 9.9 at
depth 5, 8.4 at depth 6; a left-deep chain of binary operations 11.5 px at 3
operations, 8.7 at 4; a sum of products 11.0 px at 5 operations, 8.7 at 7; a
balanced tree 11.0 px at 3 operations, 8.8 at 5; shared subexpressions
9.1-8.7 px at 5 operations. Hence a fast structural pre-check here (at most
`MAX_OPERATIONS` = 5 operations, `MAX_DEPTH` = 4 in a row, `MAX_VARIABLES` =
4; no manim needed) and, near the limit, the exact one: the scene lays the
graph out before drawing anything and refuses with `legibility_error` if its
smallest number is below 9 px (`python -m src.cli.explain` prints that message
and exits 2 without a video).
"""
from __future__ import annotations

import ast
import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from src.autograd import OPERATIONS, Value, numerical_grad, operation

__all__ = [
    "FUNCTIONS", "MAX_OPERATIONS", "MAX_DEPTH", "MAX_VARIABLES", "MAX_NAME_LENGTH",
    "MIN_LABEL_PIXELS", "MIN_LABEL_HEIGHT", "GRAPH_WIDTH", "GRAPH_HEIGHT",
    "ExplainError", "Expression", "Explanation",
    "parse_expression", "parse_values", "expression_tex", "explain", "legibility_error", "slug",
]

ROOT = Path(__file__).resolve().parents[2]
SCENE_FILE = ROOT / "explain_expression.py"
SCENE_NAME = "ExplainExpression"
OUTPUT_DIR = ROOT / "videos" / "explain"

# The engine's functions of one Value the explainer accepts as name(x): read
# from its operation table, so a function added there is parsed here too.
FUNCTIONS = tuple(op.name for op in OPERATIONS if op.is_function and op.parsed)

# Size limits (see the module docstring for how they were measured).
MAX_OPERATIONS = 5     # operation nodes in the graph
MAX_DEPTH = 4          # operations on the longest path from a leaf to the output
MAX_VARIABLES = 4      # named leaves
MAX_NAME_LENGTH = 4    # characters of a variable's name (it is drawn inside a circle)
MAX_LENGTH = 200       # characters of the expression

# Readability at 480p: 480 pixels for the frame's 8 units.
PIXELS_PER_UNIT_480P = 480 / 8.0
MIN_LABEL_PIXELS = 9.0
MIN_LABEL_HEIGHT = MIN_LABEL_PIXELS / PIXELS_PER_UNIT_480P   # 0.15 units
# The region the explainer's graph is fitted into (units; the frame is 14.2 x 8).
GRAPH_WIDTH = 13.4
GRAPH_HEIGHT = 3.3

ROOT_NAMES = ("f", "F", "out", "y")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_RESERVED = re.compile(r"^t\d+$")  # graph_names calls intermediate results t1, t2, ...


class ExplainError(ValueError):
    """A bad expression or value: the message is one line for the user."""


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNSUPPORTED = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
    ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
}


@dataclass(frozen=True)
class Expression:
    """A parsed, whitelisted expression and its variables (first use order)."""
    text: str
    tree: ast.Expression
    variables: tuple


def _column(node) -> int:
    return getattr(node, "col_offset", 0) + 1


def _describe(node) -> str:
    kinds = {
        ast.Compare: "a comparison", ast.BoolOp: "'and'/'or'", ast.Attribute: "an attribute (a.b)",
        ast.Subscript: "indexing (a[i])", ast.Lambda: "a lambda", ast.IfExp: "'if ... else'",
        ast.List: "a list", ast.Tuple: "a tuple (a comma)", ast.Dict: "a dict",
        ast.Set: "a set", ast.JoinedStr: "an f-string", ast.NamedExpr: "':='",
        ast.Starred: "'*' unpacking", ast.GeneratorExp: "a generator",
        ast.ListComp: "a list comprehension", ast.Await: "'await'",
    }
    return kinds.get(type(node), f"{type(node).__name__}")


def parse_expression(text: str) -> Expression:
    """Parse `text` into a whitelisted expression, or raise ExplainError."""
    if not isinstance(text, str) or not text.strip():
        raise ExplainError("empty expression: type a formula such as \"tanh(x*w + b)\"")
    if len(text) > MAX_LENGTH:
        raise ExplainError(f"expression too long: {len(text)} characters (at most {MAX_LENGTH})")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        column = error.offset or 0
        reason = (error.msg or "invalid syntax").split(" (")[0]
        raise ExplainError(f"syntax error at column {column}: {reason}: {source}") from None
    variables = []
    _check(tree.body, variables)
    if not variables:
        raise ExplainError("the expression has no variables: nothing to differentiate")
    if isinstance(tree.body, ast.Name):
        raise ExplainError(f"the expression is just the variable {tree.body.id}: "
                           "it has no operation to explain")
    return Expression(source, tree, tuple(variables))


def _check(node, variables: list) -> None:
    """Raise ExplainError for anything outside the whitelist."""
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            symbol = _UNSUPPORTED.get(type(node.op), type(node.op).__name__)
            raise ExplainError(f"unsupported operator {symbol} at column {_column(node)}; "
                               "use + - * / **")
        _check(node.left, variables)
        _check(node.right, variables)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExplainError(f"unsupported operator {type(node.op).__name__} at column "
                               f"{_column(node)}; only unary minus is allowed")
        _check(node.operand, variables)
    elif isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name):
            raise ExplainError(f"unsupported call at column {_column(node)}: call a function "
                               f"by its name ({', '.join(FUNCTIONS)})")
        if func.id not in FUNCTIONS:
            raise ExplainError(f"unknown function {func.id}() at column {_column(func)}; "
                               f"known functions: {', '.join(FUNCTIONS)}")
        if node.keywords or len(node.args) != 1:
            raise ExplainError(f"{func.id}() at column {_column(func)} takes exactly one "
                               f"argument, got {len(node.args) + len(node.keywords)}")
        _check(node.args[0], variables)
    elif isinstance(node, ast.Name):
        name = node.id
        if name in FUNCTIONS:
            raise ExplainError(f"{name} at column {_column(node)} is a function: "
                               f"write {name}(...)")
        if not _NAME.match(name):
            raise ExplainError(f"unsupported name {name!r} at column {_column(node)}: "
                               "use letters and digits, starting with a letter")
        if len(name) > MAX_NAME_LENGTH:
            raise ExplainError(f"the name {name} at column {_column(node)} is too long to fit "
                               f"in its node: at most {MAX_NAME_LENGTH} characters")
        if _RESERVED.match(name):
            raise ExplainError(f"the name {name} at column {_column(node)} is reserved for "
                               "intermediate results (t1, t2, ...): pick another name")
        if name not in variables:
            variables.append(name)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExplainError(f"unsupported constant {value!r} at column {_column(node)}: "
                               "only numbers are allowed")
        if not math.isfinite(float(value)):
            raise ExplainError(f"the number at column {_column(node)} is not finite")
    else:
        raise ExplainError(f"unsupported syntax at column {_column(node)}: {_describe(node)}; "
                           "use names, numbers, + - * / ** and "
                           f"{', '.join(FUNCTIONS)}")


def parse_values(items) -> dict:
    """"x=2" items (or one "x=2 w=-1.5" string, or a mapping) -> {name: float}."""
    if isinstance(items, dict):
        pairs = [(str(k), v) for k, v in items.items()]
    else:
        if isinstance(items, str):
            items = items.split()
        pairs = []
        for item in items:
            for part in str(item).replace(",", " ").split():
                name, sep, number = part.partition("=")
                if not sep or not name.strip():
                    raise ExplainError(f"expected name=number, got {part!r}")
                pairs.append((name.strip(), number.strip()))
    values = {}
    for name, number in pairs:
        if name in values:
            raise ExplainError(f"{name} is given twice")
        values[name] = _number(name, number)
    return values


def _number(name: str, number) -> float:
    if isinstance(number, bool):
        raise ExplainError(f"the value of {name} is not a number: {number!r}")
    if isinstance(number, (int, float)):
        x = float(number)
    else:
        try:
            x = float(str(number))
        except ValueError:
            raise ExplainError(f"the value of {name} is not a number: {number!r}") from None
    if not math.isfinite(x):
        raise ExplainError(f"the value of {name} is not a finite number: {number!r}")
    return x


# --------------------------------------------------------------------------
# The expression as TeX (for the formula on screen)
# --------------------------------------------------------------------------

_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}


def expression_tex(expression: Expression) -> str:
    """The expression typeset: a/b as a fraction, ** as a superscript."""
    from src.lesson.graph_text import tex_name
    return _tex(expression.tree.body, tex_name)


def _tex(node, tex_name, parent: int = 0, right: bool = False) -> str:
    if isinstance(node, ast.Constant):
        text = repr(node.value) if isinstance(node.value, float) else str(node.value)
        return text
    if isinstance(node, ast.Name):
        return tex_name(node.id)
    if isinstance(node, ast.Call):
        op, argument = operation(node.func.id), _tex(node.args[0], tex_name)
        if op.tex_call is not None:  # |x| rather than a symbol and brackets
            return op.tex_call.format(x=argument)
        return rf"{op.tex.format()}\left({argument}\right)"
    if isinstance(node, ast.UnaryOp):
        inner = _tex(node.operand, tex_name, 3)
        text = ("-" if isinstance(node.op, ast.USub) else "+") + inner
        return rf"\left({text}\right)" if parent >= 2 or right else text
    op = type(node.op)
    prec = _PRECEDENCE[op]
    if op is ast.Div:
        text = rf"\frac{{{_tex(node.left, tex_name)}}}{{{_tex(node.right, tex_name)}}}"
        return text
    if op is ast.Pow:
        base = _tex(node.left, tex_name, 5)
        text = rf"{{{base}}}^{{{_tex(node.right, tex_name)}}}"
    else:
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: r"\cdot"}[op]
        left = _tex(node.left, tex_name, prec)
        # a - (b + c) and a * (b * c) keep their brackets on the right
        rhs = _tex(node.right, tex_name, prec + (op is not ast.Add), right=True)
        text = f"{left} {symbol} {rhs}"
    needs = prec < parent or (prec == parent and right and op is not ast.Pow) or (
        op is ast.Pow and parent == 5)
    return rf"\left({text}\right)" if needs else text


# --------------------------------------------------------------------------
# Building the graph with the engine
# --------------------------------------------------------------------------

def _evaluate(node, leaves: dict):
    """The expression with the engine: a Value, or a float for a bare constant."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, leaves)
        if isinstance(node.op, ast.UAdd):
            return operand
        return -operand  # a negative literal stays a number; -Value is a node
    if isinstance(node, ast.Call):
        operand = _evaluate(node.args[0], leaves)
        if not isinstance(operand, Value):
            operand = Value(operand)
        return getattr(operand, node.func.id)()
    left, right = _evaluate(node.left, leaves), _evaluate(node.right, leaves)
    if not isinstance(left, Value) and (not isinstance(right, Value) or
                                        isinstance(node.op, ast.Pow)):
        left = Value(left)  # number (op) number: still a node of the graph
    op = type(node.op)
    if op is ast.Add:
        return left + right
    if op is ast.Sub:
        return left - right
    if op is ast.Mult:
        return left * right
    if op is ast.Div:
        return left / right
    return left ** right


@dataclass
class Explanation:
    """An expression built by the engine at the user's values.

    `root` is the output Value (labelled `root_name`), `leaves` the named
    leaves in order of first use, `steps` the engine's backward pass,
    `gradients` the engine's d root / d leaf, `numerical` the central
    differences of `numerical_grad` for the same leaves.
    """
    expression: Expression
    values: dict
    root: Value
    leaves: dict
    steps: list
    gradients: dict
    numerical: dict
    root_name: str
    operations: int = 0
    depth: int = 0
    notes: list = field(default_factory=list)

    def function(self):
        """f(*leaf Values) -> the expression's Value (for numerical_grad)."""
        names = list(self.leaves)
        tree = self.expression.tree.body
        return lambda *vs: _evaluate(tree, dict(zip(names, vs)))

    def agrees(self, name: str, rel: float = 1e-4, abs_: float = 1e-5) -> bool:
        """Does the numerical estimate confirm the engine's gradient of `name`?"""
        return math.isclose(self.gradients[name], self.numerical[name], rel_tol=rel, abs_tol=abs_)


def _depth(root: Value) -> int:
    depth = {}
    for node in root.topological_order():
        depth[node] = 0 if node.is_leaf else 1 + max(depth[v] for v in node.inputs)
    return depth[root]


def explain(expression, values) -> Explanation:
    """Parse (if needed), check and build `expression` at `values`.

    Raises ExplainError with a one-line message for every bad input.
    """
    if not isinstance(expression, Expression):
        expression = parse_expression(expression)
    values = parse_values(values)
    missing = [v for v in expression.variables if v not in values]
    if missing:
        raise ExplainError(
            f"{missing[0]} has no value: add {missing[0]}=<number>"
            + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""))
    extra = [v for v in values if v not in expression.variables]
    if extra:
        raise ExplainError(f"{extra[0]}={values[extra[0]]:g} is given but {extra[0]} does not "
                           "appear in the expression")
    if len(expression.variables) > MAX_VARIABLES:
        raise ExplainError(_too_large(f"{len(expression.variables)} variables",
                                      f"{MAX_VARIABLES} variables"))
    leaves = {name: Value(values[name], name) for name in expression.variables}
    try:
        root = _evaluate(expression.tree.body, leaves)
        steps = root.backward_steps()
        gradients = _gradients(root, leaves)
        numerical = dict(zip(leaves, numerical_grad(
            lambda *vs: _evaluate(expression.tree.body, dict(zip(leaves, vs))),
            list(leaves.values()))))
    except (ArithmeticError, ValueError) as error:
        where = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise ExplainError(f"math error at {where}: {error}") from None
    if root.is_leaf:  # "+x": no operation ran
        raise ExplainError("the expression is just a variable: it has no operation to explain")
    bad = [k for k, v in numerical.items() if not math.isfinite(v)]
    if bad:
        raise ExplainError(f"math error: the numerical check of d/d{bad[0]} is not finite "
                           "at these values (the expression is undefined right next to them)")
    operations = sum(1 for v in root.topological_order() if not v.is_leaf)
    depth = _depth(root)
    if operations > MAX_OPERATIONS:
        raise ExplainError(_too_large(f"{operations} operations",
                                      f"{MAX_OPERATIONS} operations"))
    if depth > MAX_DEPTH:
        raise ExplainError(_too_large(f"{depth} operations in a row",
                                      f"{MAX_DEPTH} in a row"))
    used = {n.label for n in root.topological_order() if n.label}
    root_name = next(n for n in ROOT_NAMES if n not in used)
    root.label = root_name
    return Explanation(expression, values, root, leaves, steps, gradients, numerical,
                       root_name, operations, depth)


def _gradients(root: Value, leaves: dict) -> dict:
    """d root / d leaf from the engine's backward(); .grad is reset after."""
    root.zero_grad()
    root.backward()
    grads = {name: leaf.grad for name, leaf in leaves.items()}
    root.zero_grad()
    return grads


def _too_large(what: str, limit: str) -> str:
    return (f"expression too large to stay legible: {what}, at most {limit} "
            f"(node labels would fall below {MIN_LABEL_PIXELS:g} px at 480p)")


def legibility_error(smallest_label_height: float) -> str | None:
    """The refusal for a layout whose smallest number label is too small, else None."""
    if smallest_label_height + 1e-9 >= MIN_LABEL_HEIGHT:
        return None
    pixels = smallest_label_height * PIXELS_PER_UNIT_480P
    return (f"expression too large to stay legible: its smallest number label would be "
            f"{pixels:.1f} px tall at 480p, below the {MIN_LABEL_PIXELS:g} px minimum; "
            "split it into smaller parts")


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

_SLUG_WORDS = {"**": "pow", "*": "mul", "/": "div", "+": "plus", "-": "minus"}


def slug(expression: str, values: dict) -> str:
    """A file name for the video: readable, and different for other inputs."""
    text = expression
    for symbol, word in _SLUG_WORDS.items():
        text = text.replace(symbol, f" {word} ")
    words = re.findall(r"[A-Za-z0-9.]+", text)
    head = "-".join(words)[:60].strip("-") or "expression"
    tail = "_".join(f"{k}{format(v, 'g')}" for k, v in values.items())
    name = f"{head}__{tail}"
    if len(name) > 100:
        digest = hashlib.sha1(f"{expression}|{values}".encode()).hexdigest()[:8]
        name = f"{name[:90]}-{digest}"
    return name


def scene_environment(explanation: Explanation, error_file: str | None = None) -> dict:
    """What explain_expression.py reads to build the requested scene."""
    env = {
        "EXPLAIN_EXPRESSION": explanation.expression.text,
        "EXPLAIN_VALUES": " ".join(f"{k}={v!r}" for k, v in explanation.values.items()),
    }
    if error_file:
        env["EXPLAIN_ERROR_FILE"] = error_file
    return env
