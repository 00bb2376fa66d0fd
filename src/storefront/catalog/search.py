"""Product search in its text form: what the catalog stores for a product, and what a query asks.

A product's search row (catalog.models.ProductSearch) holds its names and SKU normalised
(storefront.catalog.normalize): each one alone, for the ranks that test how a name starts, and
all together as `search_text`, with a space before and after every word:

    " black tea 500 g شاي اسود 500 غم bev tea 1 "

Normalised text has only letters, digits and single spaces, so `% tea%` finds a word that starts
with "tea", `% tea %` the whole word, and `%tea%` the letters anywhere. A query is normalised the
same way and split into its words (terms); every rank is then a comparison or a LIKE pattern,
the same on both databases. The catalog's distinct words (`vocabulary`) are kept apart too, so
that the words near a term (containing it, or on PostgreSQL one letter off it) are found among a
few thousand words rather than among every product.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from storefront.catalog.normalize import normalize

# Words of a query beyond these are not looked for (a query is at most 200 characters).
MAX_TERMS = 6
# A term this long also matches inside a word, and may have one letter missing; the catalog's
# words this long (with a letter in them) form its vocabulary. Shorter terms only start words.
MIN_INNER_TERM = 4
# A term this long may have one letter wrong.
MIN_TYPO_TERM = 5
# Above every character normalised text can hold: `prefix <= text < prefix + PAST_PREFIX` is
# "text starts with prefix" as a range an ordinary index answers.
PAST_PREFIX = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class SearchColumns:
    """A product's names and SKU in search form."""

    search_name: str
    search_name_ar: str
    search_sku: str
    search_text: str

    @classmethod
    def of(cls, name: str, name_ar: str | None, sku: str | None) -> "SearchColumns":
        names = (normalize(name), normalize(name_ar), normalize(sku))
        return cls(*names, search_text=" " + "".join(f"{part} " for part in names if part))

    def vocabulary(self) -> set[str]:
        """The product's words that near-match search looks among."""
        return vocabulary_of((self,))


def vocabulary_of(rows: Iterable[SearchColumns]) -> set[str]:
    """The words of these products that near-match search looks among: each distinct word of
    their search text is tested once, however many products hold it."""
    words = set(" ".join(row.search_text for row in rows).split())
    return {word for word in words if _in_vocabulary(word)}


def _in_vocabulary(word: str) -> bool:
    return len(word) >= MIN_INNER_TERM and not word.isdigit()


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A query in search form: its text and its distinct words, in order."""

    text: str
    terms: tuple[str, ...]

    @classmethod
    def parse(cls, query: str) -> "SearchQuery | None":
        """None when the query has no letter or digit to look for."""
        text = normalize(query)
        if not text:
            return None
        return cls(text=text, terms=tuple(dict.fromkeys(text.split()))[:MAX_TERMS])

    @property
    def past_prefix(self) -> str:
        """The upper bound of the names that start with the query."""
        return self.text + PAST_PREFIX

    def word_start_patterns(self) -> list[str]:
        """LIKE patterns: each term starts a word."""
        return [f"% {term}%" for term in self.terms]

    def loose_patterns(self) -> list[str]:
        """LIKE patterns: each term appears inside a word, or starts one when it is short."""
        return [f"%{term}%" if len(term) >= MIN_INNER_TERM else f"% {term}%" for term in self.terms]

    def near_terms(self) -> list[str | None]:
        """Per term, the term when words near it are looked for in the vocabulary, else None."""
        return [term if _in_vocabulary(term) else None for term in self.terms]


def inside_pattern(term: str) -> str:
    """A LIKE pattern for a vocabulary word that holds the term."""
    return f"%{term}%"


def typo_pattern(term: str) -> str | None:
    """A regular expression for a vocabulary word that starts with the term written with one
    letter missing or, when the term is long enough, one letter wrong; None for a term too
    short to guess at."""
    if not _in_vocabulary(term):
        return None
    letter = "[^ ]"
    missing = [term[:at] + letter + term[at:] for at in range(len(term) + 1)]
    wrong = (
        [term[:at] + letter + term[at + 1 :] for at in range(len(term))] if len(term) >= MIN_TYPO_TERM else []
    )
    return "^(" + "|".join(missing + wrong) + ")"


def whole_word_pattern(word: str) -> str:
    """A LIKE pattern for search text that holds this word."""
    return f"% {word} %"
