"""The ERP client a process uses, built from settings; with ERP=emulator, the emulator it talks to."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr
from redis.asyncio import Redis

from storefront.config import Settings
from storefront.erp.zoho import ZohoClient
from storefront.logging import get_logger

if TYPE_CHECKING:
    # Imported where the emulator is chosen: a process talking to Zoho never loads it.
    from storefront.erp.emulator import EmulatorConfig, EmulatorServer

log = get_logger(__name__)


@dataclass
class ErpRuntime:
    client: ZohoClient
    emulator: "EmulatorServer | None" = None
    redis: Redis | None = None

    async def aclose(self) -> None:
        await self.client.aclose()
        if self.emulator is not None:
            await self.emulator.stop()
        if self.redis is not None:
            await self.redis.aclose()


class ErpNotConfigured(RuntimeError):
    """The settings name no ERP (or not enough of one) to talk to."""


def with_emulator_credentials(settings: Settings) -> Settings:
    """The settings an emulator and its client share: the emulator's own defaults where none are set."""
    from storefront.erp.emulator import EmulatorConfig

    defaults = EmulatorConfig()
    return settings.model_copy(
        update={
            "zoho_client_id": settings.zoho_client_id or defaults.client_id,
            "zoho_client_secret": settings.zoho_client_secret
            if settings.zoho_client_secret.get_secret_value()
            else SecretStr(defaults.client_secret),
            "zoho_refresh_token": settings.zoho_refresh_token
            if settings.zoho_refresh_token.get_secret_value()
            else SecretStr(defaults.refresh_token),
            "zoho_organization_id": settings.zoho_organization_id or defaults.organization_id,
        }
    )


def emulator_config(settings: Settings) -> "EmulatorConfig":
    """The emulator accepts exactly the credentials the settings give the client."""
    from storefront.erp.emulator import EmulatorConfig

    secret = settings.zoho_webhook_secret
    return EmulatorConfig(
        client_id=settings.zoho_client_id,
        client_secret=settings.zoho_client_secret.get_secret_value(),
        refresh_token=settings.zoho_refresh_token.get_secret_value(),
        organization_id=settings.zoho_organization_id,
        rate_limit_per_minute=settings.erp_emulator_rate_limit_per_minute,
        demo_items=settings.erp_emulator_demo_items,
        webhook_url=settings.erp_emulator_webhook_url,
        webhook_secret=secret.get_secret_value() if secret else None,
    )


async def open_erp(settings: Settings) -> ErpRuntime:
    """The ERP client the settings name; raises ErpNotConfigured when they name none."""
    problem = settings.erp_problem()
    if problem is not None:
        raise ErpNotConfigured(problem)
    if settings.erp == "emulator":
        settings = with_emulator_credentials(settings)
        log.warning(
            "erp_emulator_chosen", hint="STOREFRONT_ERP=emulator: the shop sells the built-in demo catalog"
        )
        from storefront.erp.emulator import EmulatorServer

        # Each process gets its own emulator, so its token is not shared through Redis.
        emulator = EmulatorServer(
            emulator_config(settings), host=settings.erp_emulator_host, port=settings.erp_emulator_port
        )
        await emulator.start()
        log.info("erp_emulator_started", url=emulator.url, items=len(emulator.state.items))
        client = ZohoClient.from_settings(settings, api_url=emulator.api_url, accounts_url=emulator.url)
        return ErpRuntime(client, emulator=emulator)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    return ErpRuntime(ZohoClient.from_settings(settings, redis=redis), redis=redis)
