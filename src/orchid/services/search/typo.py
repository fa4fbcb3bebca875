"""Typo tolerance for the embedded engine: correct a query term against the indexed vocabulary.

    vocab = Vocabulary({"lipstick": 812, "lip": 900})
    vocab.corrections("lipstik")      # ['lipstick']

The rule follows Elasticsearch's `fuzziness: AUTO:4,7` with `prefix_length: 1`, so both
engines forgive the same typos: terms of 1-3 characters must match exactly (a 3-letter word is
one edit from too many others: "lip", "lid", "lit"), 4-6 may be one edit away, longer ones two;
the first letter must be right (it also keeps the candidate list short).
An edit is an insertion, deletion, substitution or a swap of two neighbours.
"""

from __future__ import annotations

import bisect
from collections import defaultdict


def max_edits(term: str) -> int:
    """Return the edits AUTO fuzziness allows for a term of this length."""
    return 0 if len(term) < 4 else 1 if len(term) < 7 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Return the optimal-string-alignment distance of a and b, or limit + 1 when above it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1  # every path already costs too much
        previous2, previous = previous, current
    return previous[-1]


class Vocabulary:
    """Indexed terms with their document frequency, bucketed by first letter."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        self.frequencies = frequencies
        self._sorted = sorted(frequencies)
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for term in frequencies:
            self._by_initial[term[:1]].append(term)

    def __contains__(self, term: str) -> bool:
        return term in self.frequencies

    def __len__(self) -> int:
        return len(self.frequencies)

    def completes(self, prefix: str) -> bool:
        """True when some indexed term is longer than `prefix` and starts with it."""
        at = bisect.bisect_right(self._sorted, prefix)
        return at < len(self._sorted) and self._sorted[at].startswith(prefix)

    def corrections(self, term: str, *, keep: int = 2) -> list[str]:
        """Return up to `keep` indexed terms at the least distance from `term`, most frequent
        first."""
        limit = max_edits(term)
        if limit == 0 or term in self.frequencies:
            return []
        found: list[tuple[int, int, str]] = []
        for candidate in self._by_initial.get(term[:1], ()):
            edits = distance(term, candidate, limit)
            if edits <= limit:
                found.append((edits, -self.frequencies[candidate], candidate))
        found.sort()
        # Only the nearest: "mascra" means "mascara" (1 edit), not also "masala" (2).
        return [candidate for edits, _, candidate in found[:keep] if edits == found[0][0]]
