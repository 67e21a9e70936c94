"""`get` expressions: attribute access, method calls and literal arguments on the workspace client.

``compute.get('gpu-cluster').max_instances`` is parsed with ``ast`` and walked
by hand; nothing ever reaches ``eval``. Only three kinds of node are allowed:
a name (the first step, an attribute of the client), ``.attribute``, and
``.method(literal, key=literal)``. Names starting with ``_`` are refused, so
no dunder walk can leave the client, and only methods that read (get, list,
show, roles_of, get_*, list_*) may be called, so a state check can't change
the state it checks.
"""

from __future__ import annotations

import ast
from typing import Any

READ_METHODS = ("get", "list", "show", "roles_of")
READ_PREFIXES = ("get_", "list_")


class ExpressionError(ValueError):
    """An expression the evaluator refuses; the message is one line."""


def parse(text: str) -> ast.expr:
    """The checked syntax tree of ``text``; ``ExpressionError`` says what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an expression is required, e.g. compute.get('cpu-cluster').max_instances")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"{text!r} is not an expression ({exc.msg})") from None
    _check(tree.body, text)
    return tree.body


def evaluate(expression: str | ast.expr, root: Any) -> Any:
    """The value of the expression with its first name looked up on ``root`` (the client)."""
    node = parse(expression) if isinstance(expression, str) else expression
    return _value(node, root)


def _check(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.Name):
        _check_name(node.id, text)
    elif isinstance(node, ast.Attribute):
        _check_name(node.attr, text)
        _check(node.value, text)
    elif isinstance(node, ast.Call):
        _check_call(node, text)
    else:
        raise ExpressionError(
            f"{text!r}: {type(node).__name__} is not allowed; use attributes, method calls and literal arguments"
        )


def _check_call(node: ast.Call, text: str) -> None:
    if not isinstance(node.func, ast.Attribute):
        raise ExpressionError(f"{text!r}: only methods can be called, like compute.get('cpu-cluster')")
    method = node.func.attr
    _check_name(method, text)
    if method not in READ_METHODS and not method.startswith(READ_PREFIXES):
        allowed = ", ".join(READ_METHODS + tuple(p + "*" for p in READ_PREFIXES))
        raise ExpressionError(f"{text!r}: method {method!r} may change something; only {allowed} can be called")
    _check(node.func.value, text)
    for argument in node.args:
        _check_literal(argument, text)
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ExpressionError(f"{text!r}: ** arguments are not allowed")
        _check_literal(keyword.value, text)


def _check_literal(node: ast.AST, text: str) -> None:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        raise ExpressionError(f"{text!r}: arguments must be literals (strings, numbers, lists, dicts)") from None


def _check_name(name: str, text: str) -> None:
    if name.startswith("_"):
        raise ExpressionError(f"{text!r}: {name!r} is private; names starting with '_' are not allowed")


def _value(node: ast.AST, root: Any) -> Any:
    if isinstance(node, ast.Name):
        return getattr(root, node.id)
    if isinstance(node, ast.Attribute):
        return getattr(_value(node.value, root), node.attr)
    if isinstance(node, ast.Call):
        method = getattr(_value(node.func.value, root), node.func.attr)
        args = [ast.literal_eval(a) for a in node.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        result = method(*args, **kwargs)
        # list() returns pagers and generators on Azure; a list can be counted and searched twice.
        return list(result) if node.func.attr.startswith("list") and not isinstance(result, (list, dict, str)) else result
    raise ExpressionError(f"{type(node).__name__} is not allowed")  # parse() refuses these first
