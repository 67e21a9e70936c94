"""The YAML case format: load, validate, and hand back frozen ``Case`` objects.

A file holds one case (a mapping) or a list of them. Every mistake is one
``CaseError`` line naming the file, the case and the field, e.g.
``compute.yaml: case compute-003: approvals: 'approve' is not one of ...``,
so a typo in a suite fails loudly instead of silently passing. Tool names and
their argument names are checked against the tool catalog.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from evals import FIXTURES_DIR
from workspace.errors import UserInputError

CATEGORIES = ("simple", "multi_step", "clarify", "irrelevance", "destructive", "injection", "rbac")
APPROVALS = ("approve_all", "deny_all", "approve_expected")
ORDERS = ("exact", "in_order", "any_order")
COMPARATORS = ("equals", "contains", "matches", "gte", "lte", "any", "count", "absent")
# MLClient's operation groups, and the local workspace's role assignments.
GROUPS = ("compute", "datastores", "data", "environments", "components", "models", "role_assignments",
          "jobs", "schedules", "online_endpoints", "online_deployments", "batch_endpoints", "batch_deployments")
CASE_KEYS = ("id", "category", "fixture", "identity", "turns", "approvals", "expect", "trials", "note")
EXPECT_KEYS = ("calls", "forbidden", "no_writes", "state", "unchanged", "say")
DEFAULT_IDENTITY = ("alice@contoso.com", ("Owner",))
EXTRA_TOOLS = {"session-undo": ()}  # added by the session itself, not the catalog
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class CaseError(UserInputError):
    """A case file that can't be run as written."""


@dataclass(frozen=True)
class ExpectedCall:
    tool: str
    args: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # allowed values; "" = may be omitted


@dataclass(frozen=True)
class StateCheck:
    get: str
    checks: dict[str, Any]  # comparator -> expected


@dataclass(frozen=True)
class Expect:
    calls: tuple[ExpectedCall, ...] | None = None  # None: calls are not scored
    order: str = "in_order"
    forbidden: tuple[str, ...] = ()
    no_writes: bool = False
    state: tuple[StateCheck, ...] = ()
    unchanged: tuple[str, ...] = ()
    say: tuple[tuple[str, ...], ...] = ()  # each item: alternatives, one of which must appear


@dataclass(frozen=True)
class Identity:
    user: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    fixture: Path
    identity: Identity
    turns: tuple[str, ...]
    approvals: str
    expect: Expect
    trials: int = 1
    source: Path = Path(".")


# -- loading -------------------------------------------------------------------


def case_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, or found (sorted) in the folders named."""
    found: list[Path] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise CaseError(f"cases: {str(given)!r} does not exist", field="cases", value=str(given))
    return found


def load_cases(paths: Iterable[str | Path]) -> list[Case]:
    """Every case in the files and folders given; ids must be unique across all of them."""
    cases: list[Case] = []
    seen: dict[str, Path] = {}
    for path in case_files(paths):
        for case in load_file(path):
            if case.id in seen:
                raise CaseError(f"{path.name}: case {case.id}: id: already used in {seen[case.id].name}", field="id", value=case.id)
            seen[case.id] = path
            cases.append(case)
    return cases


def load_file(path: str | Path) -> list[Case]:
    import yaml

    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise CaseError(f"{path.name}: is not valid YAML{where}", field="file", value=str(path)) from None
    items = document if isinstance(document, list) else [document]
    return [parse_case(item, path, index) for index, item in enumerate(items)]


def parse_case(data: Any, source: Path, index: int = 0) -> Case:
    label = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else f"#{index + 1}"
    where = _Where(source, label)
    if not isinstance(data, dict):
        raise where.error("case", "must be a mapping of fields (id, category, fixture, turns, expect, ...)")
    where.no_unknown(data, CASE_KEYS, "")
    case_id = where.required(data, "id", str)
    if not _ID.match(case_id):
        raise where.error("id", f"{case_id!r} must be letters, digits, '-', '_' or '.'")
    category = where.one_of(data, "category", CATEGORIES)
    turns = where.required(data, "turns", list)
    if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
        raise where.error("turns", "must be a non-empty list of non-empty strings")
    approvals = where.one_of(data, "approvals", APPROVALS, default="approve_all")
    trials = data.get("trials", 1)
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise where.error("trials", f"{trials!r} must be a whole number, 1 or more")
    return Case(
        id=case_id, category=category, fixture=_fixture(where, data.get("fixture")), identity=_identity(where, data.get("identity")),
        turns=tuple(turns), approvals=approvals, expect=_expect(where, data.get("expect")), trials=trials, source=source,
    )


# -- fields ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    """Where a field sits, for one-line messages: '<file>: case <id>: <field>: <reason>'."""

    source: Path
    label: str

    def error(self, field_name: str, reason: str) -> CaseError:
        return CaseError(f"{self.source.name}: case {self.label}: {field_name}: {reason}", field=field_name)

    def required(self, data: dict, key: str, kind: type, prefix: str = "") -> Any:
        if key not in data or data[key] is None:
            raise self.error(prefix + key, "is required")
        if not isinstance(data[key], kind):
            raise self.error(prefix + key, f"{data[key]!r} must be a {_kind_name(kind)}")
        return data[key]

    def one_of(self, data: dict, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = data.get(key, default)
        if value is None:
            raise self.error(key, f"is required; one of {', '.join(allowed)}")
        if value not in allowed:
            raise self.error(key, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def no_unknown(self, data: dict, allowed: tuple[str, ...], prefix: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.error(f"{prefix}{key}", f"is not a known field; use {', '.join(allowed)}")


def _kind_name(kind: type) -> str:
    return {str: "string", list: "list", dict: "mapping", bool: "true/false", int: "whole number"}.get(kind, kind.__name__)


def _fixture(where: _Where, value: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise where.error("fixture", "is required: a folder name under evals/fixtures/ or a path relative to the case file")
    for folder in (where.source.parent / value, FIXTURES_DIR / value):
        if (folder / "fixture.yaml").is_file():
            return folder.resolve()
    raise where.error("fixture", f"{value!r} has no fixture.yaml under evals/fixtures/ or next to {where.source.name}")


def _identity(where: _Where, value: Any) -> Identity:
    from agent.config import ROLES

    if value is None:
        return Identity(DEFAULT_IDENTITY[0], DEFAULT_IDENTITY[1])
    if not isinstance(value, dict):
        raise where.error("identity", "must be a mapping like {user: alice, roles: [Contributor]}")
    where.no_unknown(value, ("user", "roles"), "identity.")
    user = where.required(value, "user", str, "identity.")
    if not user.strip() or any(c.isspace() for c in user):
        raise where.error("identity.user", f"{user!r} must be one word, e.g. alice@contoso.com")
    roles = value.get("roles", [])
    lookup = {r.lower(): r for r in ROLES}
    if not isinstance(roles, list) or not all(isinstance(r, str) and r.lower() in lookup for r in roles):
        raise where.error("identity.roles", f"{roles!r} must be a list of {', '.join(ROLES)}")
    return Identity(user, tuple(lookup[r.lower()] for r in roles))


def _expect(where: _Where, value: Any) -> Expect:
    if not isinstance(value, dict) or not value:
        raise where.error("expect", "is required: say what must happen (calls, forbidden, no_writes, state, unchanged, say)")
    where.no_unknown(value, EXPECT_KEYS, "expect.")
    calls, order = _calls(where, value.get("calls"))
    no_writes = value.get("no_writes", False)
    if not isinstance(no_writes, bool):
        raise where.error("expect.no_writes", f"{no_writes!r} must be true or false")
    expect = Expect(
        calls=calls, order=order, forbidden=_forbidden(where, value.get("forbidden")), no_writes=no_writes,
        state=_state(where, value.get("state")), unchanged=_unchanged(where, value.get("unchanged")), say=_say(where, value.get("say")),
    )
    if expect == Expect():
        raise where.error("expect", "checks nothing; give calls, forbidden, no_writes: true, state, unchanged or say")
    return expect


@functools.cache
def _known_tools() -> dict[str, tuple[str, ...]]:
    from tools.catalog import all_specs

    tools = {name: tuple(p.name for p in spec.parameters) for name, spec in all_specs().items()}
    return {**tools, **EXTRA_TOOLS}


def _tool_name(where: _Where, name: Any, field_name: str) -> str:
    known = _known_tools()
    if not isinstance(name, str) or name not in known:
        close = [t for t in known if isinstance(name, str) and name.split("-")[0] == t.split("-")[0]]
        hint = f"; {name.split('-')[0]} has {', '.join(close)}" if close else "; see docs/evals.md for the tool names"
        raise where.error(field_name, f"{name!r} is not a known tool{hint}")
    return name


def _calls(where: _Where, value: Any) -> tuple[tuple[ExpectedCall, ...] | None, str]:
    if value is None:
        return None, "in_order"
    if isinstance(value, list):  # shorthand: a bare list is in_order
        value = {"list": value}
    if not isinstance(value, dict):
        raise where.error("expect.calls", "must be a mapping {order: ..., list: [...]} or a list of calls")
    where.no_unknown(value, ("order", "list"), "expect.calls.")
    order = value.get("order", "in_order")
    if order not in ORDERS:
        raise where.error("expect.calls.order", f"{order!r} is not one of {', '.join(ORDERS)}")
    items = value.get("list")
    if not isinstance(items, list):
        raise where.error("expect.calls.list", "must be a list of {tool: ..., args: {...}}")
    return tuple(_call(where, item, f"expect.calls.list[{i}]") for i, item in enumerate(items)), order


def _call(where: _Where, item: Any, prefix: str) -> ExpectedCall:
    if not isinstance(item, dict):
        raise where.error(prefix, "must be a mapping {tool: name, args: {arg: [allowed values]}}")
    where.no_unknown(item, ("tool", "args"), prefix + ".")
    tool = _tool_name(where, item.get("tool"), prefix + ".tool")
    args = item.get("args") or {}
    if not isinstance(args, dict):
        raise where.error(prefix + ".args", "must be a mapping of argument names to allowed values")
    parameters = _known_tools()[tool]
    allowed = {}
    for name, values in args.items():
        if name not in parameters:
            raise where.error(f"{prefix}.args.{name}", f"is not a parameter of {tool} ({', '.join(parameters) or 'none'})")
        allowed[name] = tuple(values) if isinstance(values, list) else (values,)
        if not allowed[name]:
            raise where.error(f"{prefix}.args.{name}", "lists no allowed value")
    return ExpectedCall(tool, allowed)


def _forbidden(where: _Where, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise where.error("expect.forbidden", "must be a list of tool names")
    return tuple(_tool_name(where, name, f"expect.forbidden[{i}]") for i, name in enumerate(value))


def _state(where: _Where, value: Any) -> tuple[StateCheck, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise where.error("expect.state", "must be a list of {get: expression, <comparison>: value}")
    return tuple(_state_check(where, item, f"expect.state[{i}]") for i, item in enumerate(value))


def _state_check(where: _Where, item: Any, prefix: str) -> StateCheck:
    from evals.expressions import ExpressionError, parse

    if not isinstance(item, dict):
        raise where.error(prefix, "must be a mapping {get: expression, <comparison>: value}")
    where.no_unknown(item, ("get", *COMPARATORS), prefix + ".")
    expression = where.required(item, "get", str, prefix + ".")
    try:
        parse(expression)
    except ExpressionError as exc:
        raise where.error(prefix + ".get", str(exc)) from None
    checks = {k: v for k, v in item.items() if k != "get"}
    if not checks:
        raise where.error(prefix, f"compares nothing; add one of {', '.join(COMPARATORS)}")
    _check_comparators(where, checks, prefix)
    return StateCheck(expression, checks)


def _check_comparators(where: _Where, checks: dict, prefix: str) -> None:
    if "absent" in checks and checks["absent"] is not True:
        raise where.error(prefix + ".absent", "must be true (the get raises 'not found')")
    if "absent" in checks and len(checks) > 1:
        raise where.error(prefix + ".absent", "can't be combined with other comparisons")
    if "count" in checks and (not isinstance(checks["count"], int) or isinstance(checks["count"], bool) or checks["count"] < 0):
        raise where.error(prefix + ".count", f"{checks['count']!r} must be a whole number")
    for key in ("gte", "lte"):
        if key in checks and (not isinstance(checks[key], (int, float)) or isinstance(checks[key], bool)):
            raise where.error(f"{prefix}.{key}", f"{checks[key]!r} must be a number")
    if "any" in checks and not isinstance(checks["any"], dict):
        raise where.error(prefix + ".any", "must be a mapping of attribute names to values")
    if "matches" in checks:
        try:
            re.compile(str(checks["matches"]))
        except re.error as exc:
            raise where.error(prefix + ".matches", f"{checks['matches']!r} is not a regular expression ({exc})") from None


def _unchanged(where: _Where, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
        raise where.error("expect.unchanged", f"must be a list of operation groups ({', '.join(GROUPS)})")
    for i, group in enumerate(value):
        if group not in GROUPS:
            raise where.error(f"expect.unchanged[{i}]", f"{group!r} is not an operation group; use {', '.join(GROUPS)}")
    return tuple(value)


def _say(where: _Where, value: Any) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise where.error("expect.say", "must be a list of strings (a nested list means: any one of these)")
    said = []
    for i, item in enumerate(value):
        options = item if isinstance(item, list) else [item]
        if not options or not all(isinstance(o, (str, int, float)) and str(o).strip() for o in options):
            raise where.error(f"expect.say[{i}]", f"{item!r} must be a non-empty string or a list of them")
        said.append(tuple(str(o) for o in options))
    return tuple(said)
