"""Keeping the mirror true to the ERP: sync runs, their pacing, and settling confirmed orders."""

from pydantic import BaseModel, Field


class SyncSettings(BaseModel):
    sync_interval_seconds: float = Field(default=300.0, ge=0)
    # Incremental runs re-read from this long before the last modification they saw.
    sync_overlap_seconds: float = Field(default=60.0, ge=0)
    # A listing run writes what it has read every this many items or seconds, whichever comes
    # first, in one transaction that also records where it stands (it resumes from there).
    sync_apply_batch_items: int = Field(default=5000, ge=1)
    sync_apply_batch_seconds: float = Field(default=5.0, gt=0)
    # A full sync interrupted by a restart or a spent quota resumes within this long; older, it starts over.
    sync_resume_window_seconds: float = Field(default=86400.0, ge=0)
    # A run that would unprice more than this share of the listed products (and more than the
    # minimum count) stops before writing prices: a price book emptied or replaced by mistake.
    sync_max_unpriced_share: float = Field(default=0.2, ge=0, le=1)
    sync_max_unpriced_min_items: int = Field(default=10, ge=0)
    # Scheduled runs re-read the price book (two calls or more) at most this often.
    sync_pricebook_refresh_seconds: float = Field(default=3600.0, ge=0)
    # Confirmed orders' items are re-read this long after confirmation, so their reservations end.
    settle_interval_seconds: float = Field(default=10.0, gt=0)
