"""Ledger-only DependencyProviders: the clock bookings are dated by, and the R-22 fixed-asset
thresholds (configuration, read in ``setup``)."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

from services.ledger.domain import FixedAssetThresholds, LedgerError

log = logging.getLogger("skillmaster.ledger")


class Now:
    """What a worker gets: one moment for the whole call (aware, UTC)."""

    def __init__(self, moment: datetime):
        self._moment = moment

    def now(self) -> datetime:
        return self._moment


class Clock(DependencyProvider):
    """When an entry is booked. ``CLOCK_NOW`` (ISO 8601 with offset) pins it for a demo; tests
    set ``fixed`` on the provider of a running container, or inject ``Now(...)`` into a worker.
    Entries are booked in time order anyway (``next_booking_time``): a clock that goes back
    never back-dates an entry."""

    def setup(self):
        value = self.container.config.get("CLOCK_NOW")
        self.fixed = datetime.fromisoformat(str(value)) if value else None
        if self.fixed is not None:
            if self.fixed.tzinfo is None:
                raise SystemExit("config: CLOCK_NOW needs a UTC offset, e.g. 2025-03-01T09:00:00+08:00")
            log.warning("CLOCK_NOW is set: the ledger books every entry at %s", self.fixed.isoformat())

    def get_dependency(self, worker_ctx):
        return Now(self.fixed or datetime.now(timezone.utc))


class FixedAssetPolicy(DependencyProvider):
    """R-22 thresholds per item: ``FIXED_ASSET_THRESHOLD_FEN`` (default 100000 = 1,000 CNY) and
    ``SPECIAL_EQUIPMENT_THRESHOLD_FEN`` (default 150000 = 1,500 CNY). A bad value stops start-up."""

    def setup(self):
        config = self.container.config
        try:
            self.thresholds = FixedAssetThresholds(
                general_fen=int(config.get("FIXED_ASSET_THRESHOLD_FEN", 100_000)),
                special_equipment_fen=int(config.get("SPECIAL_EQUIPMENT_THRESHOLD_FEN", 150_000)))
        except (TypeError, ValueError, LedgerError) as exc:
            raise SystemExit(f"config: fixed-asset thresholds must be whole positive numbers of fen: {exc}")

    def get_dependency(self, worker_ctx):
        return self.thresholds
