"""`storefront bench` (`make bench`): every figure of docs/benchmarks.md, measured in one run.

One deployment on this machine (a scratch PostgreSQL database and Redis key prefix, the ERP
emulator in its own process with 100,000 demo items, `storefront serve` on granian), the catalog
synced through the real Zoho client, then each figure in turn beside the yardstick measured by
the same client on the same server; docs/benchmarks.md and its plot are written at the end.
"""
