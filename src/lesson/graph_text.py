"""Words and formulas for a `Value` graph: names, local rules, code lines.

The scenes print three kinds of text about a graph: what each node is called,
what its local derivative rule is ("d h1 / d x = w"), and the Python a learner
would write for the forward and backward pass. All of it is derived here from
the graph the engine built, so a different expression gets different text.
No manim here: these are plain strings, tested on their own.
"""

from __future__ import annotations

import re

from src.autograd import Value, operation_of

__all__ = [
    "format_number", "tex_number", "tex_name", "graph_names",
    "local_rule", "forward_code", "backward_code",
]


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------

def format_number(x: float, digits: int = 3, keep_zeros: bool = False) -> str:
    """Readable plain text: 3 significant digits ("1.23e5" past 1e`digits`
    and under 1e-4), never "-0"; `keep_zeros` keeps "1.00"."""
    x = float(x)
    if x == 0 or abs(x) < 5e-13:
        return "0"
    text = f"{x:#.{digits}g}" if keep_zeros else f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa.rstrip('.')}e{int(exponent)}"
    return text.rstrip(".")


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


def _fill(template, node: Value, operands: list, out: str, tex: bool) -> str:
    """An operation-table template with this node's names (and exponent) in it."""
    n = node.exponent
    if callable(template):  # a rule that depends on the exponent (the power rule)
        template = template(n)
    number = tex_number if tex else code_number
    a = operands[0]
    b = operands[1] if len(operands) > 1 else ""
    return template.format(a=a, b=b, x=a, out=out,
                           n="" if n is None else number(n), m="" if n is None else number(n - 1))


def local_rule(node: Value, index: int, names: dict, tex: bool = False) -> str:
    """The formula for d(node)/d(node.inputs[index]), in operand names.

    `tex=False` gives Python (for the code panel), `tex=True` LaTeX (for the
    captions). The numbers come from the engine; this is only the formula,
    the one in the operation's entry of the engine's table (`OPERATIONS`).
    """
    inputs = node.inputs
    if not inputs:
        raise ValueError("a leaf has no local derivative rule")
    name = (lambda v: _operand(tex_name(names[v]))) if tex else (lambda v: _operand(names[v]))
    op = operation_of(node)
    rules = None if op is None else (op.tex_rules if tex else op.code_rules)
    if rules is None:
        raise ValueError(f"no local rule known for operation {node.op!r}")
    return _fill(rules[index], node, [name(v) for v in inputs], name(node), tex)


# --------------------------------------------------------------------------
# Code lines
# --------------------------------------------------------------------------

def _expression(node: Value, names: dict) -> str:
    args = [_operand(names[v]) for v in node.inputs]
    op = operation_of(node)
    if op is None or op.code is None:  # an operation of its own (custom_ops)
        return f" {node.op} ".join(args)
    n = node.exponent
    return op.code.format(a=args[0], b=args[1] if len(args) > 1 else "", x=args[0],
                          n="" if n is None else _operand(code_number(n)))


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
