"""The one clock every service reads: ``today()`` (the date in Asia/Shanghai, which the rules
are judged on) and ``now()`` (an aware UTC datetime, which records are stamped with).

Setting (validated at start-up; a bad value stops the service with one line naming it):

- ``CLOCK_NOW``   ISO 8601 date-time with an offset (``2026-09-28T09:00:00+08:00``): the clock
  starts at that moment and then runs on in real time;
- ``CLOCK_TODAY`` alias, an ISO date (``2026-09-28``): the same as ``CLOCK_NOW`` at 09:00 in
  Beijing that day. Setting both is refused.

Moving the clock in a rehearsal (DEMO_MODE only): an admin calls ``set_clock`` on any service
(every service has it through ``shared.service.ServiceBase``; the gateway's
``PUT /api/v1/admin/clock`` does this). That service computes the new offset from real time,
stores it in its own database and publishes ``clock.moved`` on the ``clock`` source's event
exchange. Every service has two handlers for it (``ServiceBase``): a broadcast one, so that
every replica of every service takes the offset at once, and a durable service-pool one, so
that a service that is down gets it when it comes back. Both store the offset in the
service's own database (collection ``_clock``) if it is newer than the stored one (by its
``moved_at``), so a restart keeps it. Outside DEMO_MODE ``set_clock`` is refused and a stored
offset is ignored (and logged). ``get_clock`` answers what the clock reads and how it was moved.

Tests set ``fixed`` (a date or an aware datetime) on the provider of a running container to
walk a case through weeks in seconds, or inject ``ClockReading``/``Today``/``Now`` into a worker.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone

from nameko.extensions import DependencyProvider

from shared.calendar import SHANGHAI
from shared.errors import Forbidden, ValidationFailed
from shared.events import CLOCK_MOVED, ClockMovedData
from shared.logs import log_event

log = logging.getLogger("skillmaster.clock")

CLOCK_SOURCE, _ = CLOCK_MOVED
CLOCK_COLLECTION = "_clock"
_STATE_ID = "clock"
DEMO_DAY_TIME = time(9, 0)   # a pinned date means 09:00 Beijing time that day


def parse_clock_setting(config) -> datetime | None:
    """The start moment named by ``CLOCK_NOW``/``CLOCK_TODAY``, or None; SystemExit naming the setting."""
    now_value, today_value = config.get("CLOCK_NOW"), config.get("CLOCK_TODAY")
    if now_value and today_value:
        raise SystemExit("config: set CLOCK_NOW or CLOCK_TODAY, not both")
    if today_value:
        try:
            day = today_value if isinstance(today_value, date) else date.fromisoformat(str(today_value))
        except ValueError:
            raise SystemExit(f"config: CLOCK_TODAY={today_value!r} is not a date (YYYY-MM-DD)")
        return datetime.combine(day, DEMO_DAY_TIME, SHANGHAI).astimezone(timezone.utc)
    if now_value:
        try:
            moment = now_value if isinstance(now_value, datetime) else datetime.fromisoformat(str(now_value))
        except ValueError:
            raise SystemExit(f"config: CLOCK_NOW={now_value!r} is not an ISO 8601 date-time")
        if moment.tzinfo is None:
            raise SystemExit(f"config: CLOCK_NOW={now_value!r} needs a UTC offset, e.g. 2026-03-01T09:00:00+08:00")
        return moment.astimezone(timezone.utc)
    return None


class ClockReading:
    """What a worker gets: one moment for the whole call."""

    def __init__(self, moment: datetime, provider: "Clock | None" = None):
        if moment.tzinfo is None:
            raise TypeError("a clock reading needs an aware datetime")
        self._moment = moment.astimezone(timezone.utc)
        self.provider = provider

    def now(self) -> datetime:
        return self._moment

    def today(self) -> date:
        return self._moment.astimezone(SHANGHAI).date()


def Today(day: date) -> ClockReading:
    """A reading for tests and callers that only care about the date (09:00 Beijing that day)."""
    return ClockReading(datetime.combine(day, DEMO_DAY_TIME, SHANGHAI))


def Now(moment: datetime) -> ClockReading:
    return ClockReading(moment)


class Clock(DependencyProvider):
    """``clock = Clock()`` on a service; workers call ``self.clock.today()`` / ``self.clock.now()``."""

    def __init__(self):
        self.fixed: date | datetime | None = None   # tests: stands the clock still at this moment
        self.configured: datetime | None = None
        self.offset = timedelta(0)
        self.moved_at: datetime | None = None
        self.moved_by: str | None = None

    def setup(self):
        config = self.container.config
        self.demo_mode = bool(config.get("DEMO_MODE"))
        self.configured = parse_clock_setting(config)
        if self.configured is not None:
            # the clock starts at the setting and runs on: an offset from real time
            self.offset = self.configured - datetime.now(timezone.utc)
            log.warning("%s: the clock is set to start at %s", getattr(self.container, "service_name", "?"),
                        self.configured.isoformat())

    def start(self):
        self.load_persisted()

    # -- state -----------------------------------------------------------------------
    def _db(self):
        from shared.storage import container_db
        try:
            return container_db(self.container)
        except RuntimeError:
            return None

    def load_persisted(self) -> None:
        db = self._db()
        if db is None:
            return
        doc = db[CLOCK_COLLECTION].find_one({"_id": _STATE_ID})
        if not doc:
            return
        if not self.demo_mode:
            log.warning("%s: a moved clock is stored but DEMO_MODE is off: ignored",
                        self.container.service_name)
            return
        self._take(doc)

    def _take(self, state: dict) -> None:
        self.offset = timedelta(seconds=float(state["offset_seconds"]))
        self.moved_at = _aware(state.get("moved_at"))
        self.moved_by = state.get("moved_by")

    def moment(self) -> datetime:
        if isinstance(self.fixed, datetime):
            return self.fixed.astimezone(timezone.utc)
        if isinstance(self.fixed, date):
            return datetime.combine(self.fixed, DEMO_DAY_TIME, SHANGHAI).astimezone(timezone.utc)
        return datetime.now(timezone.utc) + self.offset

    def get_dependency(self, worker_ctx):
        return ClockReading(self.moment(), self)

    # -- moving (DEMO_MODE, admin) ------------------------------------------------------
    def state(self) -> dict:
        moment = self.moment()
        return {"now": moment.isoformat(), "today": moment.astimezone(SHANGHAI).date().isoformat(),
                "offset_seconds": self.offset.total_seconds(), "demo_mode": self.demo_mode,
                "moved_at": self.moved_at.isoformat() if self.moved_at else None,
                "moved_by": self.moved_by, "service": self.container.service_name}

    def plan_move(self, principal, *, now=None, today=None, reset=False, reason=None) -> dict:
        """The ``clock.moved`` payload for an admin's request; refused outside DEMO_MODE."""
        principal.require_role("admin")
        if principal.is_system:
            raise Forbidden("only an admin moves the clock")
        if not self.demo_mode:
            raise Forbidden("the clock can be moved only in DEMO_MODE")
        given = [x for x in (now, today) if x]
        if reset:
            if given:
                raise ValidationFailed("reset takes no date", errors={"reset": "give reset or a date, not both"})
            offset = self.configured - datetime.now(timezone.utc) if self.configured else timedelta(0)
        else:
            if len(given) != 1:
                raise ValidationFailed("give now or today", errors={"now": "give exactly one of now, today"})
            try:
                target = parse_clock_setting({"CLOCK_NOW": now} if now else {"CLOCK_TODAY": today})
            except SystemExit as exc:
                field = "now" if now else "today"
                raise ValidationFailed("not a valid clock setting", errors={field: str(exc)})
            offset = target - datetime.now(timezone.utc)
        moved_at = datetime.now(timezone.utc)
        return {"offset_seconds": offset.total_seconds(), "moved_at": moved_at.isoformat(),
                "moved_by": principal.user, "reason": reason or ""}

    def apply_move(self, payload: dict) -> bool:
        """Take a ``clock.moved`` payload if it is newer than what this instance has; store it."""
        if not self.demo_mode:
            log.warning("%s: clock.moved received outside DEMO_MODE: ignored", self.container.service_name)
            return False
        problems = ClockMovedData().validate(payload)
        if problems:
            raise ValueError(f"clock.moved does not match its contract: {problems}")
        moved_at = _aware(payload["moved_at"])
        db = self._db()
        if db is not None:
            stored = db[CLOCK_COLLECTION].find_one({"_id": _STATE_ID})
            if stored is None or _aware(stored.get("moved_at")) is None or _aware(stored["moved_at"]) < moved_at:
                db[CLOCK_COLLECTION].replace_one(
                    {"_id": _STATE_ID},
                    {"offset_seconds": float(payload["offset_seconds"]), "moved_at": moved_at,
                     "moved_by": payload.get("moved_by"), "reason": payload.get("reason")}, upsert=True)
        if self.moved_at is not None and moved_at <= self.moved_at:
            return False
        self._take({**payload, "moved_at": moved_at})
        log_event(log, "clock moved", logging.WARNING, service=self.container.service_name,
                  offset_seconds=self.offset.total_seconds(), moved_by=self.moved_by,
                  reason=payload.get("reason"), now=self.moment().isoformat())
        return True


    def publish_move(self, payload: dict) -> None:
        """Broadcast ``clock.moved`` to every service and replica (publisher confirms)."""
        from nameko.amqp.publish import Publisher
        from nameko.constants import PERSISTENT
        from nameko.standalone.events import get_event_exchange
        publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True,
                              delivery_mode=PERSISTENT, serializer="json")
        exchange = get_event_exchange(CLOCK_SOURCE, self.container.config)
        publisher.publish(payload, exchange=exchange, declare=[exchange],
                          routing_key=CLOCK_MOVED[1])


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
