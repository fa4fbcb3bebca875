"""Text analysis shared by both engines: fold, spell-normalise and stem in Python.

    analyze("L'Oréal Moisturisers")   # ['loreal', 'moistur']
    words("L'Oréal Moisturisers")     # ['loreal', 'moisturisers']  (folded, not stemmed)

The Elasticsearch distribution the tests run (integ-test-zip) ships without the
`analysis-common` module, so `asciifolding` and the stemmers are absent there. Rather than
depend on a module Maven Central does not publish, documents and queries are analysed here and
Elasticsearch indexes the result with its built-in `standard` analyzer. Both engines therefore
see exactly the same terms, and their results agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

# Apostrophes vanish instead of splitting a word: "L'Oréal" → "loreal", "Men's" → "mens".
_APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc`\u00b4]")
_TOKEN = re.compile(r"[a-z0-9]+")
# Words so common in names and queries that requiring them would only lose matches.
STOP_WORDS = frozenset({"a", "an", "and", "the", "for", "of", "with", "in", "on", "to", "by",
                        "de", "or", "your"})
# British spellings → American, applied to word starts before stemming, so "moisturiser" and
# "moisturizer" share a stem (Porter keeps the s/z apart). Only beauty vocabulary: a general
# "-ise" rule would also rewrite "rise" and "promise".
_SPELLINGS = (("moisturis", "moisturiz"), ("colour", "color"), ("flavour", "flavor"),
              ("defence", "defense"), ("odour", "odor"), ("sulphate", "sulfate"),
              ("volumis", "volumiz"), ("revitalis", "revitaliz"), ("energis", "energiz"),
              ("minimis", "minimiz"), ("mineralis", "mineraliz"), ("stabilis", "stabiliz"),
              ("neutralis", "neutraliz"), ("glamouris", "glamoriz"), ("centre", "center"))
_STEMMER = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower-case `text`, drop apostrophes and strip accents (ASCII folding)."""
    text = _APOSTROPHES.sub("", text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return ascii_text.lower()


def words(text: str) -> list[str]:
    """Split `text` into folded words, stop words kept (for prefixes and suggestions)."""
    return _TOKEN.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return the index term of one folded word: American spelling, Porter2 stem."""
    for british, american in _SPELLINGS:
        if word.startswith(british):
            word = american + word[len(british):]
            break
    if word.endswith("ness") and len(word) >= 7:
        word = word[:-4]  # Porter keeps "-ness": "dryness", "oiliness" should find "dry", "oily"
    stemmed: str = _STEMMER.stemWord(word)
    return stemmed


def analyze(text: str) -> list[str]:
    """Return the index terms of `text`: folded, stop words dropped, stemmed."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS]


def index_text(*parts: str) -> str:
    """Join the terms of `parts` into one space-separated string for an engine to index."""
    return " ".join(term for part in parts for term in analyze(part))


def plain_text(*parts: str) -> str:
    """Join the folded words of `parts` (unstemmed) for prefix matching."""
    return " ".join(w for part in parts for w in words(part))
