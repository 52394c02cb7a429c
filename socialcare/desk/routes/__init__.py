"""The desk's routes, one module per page family: sign-in (auth), queues and cases, reports,
rules, saved replies, customers, users, the classifier's models and the Review page. Each
module's `router` is included by socialcare/desk/app.py."""

from importlib import import_module

NAMES = (
    "auth",
    "cases",
    "customers",
    "incidents",
    "listening",
    "models",
    "reports",
    "review",
    "rules",
    "saved_replies",
    "users",
)
MODULES = tuple(import_module(f"{__name__}.{name}") for name in NAMES)
