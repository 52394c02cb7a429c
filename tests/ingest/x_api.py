"""X API v2 responses, in the documented response shape (tweets with `data`, `includes.users`,
`meta` with `newest_id`/`next_token`, and `errors` for deleted or protected posts). They are
written from the API reference, not recorded from the live API: this workplace has no network
beyond package registries."""

from __future__ import annotations

USERS = {
    "1": {
        "id": "1",
        "username": "AcmeAir",
        "name": "Acme Air",
        "verified": True,
        "public_metrics": {"followers_count": 120000},
    },
    "7": {
        "id": "7",
        "username": "maya_r",
        "name": "Maya 🌍 R.",
        "public_metrics": {"followers_count": 312},
    },
    "8": {
        "id": "8",
        "username": "bigvoice",
        "name": "Big Voice",
        "verified": True,
        "public_metrics": {"followers_count": 950000},
    },
}


def tweet(
    tid: int,
    author: str = "7",
    text: str | None = None,
    conv: int | None = None,
    reply_to: int | None = None,
    retweet_of: int | None = None,
) -> dict:
    t = {
        "id": str(tid),
        "author_id": author,
        "text": text or f"@AcmeAir my bag is lost ({tid})",
        "conversation_id": str(conv or tid),
        "created_at": "2026-11-20T10:00:00.000Z",
        "lang": "en",
    }
    refs = []
    if reply_to:
        refs.append({"type": "replied_to", "id": str(reply_to)})
    if retweet_of:
        refs.append({"type": "retweeted", "id": str(retweet_of)})
    if refs:
        t["referenced_tweets"] = refs
    return t


def page(tweets: list[dict], next_token: str | None = None, errors: list | None = None) -> dict:
    body: dict = {"meta": {"result_count": len(tweets)}}
    if tweets:
        body["data"] = tweets
        body["includes"] = {
            "users": list({t["author_id"]: USERS[t["author_id"]] for t in tweets}.values())
        }
        body["meta"]["newest_id"] = max(tweets, key=lambda t: int(t["id"]))["id"]
        body["meta"]["oldest_id"] = min(tweets, key=lambda t: int(t["id"]))["id"]
    if next_token:
        body["meta"]["next_token"] = next_token
    if errors:
        body["errors"] = errors
    return body


USER_LOOKUP = {"data": {"id": "1", "name": "Acme Air", "username": "AcmeAir"}}
