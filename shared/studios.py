"""The studio read model reporting, supervision and assessment keep: their own ``studios``
collection, fed by the registry's ``studio.designated`` / ``studio.changed`` / ``studio.revoked``.

A service mixes ``StudioReadModel`` in (before ``ServiceBase``), declares ``STUDIO_SCOPES`` and
``STUDIO_INDEXES`` in its ``storage.py`` and has ``store = Mongo(...)`` and ``inbox = Inbox()``.
Each event is applied once (inbox + the ``_events`` list of the studio document, in the same
single-document write as the change). A change or revocation that arrives before the
designation waits (``shared.inbox.Waits``): retried with back-off, and sent back at once when the
designation is applied.

Rows (``StudioDirectory.render``): studio_id, tenant_id, tenant_name, unit_id, unit_name, name,
occupation, lead_name, designated_on, year, nameplate_no, address, status (active|revoked),
revoked_on, revocation_ground, measures_version.
"""
from __future__ import annotations

from datetime import datetime, timezone

from nameko.events import event_handler
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.errors import NotFound
from shared.events import STUDIO_CHANGED, STUDIO_DESIGNATED, STUDIO_REVOKED, designation_in, designation_of
from shared.inbox import AlreadyApplied, Waits
from shared.rpc import rpc
from shared.schemas import StudioRowSchema, dump_many
from shared.storage import Index, Scope, Store

STUDIOS = "studios"
ACTIVE, REVOKED = "active", "revoked"
STUDIO_SCOPES = {STUDIOS: Scope(tenant_field="tenant_id", unit_field="unit_id")}
STUDIO_INDEXES = [
    Index(STUDIOS, [("tenant_id", ASCENDING), ("status", ASCENDING)]),
    Index(STUDIOS, [("year", ASCENDING)]),
]
_FIELDS = ("tenant_id", "tenant_name", "unit_id", "unit_name", "name", "occupation", "lead_name",
           "designated_on", "year", "nameplate_no", "address", "measures_version")
_CHANGEABLE = ("lead_name", "unit_id", "unit_name", "address", "name")


class StudioNotYetKnown(Waits):
    """A change or revocation for a studio whose designation has not arrived: it waits."""


class StudioDirectory:
    """Repository of the read model: reads scoped to the caller, writes by event (as the system)."""

    def __init__(self, store: Store):
        self.store = store

    # -- reads ----------------------------------------------------------------------------
    def get(self, studio_id: str) -> dict:
        return self.render(self.store.scoped(STUDIOS).get(studio_id, "studio"))

    def find(self, studio_id: str) -> dict | None:
        doc = self.store.scoped(STUDIOS).find_one({"_id": studio_id})
        return self.render(doc) if doc else None

    def list(self, *, tenant_id: str | None = None, status: str | None = ACTIVE, year: int | None = None) -> list[dict]:
        flt: dict = {}
        if tenant_id:
            flt["tenant_id"] = tenant_id
        if status:
            flt["status"] = status
        if year is not None:
            flt["year"] = year
        return [self.render(d) for d in self.store.scoped(STUDIOS).find(flt, sort=[("_id", ASCENDING)])]

    @staticmethod
    def render(doc: dict) -> dict:
        out = {"studio_id": doc["_id"], "status": doc["status"], "revoked_on": doc.get("revoked_on"),
               "revocation_ground": doc.get("revocation_ground")}
        out.update({k: doc.get(k) for k in _FIELDS})
        return out

    # -- writes (events) ------------------------------------------------------------------
    def _coll(self):
        return self.store.db[STUDIOS]

    def designated(self, event: dict) -> None:
        data = event["data"]
        doc = {"_id": data["studio_id"], **{k: data.get(k) for k in _FIELDS},
               "lead_name": data.get("lead_name") or (data.get("lead") or {}).get("name"),
               "status": ACTIVE, "revoked_on": None, "revocation_ground": None,
               "_events": [event["event_id"]], "updated_at": _now()}
        try:
            self._coll().insert_one(doc)
        except DuplicateKeyError:
            raise AlreadyApplied()

    def changed(self, event: dict) -> None:
        after = event["data"].get("after") or {}
        sets = {k: after[k] for k in _CHANGEABLE if k in after}
        self._apply(event, sets)

    def revoked(self, event: dict) -> None:
        data = event["data"]
        self._apply(event, {"status": REVOKED, "revoked_on": data["revoked_on"],
                            "revocation_ground": data.get("ground")})

    def _apply(self, event: dict, sets: dict) -> None:
        sid, event_id = event["data"]["studio_id"], event["event_id"]
        for _ in range(3):
            result = self._coll().update_one({"_id": sid, "_events": {"$ne": event_id}},
                                             {"$set": {**sets, "updated_at": _now()}, "$push": {"_events": event_id}})
            if result.matched_count:
                return
            doc = self._coll().find_one({"_id": sid}, {"_events": 1})
            if doc is None:
                raise StudioNotYetKnown(designation_of(sid),
                                        f"studio {sid} has not been designated here yet; {event['type']} waits")
            if event_id in (doc.get("_events") or ()):
                raise AlreadyApplied()
            # the designation was stored between the update and the read (the two events are
            # handled at once, from their two queues): not applied yet, so apply it now
        raise StudioNotYetKnown(designation_of(sid), f"studio {sid}: {event['type']} could not be applied yet")


class StudioReadModel:
    """Mixin: the three handlers that keep ``studios`` (needs ``store`` and ``inbox``), and the
    ``list_studios`` RPC answering it through ``shared.schemas.StudioRowSchema``."""

    @event_handler(*STUDIO_DESIGNATED, requeue_on_error=True)
    def on_studio_designated(self, payload):
        # a change or revocation that came first goes now
        return self.inbox.apply(payload, StudioDirectory(self.store).designated,
                                wakes=designation_in(payload))

    @event_handler(*STUDIO_CHANGED, requeue_on_error=True)
    def on_studio_changed(self, payload):
        return self.inbox.apply(payload, StudioDirectory(self.store).changed)

    @event_handler(*STUDIO_REVOKED, requeue_on_error=True)
    def on_studio_revoked(self, payload):
        return self.inbox.apply(payload, StudioDirectory(self.store).revoked)

    @rpc
    def list_studios(self, tenant_id=None, status=ACTIVE):
        """The studios this service knows (read model), as the caller may see them."""
        self.caller.get()
        return dump_many(StudioRowSchema(), self.studio_directory().list(tenant_id=tenant_id, status=status))

    def studio_directory(self) -> StudioDirectory:
        """The read model as the worker's caller sees it (scoped: another tenant's studio is 404)."""
        return StudioDirectory(self.store)


def _now() -> datetime:
    return datetime.now(timezone.utc)


__all__ = ["StudioReadModel", "StudioDirectory", "StudioNotYetKnown", "STUDIOS", "STUDIO_SCOPES",
           "STUDIO_INDEXES", "ACTIVE", "REVOKED", "NotFound"]
