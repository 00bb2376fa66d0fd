"""The SQL of pictures: which products wait for one, what was stored, what failed, what is shown."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Product
from storefront.db.dialect import upsert_insert
from storefront.images.models import ProductImageFailure

# The products whose stored picture is not the ERP's (the partial index ix_products_image_due).
DIFFERS = Product.erp_image_ref.is_distinct_from(Product.image_ref)


@dataclass(frozen=True, slots=True)
class DueImage:
    product_id: uuid.UUID
    erp_item_id: str
    erp_image_ref: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class ShownPicture:
    """A product's picture as served: its content hash and file type (None: the placeholder)."""

    content_hash: str | None
    file_type: str | None


@dataclass(frozen=True, slots=True)
class ImageFailureRow:
    erp_item_id: str
    name: str
    attempts: int
    error: str
    failed_at: datetime
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class PictureCounts:
    with_picture: int
    without_picture: int
    waiting: int
    failing: int


def _failure_join() -> ColumnElement[bool]:
    return and_(
        ProductImageFailure.product_id == Product.id,
        ProductImageFailure.image_ref == Product.erp_image_ref,
    )


async def due_images(session: AsyncSession, now: datetime, max_attempts: int, limit: int) -> list[DueImage]:
    """Products whose picture changed in the ERP (or was removed), less those backing off or given up."""
    query = (
        select(Product.id, Product.erp_item_id, Product.erp_image_ref, ProductImageFailure.attempts)
        .outerjoin(ProductImageFailure, _failure_join())
        .where(
            DIFFERS,
            or_(
                ProductImageFailure.product_id.is_(None),
                and_(
                    ProductImageFailure.next_attempt_at <= now,
                    ProductImageFailure.attempts < max_attempts,
                ),
            ),
        )
        .order_by(Product.id)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [DueImage(row[0], row[1], row[2], int(row[3] or 0)) for row in rows]


async def set_picture(
    session: AsyncSession,
    product_id: uuid.UUID,
    erp_image_ref: str | None,
    content_hash: str | None,
    file_type: str | None,
    now: datetime,
) -> bool:
    """Record the picture stored for this ERP reference (None: none); False when the ERP's
    reference changed meanwhile (the next pass fetches the new one)."""
    result = await session.execute(
        update(Product)
        .where(Product.id == product_id, Product.erp_image_ref.is_not_distinct_from(erp_image_ref))
        .values(image_ref=erp_image_ref, image_hash=content_hash, image_type=file_type, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(ProductImageFailure).where(ProductImageFailure.product_id == product_id))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def record_failure(
    session: AsyncSession,
    item: DueImage,
    error: str,
    attempts: int,
    next_attempt_at: datetime,
    now: datetime,
) -> None:
    insert = upsert_insert(session, ProductImageFailure)
    values = {
        "image_ref": item.erp_image_ref or "",
        "attempts": attempts,
        "next_attempt_at": next_attempt_at,
        "error": error[:500],
        "failed_at": now,
    }
    await session.execute(
        insert.values(product_id=item.product_id, **values).on_conflict_do_update(
            index_elements=["product_id"], set_=values
        )
    )


async def shown_picture(session: AsyncSession, erp_item_id: str) -> ShownPicture | None:
    """The picture a product shows; None when there is no such product."""
    row = (
        await session.execute(
            select(Product.erp_image_ref, Product.image_hash, Product.image_type).where(
                Product.erp_item_id == erp_item_id
            )
        )
    ).first()
    if row is None:
        return None
    if row.erp_image_ref is None or row.image_hash is None:
        return ShownPicture(None, None)
    return ShownPicture(row.image_hash, row.image_type)


async def picture_counts(session: AsyncSession, max_attempts: int) -> PictureCounts:
    """Active products showing a picture and not; pictures waiting to be fetched; failing ones."""
    active = Product.is_active.is_(True)
    shown = and_(Product.erp_image_ref.is_not(None), Product.image_hash.is_not(None))
    row = (
        await session.execute(
            select(
                func.count().filter(active, shown),
                func.count().filter(active, ~shown),
            )
        )
    ).one()
    waiting = await session.scalar(select(func.count()).where(DIFFERS))
    failing = await session.scalar(
        select(func.count())
        .select_from(ProductImageFailure)
        .join(Product, _failure_join())
        .where(ProductImageFailure.attempts >= 1)
    )
    return PictureCounts(int(row[0]), int(row[1]), int(waiting or 0), int(failing or 0))


async def products_without_picture(session: AsyncSession, limit: int) -> Sequence[tuple[str, str]]:
    """(ERP item id, name) of active products showing no picture, by name."""
    query = (
        select(Product.erp_item_id, Product.name)
        .where(
            Product.is_active.is_(True), or_(Product.erp_image_ref.is_(None), Product.image_hash.is_(None))
        )
        .order_by(Product.name, Product.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def image_failures(session: AsyncSession, limit: int) -> list[ImageFailureRow]:
    query = (
        select(
            Product.erp_item_id,
            Product.name,
            ProductImageFailure.attempts,
            ProductImageFailure.error,
            ProductImageFailure.failed_at,
            ProductImageFailure.next_attempt_at,
        )
        .join(Product, _failure_join())
        .order_by(ProductImageFailure.failed_at.desc())
        .limit(limit)
    )
    return [ImageFailureRow(*row) for row in (await session.execute(query)).all()]


@dataclass(frozen=True, slots=True)
class ProductPicture:
    """One product for the operator's product page."""

    erp_item_id: str
    name: str
    sku: str | None
    is_active: bool
    stock: int
    content_hash: str | None
    erp_image_ref: str | None


async def product_picture(session: AsyncSession, erp_item_id: str) -> ProductPicture | None:
    row = (
        await session.execute(
            select(
                Product.erp_item_id,
                Product.name,
                Product.sku,
                Product.is_active,
                Product.erp_actual_available_stock - Product.reserved_stock,
                Product.image_hash,
                Product.erp_image_ref,
            ).where(Product.erp_item_id == erp_item_id)
        )
    ).first()
    if row is None:
        return None
    shown = row[5] if row[6] is not None else None
    return ProductPicture(row[0], row[1], row[2], bool(row[3]), max(int(row[4]), 0), shown, row[6])
