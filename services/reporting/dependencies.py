"""reporting-only DependencyProviders (configuration read in ``setup``, a bad value stops start-up
with one line naming the setting). The clock, the caller, the store, the inbox and service calls
are shared (shared/clock.py, caller.py, storage.py, inbox.py, service_calls.py)."""
from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.reporting.domain.xlsx_guard import UploadLimits


class UploadBounds(DependencyProvider):
    """The bounds of an uploaded workbook: ``MAX_UPLOAD_BYTES`` (the file) and
    ``REPORT_MAX_INFLATED_BYTES`` (the zip inflated; default 200 MB)."""

    def setup(self):
        config = self.container.config
        try:
            self.limits = UploadLimits(max_bytes=int(config.get("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)),
                                       max_inflated=int(config.get("REPORT_MAX_INFLATED_BYTES", 200 * 1024 * 1024)))
        except (TypeError, ValueError) as exc:
            raise SystemExit(f"config: MAX_UPLOAD_BYTES / REPORT_MAX_INFLATED_BYTES must be whole numbers: {exc}")

    def get_dependency(self, worker_ctx):
        return self.limits
