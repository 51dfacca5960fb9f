"""Declare every subscriber's durable queue before anything publishes (STYLE.md, messaging facts).

nameko declares an event handler's queue only when that handler's container starts; an
event published before then is confirmed by the broker and dropped. ``declare_topology``
declares, for every ``@event_handler`` of every configured service, the same exchange,
queue and binding nameko would, so that publishing can never outrun a subscriber. It runs
at every service's start-up and as the ``skillmaster-topology`` command (make run,
docker-compose and the deploy docs call it).
"""
from __future__ import annotations

import logging
from typing import Iterable

from kombu import Connection, Exchange, Queue
from nameko.constants import PERSISTENT
from nameko.events import SERVICE_POOL, EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.utils import import_from_path

log = logging.getLogger("skillmaster.topology")


def load_service_class(path: str):
    """``package.module:Class`` (as in config SERVICES) → the class."""
    module, _, attr = path.partition(":")
    return import_from_path(f"{module}.{attr}")


def event_queues(service_cls) -> list[Queue]:
    """The durable queues nameko would declare for ``service_cls``'s event handlers."""
    queues = []
    for attr in dir(service_cls):
        method = getattr(service_cls, attr, None)
        for ext in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(ext, EventHandler) and ext.handler_type is SERVICE_POOL:
                queues.append(handler_queue(service_cls.name, attr, ext.source_service, ext.event_type))
    return queues


def handler_queue(service_name: str, method_name: str, source: str, event_type: str) -> Queue:
    exchange = Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=PERSISTENT)
    return Queue(f"evt-{source}-{event_type}--{service_name}.{method_name}", exchange=exchange,
                 routing_key=event_type, durable=True, auto_delete=False, exclusive=False)


def declare_topology(amqp_uri: str, service_classes: Iterable) -> list[str]:
    names = []
    with Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.channel()
        for cls in service_classes:
            for queue in event_queues(cls):
                queue.maybe_bind(channel)
                queue.declare()
                names.append(queue.name)
    log.info("declared %d event queues", len(names), extra={"fields": {"queues": names}})
    return names
