"""supervision-only extensions: the reminder timer's interval and its once-a-day gate.

``ReminderTimer`` is nameko's ``@timer`` whose interval comes from the config
(``REMINDER_CHECK_SECONDS``, default 300) in ``setup``, not at class-definition time.
``ReminderSchedule`` lets the check run once per Beijing date per replica (a moved clock is a
new date); that it *sends* once is the job of the reminders' unique keys, not of this gate.
"""
from __future__ import annotations

from datetime import date

from nameko.extensions import DependencyProvider
from nameko.timer import Timer


class ReminderTimer(Timer):
    def __init__(self, **kwargs):
        super().__init__(interval=300, **kwargs)

    def setup(self):
        try:
            self.interval = float(self.container.config.get("REMINDER_CHECK_SECONDS", 300))
        except (TypeError, ValueError):
            raise SystemExit("config: REMINDER_CHECK_SECONDS must be a number of seconds")
        if self.interval <= 0:
            raise SystemExit("config: REMINDER_CHECK_SECONDS must be positive")


reminder_timer = ReminderTimer.decorator


class _Gate:
    def __init__(self, provider: "ReminderSchedule"):
        self._provider = provider

    def due(self, today: date) -> bool:
        return self._provider.last_done != today

    def done(self, today: date) -> None:
        self._provider.last_done = today


class ReminderSchedule(DependencyProvider):
    def setup(self):
        self.last_done: date | None = None

    def get_dependency(self, worker_ctx):
        return _Gate(self)
