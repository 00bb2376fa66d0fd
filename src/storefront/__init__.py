"""Storefront: the service between a distributor's ERP and its shoppers' app."""

__version__ = "0.1.0"
