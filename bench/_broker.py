"""A throw-away RabbitMQ vhost for a benchmark (via the management API), so nothing collides
with a running system."""
import contextlib
import os
import uuid
from urllib.parse import quote

import requests

API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
AMQP = os.environ.get("BENCH_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672")


@contextlib.contextmanager
def temporary_vhost(prefix="bench"):
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    base = API.split("@")[-1]
    user, password = API.split("//", 1)[1].split("@")[0].split(":")
    auth = (user, password)
    url = f"http://{base}/api/vhosts/{quote(name, safe='')}"
    requests.put(url, auth=auth, timeout=10).raise_for_status()
    requests.put(f"http://{base}/api/permissions/{quote(name, safe='')}/{user}", auth=auth, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    try:
        yield f"{AMQP}/{quote(name, safe='')}"
    finally:
        requests.delete(url, auth=auth, timeout=10)
