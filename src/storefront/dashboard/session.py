"""The dashboard's browser session: a signed, HttpOnly, SameSite=Strict cookie scoped to /dashboard,
backed by a row in `dashboard_sessions`.

The cookie holds only a random session id, signed with the dashboard's own secret
(STOREFRONT_DASHBOARD_SESSION_SECRET, or one generated once and shared by every process through
the database). A session is valid while its row exists, has not expired, and was opened with the
admin token in force: logging out deletes the row, and rotating the token ends every session.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import SecretStr
from sqlalchemy import delete, select
from starlette.requests import Request
from starlette.responses import Response

from storefront.config import Settings
from storefront.dashboard.models import DashboardSessionRecord, StoredSecret
from storefront.db.base import utcnow
from storefront.db.dialect import upsert_insert
from storefront.db.engine import Database
from storefront.db.session import commit

COOKIE = "storefront_dashboard"
COOKIE_PATH = "/dashboard"
_SALT = "storefront.dashboard.session"
_SECRET_NAME = "dashboard_session"  # noqa: S105 - the name of a stored secret, not one


@dataclass(frozen=True, slots=True)
class DashboardSession:
    id_hash: str
    form_token: str

    def accepts(self, form_token: str | None) -> bool:
        return form_token is not None and hmac.compare_digest(form_token.encode(), self.form_token.encode())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def _stored_secret(database: Database) -> str:
    """The generated secret every process shares: the first process to ask makes it."""
    async with database.write_sessionmaker() as session:
        await session.execute(
            upsert_insert(session, StoredSecret)
            .values(name=_SECRET_NAME, value=secrets.token_urlsafe(48), created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["name"])
        )
        value = await session.scalar(select(StoredSecret.value).where(StoredSecret.name == _SECRET_NAME))
        await commit(session)
    assert value is not None
    return value


class DashboardSessions:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.lifetime = timedelta(hours=settings.dashboard_session_hours)
        configured = settings.dashboard_session_secret
        self._secret: str | None = configured.get_secret_value() if configured else None

    async def _serializer(self) -> URLSafeTimedSerializer:
        if self._secret is None:
            self._secret = await _stored_secret(self.database)
        return URLSafeTimedSerializer(self._secret, salt=_SALT)

    def _fingerprint(self, admin_token: SecretStr) -> str:
        assert self._secret is not None
        return hmac.new(self._secret.encode(), admin_token.get_secret_value().encode(), "sha256").hexdigest()

    async def read(self, request: Request) -> DashboardSession | None:
        admin_token: SecretStr | None = self.settings.admin_token
        raw = request.cookies.get(COOKIE)
        if admin_token is None or not raw:
            return None
        try:
            session_id = (await self._serializer()).loads(raw, max_age=int(self.lifetime.total_seconds()))
        except BadSignature:
            return None
        if not isinstance(session_id, str):
            return None
        id_hash = _hash(session_id)
        async with self.database.sessionmaker() as session:
            row = (
                await session.execute(
                    select(DashboardSessionRecord.token_fingerprint, DashboardSessionRecord.form_token).where(
                        DashboardSessionRecord.id_hash == id_hash,
                        DashboardSessionRecord.expires_at > utcnow(),
                    )
                )
            ).first()
        if row is None or not hmac.compare_digest(row.token_fingerprint, self._fingerprint(admin_token)):
            return None
        return DashboardSession(id_hash, row.form_token)

    async def open(self, response: Response, request: Request, admin_token: SecretStr) -> None:
        serializer = await self._serializer()
        session_id = secrets.token_urlsafe(32)
        now = utcnow()
        async with self.database.write_sessionmaker() as session:
            await session.execute(
                delete(DashboardSessionRecord).where(DashboardSessionRecord.expires_at <= now)
            )
            session.add(
                DashboardSessionRecord(
                    id_hash=_hash(session_id),
                    token_fingerprint=self._fingerprint(admin_token),
                    form_token=secrets.token_urlsafe(24),
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
            await commit(session)
        response.set_cookie(
            COOKIE,
            serializer.dumps(session_id),
            max_age=int(self.lifetime.total_seconds()),
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=self.settings.dashboard_cookie_secure or request.url.scheme == "https",
        )

    async def close(self, response: Response, session: DashboardSession | None) -> None:
        if session is not None:
            async with self.database.write_sessionmaker() as db_session:
                await db_session.execute(
                    delete(DashboardSessionRecord).where(DashboardSessionRecord.id_hash == session.id_hash)
                )
                await commit(db_session)
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
