"""Outcome formulas: + - * / ** of summary metrics and numbers, e.g.
``gross_profit_cny - marketing_cost_cny``.

A formula comes from a file, so it is never given to ``eval``: it is parsed into a syntax
tree, every node is checked against a short list (names, real numbers, the five operators,
unary signs; no calls, attributes, subscripts, strings or comprehensions), and the tree is
walked by ``evaluate`` with numpy. Length and node count are capped, so checking and
evaluating take bounded time and stack.
"""
from __future__ import annotations

import ast
import re

import numpy as np

MAX_FORMULA_CHARS = 300
MAX_FORMULA_NODES = 200
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_OPERATORS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
              ast.Pow: np.power}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
            ast.USub, ast.UAdd, *_OPERATORS)
ALLOWED_TEXT = "metric names, numbers, + - * / ** and parentheses"


class FormulaError(ValueError):
    """What is wrong with a formula (the caller adds the file and the key)."""


def check_formula(formula) -> list[str]:
    """The metric names a formula uses; raises FormulaError unless it is plain arithmetic."""
    if not isinstance(formula, str) or not formula.strip():
        raise FormulaError(f"expected a formula such as 'gross_profit_cny - marketing_cost_cny'; allowed: "
                           f"{ALLOWED_TEXT}")
    if len(formula) > MAX_FORMULA_CHARS:
        raise FormulaError(f"the formula has {len(formula)} characters; at most {MAX_FORMULA_CHARS}")
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise FormulaError(f"cannot read the formula; allowed: {ALLOWED_TEXT}") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_FORMULA_NODES:
        raise FormulaError(f"the formula has {len(nodes)} parts; at most {MAX_FORMULA_NODES}")
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            raise FormulaError(f"'{type(node).__name__}' is not allowed in a formula; allowed: {ALLOWED_TEXT}")
        if isinstance(node, ast.Constant) and (isinstance(node.value, bool)
                                               or not isinstance(node.value, (int, float))):
            shown = repr(node.value)[:40]
            raise FormulaError(f"{shown} is not a number; allowed: {ALLOWED_TEXT}")
        if isinstance(node, ast.Constant) and not np.isfinite(_as_float(node.value)):
            raise FormulaError("a number in the formula is too large")
        if isinstance(node, ast.Name) and not _NAME.match(node.id):
            raise FormulaError(f"'{node.id}' is not a metric name; allowed: {ALLOWED_TEXT}")
    names = sorted({n.id for n in nodes if isinstance(n, ast.Name)})
    evaluate(formula, {name: np.ones(1) for name in names})  # a dry run: it computes
    return names


def _as_float(number) -> float:
    try:
        return float(number)
    except OverflowError:
        return float("inf")


def evaluate(formula: str, columns) -> np.ndarray:
    """Value of a checked formula, with ``columns`` mapping each metric name to an array."""
    tree = ast.parse(formula.strip(), mode="eval")

    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant):
            return np.float64(_as_float(node.value))
        if isinstance(node, ast.Name):
            return np.asarray(columns[node.id], dtype=float)
        if isinstance(node, ast.UnaryOp):
            operand = value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        raise FormulaError(f"'{type(node).__name__}' is not allowed in a formula")

    with np.errstate(all="ignore"):  # x / 0 is inf, 0 / 0 is NaN: shown as such, not an error
        return value(tree)
