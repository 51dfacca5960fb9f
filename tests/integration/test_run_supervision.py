"""``make run`` supervises and keeps its data (issue 14), over the real broker and the embedded
wire store: each process of the run (every service, the gateway, the store) is SIGKILLed in
turn; it is back, answering with its data, within 10 s while the others keep answering; after
Ctrl-C and a new start on the same data folder the data is still there.

The run gets a free port, a data folder and a RabbitMQ vhost of its own (tests/support/run_process.py)."""
import os
import signal
import time

import pytest
import requests

from tests.support.run_process import Run, Vhost

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

SERVICES = ("registry", "reporting", "supervision", "assessment", "ledger")
BACK_WITHIN_SECONDS = 10


class Client:
    def __init__(self, base):
        self.base, self.tokens = base, {}

    def token(self, user, password="demo-pass"):
        if user not in self.tokens:
            resp = requests.post(f"{self.base}/api/v1/auth/token", json={"username": user, "password": password},
                                 timeout=30)
            assert resp.status_code == 200, resp.text
            self.tokens[user] = resp.json()["access_token"]
        return self.tokens[user]

    def get(self, path, user, timeout=15):
        return requests.get(f"{self.base}{path}", headers={"Authorization": f"Bearer {self.token(user)}"},
                            timeout=timeout)


def other_route(killed: str) -> tuple[str, str]:
    """A route served by a process other than ``killed`` (ledger when registry is down)."""
    return ("/api/v1/ledger/accounts", "demo-finance") if killed == "registry" else ("/api/v1/tenants", "demo-center")


def the_kept_user_logs_in(base: str) -> bool:
    resp = requests.post(f"{base}/api/v1/auth/token", json={"username": "kept-user", "password": "kept-pass-123"},
                         timeout=15)
    return resp.status_code == 200


def test_each_process_sigkilled_in_turn_is_back_with_its_data_within_10_s(request, tmp_path):
    api_uri = request.config.getoption("RABBIT_API_URI")
    with Vhost(api_uri) as vhost:
        run = Run(vhost.amqp_uri(), str(tmp_path / "data")).start()
        try:
            client = Client(run.base)
            made = requests.post(f"{run.base}/api/v1/users", timeout=15, json={
                "username": "kept-user", "password": "kept-pass-123", "role": "unit", "tenant_id": "dongcheng",
                "unit_id": "unit-dc-jinggong"}, headers={"Authorization": f"Bearer {client.token('demo-dongcheng')}"})
            assert made.status_code == 201, made.text
            for user in ("demo-finance", "demo-center"):
                client.token(user)  # logging in needs the registry: before it is killed
            for name in (*SERVICES, "gateway", "store"):
                before = run.processes()[name]
                os.kill(before["pid"], signal.SIGKILL)
                killed_at = time.monotonic()
                others_ok = others_failed = 0
                back_after = None
                while time.monotonic() - killed_at < 30:
                    if name not in ("gateway", "store"):
                        path, user = other_route(name)
                        try:
                            status = client.get(path, user, timeout=5).status_code
                        except requests.RequestException:
                            status = None
                        others_ok, others_failed = (others_ok + 1, others_failed) if status == 200 else \
                            (others_ok, others_failed + 1)
                    now = run.processes()[name]
                    if now["restarts"] == before["restarts"] + 1 and now["state"] == "running" and run.ready():
                        back_after = time.monotonic() - killed_at
                        break
                    time.sleep(0.2)
                kept = the_kept_user_logs_in(run.base)
                print(f"injected: SIGKILL {name} (pid {before['pid']}); counted: back after "
                      f"{back_after if back_after is None else round(back_after, 1)} s, restarts "
                      f"{run.processes()[name]['restarts']}, last exit {run.processes()[name]['last_exit_code']}, "
                      f"other routes answered {others_ok} ok / {others_failed} failed, data kept: {kept}")
                assert back_after is not None and back_after <= BACK_WITHIN_SECONDS, run.tail()
                assert others_failed == 0
                assert kept
            assert run.stop() == 0
            run.start()
            print(f"injected: Ctrl-C and a new start on {run.data_dir}; counted: kept user logs in: "
                  f"{the_kept_user_logs_in(run.base)}")
            assert the_kept_user_logs_in(run.base)
        finally:
            run.stop()
