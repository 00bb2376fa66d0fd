"""Ranked search: the listed products a query finds, best first, in an order that pages cleanly.

The ranks, each ordered within itself and ending on the product id, so that equal scores keep
one order and pages never overlap:

    0  the SKU is the query
    1  the name starts with the query                      (by name)
    2  the Arabic name starts with the query               (by Arabic name)
    3  every term starts a word of a name or the SKU
    4  every term is inside a word (terms of 4 letters or more)
    5  PostgreSQL: a term stands for a word one letter off it: one letter missing from a term
       of 4 letters or more, or one letter wrong in a term of 5 or more

Ranks 4 and 5 are ordered by similarity: that of each term to the catalog word it matched
(pg_trgm's `similarity` on PostgreSQL; on SQLite, how close the word's length is to the term's),
summed over the terms, so it is worked out for a few words, not for every product found.

A product takes the best rank it reaches. A page needs only the first `skip + limit + 1`
products, so the ranks are read in order and reading stops once that many are found. The first
statement reads ranks 0 to 3 from the search indexes: ranks 0 to 2 as a key or a range of names,
rank 3 by walking the listed products in product id order, an order no word is tied to, so that
a common word turns up within a short walk. Only when that is not enough are the words near
each term looked up in the vocabulary and ranks 3 to 5 read whole, narrowed on PostgreSQL by the
trigram index.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from storefront.catalog.models import ProductSearch, SearchKey, SearchWord
from storefront.catalog.search import SearchQuery, inside_pattern, typo_pattern, whole_word_pattern

SKU, NAME_START, NAME_AR_START, WORD_START, INSIDE, NEAR = range(6)
# Search pages stop after this many products: a shopper refines the query long before, and a
# deeper page would cost a walk through every match.
MAX_RESULTS = 1000
# The first statement looks for word starts among this many listed products (in product id
# order) per product the page needs; rarer words are looked for through the trigram index.
WALK_PER_RESULT = 150
# The vocabulary words looked for per term, the closest first.
NEAR_WORDS = 5

S = ProductSearch
W = SearchWord


@dataclass(frozen=True)
class SearchDialect:
    """What search does differently per database: how close a word is to a term, and whether
    words a letter off a term are looked for."""

    closeness: Callable[[Any, Any], ColumnElement[float]]
    typo_tolerant: bool


_DIALECTS = {
    "postgresql": SearchDialect(
        closeness=lambda term, word: func.similarity(term, word, type_=Float), typo_tolerant=True
    ),
    "sqlite": SearchDialect(
        closeness=lambda term, word: literal(1.0) / (1 + func.abs(func.length(word) - func.length(term))),
        typo_tolerant=False,
    ),
}


def _param(name: str) -> Any:
    return bindparam(name, type_=String())


def _listed(in_category: bool) -> list[ColumnElement[bool] | InstrumentedAttribute[bool]]:
    conditions: list[ColumnElement[bool] | InstrumentedAttribute[bool]] = [S.is_listed]
    if in_category:
        conditions.append(S.category_id == bindparam("category_id"))
    return conditions


def _ranked(
    rank: int, sort_key: ColumnElement[str] | InstrumentedAttribute[str] | None, product_id: Any
) -> list[Any]:
    """A rank's rows as the head statement unions them: the rank, its order, the product."""
    key = sort_key if sort_key is not None else null().cast(SearchKey)
    return [literal_column(str(rank), Integer).label("rank"), key.label("sort_key"), product_id]


@cache
def head_statement(terms: int, in_category: bool) -> Select[uuid.UUID]:
    """Ranks 0 to 3, each up to `limit` rows, in rank order. Binds: text, past_prefix, limit,
    walk, word_N per term, and category_id when in a category."""
    limit = bindparam("limit", type_=Integer())
    listed = _listed(in_category)
    sku = (
        select(*_ranked(SKU, None, S.product_id))
        .where(*listed, S.search_sku == _param("text"))
        .order_by(S.product_id)
        .limit(limit)
    )
    starts = [
        select(*_ranked(rank, key, S.product_id))
        .where(*listed, key >= _param("text"), key < _param("past_prefix"))
        .order_by(key, S.product_id)
        .limit(limit)
        for rank, key in ((NAME_START, S.search_name), (NAME_AR_START, S.search_name_ar))
    ]
    first = (
        select(S.product_id, S.search_text)
        .where(*listed)
        .order_by(S.product_id)
        .limit(bindparam("walk", type_=Integer()))
        .subquery()
    )
    words = (
        select(*_ranked(WORD_START, None, first.c.product_id))
        .where(*(first.c.search_text.like(_param(f"word_{n}")) for n in range(terms)))
        .order_by(first.c.product_id)
        .limit(limit)
    )
    ranks = union_all(*(select(part.subquery()) for part in (sku, *starts, words))).subquery()
    return select(ranks.c.product_id).order_by(ranks.c.rank, ranks.c.sort_key, ranks.c.product_id)


@cache
def near_words_statement(dialect: str, terms: tuple[int, ...]) -> Select[Any]:
    """Per term (by its number), the vocabulary words that hold it or, where the dialect looks
    for them, are a letter off it: the NEAR_WORDS closest. Binds: near_N, inside_N, typo_N."""
    search = _DIALECTS[dialect]
    parts = []
    for n in terms:
        term = _param(f"near_{n}")
        closeness = search.closeness(term, W.word).label("closeness")
        near: ColumnElement[bool] = W.word.like(_param(f"inside_{n}"))
        if search.typo_tolerant:
            near = or_(near, W.word.regexp_match(_param(f"typo_{n}")))
        parts.append(
            select(literal_column(str(n), Integer).label("term"), W.word, closeness)
            .where(near)
            .order_by(closeness.desc(), W.word)
            .limit(NEAR_WORDS)
            .subquery()
        )
    return select(union_all(*(select(part) for part in parts)).subquery())


@cache
def rest_statement(terms: int, in_category: bool) -> Select[uuid.UUID]:
    """Ranks 3 to 5 whole, best first, up to `limit` rows. Binds: limit, word_N and loose_N per
    term; per term and slot, near_N_K and closeness_N_K (a word's pattern and its score, or None
    and 0) and off_N_K (the same pattern when the word does not hold the term: what `loose_N`
    does not find already); and category_id when in a category."""
    text = S.search_text
    loose = [text.like(_param(f"loose_{n}")) for n in range(terms)]
    near = [[text.like(_param(f"near_{n}_{k}")) for k in range(NEAR_WORDS)] for n in range(terms)]
    off = [[text.like(_param(f"off_{n}_{k}")) for k in range(NEAR_WORDS)] for n in range(terms)]
    closeness = [
        case(
            *((near[n][k], bindparam(f"closeness_{n}_{k}", type_=Float())) for k in range(NEAR_WORDS)),
            else_=0.0,
        )
        for n in range(terms)
    ]
    candidates = (
        select(
            S.product_id,
            case(
                (and_(*(text.like(_param(f"word_{n}")) for n in range(terms))), WORD_START),
                (and_(*loose), INSIDE),
                else_=NEAR,
            ).label("rank"),
            sum(closeness[1:], closeness[0]).label("similarity"),
        )
        .where(*_listed(in_category), *(or_(loose[n], *off[n]) for n in range(terms)))
        .subquery()
    )
    c = candidates.c
    return (
        select(c.product_id)
        .order_by(c.rank, case((c.rank == WORD_START, 0.0), else_=c.similarity).desc(), c.product_id)
        .limit(bindparam("limit", type_=Integer()))
    )


async def ranked_product_ids(
    connection: AsyncConnection, query: SearchQuery, category_id: int | None, want: int
) -> list[uuid.UUID]:
    """The first `want` listed products the query finds, in rank order."""
    params: dict[str, Any] = {"text": query.text, "past_prefix": query.past_prefix, "limit": want}
    params.update({f"word_{n}": pattern for n, pattern in enumerate(query.word_start_patterns())})
    if category_id is not None:
        params["category_id"] = category_id
    head = head_statement(len(query.terms), category_id is not None)
    found = _in_order(
        {}, (await connection.execute(head, {**params, "walk": want * WALK_PER_RESULT})).scalars()
    )
    if len(found) >= want:
        return list(found)[:want]
    params.update({f"loose_{n}": pattern for n, pattern in enumerate(query.loose_patterns())})
    params.update(await _near_word_params(connection, query))
    # Up to `want` new products besides those already found, which come again here.
    params["limit"] = want + len(found)
    rest = rest_statement(len(query.terms), category_id is not None)
    _in_order(found, (await connection.execute(rest, params)).scalars())
    return list(found)[:want]


async def _near_word_params(connection: AsyncConnection, query: SearchQuery) -> dict[str, Any]:
    """The rest statement's near_N_K, closeness_N_K and off_N_K: the words near each term."""
    params: dict[str, Any] = {
        f"{name}_{n}_{k}": empty
        for n in range(len(query.terms))
        for k in range(NEAR_WORDS)
        for name, empty in (("near", None), ("closeness", 0.0), ("off", None))
    }
    terms = {n: term for n, term in enumerate(query.near_terms()) if term is not None}
    if not terms:
        return params
    lookup: dict[str, Any] = {}
    for n, term in terms.items():
        lookup.update(
            {f"near_{n}": term, f"inside_{n}": inside_pattern(term), f"typo_{n}": typo_pattern(term)}
        )
    statement = near_words_statement(connection.dialect.name, tuple(terms))
    slots = dict.fromkeys(terms, 0)
    for n, word, closeness in await connection.execute(statement, lookup):
        params[f"near_{n}_{slots[n]}"] = whole_word_pattern(word)
        params[f"closeness_{n}_{slots[n]}"] = float(closeness)
        if terms[n] not in word:
            params[f"off_{n}_{slots[n]}"] = whole_word_pattern(word)
        slots[n] += 1
    return params


def _in_order(found: dict[uuid.UUID, None], product_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, None]:
    """Append the products not found yet, keeping the order (a dict is an ordered set)."""
    for product_id in product_ids:
        found.setdefault(product_id)
    return found
