"""Spike detection (route/spikes.py) on generated timelines: the seasonal method against the plain
trailing average, warm-up, cooldown, minimum volume, and the same alerts whether the minutes
are judged all at once (a replay) or a few at a time (live)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

import pytest

from route.spikes import (
    Counts,
    SeasonalDetector,
    Series,
    SpikeSettings,
    TrailingDetector,
    bucket_of,
    buckets_to_judge,
    detect,
    history_ranges,
)
from tests.timelines import START, burst, real_texts, timeline

BRANDS = {"AcmeAir": 4.0, "VoltMobile": 1.5, "ShopNow": 0.6, "BankCo": 0.25, "StreamFlix": 0.08}


@pytest.fixture(scope="module")
def texts(shared_data):
    return real_texts(shared_data)


DEFAULTS = SpikeSettings()


def spikes(posts, detector_class, settings=DEFAULTS, with_texts=True):
    counts = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    said = defaultdict(lambda: defaultdict(list))
    for p in posts:
        c = counts[p.brand][bucket_of(p.at)]
        c[0] += 1
        c[1] += p.negative
        said[p.brand][bucket_of(p.at)].append((p.text, p.negative))
    found = []
    for brand, per_minute in counts.items():
        by = said[brand]
        detector = detector_class(
            settings,
            texts=(lambda lo, hi, by=by: [x for b in range(lo, hi + 1) for x in by.get(b, ())])
            if with_texts
            else None,
        )
        series = Series({b: Counts(*v) for b, v in per_minute.items()})
        judge = buckets_to_judge(series, series.first - 1, series.buckets[-1] + 10)
        found += detect(detector, brand, series, judge, None)
    return found


def test_the_seasonal_method_beats_the_trailing_average(texts):
    """Five quiet days (daily rhythm, noise, small natural surges), no incident: every alert is a
    false one. The trailing average mistakes each morning's rise for a spike."""
    quiet = timeline(texts, BRANDS, days=5, seed=11)
    seasonal = spikes(quiet, SeasonalDetector, with_texts=False)
    trailing = spikes(quiet, TrailingDetector, with_texts=False)
    assert len(seasonal) <= 2, [(s.key, s.detected_at) for s in seasonal]
    assert len(trailing) > 2 * max(1, len(seasonal)), (len(trailing), len(seasonal))
    mornings = [s for s in trailing if 6 <= s.detected_at.hour <= 11]
    assert mornings  # where the trailing average cries wolf


@pytest.mark.parametrize("brand", ["AcmeAir", "BankCo"])
def test_a_burst_is_found_within_ten_minutes(texts, brand):
    at = START + timedelta(days=2, hours=15, minutes=33)
    posts = timeline(texts, BRANDS, days=3, seed=5) + burst(brand, at, seed=5, problem=1)
    found = [s for s in spikes(posts, SeasonalDetector) if s.key == brand and s.detected_at >= at]
    assert found and found[0].detected_at - at <= timedelta(minutes=10)
    assert found[0].started_at <= found[0].detected_at


def test_warm_up_cooldown_and_minimum_volume(texts):
    calm = timeline(texts, {"ShopNow": 0.3}, days=2, seed=3)
    early = burst("ShopNow", START + timedelta(hours=3), seed=1)  # inside the 12 h warm-up
    twice = burst("ShopNow", START + timedelta(days=1, hours=14), seed=2) + burst(
        "ShopNow", START + timedelta(days=1, hours=14, minutes=50), seed=3
    )
    small = burst("ShopNow", START + timedelta(days=1, hours=20), size=20, seed=4)
    found = spikes(calm + early + twice + small, SeasonalDetector)
    times = [s.detected_at for s in found]
    assert not [t for t in times if t < START + timedelta(hours=12)]  # warm-up
    second_day = [
        t
        for t in times
        if START + timedelta(days=1, hours=14) <= t <= START + timedelta(days=1, hours=16)
    ]
    assert len(second_day) == 1  # one alert for two bursts 50 minutes apart: the cooldown
    assert not [t for t in times if t >= START + timedelta(days=1, hours=20)]  # under min volume


def test_judging_a_few_minutes_at_a_time_finds_the_same_spikes(texts):
    """A replay judges every minute at the end; a live run a few minutes per tick. Same alerts."""
    at = START + timedelta(days=1, hours=16)
    posts = timeline(texts, {"VoltMobile": 1.5}, days=2, seed=8) + burst("VoltMobile", at, seed=8)
    counts = defaultdict(lambda: [0, 0])
    for p in posts:
        counts[bucket_of(p.at)][0] += 1
        counts[bucket_of(p.at)][1] += p.negative
    series = Series({b: Counts(*v) for b, v in counts.items()})
    detector = SeasonalDetector(SpikeSettings())
    end = series.buckets[-1] + 10
    at_once = detect(detector, "v", series, buckets_to_judge(series, series.first - 1, end), None)
    ticked, judged, last = [], series.first - 1, None
    for up_to in range(series.first + 7, end + 7, 7):
        got = detect(detector, "v", series, buckets_to_judge(series, judged, min(up_to, end)), last)
        ticked += got
        last = got[-1].detected_at if got else last
        judged = min(up_to, end)
    assert [(s.bucket, s.kind) for s in ticked] == [(s.bucket, s.kind) for s in at_once]
    assert at_once


def test_the_history_a_look_reads_is_all_its_judgements_need():
    """A look reads only `history_ranges` of a key's minutes (and its first): every figure the
    judgement of each minute uses comes out as from the whole history."""
    rnd = random.Random(4)
    first = 27_000_000
    full = {
        first + m: Counts(n, rnd.randint(0, n))
        for m in range(10 * 1440)
        if (n := rnd.choice((0, 0, 1, 2, 3, 5, 40)))
    }
    whole = Series(full)
    detector = SeasonalDetector(SpikeSettings())
    for after, up_to in (
        (first + 8 * 1440, first + 8 * 1440 + 1),
        (first + 9 * 1440 - 7, first + 9 * 1440 + 30),
        (first + 3 * 1440 + 600, first + 3 * 1440 + 605),
        (first + 9000, first + 12000),
    ):
        ranges = history_ranges(after, up_to, detector.s.history_days)
        kept = {
            b: c for b, c in full.items() if b == first or any(lo <= b <= hi for lo, hi in ranges)
        }
        assert len(kept) < len(full)
        part = Series(kept)
        assert buckets_to_judge(part, after, up_to) == buckets_to_judge(whole, after, up_to)
        for last in range(after + 1, up_to + 1):
            assert part.window(last) == whole.window(last)
            assert detector.expected(part, last) == detector.expected(whole, last)
            assert detector._negative_share(part, last) == detector._negative_share(whole, last)
            assert detector.judge("k", part, last) == detector.judge("k", whole, last)
