"""Spike detection in event time: is a brand suddenly louder, or suddenly more negative, than it
usually is at this time of day?

Customer posts are counted per brand (or brand × topic, brand × network) in one-minute buckets of
their posting time. Every minute is judged, once the event-time clock has passed its end (so a
replay of history raises exactly the alerts the live run raised), on the window of the ten
minutes up to it.

The method (`seasonal`), chosen over a plain trailing average (`trailing`, kept for the
comparison in tests/route/test_spikes.py and `make bench`):

- **expected volume** of the window = the larger of (a) the mean of the same ten minutes of the
  day, ±30 minutes (in five-minute steps), on each of the previous seven days the brand had
  traffic (the daily rhythm:
  mornings are busier than nights, and this knows it), and (b) the mean ten-minute volume of the
  hour before the window (a level that has been climbing for days is not a spike today);
- **spread**: the larger of the variance of those samples and the expectation itself (social
  traffic is burstier than Poisson; the observed variance says how much);
- a **volume spike**: at least `min_volume` posts, at least `min_ratio` × expected, and
  (observed − expected) / √(spread + 1) ≥ `sensitivity`;
- a **negative spike**: at least `min_volume` posts, a negative share at least
  `negative_rise` above the share of the day before (smoothed), and a binomial z-score of the
  negative count ≥ `sensitivity`;
- a **surge of similar posts** (reported as a volume spike, signal "similar posts"): for a busy
  brand a burst doubles the volume without standing out from a noisy day, but a hundred posts
  about one thing do. When a window is already unusual (z ≥ `sensitivity` / 2.5, or the negative
  share risen by half of `negative_rise`), the terms that rose against the day before
  (classify/similarity.py `rising`) are taken as a signature, and if at least `min_similar`
  posts of the window, and a third of them, match it, that is a spike;
- a **warm-up**: nothing is judged before `warm_up` of traffic has been seen for the brand;
- a **cooldown**: after an alert for a brand, none for `cooldown` (one alert per event, not one
  per bucket; the volume and negative signals of one burst make one alert).

The trailing average alone cries wolf every morning: the rise from night to day looks like a
spike against the hour before. The comparison test measures exactly that.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from classify.similarity import Idf, alike, rising

BUCKET_S = 60  # one minute
WINDOW = 10  # buckets in a judged window (ten minutes), judged every minute
DAY_BUCKETS = 86_400 // BUCKET_S
HOUR_BUCKETS = 3600 // BUCKET_S


def bucket_of(at: datetime) -> int:
    """The one-minute bucket of a time (seconds since the epoch // 60)."""
    return int(at.timestamp()) // BUCKET_S


def bucket_start(bucket: int) -> datetime:
    return datetime.fromtimestamp(bucket * BUCKET_S, UTC)


@dataclass(frozen=True)
class SpikeSettings:
    sensitivity: float = 5.0
    min_volume: int = 30
    min_ratio: float = 2.0
    negative_rise: float = 0.25
    min_similar: int = 15
    similar_threshold: float = 0.15
    warm_up: timedelta = timedelta(hours=12)
    cooldown: timedelta = timedelta(hours=2)
    history_days: int = 7


@dataclass(frozen=True)
class Counts:
    posts: int = 0
    negative: int = 0


@dataclass(frozen=True)
class Spike:
    key: str
    kind: str  # volume | negative
    signal: str  # "volume", "negative share" or "similar posts": what fired
    bucket: int  # the last bucket of the window that fired
    started_at: datetime
    detected_at: datetime
    observed: int
    expected: float
    score: float  # the z-score
    negative_share: float
    expected_negative_share: float

    @property
    def severity(self) -> str:
        return "critical" if self.score >= 15 else "high" if self.score >= 10 else "medium"


class Series:
    """One key's counts per bucket, for range sums in O(log n) (sparse: years between two
    replays cost nothing)."""

    def __init__(self, counts: Mapping[int, Counts]) -> None:
        self.buckets = sorted(counts)
        self.posts = [0]
        self.negative = [0]
        for b in self.buckets:
            self.posts.append(self.posts[-1] + counts[b].posts)
            self.negative.append(self.negative[-1] + counts[b].negative)

    @property
    def first(self) -> int:
        return self.buckets[0]

    def total(self, lo: int, hi: int) -> Counts:
        """Counts of buckets lo..hi inclusive."""
        i, j = bisect_left(self.buckets, lo), bisect_right(self.buckets, hi)
        return Counts(self.posts[j] - self.posts[i], self.negative[j] - self.negative[i])

    def window(self, last: int) -> Counts:
        return self.total(last - WINDOW + 1, last)

    def at(self, bucket: int) -> int:
        return self.total(bucket, bucket).posts


#: a key's posts of buckets lo..hi as (text, negative); lets the detector look at what was said
Texts = Callable[[int, int], list[tuple[str, bool]]]


class SeasonalDetector:
    """Same time of day on previous days, or the hour before, whichever is higher."""

    name = "seasonal"

    def __init__(self, settings: SpikeSettings, texts: Texts | None = None) -> None:
        self.s = settings
        self.texts = texts
        self._background: dict[int, Idf] = {}  # per hour: the day before, as IDF statistics

    def expected(self, series: Series, last: int) -> tuple[float, float]:
        """(expected posts, spread) of the window ending at bucket `last`."""
        samples: list[int] = []
        for day in range(1, self.s.history_days + 1):
            centre = last - day * DAY_BUCKETS
            if centre - 30 < series.first:
                break
            samples += [series.window(centre + k).posts for k in range(-30, 31, 5)]
        trailing = [
            series.window(last - WINDOW * i).posts for i in range(1, HOUR_BUCKETS // WINDOW + 1)
        ]
        trailing_mean = statistics.fmean(trailing)
        if samples:
            mean = max(statistics.fmean(samples), trailing_mean)
            spread = max(mean, statistics.pvariance(samples), statistics.pvariance(trailing))
        else:
            mean = trailing_mean
            spread = max(mean, statistics.pvariance(trailing))
        return mean, spread

    def judge(self, key: str, series: Series, last: int) -> Spike | None:
        seen = series.window(last)
        if seen.posts < self.s.min_volume:
            return None
        mean, spread = self.expected(series, last)
        score = (seen.posts - mean) / math.sqrt(spread + 1.0)
        share = seen.negative / seen.posts
        base_share = self._negative_share(series, last)
        kind = signal = None
        if seen.posts >= self.s.min_ratio * max(mean, 1.0) and score >= self.s.sensitivity:
            kind, signal = "volume", "volume"
        elif (
            share - base_share >= self.s.negative_rise
            and (
                z := (seen.negative - seen.posts * base_share)
                / math.sqrt(seen.posts * base_share * (1 - base_share))
            )
            >= self.s.sensitivity
        ):
            kind, signal, score = "negative", "negative share", z
        elif self.texts is not None and (
            score >= self.s.sensitivity / 2.5 or share - base_share >= self.s.negative_rise / 2
        ):
            similar = self._similar(series, last)
            if similar >= max(self.s.min_similar, seen.posts / 3):
                kind, signal = "volume", "similar posts"
                score = max(score, self.s.sensitivity)
        if kind is None or signal is None:
            return None
        return Spike(
            key,
            kind,
            signal,
            last,
            self._start(series, last, mean),
            bucket_start(last + 1),
            seen.posts,
            round(mean, 2),
            round(score, 2),
            round(share, 3),
            round(base_share, 3),
        )

    def _similar(self, series: Series, last: int) -> int:
        """How many posts of the window are about one thing that rose against the day before."""
        assert self.texts is not None
        hour = (last - WINDOW) // HOUR_BUCKETS
        if hour not in self._background:
            day = self.texts(last - WINDOW - DAY_BUCKETS + 1, last - WINDOW)
            self._background[hour] = Idf.of(text for text, _neg in day)
        background = self._background[hour]
        window = [text for text, _neg in self.texts(last - WINDOW + 1, last)]
        signature = rising(window, background)
        return len(alike(window, signature, background, self.s.similar_threshold))

    def _negative_share(self, series: Series, last: int) -> float:
        """The negative share of the day before the window, smoothed towards 1/3."""
        day = series.total(last - WINDOW - DAY_BUCKETS + 1, last - WINDOW)
        return (day.negative + 1) / (day.posts + 3)

    def _start(self, series: Series, last: int, mean: float) -> datetime:
        """When the anomaly began: the earliest minute, back from the window's end, from which
        on the posts ran well above the expected rate."""
        per_bucket = mean / WINDOW
        limit = per_bucket + 2 * math.sqrt(per_bucket + 1)
        start, quiet = last, 0
        for b in range(last, last - 3 * WINDOW, -1):
            if series.at(b) > limit:
                start, quiet = b, 0
            else:
                quiet += 1
                if quiet >= 3:
                    break
        return bucket_start(start)


class TrailingDetector(SeasonalDetector):
    """The plain method, for comparison only: the mean of the two hours before the window."""

    name = "trailing"

    def expected(self, series: Series, last: int) -> tuple[float, float]:
        trailing = [
            series.window(last - WINDOW * i).posts for i in range(1, 2 * HOUR_BUCKETS // WINDOW + 1)
        ]
        mean = statistics.fmean(trailing)
        return mean, max(mean, statistics.pvariance(trailing))


def detect(
    detector: SeasonalDetector,
    key: str,
    series: Series,
    buckets: list[int],
    last_alert: datetime | None,
) -> list[Spike]:
    """Judge `buckets` (in order) of one key; returns the spikes that pass warm-up and
    cooldown."""
    s = detector.s
    out: list[Spike] = []
    warm = series.first + int(s.warm_up.total_seconds()) // BUCKET_S
    for last in buckets:
        if last < warm:
            continue
        end = bucket_start(last + 1)
        if last_alert is not None and end < last_alert + s.cooldown:
            continue
        spike = detector.judge(key, series, last)
        if spike is not None:
            out.append(spike)
            last_alert = spike.detected_at
    return out


def history_ranges(after: int, up_to: int, history_days: int) -> list[tuple[int, int]]:
    """The buckets that judging minutes (after, up_to] reads, as sorted, merged, inclusive
    ranges: for each minute, the day and the hour before it (its window, the trailing hour, the
    negative share of the day before, when a burst began, the day before's same time) and the
    same time of day, ±30 minutes, on each earlier day (`SeasonalDetector.expected`). A live
    look judges a minute or two, and reads about a day and seven slices of seventy minutes
    instead of a week."""
    reach = WINDOW - 1 + 30  # a same-time sample is a window ending up to 30 minutes away
    spans = [(after + 1 - DAY_BUCKETS - reach, up_to)]
    for day in range(2, history_days + 1):
        spans.append((after + 1 - day * DAY_BUCKETS - reach, up_to - day * DAY_BUCKETS + 30))
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def buckets_to_judge(series: Series, after: int, up_to: int) -> list[int]:
    """The buckets in (after, up_to] whose window holds any traffic: a window with no posts
    cannot be a spike, so quiet stretches (or years between two replays) cost nothing."""
    i = bisect_right(series.buckets, after - WINDOW)
    found: set[int] = set()
    for b in series.buckets[i:]:
        if b > up_to:
            break
        found.update(last for last in range(b, b + WINDOW) if after < last <= up_to)
    return sorted(found)
