"""Product search in its text form: what the catalog stores for a product, and what a query asks.

A product's search row (catalog.models.ProductSearch) holds its names and SKU normalised
(storefront.catalog.normalize): each one alone, for the ranks that test how a name starts, and
all together as `search_text`, a space before every word:

    " black tea 500 g شاي اسود 500 غم bev tea 1"

Normalised text has only letters, digits and single spaces, so `% tea%` finds a word that starts
with "tea", and `%tea%` the letters anywhere. A query is normalised the same way and split into
its words (terms); every rank is then a plain comparison or LIKE pattern on both databases.
"""

from dataclasses import dataclass

from storefront.catalog.normalize import normalize

# Words of a query beyond these are not looked for (a query is at most 200 characters).
MAX_TERMS = 6
# Shorter terms are matched only where a word starts with them: anywhere, two letters match
# almost every name.
MIN_INNER_TERM = 3
# Typo tolerance: a term this long may have one wrong letter; one letter shorter, one missing.
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
        return cls(*names, search_text="".join(f" {part}" for part in names if part))


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

    def typo_patterns(self) -> list[str | None]:
        """Per term, a regular expression for a word that starts with the term written with one
        letter wrong or one letter missing (None: the term is too short to guess at)."""
        return [_typo_pattern(term) for term in self.terms]


def _typo_pattern(term: str) -> str | None:
    if len(term) < MIN_TYPO_TERM - 1:
        return None
    letter = "[^ ]"
    missing = [term[:at] + letter + term[at:] for at in range(len(term) + 1)]
    wrong = (
        [term[:at] + letter + term[at + 1 :] for at in range(len(term))] if len(term) >= MIN_TYPO_TERM else []
    )
    return " (" + "|".join(missing + wrong) + ")"
