"""A local Zoho Inventory/Books emulator: the subset the service uses, with Zoho's shapes and failures."""

from storefront.erp.emulator.app import BOOKS_PATH, INVENTORY_PATH, create_emulator_app
from storefront.erp.emulator.control_client import EmulatorControl
from storefront.erp.emulator.server import EmulatorServer, LoopbackServer
from storefront.erp.emulator.state import EmulatorConfig, EmulatorState
from storefront.erp.emulator.webhooks import SIGNATURE_HEADER, billing_string, sign, sign_billing

__all__ = [
    "BOOKS_PATH",
    "INVENTORY_PATH",
    "SIGNATURE_HEADER",
    "EmulatorConfig",
    "EmulatorControl",
    "EmulatorServer",
    "EmulatorState",
    "LoopbackServer",
    "billing_string",
    "create_emulator_app",
    "sign",
    "sign_billing",
]
