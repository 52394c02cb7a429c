"""An offline source of realistic brand-mention traffic, for `make run` and demos.

Traffic comes in episodes: one customer conversation each (a complaint, a question, praise, a
safety report, spam…), on one of four networks, about one of two fictional brands, with the
brand's replies and the customer's follow-ups spread over the following minutes. Every few
hundred episodes an outage burst brings a wave of similar complaints.

Everything is derived from (seed, episode number), so the stream is reproducible and a restart
resumes from the cursor without repeating or skipping a post.

`demo` runs in real time (about `rate` episodes a second, timestamps now, starting with the
last 20 minutes of traffic so a fresh desk is not empty); `demo:N` emits N
episodes as fast as they are read, with timestamps spread over the recent past.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ingest.sources.base import Fetched, Source
from socialcare.stream.schema import Mention, mention_from_dict, utcnow

BACKFILL_S = 20 * 60
NETWORKS = ("x", "x", "x", "mastodon", "bluesky", "reddit")
BRANDS = {
    "airline": ("SkyLarkAir", "SkyLark Air"),
    "telecom": ("VoltMobileHelp", "Volt Mobile"),
}
FIRST = [
    "Maya",
    "Liam",
    "Priya",
    "Jonas",
    "Aisha",
    "Tom",
    "Sofia",
    "Kenji",
    "Elena",
    "Omar",
    "Grace",
    "Diego",
    "Hana",
    "Noah",
    "Zoe",
    "Ravi",
    "Lena",
    "Marcus",
    "Ines",
    "Felix",
]
LAST = ["Reyes", "Okafor", "Smith", "Novak", "Haddad", "Kim", "Larsen", "Costa", "Ibrahim", "Tan"]
CITIES = ["Denver", "Chicago", "Boston", "Seattle", "Atlanta", "Dallas", "Newark", "Phoenix"]

AIRLINE = {
    "cancellation": [
        "@{b} flight {fl} to {city} Cancelled Flightled again. Rebooked for tomorrow night?? I have a wedding",
        "@{b} my {fl} got cancelled at the gate and nobody is telling us anything",
        "@{b} second cancellation this week. {n} hours on hold and still no rebooking",
    ],
    "delay": [
        "@{b} {fl} delayed {n} hours and counting, missed my connection in {city}",
        "@{b} sitting on the tarmac for {n} hours with no update. What is going on?",
    ],
    "baggage": [
        "@{b} my bag never made it to {city}. Day {n} and the tracker still says 'in transit'",
        "@{b} lost baggage claim filed {n} days ago, no reply. My medication is in that bag",
        "@{b} suitcase arrived with a broken handle and wet clothes. Who pays for this?",
    ],
    "refund": [
        "@{b} still waiting on my refund for the cancelled {fl}, it's been {n} weeks",
        "@{b} you promised a refund in 7 days. It has been {n} weeks. Unacceptable",
    ],
    "safety": [
        "@{b} there is smoke coming from the overhead bin on {fl}, crew not responding!",
        "@{b} passenger next to me is being harassed and the crew ignored it. This is not safe",
    ],
    "legal": ["@{b} {n} weeks without my refund. Talking to my lawyer tomorrow"],
    "question": [
        "@{b} can I bring a guitar as carry-on on {fl}?",
        "@{b} how do I add my known traveler number to an existing booking?",
        "@{b} does the {city} lounge open before 6am?",
    ],
    "praise": [
        "@{b} huge thanks to the crew on {fl}, they found my daughter's lost teddy bear. Amazing!",
        "@{b} best landing ever into {city}, great job captain",
    ],
}
TELECOM = {
    "outage": [
        "@{b} no signal in downtown {city} since this morning. Is there an outage?",
        "@{b} internet down AGAIN. {n} hours now. I work from home",
    ],
    "billing": [
        "@{b} I was double charged this month, ${amt} taken twice from my account",
        "@{b} why did my bill jump to ${amt}? Nobody on the phone can explain it",
    ],
    "fraud": [
        "@{b} someone ported my number without my consent, unauthorized charges on my card",
        "@{b} I think my account was hacked, there's a new line I never ordered",
    ],
    "churn": ["@{b} {n} outages this month. Switching to another carrier, cancel my account"],
    "question": [
        "@{b} does the unlimited plan include roaming in Mexico?",
        "@{b} how do I set up eSIM on a new phone?",
    ],
    "praise": ["@{b} the tech who came today was fantastic, fixed it in 10 minutes. Thanks!"],
    "safety": ["@{b} my phone battery is swelling and hot after your update, is it safe?"],
}
FOREIGN = [
    ("es", "@{b} mi vuelo {fl} fue cancelado y nadie responde"),
    ("fr", "@{b} ma valise est perdue depuis {n} jours, aucune réponse"),
    ("de", "@{b} kein Netz seit heute Morgen in {city}"),
]
SPAM = [
    "RT @promo_{n}: FREE followers click here https://spam.example/{n} https://x.example/a https://x.example/b",
    "@{b} Get 1000 free followers now!! DM for promo code https://bit.example/{n}",
    "@{b} crypto giveaway 100% free bitcoin airdrop https://scam.example/{n}",
    "<script>alert('xss-{n}')</script> @{b} click here for a limited offer",
]
BRAND_REPLIES = [
    "Hi {name}, we're sorry to hear this. Please DM us your booking or account number and we'll look into it right away.",
    "{name}, thanks for reaching out. I've passed this to our team and will update you shortly. ^{init}",
    "We understand how frustrating this is, {name}. Can you DM us the details so we can help? ^{init}",
]
FOLLOW_UPS = [
    "@{b} DM sent. Still waiting",
    "@{b} it's been {n} hours since your reply. Anyone?",
    "@{b} thanks, that fixed it!",
    "@{b} this is the third time I'm asking",
]


@dataclass(frozen=True)
class _Post:
    delay_s: float
    data: dict


class DemoSource(Source):
    def __init__(
        self,
        conversations: int | None = None,
        rate: float = 0.5,
        seed: int = 7,
        backfill_s: float = BACKFILL_S,
    ) -> None:
        self.backfill_s = backfill_s
        self.conversations = conversations
        self.finite = conversations is not None
        self.rate = rate
        self.seed = seed
        self.name = f"demo:{conversations}" if self.finite else "demo"
        self.reply_scale_s = 30.0 if not self.finite else 1800.0

    # -- episodes ---------------------------------------------------------------------------
    def episode(self, k: int, start: datetime) -> list[_Post]:
        rng = random.Random(self.seed * 1_000_003 + k)
        sector = "airline" if rng.random() < 0.6 else "telecom"
        handle, brand_name = BRANDS[sector]
        network = rng.choice(NETWORKS)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        user = f"{first.lower()}{last.lower()[:3]}{rng.randint(1, 999)}"
        fill = {
            "b": handle,
            "fl": f"SK{rng.randint(100, 999)}",
            "city": rng.choice(CITIES),
            "n": rng.randint(2, 9),
            "amt": rng.randint(40, 400),
            "name": first,
            "init": "".join(rng.sample("ABCDEFGHJKLMNPRSTW", 2)),
        }
        burst = 200 <= (k % 400) < 225  # an outage/cancellation wave
        language = "en"
        templates = AIRLINE if sector == "airline" else TELECOM
        roll = rng.random()
        if roll < 0.07:
            text, kind = rng.choice(SPAM), "spam"
        elif roll < 0.12:
            language, text = rng.choice(FOREIGN)
            kind = "foreign"
        else:
            if burst:
                kind = "cancellation" if sector == "airline" else "outage"
            else:
                weights = {
                    "question": 4,
                    "praise": 2,
                    "safety": 0.4,
                    "legal": 0.4,
                    "fraud": 0.6,
                    "churn": 0.6,
                }
                kinds = list(templates)
                kind = rng.choices(kinds, [weights.get(x, 2.0) for x in kinds])[0]
            text = rng.choice(templates[kind])
        followers = int(rng.lognormvariate(5, 2))
        verified = rng.random() < 0.03
        conv = f"{self.seed}{k:09d}"
        posts = [
            _Post(
                0.0,
                self._post(
                    network,
                    conv,
                    f"{conv}0",
                    None,
                    user,
                    f"{first} {last}",
                    followers,
                    verified,
                    text.format(**fill),
                    language,
                    brand=handle,
                    from_brand=False,
                ),
            )
        ]
        if kind != "spam" and rng.random() < 0.75:
            delay = rng.expovariate(1.0) * self.reply_scale_s
            reply = f"@{user} " + rng.choice(BRAND_REPLIES).format(**fill)
            posts.append(
                _Post(
                    delay,
                    self._post(
                        network,
                        conv,
                        f"{conv}1",
                        f"{conv}0",
                        handle,
                        brand_name,
                        250_000,
                        True,
                        reply,
                        "en",
                        brand=handle,
                        from_brand=True,
                    ),
                )
            )
            if rng.random() < 0.4:
                follow = rng.choice(FOLLOW_UPS).format(**fill)
                posts.append(
                    _Post(
                        delay * 1.5 + 5,
                        self._post(
                            network,
                            conv,
                            f"{conv}2",
                            f"{conv}1",
                            user,
                            f"{first} {last}",
                            followers,
                            verified,
                            follow,
                            "en",
                            brand=handle,
                            from_brand=False,
                        ),
                    )
                )
        latest = datetime.now(UTC)  # nothing is posted in the future
        for post in posts:
            at = min(start + timedelta(seconds=post.delay_s), latest)
            post.data["created_at"] = at.isoformat()
        return posts

    def _post(
        self,
        network,
        conv,
        post_id,
        reply_to,
        user,
        display,
        followers,
        verified,
        text,
        language,
        brand,
        from_brand,
    ) -> dict:
        return {
            "schema": 1,
            "network": network,
            "post_id": post_id,
            "conversation_id": conv,
            "author": {
                "id": user,
                "handle": user,
                "display_name": display,
                "followers": followers,
                "verified": verified,
            },
            "text": text,
            "language": language,
            "url": f"https://demo.socialcare.invalid/{network}/{post_id}",
            "in_reply_to": reply_to,
            "from_brand": from_brand,
            "brand": brand,
        }

    # -- fetching ---------------------------------------------------------------------------
    def fetch(self, cursor: str | None, limit: int) -> Fetched:
        state = json.loads(cursor) if cursor else {}
        if self.finite:
            return self._fetch_finite(state, limit)
        return self._fetch_realtime(state, limit)

    def _finish(self, raw: list[dict]) -> list[Mention]:
        now = utcnow().isoformat()
        return [
            mention_from_dict({**d, "ingest": {"source": self.name, "fetched_at": now}})
            for d in raw
        ]

    def _fetch_finite(self, state: dict, limit: int) -> Fetched:
        base = datetime.fromtimestamp(state.get("base", time.time() - 2 * 3600), UTC)
        k = state.get("k", 0)
        total = self.conversations or 0
        raw: list[dict] = []
        while k < total and len(raw) < limit:
            start = base + timedelta(seconds=k * 2 * 3600 / max(1, total))
            raw.extend(p.data for p in self.episode(k, start))
            k += 1
        cursor = json.dumps({"base": base.timestamp(), "k": k})
        # every episode before k is out; episode k and later start at its start time or later
        if k < total:
            mark = base + timedelta(seconds=k * 2 * 3600 / max(1, total), microseconds=-1)
        else:
            mark = datetime.now(UTC)
        return Fetched(
            self._finish(raw), cursor=cursor, exhausted=k >= total, watermark=min(mark, utcnow())
        )

    def _fetch_realtime(self, state: dict, limit: int) -> Fetched:
        now = time.time()
        t0 = state.get("t0", now - self.backfill_s)  # a fresh desk starts with some history
        since = max(state.get("t", t0 - 1), now - max(60.0, self.backfill_s))  # skip a long stop
        horizon = 6 * self.reply_scale_s + 60
        first_k = max(0, int((since - horizon - t0) * self.rate))
        last_k = int((now - t0) * self.rate)
        raw: list[dict] = []
        for k in range(first_k, last_k + 1):
            start = t0 + k / self.rate
            for post in self.episode(k, datetime.fromtimestamp(start, UTC)):
                due = start + post.delay_s
                if since < due <= now:
                    raw.append(post.data)
        cursor = json.dumps({"t0": t0, "t": now})
        return Fetched(
            self._finish(raw[: max(limit, len(raw))]),
            cursor=cursor,
            exhausted=not raw,
            watermark=datetime.fromtimestamp(now, UTC),  # every post due by now is out
        )
