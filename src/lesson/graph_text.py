"""Words and formulas for a `Value` graph: names, local rules, code lines.

The scenes print three kinds of text about a graph: what each node is called,
what its local derivative rule is ("d h1 / d x = w"), and the Python a learner
would write for the forward and backward pass. All of it is derived here from
the graph the engine built, so a different expression gets different text.
No manim here: these are plain strings, tested on their own.
"""

from __future__ import annotations

import re

from src.autograd import Value

__all__ = [
    "format_number", "tex_number", "tex_name", "graph_names",
    "local_rule", "forward_code", "backward_code",
]


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

def format_number(x: float, digits: int = 3) -> str:
    """Readable plain text: 3 significant digits, never "-0"."""
    if x == 0 or abs(x) < 5e-13:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def code_number(x: float) -> str:
    """A number as Python source that evaluates back to exactly x."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def tex_number(x: float, digits: int = 3) -> str:
    """The same number as LaTeX (a real minus sign, x10^n for big/small)."""
    text = format_number(x, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{exponent}}}"
    return text


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

_NAME_WITH_INDEX = re.compile(r"^([A-Za-z]+)_?(\d+)$")


def tex_name(name: str) -> str:
    """"h1" -> "h_{1}", "w" -> "w"; anything else is set upright."""
    match = _NAME_WITH_INDEX.match(name)
    if match:
        return rf"{match.group(1)}_{{{match.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", name):
        return name
    if re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", name):
        return tex_number(float(name))
    return rf"\mathrm{{{name}}}"


def graph_names(root: Value) -> dict:
    """A name for every node of the graph, in topological order.

    A node's label if it has one; a constant leaf is called by its number
    (exactly, as Python would read it back);
    an unlabeled intermediate node gets "t1", "t2", ... in forward order.
    """
    names = {}
    counter = 0
    for node in root.topological_order():
        if node.label:
            names[node] = node.label
        elif node.is_leaf:
            names[node] = code_number(node.data)
        else:
            counter += 1
            names[node] = f"t{counter}"
    return names


# --------------------------------------------------------------------------
# Local derivative rules, symbolically
# --------------------------------------------------------------------------

def _operand(name: str) -> str:
    """Bracket a negative literal so `-1.5 ** 2` cannot be misread."""
    return f"({name})" if name.startswith("-") else name


def _is_constant(node: Value) -> bool:
    """An unlabelled leaf: a literal number written into the expression."""
    return node.is_leaf and not node.label


def _is_sum(formula: str) -> bool:
    """True if the formula has a + or - outside all brackets."""
    while True:
        inner = re.sub(r"\([^()]*\)", "", formula)
        if inner == formula:
            return bool(re.search(r"\s[-+]\s", formula))
        formula = inner


def _power_rule(n: float, x: str, tex: bool) -> str:
    number = tex_number if tex else code_number
    n_text = number(n)
    if n == 0:
        return "0"  # x**0 is constant
    if n == 1:
        return "1"
    if n == 2:
        return f"2 {x}" if tex else f"2 * {x}"
    m_text = number(n - 1)
    return f"{n_text} {x}^{{{m_text}}}" if tex else f"{n_text} * {x} ** {m_text}"


def local_rule(node: Value, index: int, names: dict, tex: bool = False) -> str:
    """The formula for d(node)/d(node.inputs[index]), in operand names.

    `tex=False` gives Python (for the code panel), `tex=True` LaTeX (for the
    captions). The numbers come from the engine; this is only the formula.
    """
    inputs = node.inputs
    if not inputs:
        raise ValueError("a leaf has no local derivative rule")
    name = (lambda v: _operand(tex_name(names[v]))) if tex else (lambda v: _operand(names[v]))
    x = name(inputs[index])
    out = name(node)
    op = node.op
    if op == "+":
        return "1"
    if op == "-":
        return "-1" if len(inputs) == 1 or index == 1 else "1"
    if op == "*":
        return name(inputs[1 - index])
    if op == "/":
        a, b = name(inputs[0]), name(inputs[1])
        if index == 0:
            return rf"\frac{{1}}{{{b}}}" if tex else f"1 / {b}"
        return rf"-\frac{{{a}}}{{{b}^2}}" if tex else f"-{a} / {b} ** 2"
    if op == "**":
        if node.exponent is not None:
            return _power_rule(node.exponent, x, tex)
        base, exp = name(inputs[0]), name(inputs[1])
        if index == 0:
            return rf"{exp}\,{base}^{{{exp} - 1}}" if tex else f"{exp} * {base} ** ({exp} - 1)"
        return rf"{out} \ln {base}" if tex else f"{out} * log({base})"
    rules = {
        "relu": (r"[{x} > 0]", "({x} > 0)"),
        "tanh": (r"1 - {out}^2", "1 - {out} ** 2"),
        "sigmoid": (r"{out}(1 - {out})", "{out} * (1 - {out})"),
        "exp": (r"{out}", "{out}"),
        "log": (r"\frac{{1}}{{{x}}}", "1 / {x}"),
        "sin": (r"\cos {x}", "cos({x})"),
        "cos": (r"-\sin {x}", "-sin({x})"),
    }
    if op not in rules:
        raise ValueError(f"no local rule known for operation {op!r}")
    template = rules[op][0 if tex else 1]
    return template.format(x=x, out=out)


# --------------------------------------------------------------------------
# Code lines
# --------------------------------------------------------------------------

_METHODS = ("relu", "tanh", "sigmoid", "exp", "log", "sin", "cos")


def _expression(node: Value, names: dict) -> str:
    args = [_operand(names[v]) for v in node.inputs]
    if node.op in _METHODS:
        return f"{args[0]}.{node.op}()"
    if node.op == "-" and len(args) == 1:
        return f"-{args[0]}"
    if node.op == "**" and node.exponent is not None:
        return f"{args[0]} ** {_operand(code_number(node.exponent))}"
    return f" {node.op} ".join(args)


def forward_code(root: Value, names: dict) -> list:
    """One line of Python per operation, in the order the engine ran them."""
    return [
        f"{names[node]} = {_expression(node, names)}"
        for node in root.topological_order() if not node.is_leaf
    ]


def grad_name(node: Value, root: Value, names: dict) -> str:
    return f"d{names[root]}_d{names[node]}"


def backward_code(root: Value, names: dict) -> list:
    """The backward pass as Python, one line per chain-rule product.

    Lines come in the order the engine's backward pass performs them
    (`root.backward_steps()`): the seed first, then for every visited node
    one line per input. A node that receives a second contribution gets
    `+=`: that is gradient accumulation. Literal numbers written into the
    expression get no line: like PyTorch, nobody asks for their gradient.

    Returns (line, step_index, contribution_index) triples; the seed line
    has contribution index None.
    """
    steps = root.backward_steps()
    lines = [(f"{grad_name(root, root, names)} = 1", 0, None)]
    assigned = {root}
    for s, step in enumerate(steps):
        node = step.node
        for c, contribution in enumerate(step.contributions):
            target = contribution.input
            if _is_constant(target):
                continue
            operator = "+=" if target in assigned else "="
            assigned.add(target)
            rule = local_rule(node, c, names)
            if _is_sum(rule):  # keep a sum one factor: (1 - t ** 2) * upstream
                rule = f"({rule})"
            lines.append((
                f"{grad_name(target, root, names)} {operator} {rule} * "
                f"{grad_name(node, root, names)}",
                s, c,
            ))
    return lines
