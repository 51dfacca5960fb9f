"""Requests expire and a dead service fails fast (issue 14), over the real broker.

A request carries its caller's deadline: the broker drops it once it waited too long
(per-message expiration) and the entrypoint refuses one whose deadline passed before any
worker runs. A service with no process consuming its queue is a 503 at once, not after the
timeout, and every 503 says the request did not take effect and to retry with the same key."""
import time

import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ServiceRpcProxy

from shared.rpc import DEADLINE_HEADER, deadline_options, deadline_passed, rpc
from tests.conftest import make_config
from tests.gateway.test_gateway_unavailable import gateway_and_registry


class CountingService:
    name = "counting"
    calls = []

    @rpc(public=True)
    def record(self, value):
        CountingService.calls.append(value)
        return value


def counting_proxy(config, **publish_options):
    """A standalone proxy to ``counting`` whose requests carry ``publish_options`` (expiration, headers)."""
    standalone = ServiceRpcProxy("counting", config, timeout=10)
    standalone._proxy = ServiceProxy(standalone._worker_ctx, "counting", standalone._reply_listener, **publish_options)
    return standalone


def test_deadline_options_give_the_broker_and_the_worker_half_the_callers_timeout():
    options = deadline_options(10, now=1000.0)
    assert options == {"expiration": 5.0, "headers": {DEADLINE_HEADER: 1005.0}}
    assert deadline_passed({DEADLINE_HEADER: 1005.0}, now=1004.0) is None
    assert deadline_passed({DEADLINE_HEADER: 1005.0}, now=1006.5) == 1.5
    assert deadline_passed({}, now=1e12) is None  # no deadline: an old caller, served as before


def test_a_request_whose_deadline_passed_is_refused_before_any_worker_runs(rabbit_config, container_factory):
    CountingService.calls = []
    config = make_config(rabbit_config["AMQP_URI"])
    container = container_factory(CountingService, config)
    container.start()
    with counting_proxy(config, headers={DEADLINE_HEADER: time.time() - 3}) as late:
        with pytest.raises(RemoteError) as refused:
            late.record("late")
    with counting_proxy(config, **deadline_options(5)) as on_time:
        assert on_time.record("on time") == "on time"
    print(f"injected: one request 3 s past its deadline, one on time; counted: worker ran for {CountingService.calls}")
    assert "expired" in str(refused.value) and CountingService.calls == ["on time"]


def test_a_request_that_waited_past_its_expiration_is_dropped_by_the_broker(rabbit_config, container_factory):
    CountingService.calls = []
    config = make_config(rabbit_config["AMQP_URI"])
    container = container_factory(CountingService, config)
    container.start()
    container.stop()  # the queue stays (durable), nobody consumes it
    with counting_proxy(config, expiration=0.3) as proxy:  # no deadline header: only the broker
        proxy.record.call_async("queued while down")
        time.sleep(0.6)  # longer than the message may live in the queue
    container = container_factory(CountingService, config)
    container.start()
    with counting_proxy(config, **deadline_options(5)) as proxy:
        proxy.record("after the restart")
    print(f"injected: a request queued while the service was down, expiring after 0.3 s; counted: "
          f"worker ran for {CountingService.calls}")
    assert CountingService.calls == ["after the restart"]


def test_a_service_with_no_running_process_answers_503_at_once_and_says_retry(rabbit_config, runner_factory):
    config, runner = gateway_and_registry(rabbit_config, runner_factory, RPC_TIMEOUT_SECONDS=5)
    base = f"http://127.0.0.1:{config['GATEWAY_PORT']}"
    token = requests.post(f"{base}/api/v1/auth/token", timeout=10,
                          json={"username": "demo-admin", "password": "demo-pass"}).json()["access_token"]
    next(c for c in runner.containers if c.service_name == "registry").stop()
    time.sleep(1.1)  # the gateway's consumer count is at most 1 s old
    started = time.monotonic()
    resp = requests.get(f"{base}/api/v1/tenants", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    took = time.monotonic() - started
    print(f"injected: registry stopped; counted: HTTP {resp.status_code} after {took:.2f} s (timeout 5 s)")
    assert resp.status_code == 503 and took < 1.0
    assert "not running" in resp.json()["detail"] and "same Idempotency-Key" in resp.json()["detail"]
    never_started = requests.get(f"{base}/api/v1/ledger/accounts", headers={"Authorization": f"Bearer {token}"},
                                 timeout=10)
    assert never_started.status_code == 503 and "not running" in never_started.json()["detail"]
