"""Reserved units: taken atomically when an order is placed, given back when it fails or settles.

Sellable stock is `erp_actual_available_stock - reserved_stock`. A reservation is one
conditional UPDATE per product, so the check and the write are one atomic step; products are
updated in id order so two orders over the same products lock them in the same order and
cannot deadlock. None of these functions commit: the caller's transaction decides.
"""

import uuid
from collections.abc import Mapping

from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Product


async def reserve(session: AsyncSession, quantities: Mapping[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Reserve each product's quantity; return the products that fell short with their sellable units.

    When the answer is not empty some units may already be reserved: the caller must roll back.
    """
    short: list[uuid.UUID] = []
    for product_id in sorted(quantities):
        quantity = quantities[product_id]
        result = await session.execute(
            update(Product)
            .where(
                Product.id == product_id,
                Product.is_active,
                Product.erp_actual_available_stock - Product.reserved_stock >= quantity,
            )
            .values(reserved_stock=Product.reserved_stock + quantity)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            short.append(product_id)
    if not short:
        return {}
    rows = await session.execute(
        select(Product.id, Product.erp_actual_available_stock - Product.reserved_stock).where(
            Product.id.in_(short)
        )
    )
    return {product_id: max(int(available), 0) for product_id, available in rows.all()}


async def release(session: AsyncSession, quantities: Mapping[uuid.UUID, int]) -> None:
    """Give reserved units back, never below zero."""
    for product_id in sorted(quantities):
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(reserved_stock=_minus_floor_zero(quantities[product_id]))
            .execution_options(synchronize_session=False)
        )


def _minus_floor_zero(quantity: int) -> ColumnElement[int]:
    return case(
        (Product.reserved_stock >= quantity, Product.reserved_stock - quantity),
        else_=0,
    )
