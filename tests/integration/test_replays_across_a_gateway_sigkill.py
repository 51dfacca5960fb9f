"""A retry with the same Idempotency-Key takes effect exactly once across a real gateway restart
(issue 14), under ``make run`` on the embedded wire store: the gateway process is SIGKILLed (its
in-memory replay cache with it), the run starts it again, and the same requests with the same
keys answer the records the first ones made (the registry's durable keys), once each; the same
key with another body is still 409. (tests/gateway/test_replays_across_gateway_restart.py covers
all six registry routes with an in-process gateway restart; this one the process kill.)"""
import os
import signal
import time
import uuid

import pytest
import requests

from services.registry.contract import check_digit
from tests.registry import forms
from tests.support.run_process import Run, Vhost

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


class Client:
    def __init__(self, base):
        self.base, self.tokens = base, {}

    def headers(self, user, key=None):
        if user not in self.tokens:
            resp = requests.post(f"{self.base}/api/v1/auth/token", json={"username": user, "password": "demo-pass"},
                                 timeout=30)
            assert resp.status_code == 200, resp.text
            self.tokens[user] = resp.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}", **({"Idempotency-Key": key} if key else {})}

    def post(self, path, user, key=None, **kw):
        return requests.post(f"{self.base}{path}", headers=self.headers(user, key), timeout=30, **kw)

    def get(self, path, user):
        return requests.get(f"{self.base}{path}", headers=self.headers(user), timeout=30)


def test_creating_requests_retried_after_the_gateway_was_killed_take_effect_once(request, tmp_path):
    run_id = uuid.uuid4().hex[:8]
    prefix = "91110101MA" + run_id[:7].upper()
    with Vhost(request.config.getoption("RABBIT_API_URI")) as vhost:
        run = Run(vhost.amqp_uri(), str(tmp_path / "data")).start()
        try:
            client = Client(run.base)
            app = client.post("/api/v1/applications", "demo-unit-a", json=forms.application())
            assert app.status_code == 201, app.text
            sent = [  # (name, user, path, json body)
                ("tenant", "demo-admin", "/api/v1/tenants", {"id": f"kg-{run_id}", "name": f"重启集团{run_id}",
                                                            "kind": "group"}),
                ("unit", "demo-dongcheng", "/api/v1/tenants/dongcheng/units",
                 {"name": f"重启单位{run_id}", "credit_code": prefix + check_digit(prefix)}),
                ("user", "demo-dongcheng", "/api/v1/users",
                 {"username": f"killed-{run_id}", "password": "killed-pass-123", "role": "unit",
                  "tenant_id": "dongcheng", "unit_id": "unit-dc-jinggong"}),
            ]

            def send_all():
                answers = {name: client.post(path, user, f"kill-{name}-{run_id}", json=body)
                           for name, user, path, body in sent}
                answers["material"] = client.post(
                    f"/api/v1/applications/{app.json()['id']}/materials?kind=certificate", "demo-unit-a",
                    f"kill-material-{run_id}", files={"file": ("证书.pdf", forms.PDF, "application/pdf")})
                return answers

            first = send_all()
            assert {n: r.status_code for n, r in first.items()} == {n: 201 for n in first}, \
                {n: r.text for n, r in first.items()}

            before = run.processes()["gateway"]
            os.kill(before["pid"], signal.SIGKILL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                now = run.processes()["gateway"]
                if now["restarts"] == before["restarts"] + 1 and now["state"] == "running" and run.ready():
                    break
                time.sleep(0.2)
            assert run.ready(), run.tail()

            again = send_all()
            statuses = {n: r.status_code for n, r in again.items()}
            same = {n: again[n].json().get("id") == first[n].json()["id"] for n in first if statuses[n] == 201}
            counted = {
                "tenant": sum(t["id"] == f"kg-{run_id}" for t in
                              client.get("/api/v1/tenants?page_size=500", "demo-admin").json()["items"]),
                "unit": sum(u["name"] == f"重启单位{run_id}" for u in
                            client.get("/api/v1/tenants/dongcheng/units?page_size=500", "demo-dongcheng")
                            .json()["items"]),
                "user": sum(u["id"] == f"killed-{run_id}" for u in
                            client.get("/api/v1/users?page_size=500", "demo-admin").json()["items"]),
                "material": len(client.get(f"/api/v1/applications/{app.json()['id']}/materials", "demo-unit-a")
                                .json()["items"]),
            }
            other = client.post("/api/v1/tenants", "demo-admin", f"kill-tenant-{run_id}",
                                json={**sent[0][3], "name": f"另一个{run_id}"}).status_code
            print(f"injected: four creating requests, SIGKILL of the gateway (pid {before['pid']}), the same four "
                  f"again with their keys; counted: statuses {statuses}, same ids {same}, records {counted}, "
                  f"another body with a used key: {other}")
            assert statuses == {n: 201 for n in statuses}
            assert all(same.values()) and len(same) == 4
            assert counted == {n: 1 for n in counted}
            assert {n: r.headers.get("Idempotency-Replayed") for n, r in again.items()} == {n: "true" for n in again}
            assert other == 409
        finally:
            run.stop()
