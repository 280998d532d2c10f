"""Rule conditions evaluated as Python closures built from rule_engine's syntax tree, with rule_engine's meaning.

rule_engine parses and type-checks every condition in the rules files (rules._compile) and stays the
reference. Evaluating its tree costs most of the time of the rules on a submit (about a third of a submit's
CPU, issue 16): each symbol it reads is given a data type again, each set's members are walked to find theirs.
:func:`compile_condition` turns the parsed tree into nested closures once, when the rules are loaded:

* a symbol reads the fact and converts it exactly as rule_engine does (``coerce_value``: numbers become
  ``Decimal``, lists tuples), so every comparison below sees the values rule_engine's would;
* each operator does what rule_engine's does with those values (``==`` between different types is false,
  ``and``/``or`` give booleans, ``??`` takes the right side for null, ``&`` intersects sets, ``.length``);
* anything else the closures would have to judge (an ordering of values of different types, a missing fact,
  a container that is not one, an operator or node not listed here) is handed to rule_engine itself: the
  condition is evaluated again by rule_engine, which answers or raises its own error.

tests/unit/test_conditions.py evaluates every default rule's condition and reason conditions both ways on
generated facts, boundary values included, and finds the same answers and the same errors.
"""

from __future__ import annotations

import datetime
import decimal
import operator
from collections.abc import Callable, Mapping
from typing import Any

import rule_engine
from rule_engine import ast as re_ast
from rule_engine.types import coerce_value

Evaluator = Callable[[Mapping[str, Any]], Any]


class _Defer(Exception):
    """The closures cannot decide this case as rule_engine would: ask rule_engine."""


class Condition:
    """A parsed rule_engine condition with a faster ``matches``; everything else is the rule_engine Rule's."""

    __slots__ = ("rule", "_evaluate")

    def __init__(self, rule: rule_engine.Rule, evaluate: Evaluator | None) -> None:
        self.rule = rule
        self._evaluate = evaluate

    def matches(self, facts: Mapping[str, Any]) -> bool:
        if self._evaluate is not None:
            try:
                return bool(self._evaluate(facts))
            except _Defer:
                pass
            except (TypeError, KeyError, AttributeError, ArithmeticError):
                pass
        return bool(self.rule.matches(facts))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rule, name)


def compile_condition(rule: rule_engine.Rule) -> Condition:
    """``rule`` (a parsed, untyped rule_engine Rule) with its tree built into closures where every node is known."""
    try:
        evaluate: Evaluator | None = _build(rule.statement.expression, rule.context)
    except _Defer:
        evaluate = None
    return Condition(rule, evaluate)


_SETS = (set, frozenset)
_SIZED = (tuple, str, bytes, set, frozenset, dict)


def _coerce(value: Any, timezone: Any) -> Any:
    """rule_engine's ``ExpressionBase._new_value``: ``coerce_value``, and a naive date-time in the context's zone."""
    kind = type(value)
    if kind is str or kind is bool or value is None or kind is set or kind is frozenset:
        return value
    if kind is float:
        return decimal.Decimal(repr(value))
    if kind is int:
        return decimal.Decimal(value)
    value = coerce_value(value, verify_type=False)
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone)
    return value


def _build(node: Any, context: Any) -> Evaluator:
    if getattr(node, "is_reduced", False):  # a literal, or a constant expression rule_engine already folded
        constant = node.evaluate(None)
        return lambda facts: constant
    kind = type(node)
    if kind is re_ast.SymbolExpression:
        return _symbol(node, context)
    if kind in (re_ast.ArrayExpression, re_ast.SetExpression):
        members, python_type = [_build(m, context) for m in node.value], node.result_type.python_type
        return lambda facts: python_type(m(facts) for m in members)
    if kind is re_ast.LogicExpression:
        left, right = _build(node.left, context), _build(node.right, context)
        if node.type == "and":
            return lambda facts: bool(left(facts) and right(facts))
        if node.type == "or":
            return lambda facts: bool(left(facts) or right(facts))
        raise _Defer
    if kind is re_ast.ComparisonExpression:
        return _equality(node, context)
    if kind is re_ast.ArithmeticComparisonExpression:
        return _ordering(node, context)
    if kind is re_ast.ContainsExpression:
        return _contains(node, context)
    if kind is re_ast.BitwiseExpression and node.type == "bwand":
        return _intersection(node, context)
    if kind is re_ast.CoalesceExpression:
        left, right = _build(node.left, context), _build(node.right, context)

        def coalesce(facts: Mapping[str, Any]) -> Any:
            value = left(facts)
            return right(facts) if value is None else value
        return coalesce
    if kind is re_ast.GetAttributeExpression and node.name == "length" and not node.safe:
        return _length(node, context)
    raise _Defer  # a node these closures do not know: the whole condition stays with rule_engine


def _symbol(node: Any, context: Any) -> Evaluator:
    name, timezone = node.name, context.default_timezone
    if node.scope is not None or node.result_type != rule_engine.DataType.UNDEFINED:
        raise _Defer

    def symbol(facts: Mapping[str, Any]) -> Any:
        return _coerce(facts[name], timezone)  # a missing fact: KeyError, and rule_engine raises its own error
    return symbol


def _equality(node: Any, context: Any) -> Evaluator:
    left, right = _build(node.left, context), _build(node.right, context)
    if node.type == "eq":
        def eq(facts: Mapping[str, Any]) -> bool:
            a, b = left(facts), right(facts)
            return type(a) is type(b) and a == b
        return eq
    if node.type == "ne":
        def ne(facts: Mapping[str, Any]) -> bool:
            a, b = left(facts), right(facts)
            return type(a) is not type(b) or a != b
        return ne
    raise _Defer  # the regular-expression comparisons


_ORDER = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def _ordering(node: Any, context: Any) -> Evaluator:
    op = _ORDER.get(node.type)
    if op is None:
        raise _Defer
    both_null = op in (operator.ge, operator.le)
    left, right = _build(node.left, context), _build(node.right, context)

    def ordering(facts: Mapping[str, Any]) -> bool:
        a, b = left(facts), right(facts)
        if a is None and b is None:
            return both_null
        if type(a) is not type(b) or type(a) is tuple:  # rule_engine's "data type mismatch", or arrays
            raise _Defer
        return bool(op(a, b))
    return ordering


def _contains(node: Any, context: Any) -> Evaluator:
    container, member = _build(node.container, context), _build(node.member, context)

    def contains(facts: Mapping[str, Any]) -> bool:
        where, what = container(facts), member(facts)
        if type(where) not in (tuple, set, frozenset) or type(what) not in (str, bool, decimal.Decimal, type(None)):
            raise _Defer  # strings and bytes, mappings and anything else rule_engine checks the types of
        return what in where
    return contains


def _intersection(node: Any, context: Any) -> Evaluator:
    left, right = _build(node.left, context), _build(node.right, context)

    def intersection(facts: Mapping[str, Any]) -> Any:
        a = left(facts)
        if type(a) not in _SETS:
            raise _Defer  # numbers (bitwise and) and mismatches
        b = right(facts)
        if type(b) not in _SETS:
            raise _Defer
        return a & b
    return intersection


def _length(node: Any, context: Any) -> Evaluator:
    value_of = _build(node.object, context)

    def length(facts: Mapping[str, Any]) -> Any:
        value = value_of(facts)
        if type(value) not in _SIZED:
            raise _Defer
        return decimal.Decimal(len(value))
    return length

