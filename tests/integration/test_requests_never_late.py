"""A request the client saw fail never takes effect (issue 14), under `make run` (own port,
data folder and vhost), over the real broker and the embedded wire store.

- SIGSTOP the registry, create two users: both 503; SIGCONT: neither user exists.
- SIGSTOP the registry, create three users, stop the whole run with the requests queued,
  start it again on the same data and vhost: none exists."""
import os
import signal
import time

import eventlet
import pytest
import requests

from tests.support.run_process import Run, Vhost

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

RPC_TIMEOUT = 4


def create_user(base, token, username):
    try:
        return requests.post(f"{base}/api/v1/users", timeout=30, headers={"Authorization": f"Bearer {token}"}, json={
            "username": username, "password": "long-enough-1", "role": "unit", "tenant_id": "dongcheng",
            "unit_id": "unit-dc-jinggong"}).status_code
    except requests.RequestException:
        return None


def users(base, token) -> set:
    resp = requests.get(f"{base}/api/v1/users?page_size=500", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert resp.status_code == 200, resp.text
    return {u["id"] for u in resp.json()["items"]}


def token_of(base, user="demo-dongcheng"):
    resp = requests.post(f"{base}/api/v1/auth/token", json={"username": user, "password": "demo-pass"}, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def wait_ready(run, seconds=60):
    deadline = time.monotonic() + seconds
    while not run.ready():
        assert time.monotonic() < deadline, run.tail()
        time.sleep(0.5)


def test_requests_answered_503_never_take_effect_after_sigcont_or_a_restart(request, tmp_path):
    with Vhost(request.config.getoption("RABBIT_API_URI")) as vhost:
        run = Run(vhost.amqp_uri(), str(tmp_path / "data"), RPC_TIMEOUT_SECONDS=RPC_TIMEOUT).start()
        try:
            token = token_of(run.base)
            registry = run.processes()["registry"]["pid"]

            os.kill(registry, signal.SIGSTOP)
            statuses = [create_user(run.base, token, f"stopped-{i}") for i in range(2)]
            os.kill(registry, signal.SIGCONT)
            wait_ready(run)
            time.sleep(2)  # time for anything still queued or prefetched to run, if it were going to
            made = {"stopped-0", "stopped-1"} & users(run.base, token)
            print(f"injected: SIGSTOP registry, 2 user creations, SIGCONT; counted: answers {statuses}, "
                  f"users that exist afterwards: {sorted(made)}")
            assert statuses == [503, 503] and not made

            os.kill(registry, signal.SIGSTOP)
            pool = eventlet.GreenPool()
            pending = [pool.spawn(create_user, run.base, token, f"queued-{i}") for i in range(3)]
            time.sleep(RPC_TIMEOUT / 2 + 0.5)  # their deadlines pass while they wait for the registry
            queued = vhost.queue("rpc-registry").get("messages", 0)
            run.interrupt()                         # stop the run with the requests queued …
            os.kill(registry, signal.SIGCONT)       # … and let the registry stop too
            assert run.stop() == 0
            statuses = [p.wait() for p in pending]
            run.start()
            made = {f"queued-{i}" for i in range(3)} & users(run.base, token_of(run.base))
            print(f"injected: SIGSTOP registry, 3 user creations, run stopped with {queued} request(s) in "
                  f"rpc-registry (and others prefetched), started again; counted: answers {statuses}, "
                  f"users that exist afterwards: {sorted(made)}")
            assert all(s in (503, None) for s in statuses) and not made
        finally:
            run.stop()
