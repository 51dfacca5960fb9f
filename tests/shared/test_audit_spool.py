"""An audit record the broker refuses is kept and sent again, not lost (shared/audit.py): the
write it records stands, so the trail must show it once the broker is back. Over the real
broker: the publisher first points at a port nobody answers, then at the test's vhost."""
from __future__ import annotations

import os

import mongomock_ng
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from shared.audit import AUDIT_RECORDED, AuditPublisher, FileSpool, StoreSpool
from tests.conftest import free_port, make_config


def record(n: int) -> dict:
    return {"id": f"rec-{n}", "kind": "request", "user": "demo-finance", "request_id": f"req-{n}"}


def test_a_file_spool_keeps_whole_records_oldest_first_and_forgets_the_sent(tmp_path):
    spool = FileSpool(str(tmp_path / "spool"))
    assert spool.pending(10) == []                       # no folder yet
    for n in range(3):
        spool.keep(record(n))
    by_id = {r["id"]: path for path, r in spool.pending(10)}
    for second, rid in enumerate(["rec-2", "rec-0", "rec-1"]):   # as if kept in this order
        os.utime(by_id[rid], (second, second))
    kept = spool.pending(10)
    assert [r["id"] for _, r in kept] == ["rec-2", "rec-0", "rec-1"]
    assert not [n for n in os.listdir(tmp_path / "spool") if n.endswith(".tmp")]
    spool.sent(kept[0][0])
    spool.sent(kept[0][0])                               # twice: nothing to do
    assert [r["id"] for _, r in spool.pending(10)] == ["rec-0", "rec-1"]


def test_a_store_spool_keeps_a_record_once():
    db = mongomock_ng.MongoClient(tz_aware=True).db
    spool = StoreSpool(lambda: db)
    spool.keep(record(1))
    spool.keep(record(1))
    spool.keep(record(2))
    assert [k for k, _ in spool.pending(10)] == ["rec-1", "rec-2"]
    spool.sent("rec-1")
    assert [r["id"] for _, r in spool.pending(10)] == ["rec-2"]


def test_a_record_the_broker_refused_is_delivered_once_it_is_back(rabbit_config, tmp_path):
    config = make_config(rabbit_config["AMQP_URI"])
    exchange = get_event_exchange("audit", config)
    queue = Queue("audit-spool-test", exchange=exchange, routing_key=AUDIT_RECORDED)
    with Connection(config["AMQP_URI"]) as conn:
        queue(conn.channel()).declare()
    nobody = make_config(f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    publisher = AuditPublisher(nobody, spool=FileSpool(str(tmp_path / "spool")))
    assert publisher.publish(record(7)) is False          # refused: kept, not lost
    assert [r["id"] for _, r in publisher.spool.pending(10)] == ["rec-7"]
    assert publisher.resend() == 0                        # still refused: still kept
    publisher.publisher = AuditPublisher(config).publisher   # the broker is back
    assert publisher.resend() == 1 and publisher.spool.pending(10) == []
    with Connection(config["AMQP_URI"]) as conn:
        message = queue(conn.channel()).get(no_ack=True)
    assert message is not None and message.payload["id"] == "rec-7"
    print("injected: a broker that refuses; counted: 1 record kept, 1 delivered after it came back")
