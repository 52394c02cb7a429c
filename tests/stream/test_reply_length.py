"""Reply limits counted the way each network counts."""

from __future__ import annotations

import pytest

from socialcare.errors import InputError
from socialcare.stream.reply_length import LIMITS, check, graphemes, length


def test_x_counts_links_as_23_and_wide_characters_as_2():
    assert length("x", "hello") == 5
    assert length("x", "see https://example.com/" + "a" * 200) == 4 + 23
    assert length("x", "日本") == 4
    assert length("x", "🙂") == 2
    check("x", "a" * 280)
    with pytest.raises(InputError, match="at most 280 characters; this one counts 281"):
        check("x", "a" * 281)
    with pytest.raises(InputError):
        check("x", "日" * 141)  # 141 CJK characters weigh 282


def test_bluesky_counts_what_you_see():
    family = "👨\u200d👩\u200d👧"
    flag = "🇫🇷"
    thumbs = "👍🏽"
    accent = "e\u0301"
    assert graphemes(family + flag + thumbs + accent) == 4
    check("bluesky", family * 300)
    with pytest.raises(InputError, match="bluesky"):
        check("bluesky", "a" * 301)


def test_mastodon_and_reddit():
    check("mastodon", "a" * 476 + " https://example.com/" + "x" * 400)  # 477 + a link: 500
    with pytest.raises(InputError):
        check("mastodon", "a" * 501)
    check("reddit", "a" * 10_000)
    with pytest.raises(InputError):
        check("reddit", "a" * 10_001)
    assert LIMITS == {"x": 280, "bluesky": 300, "mastodon": 500, "reddit": 10_000}


def test_unknown_networks_have_no_limit_here():
    check("forum", "a" * 20_000)
