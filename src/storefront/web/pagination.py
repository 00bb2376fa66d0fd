from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class Page(BaseModel):
    skip: int
    limit: int


def page_params(
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page:
    return Page(skip=skip, limit=limit)


def page_meta(page: Page, count: int, has_more: bool, total: int | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"skip": page.skip, "limit": page.limit, "count": count, "has_more": has_more}
    if total is not None:
        meta["total"] = total
    return meta
