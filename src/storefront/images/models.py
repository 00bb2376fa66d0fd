import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.base import Base


class ProductImageFailure(Base):
    """A picture that could not be fetched or stored: when to try again, and why it failed.

    Kept for the ERP picture reference that failed: a new picture in the ERP is tried at once.
    """

    __tablename__ = "product_image_failures"

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    image_ref: Mapped[str] = mapped_column(String(1024))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime]
