"""The newest-first page walk shared by the Bluesky and Reddit sources."""

from __future__ import annotations

from ingest.sources.polling import newest_first_page


def _marker(entry):
    return str(int(float(entry["at"])))


def test_the_walk_stops_at_the_last_poll_and_keeps_unreadable_entries_for_dead_letters():
    entries = [{"at": "30"}, {"at": "inf"}, {"no": "marker"}, "junk", {"at": "20"}, {"at": "9"}]
    page = newest_first_page(entries, _marker, since="10", next_token="next")
    assert page.items == [{"at": "30"}, {"at": "inf"}, {"no": "marker"}, "junk", {"at": "20"}]
    assert page.newest == "30"  # numeric markers compare by value ("9" < "10")
    assert page.next_token is None  # the last poll's marker was reached: no further page


def test_a_page_above_the_last_poll_has_a_next_page_and_keep_filters_items():
    entries = [{"at": "30", "kind": "like"}, {"at": "25", "kind": "mention"}]
    page = newest_first_page(
        entries, _marker, since="10", next_token=7, keep=lambda e: e["kind"] == "mention"
    )
    assert page.items == [{"at": "25", "kind": "mention"}]
    assert page.newest == "30"  # a like still moves the cursor
    assert page.next_token == "7"
    assert newest_first_page([], _marker, None, "next").next_token is None  # empty: the end
