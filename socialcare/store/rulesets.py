"""Rule-set versions in the case store (socialcare/store/versions.py). Validating a rule file
before it is stored is the router's job (route/publishing.py)."""

from __future__ import annotations

from socialcare.store.tables import rulesets
from socialcare.store.versions import VersionError, Versions

RULESETS = Versions(rulesets, "rule set", "socialcare rules history")
store = RULESETS.store
current = RULESETS.current
current_id = RULESETS.current_id
history = RULESETS.history
text_of = RULESETS.text_of

__all__ = ["VersionError", "current", "current_id", "history", "store", "text_of"]
