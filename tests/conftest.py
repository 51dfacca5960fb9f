"""Fixtures over the real RabbitMQ (a fresh vhost per test or per module) and the embedded store.

Run through ``make test`` (``nameko test``, which applies eventlet's monkey patch first).
"""
from __future__ import annotations

import os
import tempfile
import socket
from contextlib import contextmanager
from urllib.parse import quote

import pytest
import requests

from shared.config import load_config, service_names
from shared.principal import Principal
from tests.support.wire_store import WireStore, unique_prefix

SERVICE_PATHS = load_config(environ={})["SERVICES"]      # config SERVICES: name -> module:Class
SERVICE_NAMES = tuple(service_names(load_config(environ={})))  # the services behind the gateway


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def wire_store():
    """One MongoDB-wire server for the session (or the one TEST_MONGO_URI names)."""
    if os.environ.get("TEST_MONGO_URI", "").startswith("mongodb"):
        yield os.environ["TEST_MONGO_URI"]
        return
    store = WireStore()
    os.environ["TEST_MONGO_URI"] = store.uri
    try:
        yield store.uri
    finally:
        del os.environ["TEST_MONGO_URI"]
        store.stop()


def make_config(amqp_uri: str, **overrides) -> dict:
    """Config for services under test: the session's wire store, database names of their own."""
    config = load_config(environ={})
    config.update({
        "AMQP_URI": amqp_uri, "MONGO_URI": os.environ.get("TEST_MONGO_URI", ""),
        "MONGO_DB_PREFIX": unique_prefix(), "DEMO_MODE": True, "PASSWORD_HASH_FAST": True,
        "OUTBOX_POLL_SECONDS": 0.2, "EVENT_RETRY_BASE_SECONDS": 0.2, "RPC_TIMEOUT_SECONDS": 5,
        "LOG_LEVEL": "WARNING",
        # the gateway's undelivered audit records: a folder of this config's own, so a record
        # kept during one test's broker fault is never sent into another test's vhost
        "AUDIT_SPOOL_DIR": os.path.join(tempfile.gettempdir(), "skillmaster-audit-spool", unique_prefix()),
    })
    config.update(overrides)
    port = config.pop("GATEWAY_TEST_PORT", None) or free_port()
    config["GATEWAY_PORT"] = port
    config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{port}"
    return config


@pytest.fixture
def config(rabbit_config):
    """Config for one test on its own fresh vhost."""
    return make_config(rabbit_config["AMQP_URI"])


@pytest.fixture(scope="module")
def module_vhost(request, vhost_pipeline):
    """A fresh vhost shared by one test module (for a whole running system)."""
    with vhost_pipeline.get() as vhost:
        host = request.config.getoption("RABBIT_AMQP_URI").rstrip("/")
        yield f"{host}/{quote(vhost, safe='')}"


def service_classes(*names):
    from shared.topology import load_service_class
    return [load_service_class(SERVICE_PATHS[n]) for n in (names or SERVICE_PATHS)]


class Api:
    """Talks to a running gateway as the demo users (password demo-pass)."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.session = requests.Session()
        self._tokens: dict[str, str] = {}

    def token(self, user: str, password: str = "demo-pass") -> str:
        if user not in self._tokens:
            resp = self.session.post(f"{self.base}/api/v1/auth/token", json={"username": user, "password": password},
                                     timeout=30)
            assert resp.status_code == 200, resp.text
            self._tokens[user] = resp.json()["access_token"]
        return self._tokens[user]

    def request(self, method: str, path: str, as_user: str | None = None, headers=None, **kwargs):
        headers = dict(headers or {})
        if as_user:
            headers["Authorization"] = f"Bearer {self.token(as_user)}"
        return self.session.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path, as_user=None, **kw):
        return self.request("GET", path, as_user, **kw)

    def post(self, path, as_user=None, **kw):
        return self.request("POST", path, as_user, **kw)


@contextmanager
def running_system(amqp_uri_or_config, classes=None):
    """The given service classes (default: every one of config SERVICES, gateway included) running
    on one vhost (an AMQP URI, or a config from ``make_config``); yields an ``Api`` on the gateway
    (``.config``, ``.runner``)."""
    from nameko.runners import ServiceRunner
    from shared.topology import declare_topology

    config = (amqp_uri_or_config if isinstance(amqp_uri_or_config, dict)
              else make_config(amqp_uri_or_config))
    classes = service_classes() if classes is None else classes
    declare_topology(config["AMQP_URI"], classes)
    runner = ServiceRunner(config)
    for cls in classes:
        runner.add_service(cls)
    runner.start()
    api = Api(f"http://127.0.0.1:{config['GATEWAY_PORT']}")
    api.config = config
    api.runner = runner
    try:
        yield api
    finally:
        runner.kill()


@pytest.fixture(scope="module")
def system(module_vhost):
    """All five services and the gateway, running on one vhost for the module."""
    with running_system(module_vhost) as api:
        yield api


def principal(role: str, tenant_id=None, unit_id=None, user=None) -> Principal:
    return Principal(user=user or f"test-{role}", role=role, tenant_id=tenant_id, unit_id=unit_id)


def context_for(p: Principal) -> dict:
    return {"principal": p.to_header()}
