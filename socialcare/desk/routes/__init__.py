"""The desk's routes, one module per page family: sign-in (auth), queues and cases, reports,
rules, saved replies, customers, users. Each module's `router` is included by socialcare/desk/app.py."""

from socialcare.desk.routes import (
    auth,
    cases,
    customers,
    incidents,
    listening,
    reports,
    rules,
    saved_replies,
    users,
)

MODULES = (auth, cases, customers, incidents, listening, reports, rules, saved_replies, users)
