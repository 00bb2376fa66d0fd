"""The metric objects. Import and increment them; never create metrics elsewhere.

With several worker processes, set PROMETHEUS_MULTIPROC_DIR (an empty directory, shared by the
workers) before the service starts: every process then writes its values to files there and
`GET /metrics` adds them up. Without it, one in-process registry serves.
"""

import os

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_SYNC_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def is_multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# HTTP: `route` is the route template (/api/consumer/products/{product_id}), never the raw path.
HTTP_REQUESTS = Counter(
    "storefront_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_REQUEST_DURATION = Histogram(
    "storefront_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)

# Cache, by key prefix (namespace): a stale serve is an old value served while a refresh runs.
CACHE_HITS = Counter("storefront_cache_hits_total", "Cache lookups answered from the cache.", ["prefix"])
CACHE_MISSES = Counter("storefront_cache_misses_total", "Cache lookups that had to compute.", ["prefix"])
CACHE_STALE = Counter("storefront_cache_stale_total", "Stale values served from the cache.", ["prefix"])
CACHE_ERRORS = Counter(
    "storefront_cache_errors_total", "Cache backend failures (the read fell through).", ["prefix"]
)

# Database connection pool of each engine (`pool` is "main" or "write"), one value per live process.
DB_POOL_SIZE = Gauge(
    "storefront_db_pool_size", "Connections the pool keeps.", ["pool"], multiprocess_mode="livesum"
)
DB_POOL_CHECKED_OUT = Gauge(
    "storefront_db_pool_checked_out",
    "Connections in use.",
    ["pool"],
    multiprocess_mode="livesum",
)
DB_POOL_OVERFLOW = Gauge(
    "storefront_db_pool_overflow",
    "Connections open beyond the pool size.",
    ["pool"],
    multiprocess_mode="livesum",
)

# Catalog reads that reached the database with STOREFRONT_DATABASE_READ_URL set, by where they ran:
# `replica`, or the primary because the replica was `behind` the write mark, `replica_unavailable`,
# or `mark_unavailable` (the mark could not be read or published).
REPLICA_READS = Counter(
    "storefront_replica_reads_total", "Catalog reads (cache misses) by where they ran.", ["outcome"]
)

# Sync: `mode` is full / incremental / items / webhook, `status` succeeded / failed / ...
SYNC_RUNS = Counter("storefront_sync_runs_total", "Sync runs finished.", ["mode", "status"])
SYNC_DURATION = Histogram(
    "storefront_sync_duration_seconds", "Duration of a sync run.", ["mode"], buckets=_SYNC_BUCKETS
)
SYNC_ITEMS = Counter("storefront_sync_items_total", "ERP items processed by syncs, by outcome.", ["outcome"])

# Orders and their push to the ERP. Orders by status and the backlog are read from the
# database at scrape time (storefront_orders, storefront_push_backlog...).
ORDERS_PLACED = Counter("storefront_orders_placed_total", "Orders accepted.", ["channel"])
ORDER_CANCELLATIONS = Counter(
    "storefront_order_cancellations_total",
    "Orders cancelled by an operator (`cancelled`), and their sales orders voided in the ERP (`voided`).",
    ["step"],
)
PUSH_ATTEMPTS = Counter("storefront_push_attempts_total", "Order pushes attempted, by outcome.", ["outcome"])

# ERP: `outcome` is ok / rate_limited / unavailable / auth_error / rejected / not_found.
ERP_CALLS = Counter("storefront_erp_calls_total", "Calls made to the ERP API.", ["operation", "outcome"])
ERP_DAILY_QUOTA_REMAINING = Gauge(
    "storefront_erp_daily_quota_remaining",
    "ERP calls left in the organisation's daily quota, as Zoho last reported it.",
    multiprocess_mode="mostrecent",
)
ERP_BUDGET_REMAINING = Gauge(
    "storefront_erp_budget_remaining",
    "ERP calls left in the current rate-limit window.",
    multiprocess_mode="mostrecent",
)

# Product pictures: `outcome` is stored / known (the bytes were stored already) / missing (the ERP
# has none) / removed (no call) / refused (not a picture we store) / failed (the ERP call failed).
IMAGE_FETCHES = Counter(
    "storefront_image_fetches_total", "Product pictures fetched from the ERP, by outcome.", ["outcome"]
)
IMAGE_BYTES_STORED = Counter(
    "storefront_image_bytes_stored_total", "Bytes of product pictures written to storage, variants included."
)
