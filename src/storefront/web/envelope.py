"""The answer envelope as pydantic models: what the OpenAPI document says every body looks like.

`{"status": "success", "data": T, "meta": Meta}`, and `{"status": "error", "error": {"code",
"message", "details"}, "meta": {"request_id"}}` (`storefront.web.responses` encodes them).

Endpoints declare `response_model=envelope(T)` or `envelope(list[T], PageMeta, "TPage")` and still
return the responses they encode themselves: FastAPI does not validate a `Response` an endpoint
returns, so the models cost nothing per request. The schemathesis run checks that the bodies match.
"""

from functools import cache
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    """A body, or a part of one, the service sends: every field it carries is declared."""

    model_config = ConfigDict(extra="forbid")


class Meta(Answer):
    request_id: str = Field(
        description="This request's id, also in the X-Request-ID header; quote it when reporting a problem.",
        examples=["7710cba01dd4414baa1a2a1cd036ecf7"],
    )


class PageMeta(Meta):
    """A page of a list: `has_more` says whether a next page exists (ask with `skip + count`)."""

    skip: int = Field(description="Items skipped before this page.")
    limit: int = Field(description="The most items this page could hold.")
    count: int = Field(description="Items on this page.")
    has_more: bool = Field(description="Whether more items follow this page.")
    total: int | None = Field(
        default=None, description="How many items there are in all, where that is cheap to know."
    )


class CountMeta(Meta):
    count: int = Field(description="Items in `data` (the whole list: it is not paged).")


DataT = TypeVar("DataT")
MetaT = TypeVar("MetaT", bound=Meta)


class Envelope(Answer, Generic[DataT, MetaT]):
    status: Literal["success"]
    data: DataT
    meta: MetaT


def _name(data: Any) -> str:
    return str(getattr(data, "__name__", data))


@cache
def envelope(data: Any, meta: type[Meta] = Meta, name: str | None = None) -> type[Envelope[Any, Any]]:
    """The success envelope of `data`, named for the OpenAPI document (`ProductEnvelope` by default)."""
    model: type[Envelope[Any, Any]] = Envelope[data, meta]  # type: ignore[valid-type]
    named: type[Envelope[Any, Any]] = type(
        name or f"{_name(data)}Envelope", (model,), {"__module__": __name__}
    )
    return named


class ErrorDetail(Answer):
    code: str = Field(
        description="What went wrong, for programs: a snake_case word. Each answer lists the codes it can carry."
    )
    message: str = Field(description="What went wrong, in words for people.")
    details: Any = Field(description="Facts about this error (which lines, which limit), or null.")


class ErrorMeta(Answer):
    request_id: str = Field(
        description="This request's id, also in the X-Request-ID header; quote it when reporting a problem."
    )


class ErrorEnvelope(Answer):
    status: Literal["error"]
    error: ErrorDetail
    meta: ErrorMeta
