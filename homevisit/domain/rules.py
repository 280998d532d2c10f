"""Required actions: which rules a visit's observations trigger, what must be done, by whom and by when.

The rules are data (``rules.toml`` beside this module: R01-R33 of the project's guide and R34-R39, listed with
their sources in docs/rules.md), overridable by a local
safeguarding partnership's ``instance/rules.toml``. Each rule's condition is a rule-engine expression over the
flat facts built by ``homevisit.domain.facts.facts_for``; conditions are compiled once when the rules are loaded.

Rules that depend on other rules (R14, R15, R23, R26, R27, R29, R30 and R06's escalation when R05 fires) read
``fired`` and the other ``fired_*`` sets, so the rules are evaluated in passes until nothing new fires.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import rule_engine

from homevisit.domain.calendar import LONDON, due_at, is_deadline_spec, london_moment, utc_now
from homevisit.domain.conditions import compile_condition
from homevisit.domain.dictionary import BODY_SITES, FIELDS_BY_NAME, MECHANISMS
from homevisit.domain.facts import DEFAULT_SETTINGS, FACT_TYPES, facts_for

BODY_SITE_LABELS = dict(BODY_SITES)
MECHANISM_LABELS = {key: label for key, label, _needs in MECHANISMS}

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.toml")
SEVERITIES = ("immediate", "same_day", "within_days", "monitor")
OWNERS = ("visitor", "supervisor")
CONCERNS = ("", "consider", "suspect")
REQUIRED_KEYS = ("id", "title", "condition", "severity", "deadline", "action", "owner", "requires_referral",
                 "category", "source")
OPTIONAL_KEYS = ("concern", "reason", "escalate", "enabled")
# Deadlines that depend on the child: resolved to "<n>d" from a fact.
DYNAMIC_DEADLINES = {"reweigh": "reweigh_in_days"}
FIRED_FACTS = frozenset({"fired", "fired_categories", "fired_consider", "fired_suspect", "fired_requiring_referral",
                         "fired_urgent"})
NOT_RECORDED = "not recorded"

_TYPES = rule_engine.type_resolver_from_dict(FACT_TYPES)
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:!(label))?(?::([^{}]*))?\}")
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class RulesFileError(ValueError):
    """A rules file that cannot be used; ``errors`` lists every problem as "file:line: message"."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Rule:
    """One required-action rule, its condition compiled."""

    id: str
    title: str
    condition: str
    severity: str
    deadline: str
    action: str
    owner: str
    requires_referral: bool | str
    category: str
    source: str
    concern: str = ""
    enabled: bool = True
    compiled: Any = field(default=None, repr=False, compare=False)
    referral_when: Any = field(default=None, repr=False, compare=False)
    reasons: tuple[tuple[Any, str], ...] = field(default=(), repr=False, compare=False)
    escalate: tuple[Any, str, str] | None = field(default=None, repr=False, compare=False)
    uses_fired: bool = False


@dataclass(frozen=True)
class RuleSet:
    """The rules in force: defaults merged with the local partnership's file, plus its settings."""

    rules: tuple[Rule, ...]
    settings: dict[str, float]
    setting_sources: dict[str, str]

    @property
    def by_id(self) -> dict[str, Rule]:
        """Every rule by its id, enabled or not."""
        return {r.id: r for r in self.rules}

    @property
    def enabled(self) -> tuple[Rule, ...]:
        """The rules that are switched on, in file order."""
        return tuple(r for r in self.rules if r.enabled)

    @property
    def consider_ids(self) -> frozenset[str]:
        """Ids of the rules at NICE CG89's "consider" level (a repeat across visits counts for R27)."""
        return frozenset(r.id for r in self.rules if r.concern == "consider")


# --- reading and checking rules files -------------------------------------------------------------------

def _read(path: Path) -> tuple[dict[str, Any], list[dict[str, int]], list[str]]:
    """The parsed file, the line of each [[rule]] table and of each of its keys, and syntax errors."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = int(found.group(1)) if found else text.count("\n") + 1
        return {}, [], [f"{path.name}:{line}: TOML syntax error: {_TOML_LINE.sub('', str(exc)).strip()}"]
    lines: list[dict[str, int]] = []
    settings: dict[str, int] = {}
    current: dict[str, int] | None = None
    in_string = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not in_string:
            if stripped.startswith("["):
                header = stripped.replace(" ", "")
                current = {"": number} if header.startswith("[[rule]]") else settings if header == "[settings]" else None
                if current is not None and current is not settings:
                    lines.append(current)
            elif current is not None and (key := re.match(r"([A-Za-z0-9_]+)\s*=", stripped)):
                current.setdefault(key.group(1), number)
        if (raw.count("'''") + raw.count('"""')) % 2:
            in_string = not in_string
    lines.insert(0, settings)
    errors: list[str] = []

    def line_of(key: str) -> int:
        found = re.search(rf"^[ \t]*\[*[ \t]*{re.escape(key)}\b", text, re.MULTILINE)
        return text.count("\n", 0, found.start()) + 1 if found else 0

    for name in sorted(data.keys() - {"rule", "settings"}):
        errors.append(f"{path.name}:{line_of(name)}: unknown table or key '{name}': use [[rule]] tables and [settings]")
    if not isinstance(data.get("rule", []), list):
        errors.append(f"{path.name}:{line_of('rule')}: each rule is a [[rule]] table (two brackets)")
    return data, lines, errors


def _compile(expr: Any, where: str, what: str) -> tuple[Any, set[str], list[str]]:
    """A compiled condition, the facts it reads, and any errors in it."""
    if not isinstance(expr, str) or not expr.strip():
        return None, set(), [f"{where}: {what} must be a non-empty rule expression"]
    loose = rule_engine.Context()
    try:
        compiled = rule_engine.Rule(expr, context=loose)
    except rule_engine.RuleSyntaxError as exc:
        return None, set(), [f"{where}: syntax error in {what}: {exc.message}"]
    unknown = sorted(loose.symbols - FACT_TYPES.keys())
    if unknown:
        return None, set(), [f"{where}: unknown field '{name}' in {what}" for name in unknown]
    try:
        # Checked against the facts' types here, once; evaluated untyped, which is twice as fast, because
        # facts_for already gives every fact its declared type.
        rule_engine.Rule(expr, context=rule_engine.Context(type_resolver=_TYPES))
    except rule_engine.EngineError as exc:
        return None, set(), [f"{where}: {what}: {getattr(exc, 'message', exc)}"]
    return compile_condition(compiled), set(loose.symbols), []


def _check_template(text: Any, where: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return [f"{where}: reason text must be non-empty"]
    return [f"{where}: unknown field '{m.group(1)}' in reason" for m in _TEMPLATE.finditer(text)
            if m.group(1) not in FACT_TYPES]


def _build_rule(spec: dict[str, Any], at: dict[str, str]) -> tuple[Rule | None, list[str]]:
    """A compiled rule from its merged keys; ``at`` gives "file:line" for each key (and "" for the table)."""
    rid = str(spec.get("id"))
    errors: list[str] = []

    def where(key: str) -> str:
        return f"{at.get(key, at[''])}: {rid}"

    for key in spec:
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            errors.append(f"{where(key)}: unknown key '{key}'")
    for key in REQUIRED_KEYS:
        if key not in spec:
            errors.append(f"{where('')}: missing key '{key}'")
    for key in ("title", "action", "category", "source"):
        if key in spec and (not isinstance(spec[key], str) or not spec[key].strip()):
            errors.append(f"{where(key)}: {key} must be non-empty text")
    checks = (("severity", SEVERITIES), ("owner", OWNERS), ("concern", CONCERNS), ("enabled", (True, False)))
    for key, allowed in checks:
        if key in spec and spec[key] not in allowed:
            errors.append(f"{where(key)}: {key} must be one of {', '.join(map(str, allowed))}, not {spec[key]!r}")
    deadline_ok = lambda d: d in DYNAMIC_DEADLINES or is_deadline_spec(d)  # noqa: E731
    if "deadline" in spec and not deadline_ok(spec["deadline"]):
        errors.append(f"{where('deadline')}: bad deadline {spec['deadline']!r}: use now, today, Nd, Nwd or reweigh")
    compiled, symbols, errs = _compile(spec.get("condition"), where("condition"), "condition")
    errors += errs if "condition" in spec else []
    referral = spec.get("requires_referral", False)
    referral_when = None
    if isinstance(referral, str):
        referral_when, _symbols, errs = _compile(referral, where("requires_referral"), "requires_referral")
        errors += errs
    elif not isinstance(referral, bool):
        errors.append(f"{where('requires_referral')}: requires_referral must be true, false or a condition")
    reasons: list[tuple[Any, str]] = []
    raw_reason = spec.get("reason", [])
    for part in [{"text": raw_reason}] if isinstance(raw_reason, str) else raw_reason:
        if not isinstance(part, dict) or set(part) - {"when", "text"}:
            errors.append(f"{where('reason')}: each reason is a table with 'text' and an optional 'when'")
            continue
        errors += _check_template(part.get("text"), where("reason"))
        when = None
        if "when" in part:
            when, _symbols, errs = _compile(part["when"], where("reason"), "reason condition")
            errors += errs
        reasons.append((when, str(part.get("text", ""))))
    escalate = None
    if "escalate" in spec:
        esc = spec["escalate"]
        if not isinstance(esc, dict) or "when" not in esc or set(esc) - {"when", "severity", "deadline"}:
            errors.append(f"{where('escalate')}: escalate is a table with 'when' and 'severity' or 'deadline'")
        else:
            when, _symbols, errs = _compile(esc["when"], where("escalate"), "escalate condition")
            errors += errs
            severity, deadline = esc.get("severity", spec.get("severity")), esc.get("deadline", spec.get("deadline"))
            if severity not in SEVERITIES or not deadline_ok(deadline):
                errors.append(f"{where('escalate')}: escalate needs a valid severity and deadline")
            escalate = (when, str(severity), str(deadline))
    if errors:
        return None, errors
    rule = Rule(id=rid, title=spec["title"], condition=spec["condition"], severity=spec["severity"],
                deadline=spec["deadline"], action=spec["action"], owner=spec["owner"], requires_referral=referral,
                category=spec["category"], source=spec["source"], concern=spec.get("concern", ""),
                enabled=spec.get("enabled", True), compiled=compiled, referral_when=referral_when,
                reasons=tuple(reasons), escalate=escalate, uses_fired=bool(symbols & FIRED_FACTS))
    return rule, []


def _build(default_path: Path, local_path: Path | None) -> tuple[RuleSet | None, list[str]]:
    errors: list[str] = []
    merged: dict[str, dict[str, Any]] = {}
    at: dict[str, dict[str, str]] = {}
    settings: dict[str, float] = dict(DEFAULT_SETTINGS)
    sources: dict[str, str] = {}
    for n, path in enumerate(p for p in (default_path, local_path) if p is not None):
        data, lines, errs = _read(path)
        errors += errs
        setting_lines, lines = (lines[0], lines[1:]) if lines else ({}, [])
        for key, value in data.get("settings", {}).items():
            if key == "sources" and isinstance(value, dict):
                sources.update({k: str(v) for k, v in value.items()})
            elif key not in DEFAULT_SETTINGS or isinstance(value, bool) or not isinstance(value, int | float):
                line = setting_lines.get(key, 0)
                errors.append(f"{path.name}:{line}: settings: {key!r} is not a known setting with a number")
            else:
                settings[key] = float(value)
        tables = data.get("rule", [])
        seen: set[str] = set()
        for i, table in enumerate(tables if isinstance(tables, list) else []):
            keys = lines[i] if i < len(lines) else {"": 0}
            here = {k: f"{path.name}:{line}" for k, line in keys.items()}
            rid = table.get("id")
            if not isinstance(rid, str) or not rid.strip():
                errors.append(f"{here['']}: a rule has no id")
                continue
            if rid in seen:
                errors.append(f"{here['']}: {rid}: duplicate id (already defined above in {path.name})")
                continue
            seen.add(rid)
            if rid in merged and n > 0:  # a local override: only the keys it gives change
                merged[rid].update(table)
                at[rid].update({k: v for k, v in here.items() if k})
            else:
                merged[rid], at[rid] = dict(table), here
    built = []
    for rid, spec in merged.items():
        rule, errs = _build_rule(spec, at[rid])
        errors += errs
        if rule is not None:
            built.append(rule)
    if errors:
        return None, errors
    return RuleSet(rules=tuple(built), settings=settings, setting_sources=sources), []


def check_rules_file(path: str | Path, default_path: str | Path = DEFAULT_RULES_PATH) -> list[str]:
    """Every problem in a rules file as "rules.toml:12: R07: unknown field 'foo' in condition"; empty if usable.

    The default rules file is checked on its own; any other file is checked as a local override of it.
    """
    path, default_path = Path(path), Path(default_path)
    is_default = path.resolve() == default_path.resolve()
    _rules, errors = _build(path if is_default else default_path, None if is_default else path)
    return errors


def _stamp(path: str | Path | None) -> tuple[str, int, int] | None:
    if path is None or not Path(path).is_file():
        return None
    stat = Path(path).stat()
    return str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=16)
def _load(default: tuple[str, int, int], local: tuple[str, int, int] | None) -> RuleSet:
    rules, errors = _build(Path(default[0]), Path(local[0]) if local else None)
    if rules is None:
        raise RulesFileError(errors)
    return rules


def load_rules(default_path: str | Path = DEFAULT_RULES_PATH, local_path: str | Path | None = None) -> RuleSet:
    """The rules in force: the defaults, with the local partnership's file (if it exists) applied on top.

    A local ``[[rule]]`` with a default's id changes only the keys it gives (``enabled = false`` switches the
    rule off); a new id adds a rule. Compiled once and cached until either file changes. Raises
    ``RulesFileError`` listing every problem if the rules cannot be used.
    """
    default = _stamp(default_path)
    if default is None:
        raise FileNotFoundError(f"No rules file at {default_path}")
    return _load(default, _stamp(local_path))


# --- applying the rules to a visit ---------------------------------------------------------------------

def fire(rules: RuleSet, facts: dict[str, Any]) -> list[Rule]:
    """The rules whose conditions the facts meet, in file order, filling in the ``fired_*`` facts as they go."""
    fired: list[Rule] = []
    pending = list(rules.enabled)
    first_pass = True
    while pending:
        new = False
        for rule in list(pending):
            if (first_pass or rule.uses_fired) and rule.compiled.matches(facts):
                pending.remove(rule)
                fired.append(rule)
                new = True
                facts["fired"].add(rule.id)
                facts["fired_categories"].add(rule.category)
                if rule.concern:
                    facts[f"fired_{rule.concern}"].add(rule.id)
                if rule.severity in ("immediate", "same_day") and rule.category != "process":
                    facts["fired_urgent"].add(rule.id)
        for rule in fired:
            if rule.id not in facts["fired_requiring_referral"] and (
                    rule.requires_referral is True or (rule.referral_when and rule.referral_when.matches(facts))):
                facts["fired_requiring_referral"].add(rule.id)
                new = True
        first_pass = False
        if not new:
            break
    order = {r.id: i for i, r in enumerate(rules.rules)}
    return sorted(fired, key=lambda r: order[r.id])


def severity_label(sev: str, deadline: str) -> str:
    """How the urgency is shown: "Immediate: before you leave the home", "Same day", "Within 7 days", "Monitor"."""
    if sev == "immediate":
        return "Immediate: before you leave the home"
    if sev == "monitor":
        return "Monitor"
    found = re.fullmatch(r"(\d+)(wd|d)", deadline or "")
    if sev == "same_day" or not found:
        return "Same day" if sev == "same_day" or deadline in ("now", "today") else "Within days"
    n, unit = int(found.group(1)), "working day" if found.group(2) == "wd" else "day"
    return f"Within {n} {unit}{'' if n == 1 else 's'}"


def _show(name: str, value: Any, spec: str | None, label: bool) -> str:
    if value is None:
        return NOT_RECORDED
    field_ = FIELDS_BY_NAME.get(name)
    if isinstance(value, set):
        def word(v: str) -> str:
            if label and field_:
                return field_.label_for(v)
            if label and v in FIELDS_BY_NAME:  # milestones
                return FIELDS_BY_NAME[v].question.lower()
            return (BODY_SITE_LABELS.get(v) or MECHANISM_LABELS.get(v, v)).lower() if label else v  # sites, explanations

        items = sorted(word(v) for v in value)
        return ", ".join(items) if items else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if label and field_:
        return field_.label_for(value)
    if spec:
        try:
            return format(value, spec)
        except (TypeError, ValueError):
            return str(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _reason(rule: Rule, facts: Mapping[str, Any]) -> str:
    parts = [_TEMPLATE.sub(lambda m: _show(m.group(1), facts.get(m.group(1)), m.group(3), bool(m.group(2))), text)
             for when, text in rule.reasons if when is None or when.matches(facts)]
    sentence = "; ".join(parts) if parts else f"{rule.title}: {rule.condition}"
    return sentence[:1].upper() + sentence[1:]


def _resolve_deadline(deadline: str, facts: Mapping[str, Any]) -> str:
    if deadline in DYNAMIC_DEADLINES:
        return f"{int(round(facts[DYNAMIC_DEADLINES[deadline]]))}d"
    return deadline


def required_actions_for(visit: Mapping[str, Any], child: Mapping[str, Any], growth: Mapping[str, Any] | None,
                         history: Mapping[str, Any] | None, rules: RuleSet | None = None,
                         now: datetime | None = None) -> list[dict[str, Any]]:
    """The actions a visit requires: one per rule it triggers, most urgent first.

    Each is ``{rule_id, title, severity, severity_label, action, deadline, due_at, owner, source,
    requires_referral, category, concern, reasons, already_open}``: ``due_at`` is an ISO 8601 date-time with
    its offset, counted from the visit's ``visited_at``; ``reasons`` is the sentence saying which observations
    made the rule fire; ``already_open`` says an earlier action for the same rule is still open.
    """
    rules = rules or load_rules()
    now = london_moment(now) if now else utc_now().astimezone(LONDON)
    today: date = now.date()
    facts = facts_for(visit, child, growth, history, today, rules=rules)
    moment = london_moment(visit.get("visited_at") or now)
    actions: list[dict[str, Any]] = []
    for rule in fire(rules, facts):
        severity, deadline = rule.severity, rule.deadline
        if rule.escalate and rule.escalate[0].matches(facts):
            severity, deadline = rule.escalate[1], rule.escalate[2]
        deadline = _resolve_deadline(deadline, facts)
        actions.append({
            "rule_id": rule.id, "title": rule.title, "severity": severity,
            "severity_label": severity_label(severity, deadline), "action": rule.action, "deadline": deadline,
            "due_at": due_at(moment, deadline).isoformat(), "owner": rule.owner, "source": rule.source,
            "requires_referral": rule.id in facts["fired_requiring_referral"], "category": rule.category,
            "concern": rule.concern, "reasons": _reason(rule, facts),
            "already_open": rule.id in facts["open_action_rules"],
        })
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    actions.sort(key=lambda a: rank[str(a["severity"])])  # stable: file order within a severity
    return actions


def rules_markdown(ruleset: RuleSet | None = None) -> str:
    """The rules in force as a Markdown table, for docs/rules.md (a test keeps that file equal to this)."""
    ruleset = ruleset or load_rules()
    owners = {"visitor": "the visitor", "supervisor": "the supervisor"}
    lines = ["# The required-action rules", "",
             "Generated from `homevisit/domain/rules.toml` by `homevisit.domain.rules.rules_markdown()`; a test keeps this file",
             "equal to it. Each rule's condition reads the facts listed in `homevisit/domain/facts.py`. \"Default\" in a",
             "source marks what the project chose and a partnership should confirm; `[V]` guidance read, `[S]` a",
             "secondary copy, `[R]` recalled and unsourced. A partnership changes any of this in",
             "`instance/rules.toml` (see the comments at the top of `homevisit/domain/rules.toml`).", "",
             "| Rule | When | Severity, deadline | Owner | Action | Source |",
             "| --- | --- | --- | --- | --- | --- |"]

    def cell(text: str) -> str:
        return " ".join(str(text).split()).replace("|", "\\|")

    for rule in ruleset.rules:
        if not rule.enabled:
            continue
        lines.append(f"| {rule.id} {cell(rule.title)} | `{cell(rule.condition)}` | "
                     f"{severity_label(rule.severity, rule.deadline)} ({rule.deadline}) | "
                     f"{owners.get(rule.owner, rule.owner)} | {cell(rule.action)} | {cell(rule.source)} |")
    settings = getattr(ruleset, "settings", {}) or {}
    lines += ["", "## Settings", "", "| Setting | Value |", "| --- | --- |"]
    lines += [f"| `{name}` | {value:g} |" for name, value in sorted(settings.items())]
    return "\n".join(lines) + "\n"
