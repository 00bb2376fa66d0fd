"""The stock locations a sales order's lines are fulfilled from, when only some locations count.

The shop sells the units of the counted locations (STOREFRONT_STOCK_LOCATIONS), so the sales
order must take them there: each line names the counted location with the most units when the
item was last read, and is split over the next ones when that one alone cannot cover it. Zoho
then commits the stock where the shop counted it. With every location counted nothing is named
and Zoho takes the stock from the organisation's primary location, as it always has.
"""

from collections.abc import Collection, Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.catalog.models import Product
from storefront.erp.locations import decode_stock


async def counted_stock_of(session: AsyncSession, erp_item_ids: Collection[str]) -> dict[str, dict[str, int]]:
    """Per item, the actual available units at each counted location (items kept without: none)."""
    if not erp_item_ids:
        return {}
    rows = await session.execute(
        select(Product.erp_item_id, Product.erp_location_stock).where(
            Product.erp_item_id.in_(list(erp_item_ids)), Product.erp_location_stock.is_not(None)
        )
    )
    return {erp_item_id: decode_stock(text) for erp_item_id, text in rows.all()}


def allocate(quantity: int, stock: Mapping[str, int]) -> list[tuple[str, int]]:
    """Units per location for one line: the fullest location first, split when it is not enough.

    Units no location covers (the figures were read a moment ago) go to the fullest location.
    """
    fullest_first = sorted(stock.items(), key=lambda entry: (-entry[1], entry[0]))
    if not fullest_first or quantity <= 0:
        return []
    parts: dict[str, int] = {}
    left = quantity
    for location_id, available in fullest_first:
        take = min(left, max(available, 0))
        if take > 0:
            parts[location_id] = take
            left -= take
        if left == 0:
            break
    if left > 0:
        fullest = fullest_first[0][0]
        parts[fullest] = parts.get(fullest, 0) + left
    return list(parts.items())
