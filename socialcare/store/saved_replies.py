"""Saved-reply versions in the case store (socialcare/store/versions.py). Validating a file
before it is stored is route/saved_replies.py's job."""

from __future__ import annotations

from socialcare.store.tables import saved_replies
from socialcare.store.versions import Versions

SAVED_REPLIES = Versions(saved_replies, "saved replies", "socialcare templates history")
