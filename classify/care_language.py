"""Care language: the cues that make a post to a brand a complaint, praise or sarcasm.

VADER reads general English. Posts to a brand complain in words it finds neutral ("on hold for
2 hours", "still no bag", "why was my flight moved?") and it counts politeness as praise
("please help", "thanks for the standard reply"). These cues let the care label read them right
without changing VADER's score, which stays calibrated for general text.
"""

from __future__ import annotations

from dataclasses import dataclass

from classify.cue_table import CueSet

# Whole words and phrases, matched against lowercased text (`cues` lowercases once: 2.5x faster
# than re.IGNORECASE on these alternations, with the same matches on every shared tweet), counted
# by the compiled loop where it is built (classify/cue_table.py).
COMPLAINT_CUES = CueSet(
    [
        r"cancell?ed",
        r"delay(?:ed|s)?",
        r"stranded",
        r"stuck",
        r"lost",
        r"on hold",
        r"hold(?:ing)? (?:for|time)",
        r"wait(?:ed|ing)?",
        r"\d+\s*(?:hours?|hrs?|mins?|minutes|days)",
        r"still",
        r"again",
        r"never",
        r"nobody",
        r"no one",
        r"missed",
        r"refund",
        r"fees?",
        r"charged",
        r"broken",
        r"rude",
        r"worst",
        r"late",
        r"why",
        r"seriously",
        r"unacceptable",
        r"#?fail(?:ed|ure|s)?",
        r"ugh",
        r"smh",
        r"not",
        r"no",
        r"nothing",
        r"instead",
        r"even",
        r"(?:can'?t|cannot|won'?t|didn'?t|doesn'?t|isn'?t|wasn'?t|haven'?t|hasn'?t|aren'?t)",
        r"disappoint(?:ed|ing|ment)",
        r"frustrat(?:ed|ing)",
        r"ridiculous",
        r"useless",
        r"overbooked",
        r"diverted",
        r"problems?",
        r"issues?",
        r"complain(?:t|ed|ing)?",
        r"terrible",
        r"horrible",
        r"awful",
        r"lack of",
        r"hung up",
        r"unable",
        r"wrong",
        r"bad",
    ]
)
PRAISE_CUES = CueSet(
    [
        r"thanks?(?: you)?",
        r"thx",
        r"ty",
        r"love",
        r"great",
        r"awesome",
        r"amazing",
        r"best",
        r"appreciated?",
        r"kudos",
        r"excellent",
        r"fantastic",
        r"wonderful",
        r"perfect",
        r"impressed",
        r"helpful",
        r"shout ?out",
        r"props",
        r"nice",
        r"happy",
        r"glad",
        r"cool",
        r"good",
    ]
)
SARCASM_CUES = CueSet(
    [
        r"thanks for nothing",
        r"thanks a lot",
        r"great job",
        r"good job",
        r"love (?:how|that|it when)",
        r"just great",
        r"so much for",
        r"yeah right",
        r"not (?:happy|impressed|good|great)",
    ]
)


@dataclass(frozen=True, slots=True)
class Cues:
    complaint: int
    praise: int
    sarcasm: bool
    question: bool


def cues(text: str) -> Cues:
    low = text.lower()
    return Cues(
        complaint=COMPLAINT_CUES.count(low),
        praise=PRAISE_CUES.count(low),
        sarcasm=SARCASM_CUES.found_in(low),
        question="?" in text,
    )


def care_label(compound: float, c: Cues) -> str:
    """The care reading of a post, from VADER's compound score and the cues it carries.

    Two complaint cues make a complaint unless the praise is strong; one makes it a complaint
    unless the post is warmly positive (then positive) or mildly positive and a question (then
    neutral); sarcasm with a complaint cue is negative; praise needs a clearly positive score."""
    if c.sarcasm and c.complaint:
        return "negative"
    if c.complaint >= 2:
        return "negative" if compound < 0.6 or c.complaint > c.praise + 1 else "positive"
    if c.complaint == 1:
        if c.praise and compound >= 0.5:
            return "positive"
        if compound >= 0.3 and c.question:
            return "neutral"
        return "negative"
    if c.praise and compound >= 0.3:
        return "positive"
    if compound <= -0.3:
        return "negative"
    return "neutral"


LABEL_BREAKS = (-0.3, 0.3, 0.5, 0.6)  # the compound scores at which care_label may change


def care_margin(compound: float, c: Cues) -> float:
    """How far the score is from one where the care label would change (1.0: no score would
    change it, given these cues): small means the default is unsure (review sampling)."""
    gaps = [
        abs(compound - t)
        for t in LABEL_BREAKS
        if care_label(t - 1e-6, c) != care_label(t + 1e-6, c)
    ]
    return min(gaps, default=1.0)


def cue_reasons(text: str, limit: int = 4) -> list[str]:
    """The cues in a text as an agent reads them: `complaint cue 'still'`, …"""
    low = text.lower()
    found = [f"sarcasm '{m}'" for m in SARCASM_CUES.findall(low)]
    found += [f"complaint cue '{m}'" for m in COMPLAINT_CUES.findall(low)]
    found += [f"praise cue '{m}'" for m in PRAISE_CUES.findall(low)]
    return list(dict.fromkeys(found))[:limit]
