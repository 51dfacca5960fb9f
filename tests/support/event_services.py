"""Two tiny services that use the real outbox and inbox, for the messaging tests (issue #10).

``emitter`` records a ``thing.made`` event in the same write as its document; ``sink``
applies it once (its effect document is keyed by the event id) and can be told, per
thing, to fail a number of times first.
"""
import eventlet
from nameko.events import event_handler
from pymongo.errors import DuplicateKeyError

from marshmallow import fields

from shared.events import CONTRACTS, Schema
from shared.inbox import AlreadyApplied, INBOX_INDEXES, Inbox
from shared.outbox import Outbox, outbox_indexes
from shared.principal import Caller
from shared.rpc import rpc
from shared.service import ServiceBase
from shared.storage import Mongo


class ThingMadeData(Schema):   # the test event's contract (shared/events.py CONTRACTS)
    thing_id = fields.String(required=True)
    fail_times = fields.Integer()
    always_fail = fields.Boolean()
    hang_after_write = fields.Boolean()


CONTRACTS.setdefault("thing.made", ThingMadeData)


class EmitterService(ServiceBase):
    name = "emitter"
    store = Mongo("emitter", {}, outbox_indexes(["things"]))
    caller = Caller()
    outbox = Outbox(["things"])

    @rpc(public=True)
    def made_count(self):
        return self.store.internal("things").count_documents({})

    @rpc(public=True)
    def make_many(self, prefix, count):
        for i in range(count):
            self.make(f"{prefix}-{i:04d}")
        return count

    @rpc(public=True)
    def make(self, thing_id, fail_times=0, always_fail=False, hang_after_write=False):
        event = self.outbox.event("thing.made", {"thing_id": thing_id, "fail_times": fail_times,
                                                  "always_fail": always_fail,
                                                  "hang_after_write": hang_after_write}, tenant_id="dongcheng")
        self.store.internal("things").insert_one({"_id": thing_id, "tenant_id": "dongcheng", "_outbox": [event]})
        return event["event_id"]


class SinkService(ServiceBase):
    name = "sink"
    store = Mongo("sink", {}, INBOX_INDEXES)
    caller = Caller()
    inbox = Inbox()

    @event_handler("emitter", "thing.made", requeue_on_error=True)
    def on_thing_made(self, payload):
        self.inbox.apply(payload, self._apply)

    def _apply(self, event):
        data = event["data"]
        attempts = self.store.internal("attempts").find_one_and_update(
            {"_id": data["thing_id"]}, {"$inc": {"n": 1}}, upsert=True, return_document=True)["n"]
        if data.get("always_fail") and not self.store.internal("fixed").find_one({"_id": data["thing_id"]}):
            raise RuntimeError(f"poison thing {data['thing_id']}")
        if attempts <= data.get("fail_times", 0):
            raise RuntimeError(f"injected failure {attempts} of {data['fail_times']}")
        try:
            self.store.internal("effects").insert_one({"_id": f"effect:{event['event_id']}",
                                                       "thing_id": data["thing_id"]})
        except DuplicateKeyError:
            raise AlreadyApplied()
        if data.get("hang_after_write") and self.store.internal("hung").find_one_and_update(
                {"_id": data["thing_id"]}, {"$setOnInsert": {"at": 1}}, upsert=True) is None:
            # the first delivery hangs after its write, before nameko acks: the test kills us here
            eventlet.sleep(3600)

    @rpc(public=True)
    def effects(self):
        return sorted(d["thing_id"] for d in self.store.internal("effects").find())

    @rpc(public=True)
    def effect_count(self):
        return self.store.internal("effects").count_documents({})

    @rpc(public=True)
    def fix(self, thing_id):
        self.store.internal("fixed").insert_one({"_id": thing_id})
