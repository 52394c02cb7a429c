"""Saved replies and macros: a YAML file of reply templates with variables, and named sequences
of case actions, validated like rule files (`FILE:LINE: message`, never executed) and versioned
in the case store like rule sets.

```yaml
templates:
  - id: outage-apology
    text: 'Hi {{customer.name | default: "there"}}, we know about the outage. ^{{agent.name}}'
    queues: [complaints]        # optional: offered only for cases in these queues,
    networks: [x, bluesky]      # on these networks,
    language: en                # in this language
macros:
  - id: outage-close
    actions:
      - reply: outage-apology
      - tag: outage
      - topic: outage
      - snooze: 2h
      - resolve: true
```

Variables: `customer.handle`, `customer.name`, `agent.name`, `brand`, `case.id`, `case.queue`,
`case.network`; `{{name | default: "text"}}` gives a fallback when the value is empty.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from route.durations import parse_duration
from route.rules.yamlsource import YamlError, dotted, line_for, load_with_lines, resolve
from socialcare.errors import InputError

VARIABLES = (
    "customer.handle",
    "customer.name",
    "agent.name",
    "brand",
    "case.id",
    "case.queue",
    "case.network",
)
PLACEHOLDER = re.compile(
    r"{{\s*(?P<name>[^|}\s]*)\s*(?:\|\s*default:\s*\"(?P<default>[^\"]*)\"\s*)?}}"
)
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
DEFAULT_PATH = Path(__file__).with_name("default_saved_replies.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateSpec(_Strict):
    id: Id
    text: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    queues: list[str] = Field(default_factory=list)
    networks: list[str] = Field(default_factory=list)
    language: str | None = None

    @field_validator("text")
    @classmethod
    def _variables(cls, text: str) -> str:
        for match in PLACEHOLDER.finditer(text):
            if match.group("name") not in VARIABLES:
                raise ValueError(
                    f"unknown variable {match.group('name')} (known: {', '.join(VARIABLES)})"
                )
        if text.count("{{") != len(PLACEHOLDER.findall(text)):
            raise ValueError("a {{ … }} placeholder is not closed or not well formed")
        return text


class ActionSpec(_Strict):
    """One step of a macro: exactly one of these keys."""

    reply: Id | None = None  # a saved reply's id
    tag: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    topic: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    snooze: str | None = None  # a duration: 2h, 1d
    resolve: bool | None = None

    @field_validator("snooze")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class MacroSpec(_Strict):
    id: Id
    description: str = ""
    actions: list[ActionSpec] = Field(min_length=1, max_length=20)


class SavedRepliesFile(_Strict):
    templates: list[TemplateSpec] = Field(default_factory=list)
    macros: list[MacroSpec] = Field(default_factory=list)


class SavedRepliesError(InputError):
    """Every problem in a saved replies file, each as `FILE:LINE: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid saved replies:\n" + "\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SavedReplies:
    version: str
    source: str
    templates: dict[str, TemplateSpec]
    macros: dict[str, MacroSpec]

    def offered(self, case: dict) -> list[TemplateSpec]:
        """The templates that fit a case (queue, network, language), in file order."""
        return [
            t
            for t in self.templates.values()
            if (not t.queues or case.get("queue") in t.queues)
            and (not t.networks or case.get("network") in t.networks)
            and (t.language is None or (case.get("language") or "en") == t.language)
        ]


def parse(text: str, filename: str = "<saved replies>") -> SavedReplies:
    try:
        data, lines = load_with_lines(text)
    except YamlError as exc:
        raise SavedRepliesError([f"{filename}:{exc.line}: {exc.message}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SavedRepliesError([f"{filename}:1: a saved replies file is a mapping"])
    try:
        spec = SavedRepliesFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            path = resolve(data, loc)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            problems.append(f"{filename}:{line_for(data, lines, loc)}: {msg} (at {dotted(path)})")
        raise SavedRepliesError(list(dict.fromkeys(problems))) from None
    problems = []
    seen: set[str] = set()
    for i, t in enumerate(spec.templates):
        if t.id in seen:
            problems.append(
                f"{filename}:{line_for(data, lines, ('templates', i, 'id'))}: template id {t.id!r} is used twice"
            )
        seen.add(t.id)
    for i, m in enumerate(spec.macros):
        for j, action in enumerate(m.actions):
            set_keys = [k for k, v in action.model_dump().items() if v is not None]
            where = f"{filename}:{line_for(data, lines, ('macros', i, 'actions', j))}"
            if len(set_keys) != 1:
                problems.append(
                    f"{where}: a macro step does one thing (reply, tag, topic, snooze or resolve)"
                )
            if action.reply and action.reply not in seen:
                problems.append(f"{where}: no template {action.reply!r}")
    if problems:
        raise SavedRepliesError(problems)
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return SavedReplies(
        version, text, {t.id: t for t in spec.templates}, {m.id: m for m in spec.macros}
    )


def load(path: Path) -> SavedReplies:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SavedRepliesError([f"{path}:1: cannot read: {exc}"]) from None
    return parse(text, str(path))


def fill(template: str, values: dict[str, Any]) -> str:
    """The text with each placeholder replaced by its value, or its default when empty."""

    def one(match: re.Match) -> str:
        value = values.get(match.group("name"))
        if value in (None, ""):
            return match.group("default") or ""
        return str(value)

    return PLACEHOLDER.sub(one, template)


def values_for(case: dict, agent: str) -> dict[str, Any]:
    """The variables of a case as the desk shows it (`get_case`): the customer's handle and
    the display name of their opening post."""
    return {
        "customer.handle": "@" + case["customer_handle"] if case.get("customer_handle") else "",
        "customer.name": case.get("customer_name") or "",
        "agent.name": agent,
        "brand": case.get("account") or "",
        "case.id": case.get("id", ""),
        "case.queue": case.get("queue", ""),
        "case.network": case.get("network", ""),
    }
