"""The one CLI, `socialcare`: a thin click layer, one module per concern (stages, cases and
reports, rules, users and tokens, models, settings). See socialcare/cli/app.py for the shared
options and where errors become exit codes."""

from socialcare.cli import (  # noqa: F401 (registers the commands)
    cases,
    config,
    crisis,
    models,
    reports,
    rules,
    stages,
    templates,
    users,
)
from socialcare.cli.app import main

__all__ = ["main"]
