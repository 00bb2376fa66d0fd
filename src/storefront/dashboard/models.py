from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.base import Base, utcnow


class StoredSecret(Base):
    """A secret the processes must share and nobody configured: made once, kept here."""

    __tablename__ = "stored_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DashboardSessionRecord(Base):
    """A signed-in dashboard session; deleting the row ends it in every process."""

    __tablename__ = "dashboard_sessions"

    # SHA-256 of the session id the cookie carries: the table alone opens no session.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # HMAC of the admin token the session was opened with: a rotated token ends it.
    token_fingerprint: Mapped[str] = mapped_column(String(64))
    form_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    __table_args__ = (Index("ix_dashboard_sessions_expires_at", "expires_at"),)
