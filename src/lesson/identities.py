"""Arithmetic drawn on screen that is true at the precision it is drawn.

A scene that writes each number of "df/dx = 1 + (-0.000321) = 1" rounded on
its own draws an equation a viewer can check and find false. Wherever the
lecture draws an arithmetic identity (a sum, a product, an update
w - eta*g, a finite difference, one entry of a matrix product), it asks
here for the operands and the result *together*:

    shown = shown_identity("a + b", [1.0, -0.000321], 0.999679)
    shown.operands, shown.result    # ("1", "-0.000321"), "0.999679"
    shown.relation                  # "=" (or "approx" when no digits can make it "=")
    identity_problem(shown.formula, shown.operands, shown.result)   # None: it holds

What "true at the shown precision" means (`identity_problem`): evaluate the
formula exactly on the operands *as drawn* (R). Then
  * a sum or difference (the formula's last step adds or subtracts; its
    exact value has as many decimals as its operands) must show R exactly:
    "1 + (-0.000321) = 0.999679", never "= 1";
  * anything else (products, quotients, functions) must show R correctly
    rounded at the result's last digit, with at least MIN_DIGITS significant
    digits unless it is exact: "(1.23)(4.57) = 5.62" (R = 5.6211), not 5.64,
    and "(0.3333)(3) = 1.00", not "1"; never an exact tie
    ("(2.11)(-0.5) = -1.05": half up or half to even, a reader may differ).
  * "approx" promises only the rounding.
To satisfy that, `shown_identity` gives the operands more significant digits
(3, 4, ...) until the engine's result, shown as such, agrees with them; the
terms of a plain sum are rounded to one decimal place instead, fine enough
for each to keep 3 significant digits ("(-39.6) + 98765.4 = 98725.8").

Numbers are plain text like `format_number`'s ("1.23e5", "-0.5"); trailing
zeros are kept where they carry precision ("1.00"). `parse_number` also
reads the TeX the kit draws ("(-1.5)", "1.23\\mathrm{e}5", "1.23 \\times
10^{5}"). No manim here.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from src.lesson.graph_text import format_number

__all__ = [
    "MIN_DIGITS", "MAX_DIGITS", "APPROX", "ShownIdentity", "significant", "parse_number",
    "evaluate", "identity_problem", "shown_identity", "shown_matrix_product", "is_additive",
    "is_plain_sum", "joined", "ShownNumber", "said_numbers",
    "said_product",
]

MIN_DIGITS = 3    # a rounded result shows at least this many significant digits
MAX_DIGITS = 15   # ... and no number more (a double holds 15-17)
APPROX = "approx"  # relation of an identity that holds only after rounding
NAMES = "abcdefghijklmnopqrstuvwxyz"
_FUNCTIONS = {
    "tanh": math.tanh, "exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos,
    "sqrt": math.sqrt, "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
    "relu": lambda v: max(v, 0.0), "abs": abs,
}


@dataclass(frozen=True)
class ShownIdentity:
    """`formula` (over operands a, b, c, ...) of `operands` gives `result`,
    each a number as drawn (plain text). `relation` is "=" or APPROX;
    `exact`: the result is shown exactly (a drawn sum), else rounded (a
    product, or a matrix entry whose sum of products is not drawn)."""
    formula: str
    operands: tuple
    result: str
    relation: str = "="
    exact: bool = False

    def problem(self) -> str | None:
        return identity_problem(self.formula, self.operands, self.result, self.relation,
                                self.exact)

    def holds(self) -> bool:
        return self.problem() is None


class ShownNumber(float):
    """An engine number with the digits it is drawn with (`.text`). A
    sentence that states a drawn identity passes these to say(), so the
    caption and the voice give the same digits as the picture ("1 plus
    minus 0.000321 is 0.999679", never "... is 1")."""
    text: str

    def __new__(cls, value: float, text: str):
        number = super().__new__(cls, value)
        number.text = text
        return number


def said_numbers(shown: ShownIdentity, operands, result) -> tuple:
    """The operands and result of a drawn identity as ShownNumbers."""
    return (*(ShownNumber(x, t) for x, t in zip(operands, shown.operands)),
            ShownNumber(result, shown.result))


def said_product(factors, result) -> tuple:
    """The factors and result of a drawn product (the digits the kit's
    product rows draw) as ShownNumbers, for a sentence that says it."""
    return said_numbers(shown_identity(joined("*", len(factors)), factors, result),
                        factors, result)


def joined(operator: str, count: int) -> str:
    """"a + b + c" (operator "+", count 3): a formula over `count` operands."""
    return f" {operator} ".join(NAMES[:count])


# --------------------------------------------------------------------------
# Numbers as text
# --------------------------------------------------------------------------

# x to `digits` significant digits as every label shows numbers ("1.23e5"
# style past 1e`digits` and under 1e-4); keep_zeros=True keeps "1.00"
significant = format_number


_TEX_TIMES = re.compile(r"^(?P<m>[^\\]*?)\s*\\times\s*10\^\{?(?P<e>[-+]?\d+)\}?$")


def _clean(text: str) -> str:
    """A drawn number's text without brackets, spacing, TeX furniture."""
    t = text.strip().replace("\u2212", "-").replace("{", "").replace("}", "")
    t = t.replace(r"\mathrm", "").replace(r"\,", "").replace(" ", "")
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1]
    return t[1:] if t.startswith("+") else t


def parse_number(text: str) -> tuple:
    """(value, unit) of a drawn number: its exact value as a Fraction and the
    value of one unit in its last digit ("0.50" -> (1/2, 1/100))."""
    original = text
    match = _TEX_TIMES.match(text.strip())
    if match:
        text = f"{match.group('m')}e{match.group('e')}"
    t = _clean(text)
    found = re.fullmatch(r"(-?)(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?", t)
    if not found or not (found.group(2) or found.group(3)):
        raise ValueError(f"not a drawn number: {original!r}")
    sign, whole, decimals, exponent = found.groups()
    decimals = decimals or ""
    shift = int(exponent or 0) - len(decimals)
    digits = int((whole or "0") + decimals)
    value = Fraction(digits) * Fraction(10) ** shift
    return (-value if sign else value), Fraction(10) ** shift


def significant_digits(text: str) -> int:
    """How many significant digits a drawn number shows ("0.0500" -> 3)."""
    t = _clean(text)
    match = _TEX_TIMES.match(text.strip())
    if match:
        t = _clean(match.group("m"))
    mantissa = re.split(r"e", t)[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa)


def _exact_text(value: Fraction) -> str | None:
    """A finite decimal as plain text with all its digits (None if the
    decimal does not end, or needs more than MAX_DIGITS)."""
    if value == 0:
        return "0"
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    places = max(twos, fives)
    digits = str(abs(value.numerator) * 10 ** places // value.denominator)
    sign = "-" if value < 0 else ""
    stripped = digits.rstrip("0")
    exponent = len(digits) - 1 - places  # of the leading digit
    if len(stripped) > MAX_DIGITS:
        return None
    if -4 <= exponent < max(len(stripped), MIN_DIGITS):  # as %g would
        if places == 0:
            return sign + digits
        digits = digits.rjust(places + 1, "0")
        return sign + (digits[:-places] + "." + digits[-places:]).rstrip("0").rstrip(".")
    mantissa = stripped[0] + ("." + stripped[1:] if len(stripped) > 1 else "")
    return f"{sign}{mantissa}e{exponent}"


# --------------------------------------------------------------------------
# Evaluating a formula on drawn numbers
# --------------------------------------------------------------------------

def evaluate(formula: str, values):
    """`formula` with a, b, c, ... = `values` (Fractions stay exact; a
    function or a fractional power makes it a float)."""
    tree = ast.parse(formula, mode="eval").body
    return _eval(tree, list(values))


def _eval(node, values):
    if isinstance(node, ast.Name):
        return values[NAMES.index(node.id)]
    if isinstance(node, ast.Constant):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, values)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.Pow):
            if isinstance(right, Fraction) and right.denominator == 1 and isinstance(left, Fraction):
                return left ** int(right)
            return float(left) ** float(right)
    if isinstance(node, ast.Call):
        return _FUNCTIONS[node.func.id](float(_eval(node.args[0], values)))
    raise ValueError(f"cannot evaluate {ast.dump(node)}")


def is_plain_sum(formula: str) -> bool:
    """Only names added and subtracted ("a + b - c")?"""
    def plain(node) -> bool:
        if isinstance(node, ast.Name):
            return True
        if isinstance(node, ast.UnaryOp):
            return plain(node.operand)
        return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and \
            plain(node.left) and plain(node.right)
    return plain(ast.parse(formula, mode="eval").body)


def is_additive(formula: str) -> bool:
    """Does the formula's last step add, subtract or negate (a sum, w - eta*g)?"""
    tree = ast.parse(formula, mode="eval").body
    return (isinstance(tree, ast.BinOp) and isinstance(tree.op, (ast.Add, ast.Sub))) or \
        isinstance(tree, ast.UnaryOp)


def identity_problem(formula: str, operands, result: str, relation: str = "=",
                     exact: bool | None = None) -> str | None:
    """Why `formula`(operands) `relation` result, all as drawn, reads false
    (None when it holds at the shown precision; see the module docstring).
    `exact` (default: the formula is additive) asks for the exact value."""
    exact = is_additive(formula) if exact is None else exact
    values = [parse_number(s)[0] for s in operands]
    try:
        value = evaluate(formula, values)
    except ZeroDivisionError:
        return f"{formula} divides by zero with {list(operands)}"
    shown, unit = parse_number(result)
    if isinstance(value, Fraction):
        gap, slack = abs(value - shown), Fraction(0)
    else:
        gap = abs(Fraction(value) - shown)
        slack = Fraction(1e-9) * max(abs(Fraction(value)), abs(shown), Fraction(1, 10 ** 12))
    said = f"{formula} with {', '.join(operands)} is {float(value):.15g}"
    if relation == "=" and exact and isinstance(value, Fraction):
        return None if gap <= slack else f"{said}, shown as {result} (a sum is shown exactly)"
    if gap > unit / 2 + slack:
        return f"{said}, which does not round to {result}"
    if relation == "=" and isinstance(value, Fraction) and gap == unit / 2:
        # a tie (2.11 * (-0.5) = -1.055): a viewer rounding half up reads
        # -1.06, half to even -1.05; more digits settle it for both
        return f"{said}, halfway between two roundings of {result}"
    if relation == "=" and gap > slack and significant_digits(result) < MIN_DIGITS:
        return f"{said}, shown as {result}: fewer than {MIN_DIGITS} significant digits"
    return None


# --------------------------------------------------------------------------
# Choosing the digits
# --------------------------------------------------------------------------

def shown_identity(formula: str, operands, result: float, digits: int = MIN_DIGITS,
                   result_digits: int | None = None) -> ShownIdentity:
    """The operands and the engine's `result` of `formula` as text, with
    just enough digits (at least `digits` for operands, `result_digits` for
    the result) that the drawn identity holds."""
    operands, result = [float(x) for x in operands], float(result)
    result_digits = result_digits or digits
    if is_plain_sum(formula):
        shown = _plain_sum(formula, operands, result, digits)
        if shown is not None:
            return shown
    for d in range(digits, MAX_DIGITS + 1):
        shown = tuple(significant(x, d) for x in operands)
        # a result at or near a rounding midpoint is settled by more digits of its own
        text = next((t for rd in range(result_digits, max(d, result_digits) + 1)
                     if (t := _result_text(formula, shown, result, rd)) is not None), None)
        if text is not None:
            return ShownIdentity(formula, shown, text, exact=is_additive(formula))
    return _fallback(formula, operands, result, digits, result_digits)


def _plain_sum(formula, operands, result: float, digits: int) -> ShownIdentity | None:
    """Every term rounded to one decimal place, the finest any term needs
    for `digits` significant digits (and finer while the exact sum of the
    drawn terms is not the engine's result at that place)."""
    places = [_place(x, digits) for x in (*operands, result) if abs(x) >= 5e-13]
    if not places:  # nothing but zeros
        return ShownIdentity(formula, tuple("0" for _ in operands), "0", exact=True)
    places = [_place(x, digits) for x in operands if abs(x) >= 5e-13] or places
    for place in range(min(places), min(places) - MAX_DIGITS, -1):
        unit = Fraction(10) ** place
        shown = tuple(_exact_text(_round_to(x, unit)) for x in operands)
        if None in shown:
            return None  # more digits than MAX_DIGITS: let the caller decide
        value = evaluate(formula, [parse_number(t)[0] for t in shown])
        text = _exact_text(value)
        if text is None:
            return None
        if abs(value - Fraction(result)) <= unit / 2:
            return ShownIdentity(formula, shown, text, exact=True)
    return None


def _place(x: float, digits: int) -> int:
    """The decimal place (10**place) of x's `digits`-th significant digit."""
    return math.floor(math.log10(abs(x))) - digits + 1


def _round_to(x: float, unit: Fraction) -> Fraction:
    """x rounded to a multiple of unit (half away from zero, on its decimal)."""
    exact = Fraction(repr(float(x)))
    steps = exact / unit
    whole = math.floor(abs(steps) + Fraction(1, 2))
    return (whole if steps >= 0 else -whole) * unit


def _result_text(formula, shown, result: float, digits: int) -> str | None:
    """The result as text so that formula(shown) = it holds, if the engine's
    result allows it at these operands."""
    if is_additive(formula):
        value = evaluate(formula, [parse_number(s)[0] for s in shown])
        text = _exact_text(value) if isinstance(value, Fraction) else None
        if text is not None and abs(value - Fraction(result)) <= parse_number(text)[1] / 2:
            return text  # the exact sum, and the engine's result to its last digit
        if text is not None or isinstance(value, Fraction):
            return None
    for keep in (False, True):
        text = significant(result, digits, keep_zeros=keep)
        if identity_problem(formula, shown, text) is None:
            return text
    return None


def _fallback(formula, operands, result, digits, result_digits) -> ShownIdentity:
    """No number of digits makes the engine's result agree (a float sum such
    as 1/3 + 1/3 + 1/3 = 1): show the drawn operands' own result, as close
    to the engine's as it gets, or failing that, "approx"."""
    for d in range(digits, MAX_DIGITS + 1):
        shown = tuple(significant(x, d) for x in operands)
        value = evaluate(formula, [parse_number(s)[0] for s in shown])
        if is_additive(formula) and isinstance(value, Fraction):
            text = _exact_text(value)
            if text is not None and significant(float(value), result_digits) == \
                    significant(result, result_digits):
                return ShownIdentity(formula, shown, text, exact=True)
        elif significant(float(value), result_digits) == significant(result, result_digits):
            for keep in (False, True):
                text = significant(float(value), result_digits, keep_zeros=keep)
                if identity_problem(formula, shown, text) is None:
                    return ShownIdentity(formula, shown, text)
    # approx: the engine's own result, with operands whose digits round to it
    for d in range(digits, MAX_DIGITS + 1):
        engine = ShownIdentity(formula, tuple(significant(x, d) for x in operands),
                               significant(result, result_digits), APPROX,
                               exact=is_additive(formula))
        if engine.holds():
            return engine
    shown = tuple(significant(x, digits) for x in operands)  # else what they give
    value = float(evaluate(formula, [parse_number(s)[0] for s in shown]))
    return ShownIdentity(formula, shown, significant(value, result_digits), APPROX,
                         exact=is_additive(formula))


def shown_matrix_product(a, b, c, digits: int = MIN_DIGITS, elementwise: bool = False):
    """Text for the entries of a (m x k) . b (k x n) = c, or of the
    elementwise product a (.) b = c, with one number of digits for a's and
    b's entries such that every entry of c holds as drawn.

    Returns (a_text, b_text, c_text, identities), lists of rows of text and
    one ShownIdentity per entry of c."""
    a, b, c = ([[float(x) for x in row] for row in m] for m in (a, b, c))
    for d in range(digits, MAX_DIGITS + 1):
        a_text = [[significant(x, d) for x in row] for row in a]
        b_text = [[significant(x, d) for x in row] for row in b]
        found = _matrix_identities(a_text, b_text, c, (digits, d), elementwise)
        if found is not None:
            c_text, identities = found
            return a_text, b_text, c_text, identities
    c_text, identities = [], []
    for i, row in enumerate(c):
        c_text.append([])
        for j, value in enumerate(row):
            formula, operands = _entry(a_text, b_text, i, j, elementwise)
            text = significant(float(evaluate(formula, [parse_number(s)[0] for s in operands])),
                               digits, keep_zeros=True)
            c_text[-1].append(text)
            identities.append(ShownIdentity(formula, operands, text))
    return a_text, b_text, c_text, identities


def _entry(a_text, b_text, i, j, elementwise):
    if elementwise:
        return "a*b", (a_text[i][j], b_text[i][j])
    k = len(b_text)
    operands = tuple(x for t in range(k) for x in (a_text[i][t], b_text[t][j]))
    formula = " + ".join(f"{NAMES[2 * t]}*{NAMES[2 * t + 1]}" for t in range(k))
    return formula, operands


def _matrix_identities(a_text, b_text, c, digits, elementwise):
    """Each entry of c to digits[0] significant digits, or digits[1] if it
    sits near a rounding midpoint; None if some entry cannot hold."""
    c_text, identities = [], []
    for i, row in enumerate(c):
        c_text.append([])
        for j, value in enumerate(row):
            formula, operands = _entry(a_text, b_text, i, j, elementwise)
            # an entry is rounded: its sum of products is not drawn
            candidates = (ShownIdentity(formula, operands, significant(value, d, keep), "=")
                          for d in dict.fromkeys(digits) for keep in (False, True))
            shown = next((c for c in candidates if c.holds()), None)
            if shown is None:
                return None
            c_text[-1].append(shown.result)
            identities.append(shown)
    return c_text, identities
