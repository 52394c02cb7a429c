"""Rule files into rule sets: validation with `FILE:LINE: message` errors, cross-checks (queues,
SLA policies and calendars that exist, unreachable rules), and compilation into plain Python
predicates. Rule files are untrusted input: they are parsed as data and never executed.

Evaluation order (route/rules/evaluate.py): rules are tried top to bottom. The first matching
rule without `continue: true` decides the case (queue, priority, SLA, tags); matching rules with
`continue: true` before it add their tags and priority boost and evaluation goes on. When no
deciding rule matches, `default` decides.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from route.calendar import Calendar, CalendarError
from route.durations import parse_duration
from route.rules.fields import FIELDS, kind_of
from route.rules.schema import (
    UNION_TAGS,
    Action,
    AlertsSpec,
    AllOf,
    AnyOf,
    Condition,
    DefaultAction,
    Leaf,
    NotOf,
    RuleFile,
)
from route.rules.yamlsource import YamlError, dotted, line_for, load_with_lines, resolve
from route.spikes import SpikeSettings
from socialcare.errors import InputError
from socialcare.stream.schema import Mention


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    first_response: timedelta
    resolution: timedelta
    calendar: Calendar | None = None


@dataclass(frozen=True)
class Facts:
    """What the router knows about a mention beyond the mention itself."""

    repeat_contacts: int = 0
    incident_id: str = ""
    incident_size: int = 0
    alert_active: bool = False


Predicate = Callable[[Mention, Facts], bool]


@dataclass(frozen=True)
class Escalation:
    warn_before: timedelta
    priority_boost: int
    queue: str | None
    webhook: str | None


@dataclass(frozen=True)
class CompiledRule:
    id: str
    matches: Predicate
    action: Action
    continues: bool


@dataclass(frozen=True)
class RuleSet:
    version: str
    source: str
    queues: tuple[str, ...]
    sla_policies: dict[str, SlaPolicy]
    rules: tuple[CompiledRule, ...]
    default: DefaultAction
    escalation: Escalation
    spec: RuleFile = field(repr=False)
    alerts: AlertSettings = field(default_factory=lambda: AlertSettings(AlertsSpec()))


class AlertSettings:
    """The rule file's `alerts` section, compiled: spike settings per brand, incidents, crisis."""

    def __init__(self, spec: AlertsSpec) -> None:
        self.spec = spec
        self.enabled = spec.enabled
        self.scope = spec.scope
        self.incident_idle = parse_duration(spec.incident_idle)
        self.similar_threshold = spec.similar_threshold
        self.webhook = spec.webhook
        self.crisis = spec.crisis
        self._base = SpikeSettings(
            sensitivity=spec.sensitivity,
            min_volume=spec.min_volume,
            min_similar=spec.min_similar,
            similar_threshold=spec.similar_threshold,
            cooldown=parse_duration(spec.cooldown),
            warm_up=parse_duration(spec.warm_up),
        )
        self._brands = {b.lower(): over for b, over in spec.brands.items()}

    def for_brand(self, brand: str) -> SpikeSettings | None:
        """The spike settings of a brand, or None if its alerts are off."""
        over = self._brands.get(brand.lower())
        if not self.enabled or (over is not None and not over.enabled):
            return None
        if over is None:
            return self._base
        return replace(
            self._base,
            **{
                k: v
                for k, v in {
                    "sensitivity": over.sensitivity,
                    "min_volume": over.min_volume,
                    "min_similar": over.min_similar,
                    "cooldown": parse_duration(over.cooldown) if over.cooldown else None,
                    "warm_up": parse_duration(over.warm_up) if over.warm_up else None,
                }.items()
                if v is not None
            },
        )


class RuleFileError(InputError):
    """Every problem in a rule file, each as `FILE:LINE: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid rules:\n" + "\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class _Context:
    vip: frozenset[str]
    hours: Calendar | None


def _getter(name: str, ctx: _Context) -> Callable[[Mention, Facts], Any]:
    if name in FIELDS:
        return FIELDS[name][1]  # takes (m, f) itself
    if name == "author.vip":
        return lambda m, f: m.author.handle.lower() in ctx.vip or m.author.id.lower() in ctx.vip
    if name == "business_hours":
        hours = ctx.hours
        assert hours is not None  # checked in _cross_check
        return lambda m, f: hours.is_open(m.created_at)
    if name == "customer.repeat_contacts":
        return lambda m, f: f.repeat_contacts
    if name == "incident.id":
        return lambda m, f: f.incident_id
    if name == "incident.size":
        return lambda m, f: f.incident_size
    if name == "alert.active":
        return lambda m, f: f.alert_active
    raise AssertionError(name)  # pragma: no cover - validated


def _compile_leaf(leaf: Leaf, ctx: _Context) -> Predicate:
    get = _getter(leaf.field, ctx)
    op, v = leaf.op, leaf.value
    # a text field's value is always a str: lowered directly, without _norm's type test
    text = kind_of(leaf.field) == "text"
    if op in ("equals", "not_equals"):
        want = v.lower() if isinstance(v, str) else v
        if text and op == "equals":
            return lambda m, f: get(m, f).lower() == want
        if text:
            return lambda m, f: get(m, f).lower() != want
        if op == "equals":
            return lambda m, f: _norm(get(m, f)) == want
        return lambda m, f: _norm(get(m, f)) != want
    if op in ("in", "not_in"):
        wanted = {x.lower() if isinstance(x, str) else x for x in v}
        if text and op == "in":
            return lambda m, f: get(m, f).lower() in wanted
        if op == "in":
            return lambda m, f: _norm(get(m, f)) in wanted
        return lambda m, f: _norm(get(m, f)) not in wanted
    if op == "contains_any":
        if kind_of(leaf.field) == "list":
            needles = [str(x).lower() for x in v]
            return lambda m, f: any(n in str(i).lower() for i in get(m, f) for n in needles)
        from classify.keywords import PhraseSet

        phrases = PhraseSet(str(x) for x in v)
        return lambda m, f: get(m, f)[:4000] in phrases
    if op == "regex":
        pattern = re.compile(v, re.IGNORECASE)
        return lambda m, f: pattern.search(get(m, f)[:4000]) is not None
    if op == "gt":
        return lambda m, f: get(m, f) > v
    if op == "gte":
        return lambda m, f: get(m, f) >= v
    if op == "lt":
        return lambda m, f: get(m, f) < v
    if op == "lte":
        return lambda m, f: get(m, f) <= v
    if op == "between":
        low, high = v
        return lambda m, f: low <= get(m, f) <= high
    if op == "exists":
        want = v is not False
        return lambda m, f: (get(m, f) not in (None, "", [])) == want
    raise AssertionError(op)  # pragma: no cover - Op is a closed Literal


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def compile_condition(cond: Condition | None, ctx: _Context) -> Predicate:
    if cond is None:
        return lambda m, f: True
    if isinstance(cond, AllOf):
        return _quantified([compile_condition(c, ctx) for c in cond.all], every=True)
    if isinstance(cond, AnyOf):
        return _quantified([compile_condition(c, ctx) for c in cond.any], every=False)
    if isinstance(cond, NotOf):
        inner = compile_condition(cond.not_, ctx)
        return lambda m, f: not inner(m, f)
    return _compile_leaf(cond, ctx)


def _quantified(parts: list[Predicate], every: bool) -> Predicate:
    """`all` (every) or `any` of the parts; one or two parts (most rules) as plain and / or,
    without a generator per test: the router decides every post."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        if every:
            return lambda m, f: a(m, f) and b(m, f)
        return lambda m, f: a(m, f) or b(m, f)
    quantifier = all if every else any
    return lambda m, f: quantifier(p(m, f) for p in parts)


def parse_rules(text: str, filename: str = "<rules>") -> RuleSet:
    """Validate and compile a rule file; raise RuleFileError listing every problem."""
    try:
        data, lines = load_with_lines(text)
    except YamlError as exc:
        raise RuleFileError([f"{filename}:{exc.line}: {exc.message}"]) from None
    if not isinstance(data, dict):
        raise RuleFileError(
            [f"{filename}:1: a rule file is a mapping with queues, sla_policies, rules and default"]
        )
    try:
        spec = RuleFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            path = resolve(data, loc)
            if loc and loc[-1] not in path and loc[-1] not in UNION_TAGS:
                path = (*path, loc[-1])  # a missing or unknown key: name it
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            elif err["type"] == "missing":
                msg = f"missing required key {loc[-1]!r}"
            problems.append(f"{filename}:{line_for(data, lines, loc)}: {dotted(path)}: {msg}")
        raise RuleFileError(_dedupe(problems)) from None
    problems = _cross_check(spec, data, lines, filename)
    if problems:
        raise RuleFileError(problems)
    return _compile(spec, text)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _cross_check(spec: RuleFile, data: dict, lines: dict, filename: str) -> list[str]:
    problems: list[str] = []

    def at(*loc: str | int) -> str:
        return f"{filename}:{line_for(data, lines, loc)}"

    def check_refs(action: Action | DefaultAction, loc: tuple) -> None:
        if action.queue is not None and action.queue not in spec.queues:
            problems.append(
                f"{at(*loc, 'queue')}: queue {action.queue!r} does not exist "
                f"(queues: {', '.join(spec.queues)})"
            )
        if action.sla is not None and action.sla not in spec.sla_policies:
            problems.append(
                f"{at(*loc, 'sla')}: SLA policy {action.sla!r} does not exist "
                f"(policies: {', '.join(spec.sla_policies)})"
            )

    seen: dict[str, int] = {}
    catch_all: str | None = None
    for i, rule in enumerate(spec.rules):
        if rule.id in seen:
            problems.append(
                f"{at('rules', i, 'id')}: rule id {rule.id!r} is used twice "
                f"(first in rules[{seen[rule.id]}])"
            )
        seen.setdefault(rule.id, i)
        if catch_all is not None:
            problems.append(
                f"{at('rules', i)}: rule {rule.id!r} is unreachable: rule "
                f"{catch_all!r} above it matches everything"
            )
        action = rule.then
        if action.ignore is None and action.queue is None and not rule.continue_:
            problems.append(
                f"{at('rules', i, 'then')}: rule {rule.id!r} needs a queue "
                "(or ignore: REASON, or continue: true)"
            )
        check_refs(action, ("rules", i, "then"))
        if rule.when is None and not rule.continue_ and catch_all is None:
            catch_all = rule.id
    check_refs(spec.default, ("default",))
    for name, cal in spec.calendars.items():
        try:
            Calendar.build(name, cal.timezone, cal.hours, cal.holidays)
        except CalendarError as exc:
            problems.append(f"{at('calendars', name)}: {exc}")
    for name, policy in spec.sla_policies.items():
        if policy.calendar and policy.calendar not in spec.calendars:
            problems.append(
                f"{at('sla_policies', name, 'calendar')}: calendar "
                f"{policy.calendar!r} does not exist"
            )
    if spec.escalation.queue and spec.escalation.queue not in spec.queues:
        problems.append(
            f"{at('escalation', 'queue')}: queue {spec.escalation.queue!r} does not exist"
        )
    uses_hours = "business_hours" in json.dumps(data.get("rules", []), default=str)
    if spec.business_hours_calendar and spec.business_hours_calendar not in spec.calendars:
        problems.append(
            f"{at('business_hours_calendar')}: calendar "
            f"{spec.business_hours_calendar!r} does not exist"
        )
    elif uses_hours and not spec.business_hours_calendar:
        problems.append(
            f"{at('rules')}: a rule tests business_hours, so set "
            "business_hours_calendar to one of the calendars"
        )
    return problems


def _compile(spec: RuleFile, text: str) -> RuleSet:
    calendars = {
        name: Calendar.build(name, c.timezone, c.hours, c.holidays)
        for name, c in spec.calendars.items()
    }
    policies = {
        name: SlaPolicy(
            name,
            parse_duration(p.first_response),
            parse_duration(p.resolution),
            calendars.get(p.calendar) if p.calendar else None,
        )
        for name, p in spec.sla_policies.items()
    }
    ctx = _Context(
        frozenset(v.lower().lstrip("@") for v in spec.vip),
        calendars.get(spec.business_hours_calendar or ""),
    )
    rules = tuple(
        CompiledRule(r.id, compile_condition(r.when, ctx), r.then, r.continue_) for r in spec.rules
    )
    esc = spec.escalation
    escalation = Escalation(
        parse_duration(esc.warn_before), esc.priority_boost, esc.queue, esc.webhook
    )
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return RuleSet(
        version,
        text,
        tuple(spec.queues),
        policies,
        rules,
        spec.default,
        escalation,
        spec,
        AlertSettings(spec.alerts),
    )


def load_rules(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RuleFileError([f"{path}:1: not UTF-8 text"]) from None
    except OSError as exc:
        raise RuleFileError([f"{path}:1: cannot read: {exc.strerror}"]) from None
    return parse_rules(text, str(path))


DEFAULT_RULES_PATH = Path(__file__).parent.parent / "default_rules.yaml"


def default_rules() -> RuleSet:
    return load_rules(DEFAULT_RULES_PATH)
