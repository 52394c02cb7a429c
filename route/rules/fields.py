"""The mention and classifier fields a rule condition may test, and how to read each one.

`FIELDS` read the mention alone. `CONTEXT_FIELDS` need more: `author.vip` (the rule file's VIP
list), `business_hours` (its `business_hours_calendar`, at the post's time) and
`customer.repeat_contacts` (the customer's cases in the last 30 days, looked up by the router and
passed in as `Facts`), `incident.id` / `incident.size` (the open incident the router grouped the
post into) and `alert.active` (an alert is active for the post's brand)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialcare.stream.schema import Mention

# a getter reads the mention; it takes the router's facts too (and ignores them), so a compiled
# condition calls it directly, with no wrapper per test (route/rules/compile.py)
Getter = Callable[..., Any]


def _cls(attr: Callable[[Any], Any], default: Any = None) -> Getter:
    def get(m: Mention, f: object = None) -> Any:
        return attr(m.classification) if m.classification is not None else default

    return get


FIELDS: dict[str, tuple[str, Getter]] = {
    # name: (kind, getter); kind is one of text, number, bool, list
    "text": ("text", lambda m, f=None: m.text),
    "network": ("text", lambda m, f=None: m.network),
    "language": ("text", lambda m, f=None: m.language or ""),
    "brand": ("text", lambda m, f=None: m.brand or ""),
    "author.id": ("text", lambda m, f=None: m.author.id),
    "author.handle": ("text", lambda m, f=None: m.author.handle),
    "author.followers": ("number", lambda m, f=None: m.author.followers or 0),
    "author.verified": ("bool", lambda m, f=None: m.author.verified),
    "sentiment.label": ("text", _cls(lambda c: c.sentiment.label, "neutral")),
    "sentiment.score": ("number", _cls(lambda c: c.sentiment.score, 0.0)),
    "urgency.level": ("text", _cls(lambda c: c.urgency.level, "normal")),
    "urgency.score": ("number", _cls(lambda c: c.urgency.score, 0.0)),
    "urgency.reasons": ("list", _cls(lambda c: c.urgency.reasons, [])),
    "topic": ("text", _cls(lambda c: c.topic, "other")),
    "spam": ("bool", _cls(lambda c: c.spam, False)),
}
CONTEXT_FIELDS: dict[str, str] = {
    "incident.id": "text",  # the open incident the post was grouped into ("" if none)
    "incident.size": "number",  # its posts so far
    "alert.active": "bool",  # an alert is active for the post's brand
    "author.vip": "bool",
    "business_hours": "bool",
    "customer.repeat_contacts": "number",
}


def kind_of(name: str) -> str | None:
    if name in FIELDS:
        return FIELDS[name][0]
    return CONTEXT_FIELDS.get(name)


ALL_FIELDS = [*FIELDS, *CONTEXT_FIELDS]
