"""The one normalisation of names and queries, on a table of (as written, as searched) pairs."""

import pytest

from storefront.catalog.normalize import normalize
from storefront.catalog.search import SearchColumns, SearchQuery

PAIRS = [
    # NFKC: compatibility forms (full-width Latin, ligatures, Arabic presentation forms).
    ("ＣＯＬＡ", "cola"),
    ("ﬁsh", "fish"),
    ("ﻻ", "لا"),
    ("ﷲ", "له"),
    # Case folding, accents.
    ("Black TEA", "black tea"),
    ("Straße", "strasse"),
    ("Café Crème", "cafe creme"),
    # Alef forms to a bare alef.
    ("أرز", "ارز"),
    ("إسفنج", "اسفنج"),
    ("آيس", "ايس"),
    ("ٱسم", "اسم"),
    # Alef maksura to yeh; ta marbuta to heh.
    ("نينوى", "نينوي"),
    ("حلاوة", "حلاوه"),
    # Waw and yeh with hamza to their bases.
    ("مؤسسة", "موسسه"),
    ("رائب", "رايب"),
    # Harakat, shadda, sukun, tanwin, superscript alef and tatweel are dropped.
    ("شَايٌ", "شاي"),
    ("سُكَّر", "سكر"),
    ("كُتُبٌ", "كتب"),
    ("هٰذا", "هذا"),
    ("شـــاي", "شاي"),
    # Persian, Urdu and Kurdish letters as typed on an Arabic keyboard.
    ("کیک", "كيك"),
    ("زاگروس", "زاكروس"),
    ("چای", "جاي"),
    ("پیتزا", "بيتزا"),
    ("ڤيتامين", "فيتامين"),
    ("ژل", "زل"),
    ("ھەولێر", "ههولێر"),
    # Arabic-Indic and Eastern Arabic-Indic digits to ASCII.
    ("٢٥٠ غم", "250 غم"),
    ("۱۲ عدد", "12 عدد"),
    ("١٫٥ لتر", "1 5 لتر"),
    # Punctuation separates words; apostrophes inside a word do not.
    ("SKU-BAB-00766", "sku bab 00766"),
    ("Sesame Ka'ak", "sesame kaak"),
    ("Ka’ak", "kaak"),
    ("  tea,  coffee / milk  ", "tea coffee milk"),
    ("%_", ""),
    # The article at the start of a word, when letters follow it.
    ("الشاي الأخضر", "شاي اخضر"),
    ("شاي أخضر", "شاي اخضر"),
    ("ذهب البصرة", "ذهب بصره"),
    ("الر", "ر"),
    ("ال", "ال"),
    ("مال", "مال"),
    ("", ""),
]


@pytest.mark.parametrize(("written", "searched"), PAIRS)
def test_normalize(written: str, searched: str) -> None:
    assert normalize(written) == searched


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("ارز", "أرز"),
        ("اسفنج", "إسفنج"),
        ("حلاوه", "حلاوة"),
        ("نينوي", "نينوى"),
        ("شاي", "شَايٌ"),
        ("الشاي", "شاي"),
        ("شاي", "الشاي"),
        ("250", "٢٥٠"),
        ("ka'ak", "KAAK"),
    ],
)
def test_a_word_typed_the_common_way_meets_the_name(typed: str, named: str) -> None:
    assert normalize(typed) == normalize(named)


def test_normalizing_twice_changes_nothing() -> None:
    for written, _ in PAIRS:
        assert normalize(normalize(written)) == normalize(written)


def test_search_columns_put_a_space_around_every_word() -> None:
    columns = SearchColumns.of("Black Tea 500 g", "شاي أسود ٥٠٠ غم", "BEV-TEA-1")
    assert columns.search_name == "black tea 500 g"
    assert columns.search_name_ar == "شاي اسود 500 غم"
    assert columns.search_sku == "bev tea 1"
    assert columns.search_text == " black tea 500 g شاي اسود 500 غم bev tea 1 "
    assert SearchColumns.of("Tea", None, None).search_text == " tea "
    # The words near-match search looks among: four letters or more, not only digits.
    assert columns.vocabulary() == {"black", "اسود"}


def test_a_query_keeps_its_distinct_words_in_order() -> None:
    query = SearchQuery.parse("  Tea tea الشاي!! ")
    assert query is not None
    assert query.text == "tea tea شاي"
    assert query.terms == ("tea", "شاي")
    assert SearchQuery.parse("%%") is None
