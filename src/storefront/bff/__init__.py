"""Backend-for-frontend of the mobile app: one call per screen, on the same services as the Consumer API."""
