"""The rule file's schema (pydantic): what a rule file may say, validated field by field with
errors that name the key. Compiling lives in route/rules/compile.py, evaluating in
route/rules/evaluate.py."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from route.durations import parse_duration
from route.rules.fields import ALL_FIELDS, kind_of

MAX_REGEX_CHARS = 200
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Op = Literal[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains_any",
    "regex",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "exists",
]
UNION_TAGS = ("all", "any", "not", "leaf")
_NESTED_QUANTIFIER = re.compile(r"\([^)]*[+*][^)]*\)[+*{]")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Leaf(_Strict):
    field: str
    op: Op
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if kind_of(name) is None:
            raise ValueError(f"unknown field {name!r}; known fields: {', '.join(ALL_FIELDS)}")
        return name

    @model_validator(mode="after")
    def _value_fits_op(self) -> Leaf:
        kind = kind_of(self.field)
        v = self.value
        if self.op in ("in", "not_in", "contains_any"):
            if not isinstance(v, list) or not v:
                raise ValueError(f"op {self.op} needs a non-empty list as value")
            if self.op == "contains_any" and kind not in ("text", "list"):
                raise ValueError(f"contains_any works on text or list fields, not {self.field}")
        elif self.op in ("gt", "gte", "lt", "lte"):
            if kind != "number" or isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"op {self.op} compares a number field with a number")
        elif self.op == "between":
            if (
                kind != "number"
                or not isinstance(v, list)
                or len(v) != 2
                or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
                or v[0] > v[1]
            ):
                raise ValueError("op between needs a number field and [low, high] with low <= high")
        elif self.op == "regex":
            if kind != "text" or not isinstance(v, str):
                raise ValueError("op regex needs a text field and a pattern string")
            if len(v) > MAX_REGEX_CHARS:
                raise ValueError(f"regex longer than {MAX_REGEX_CHARS} characters")
            if _NESTED_QUANTIFIER.search(v):
                raise ValueError("regex has a nested quantifier like (a+)+, which can run forever")
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from None
        elif self.op == "exists":
            if v not in (None, True, False):
                raise ValueError("op exists takes value true or false (or none)")
        elif self.op in ("equals", "not_equals"):
            if isinstance(v, list | dict):
                raise ValueError(f"op {self.op} compares with one value; use in / not_in for lists")
            if kind == "bool" and not isinstance(v, bool):
                raise ValueError(f"{self.field} is true or false, not {v!r}")
            if kind == "number" and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise ValueError(f"{self.field} is a number, not {v!r}")
        return self


class AllOf(_Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(_Strict):
    not_: Condition = Field(alias="not")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
        return "leaf"
    if isinstance(value, AllOf):
        return "all"
    if isinstance(value, AnyOf):
        return "any"
    if isinstance(value, NotOf):
        return "not"
    return "leaf"


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")]
    | Annotated[Leaf, Tag("leaf")],
    Discriminator(_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


class Action(_Strict):
    queue: Name | None = None
    priority: Annotated[int, Field(ge=0, le=100)] | None = None
    priority_boost: Annotated[int, Field(ge=-100, le=100)] = 0
    sla: Name | None = None
    tags: list[Annotated[str, StringConstraints(max_length=64)]] = Field(default_factory=list)
    ignore: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    escalate: bool = False  # escalate at once: event, tag and the escalation boost


class Rule(_Strict):
    id: Name
    description: str = ""
    when: Condition | None = None  # no condition: matches everything
    then: Action
    continue_: bool = Field(False, alias="continue")


class SlaPolicySpec(_Strict):
    first_response: str
    resolution: str
    calendar: Name | None = None  # business hours; none: the clock runs 24×7

    @field_validator("first_response", "resolution")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class CalendarSpec(_Strict):
    timezone: str
    hours: dict[str, list[str]] = Field(min_length=1)
    holidays: list[date] = Field(default_factory=list)


class EscalationSpec(_Strict):
    warn_before: str = "15m"  # warn this long before an SLA is due
    priority_boost: Annotated[int, Field(ge=0, le=100)] = 20  # on breach
    queue: Name | None = None  # on breach, move here (none: stay)
    webhook: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2048)] | None = None

    @field_validator("warn_before")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


Skill = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_+-]{0,31}$")]


class QueueSpec(_Strict):
    description: str = ""
    # how the assigner (route/assigner.py) picks among the agents who may take a case
    assignment: Literal["most-spare-capacity", "round-robin"] = "most-spare-capacity"
    skills: list[Skill] = Field(default_factory=list)  # an agent needs all of them


class AssignmentSpec(_Strict):
    """Push assignment: cases to online agents by capacity and skills."""

    enabled: bool = True
    # a case in another language needs an agent with that language as a skill
    languages: list[Skill] = Field(default_factory=lambda: ["en"])


class DefaultAction(_Strict):
    queue: Name
    priority: Annotated[int, Field(ge=0, le=100)]
    sla: Name


class BrandAlertsSpec(_Strict):
    """Per-brand overrides of the spike settings."""

    sensitivity: Annotated[float, Field(ge=1.0, le=50.0)] | None = None
    min_volume: Annotated[int, Field(ge=5, le=100_000)] | None = None
    min_similar: Annotated[int, Field(ge=3, le=100_000)] | None = None
    cooldown: str | None = None
    warm_up: str | None = None
    enabled: bool = True

    @field_validator("cooldown", "warm_up")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class CrisisSpec(_Strict):
    """Where `socialcare crisis on` sends an incident's posts."""

    queue: Name = "crisis"
    priority: Annotated[int, Field(ge=0, le=100)] = 85
    first_response: str = "15m"
    resolution: str = "8h"

    @field_validator("first_response", "resolution")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class AlertsSpec(_Strict):
    """Spike alerts and incidents (route/spikes.py, route/incidents.py)."""

    enabled: bool = True
    scope: Literal["brand", "brand+topic", "brand+network"] = "brand"
    sensitivity: Annotated[float, Field(ge=1.0, le=50.0)] = 6.0
    min_volume: Annotated[int, Field(ge=5, le=100_000)] = 30
    min_similar: Annotated[int, Field(ge=3, le=100_000)] = 15
    cooldown: str = "2h"
    warm_up: str = "12h"
    incident_idle: str = "6h"  # an incident that gained no post for this long closes
    similar_threshold: Annotated[float, Field(ge=0.05, le=0.95)] = 0.15
    webhook: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2048)] | None = None
    brands: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=256)], BrandAlertsSpec
    ] = Field(default_factory=dict)
    crisis: CrisisSpec = Field(default_factory=CrisisSpec)

    @field_validator("cooldown", "warm_up", "incident_idle")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value


class RuleFile(_Strict):
    version: Literal[1] = 1
    queues: dict[Name, QueueSpec | None] = Field(min_length=1)
    calendars: dict[Name, CalendarSpec] = Field(default_factory=dict)
    sla_policies: dict[Name, SlaPolicySpec] = Field(min_length=1)
    escalation: EscalationSpec = Field(default_factory=EscalationSpec)
    vip: list[Annotated[str, StringConstraints(min_length=1, max_length=256)]] = Field(
        default_factory=list
    )  # author handles or ids, any case
    business_hours_calendar: Name | None = None  # for the `business_hours` condition
    alerts: AlertsSpec = Field(default_factory=AlertsSpec)
    assignment: AssignmentSpec = Field(default_factory=AssignmentSpec)
    rules: list[Rule] = Field(default_factory=list)
    default: DefaultAction
