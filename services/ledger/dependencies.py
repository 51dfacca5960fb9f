"""Ledger-only DependencyProviders: the R-22 fixed-asset thresholds (configuration, read in ``setup``)."""
from __future__ import annotations

import logging
from nameko.extensions import DependencyProvider

from shared.clock import Clock as SharedClock, Now

from services.ledger.domain import FixedAssetThresholds, LedgerError

log = logging.getLogger("skillmaster.ledger")


# The clock is shared (shared/clock.py); these names stay for the tests that use them.
Clock, Now = SharedClock, Now


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
