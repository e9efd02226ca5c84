"""Near-miss matching of exemplar phrases with rapidfuzz, behind a character-bigram prefilter.

The prefilter keeps cost proportional to the exemplars that share enough bigrams with the message, not to
the size of the KB (a 10× KB must not mean 10× latency).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

MIN_SHARED = 0.4  # share of an exemplar's bigrams that must occur in the message before scoring
MAX_SCORED = 24  # only the exemplars sharing the most bigrams are scored: cost stays flat as the KB grows


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


@dataclass(frozen=True)
class FuzzyHit:
    index: int  # index of the exemplar as given to the matcher
    start: int
    end: int
    score: float


class FuzzyMatcher:
    def __init__(self, exemplars: list[tuple[str, float]]) -> None:
        """exemplars: (text, cutoff) pairs, already normalised."""
        self._items = exemplars
        self._need: list[int] = []
        self._index: dict[str, list[int]] = defaultdict(list)
        for i, (text, _) in enumerate(exemplars):
            grams = _bigrams(text)
            self._need.append(max(1, int(len(grams) * MIN_SHARED)))
            for g in grams:
                self._index[g].append(i)

    def match(self, text: str) -> list[FuzzyHit]:
        counts: dict[int, int] = defaultdict(int)
        for g in _bigrams(text):
            for i in self._index.get(g, ()):
                counts[i] += 1
        hits: list[FuzzyHit] = []
        ranked = sorted(((n / self._need[i], i) for i, n in counts.items() if n >= self._need[i]), reverse=True)
        for _, i in ranked[:MAX_SCORED]:
            exemplar, cutoff = self._items[i]
            al = fuzz.partial_ratio_alignment(exemplar, text, score_cutoff=cutoff)
            if al is not None and al.score >= cutoff:
                hits.append(FuzzyHit(i, al.dest_start, al.dest_end, al.score))
        return hits
