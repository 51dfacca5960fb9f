"""A throw-away RabbitMQ vhost (via the management API) for a benchmark or a test run, so
nothing collides with a running system or another engineer's tests on the shared broker."""
import contextlib
import os
import uuid
from urllib.parse import quote

import requests

API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
AMQP_HOST = os.environ.get("BENCH_AMQP_HOST", "127.0.0.1:5672")


class Vhost:
    def __init__(self, api_uri: str = API, prefix: str = "run-test"):
        creds, host = api_uri.split("//", 1)[1].split("@", 1)
        self.api = f"http://{host}/api"
        self.auth = tuple(creds.split(":", 1))
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> "Vhost":
        requests.put(f"{self.api}/vhosts/{quote(self.name, safe='')}", auth=self.auth, timeout=10).raise_for_status()
        requests.put(f"{self.api}/permissions/{quote(self.name, safe='')}/{self.auth[0]}", auth=self.auth, timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return self

    def amqp_uri(self, amqp_host: str = AMQP_HOST) -> str:
        return f"amqp://{self.auth[0]}:{self.auth[1]}@{amqp_host}/{quote(self.name, safe='')}"

    def queue(self, name: str) -> dict:
        resp = requests.get(f"{self.api}/queues/{quote(self.name, safe='')}/{name}", auth=self.auth, timeout=10)
        return resp.json() if resp.status_code == 200 else {}

    def __exit__(self, *exc):
        requests.delete(f"{self.api}/vhosts/{quote(self.name, safe='')}", auth=self.auth, timeout=30)


@contextlib.contextmanager
def temporary_vhost(prefix="bench"):
    with Vhost(API, prefix) as vhost:
        yield vhost.amqp_uri()
