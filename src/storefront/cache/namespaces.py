"""Names of the invalidation namespaces: bumping one makes every cached read under it miss at once."""

# Product lists, single products, categories, and every BFF screen that shows products.
CATALOG = "catalog"
# The Consumer sync status read.
SYNC_STATUS = "sync-status"

NAMESPACES = (CATALOG, SYNC_STATUS)
