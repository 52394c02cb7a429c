"""The desk's routes, one module per page family: sign-in (auth), queues and cases, reports,
rules, users. Each module's `router` is included by socialcare/desk/app.py."""

from socialcare.desk.routes import auth, cases, incidents, reports, rules, users

MODULES = (auth, cases, incidents, reports, rules, users)
