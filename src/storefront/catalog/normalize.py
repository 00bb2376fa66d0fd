"""The one normalisation of product names, SKUs and search queries, so that text typed the way
shoppers in Iraq type it (fast, on a phone) meets the names as the ERP spells them.

Both sides go through `normalize`: the catalog writer stores its result in the search columns
and the catalog search applies it to the query, on PostgreSQL and SQLite alike. What it does:
Unicode NFKC and case folding; combining marks dropped (Arabic harakat, the hamza written above
or below a letter, Latin accents); tatweel and apostrophes dropped; the alef forms written as a
bare alef, alef maksura as yeh, ta marbuta as heh, waw and yeh with hamza as their bases;
Persian, Urdu and Kurdish letters as the Arabic letters typed for them; every decimal digit as
its ASCII digit; anything else that is not a letter or a digit as a space; and the article ال
taken off the start of a word.
"""

import re
import unicodedata

# Letters typed in place of others: the target is the letter an Arabic keyboard has. The hamza
# forms (أ إ آ ؤ ئ) are listed for the reader: decomposed, they are a base letter and a mark.
LETTERS = {
    # Alef with hamza above or below, with madda, wasla, and with wavy hamza: a bare alef.
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    # Alef maksura, the Persian yeh and yeh with hamza: yeh.
    "ى": "ي",
    "ی": "ي",
    "ئ": "ي",
    # Waw with hamza: waw.
    "ؤ": "و",
    # Ta marbuta, heh with yeh above, the Kurdish ae and heh doachashmee: heh.
    "ة": "ه",
    "ۀ": "ه",
    "ە": "ه",
    "ھ": "ه",
    # Keheh, swash kaf and gaf: kaf.
    "ک": "ك",
    "ڪ": "ك",
    "گ": "ك",
    # Peh, tcheh, jeh and veh: the Arabic letters typed for them.
    "پ": "ب",
    "چ": "ج",
    "ژ": "ز",
    "ڤ": "ف",
}
TATWEEL = "\u0640"
# Apostrophes inside a word are dropped, not spaced: "Ka'ak" is typed "kaak".
APOSTROPHES = "'`\u00b4\u02bc\u2018\u2019"
ARTICLE = "ال"


def _fold_table() -> dict[int, str | None]:
    """One translation table for the per-character rules: marks, tatweel and apostrophes dropped,
    letters mapped, decimal digits as ASCII (the Basic Multilingual Plane holds the scripts in use)."""
    table: dict[int, str | None] = {ord(char): None for char in TATWEEL + APOSTROPHES}
    for code in range(0x10000):
        char = chr(code)
        if unicodedata.category(char).startswith("M"):
            table[code] = None
        elif char.isdecimal() and not char.isascii():
            table[code] = str(unicodedata.decimal(char))
    table.update({ord(source): target for source, target in LETTERS.items()})
    return table


_FOLD = _fold_table()
# ASCII text is its own NFKC, NFD and NFC form, casefolds as it lowercases, holds no mark, no
# letter to map and no article: of the per-character rules only the apostrophes apply.
_ASCII_FOLD = {ord(char): None for char in APOSTROPHES if char.isascii()}
_NOT_WORD = re.compile(r"[\W_]+")
# The article at the start of a word, when letters follow it.
_ARTICLE_AT_WORD_START = re.compile(rf"(?:^|(?<= )){ARTICLE}(?=\S)")


def normalize(text: str | None) -> str:
    """The search form of a name, SKU or query: words of letters and digits, one space apart."""
    if not text:
        return ""
    if text.isascii():
        return _NOT_WORD.sub(" ", text.lower().translate(_ASCII_FOLD)).strip()
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Decomposed, every combining mark (harakat, hamza marks, accents) is a character of its own.
    bare = unicodedata.normalize("NFC", unicodedata.normalize("NFD", folded).translate(_FOLD))
    words = _NOT_WORD.sub(" ", bare).strip()
    return _ARTICLE_AT_WORD_START.sub("", words)
