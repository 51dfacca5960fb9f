"""Concurrency under `make run` (issue 14): 20 concurrent logins, then 200 concurrent GETs of
the tenants list through the gateway and the same 200 calls made directly over RPC, in one
run (own port, data folder and vhost). Prints p50/p99 of each and the throughput ratio.

Targets: no 5xx; p99 of the 200 GETs under 0.5 s; the gateway path at least 0.8× the
direct one in throughput. (Direct latencies are read in call order as the replies are
collected, so a call's time is at most the time of the replies before it: its p50 is an
upper bound.)"""
from __future__ import annotations

import http.client
import os
import statistics
import tempfile
import time

import eventlet
import requests

from bench._broker import Vhost
from bench._run import Run

LOGINS = 20
GETS = 200
ROUNDS = 5


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def _concurrently(count, fn):
    pool = eventlet.GreenPool(count)
    started = time.monotonic()
    results = list(pool.imap(lambda i: fn(i), range(count)))
    return results, time.monotonic() - started


def _broker_pid() -> int | None:
    """The local RabbitMQ's pid (its Erlang VM), if it runs on this machine."""
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read()
            if b"beam.smp" in cmdline and b"rabbit" in cmdline:
                return int(pid)
        except (OSError, ValueError):
            continue
    return None


def _cpu_seconds(run: Run) -> dict:
    """CPU seconds (user + system) each process of the run has used so far (Linux /proc); also the
    broker's (shared with whatever else runs on it: an upper bound) and this benchmark's own (the
    HTTP and RPC clients), which take the same 2 cores."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    pids = {name: state.get("pid") for name, state in run.processes().items()}
    pids["broker (shared)"] = _broker_pid()
    for name, pid in pids.items():
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, KeyError, TypeError, IndexError, ValueError):
            pass
    own = os.times()
    used["bench client"] = own.user + own.system
    return used


def _cpu_per_call(before: dict, after: dict, calls: int) -> dict:
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / calls for name in after}


def _timed_request(method, url, **kw):
    started = time.monotonic()
    try:
        status = requests.request(method, url, timeout=30, **kw).status_code
    except requests.RequestException:
        status = None
    return status, time.monotonic() - started


class _KeptAlive:
    """One client's HTTP/1.1 connection, kept open between requests as a browser keeps it
    (``http.client``: the benchmark's own CPU per request stays small next to the gateway's)."""

    def __init__(self, base: str):
        host, port = base.split("//", 1)[1].split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def get(self, path: str, headers: dict):
        started = time.monotonic()
        try:
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            status = None
        return status, time.monotonic() - started


def _fresh_get(base: str, path: str, headers: dict):
    """A GET on a connection of its own, closed after the answer (``Connection: close``)."""
    client = _KeptAlive(base)
    try:
        return client.get(path, {**headers, "Connection": "close"})
    finally:
        client.connection.close()


def measure(run: Run) -> dict:
    """Logins once; then ``ROUNDS`` rounds, each of the three GET bursts one after the other, so a
    neighbour's load falls on all three alike; CPU is summed over the rounds."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.principal import PRINCIPAL_KEY, Principal
    login = lambda i: _timed_request("POST", f"{run.base}/api/v1/auth/token",
                                     json={"username": "demo-center", "password": "demo-pass"})
    cpu = _cpu_seconds(run)
    logins, logins_wall = _concurrently(LOGINS, login)
    m = {"logins": logins, "logins_wall": logins_wall, "logins_cpu": _cpu_per_call(cpu, _cpu_seconds(run), LOGINS)}
    token = requests.post(f"{run.base}/api/v1/auth/token", timeout=30,
                          json={"username": "demo-center", "password": "demo-pass"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    _timed_request("GET", f"{run.base}/api/v1/tenants", headers=headers)  # warm up
    config = {"AMQP_URI": run.env["AMQP_URI"], "serializer": "json"}
    principal = Principal(user="demo-center", role="city_center", tenant_id=None, unit_id=None)
    rounds = {"gets": [], "kept": [], "direct": []}
    used = {what: {} for what in rounds}

    def burst(what, fn):
        before = _cpu_seconds(run)
        rounds[what].append(fn())
        after = _cpu_seconds(run)
        for name in after:
            used[what][name] = used[what].get(name, 0.0) + after[name] - before.get(name, 0.0)

    def direct_burst(proxy):
        started = time.monotonic()
        replies = [proxy.registry.list_tenants.call_async() for _ in range(GETS)]
        timings = []
        for reply in replies:
            reply.result()
            timings.append((200, time.monotonic() - started))
        return timings, time.monotonic() - started

    with ClusterRpcProxy(config, timeout=30, context_data={PRINCIPAL_KEY: principal.to_header()}) as proxy:
        proxy.registry.list_tenants()  # warm up
        for _ in range(ROUNDS):
            burst("gets", lambda: _concurrently(GETS, lambda i: _fresh_get(run.base, "/api/v1/tenants", headers)))
            clients = [_KeptAlive(run.base) for _ in range(GETS)]
            _concurrently(GETS, lambda i, c=clients: c[i].get("/api/v1/tenants", headers))  # each opens its connection
            burst("kept", lambda c=clients: _concurrently(GETS, lambda i: c[i].get("/api/v1/tenants", headers)))
            for client in clients:
                client.connection.close()
            burst("direct", lambda: direct_burst(proxy))
    with open("/proc/loadavg") as fh:
        m["load"] = fh.read().split()[0]
    m["rounds"] = rounds
    for what in rounds:
        m[f"{what}_cpu"] = {name: seconds * 1000 / (GETS * ROUNDS) for name, seconds in used[what].items()}
    return m


def report(m: dict) -> None:
    cores = os.cpu_count() or 1
    rounds = m["rounds"]
    print(f"{LOGINS} concurrent logins, then {ROUNDS} rounds of {GETS} concurrent GET /api/v1/tenants three ways "
          f"(make run: separate processes, embedded wire store, local RabbitMQ)")
    logins = [t for _, t in m["logins"]]
    bad = sum(1 for s, _ in m["logins"] if s is None or s >= 500)
    print(f"  {LOGINS} logins through the gateway: p50 {statistics.median(logins) * 1000:.0f} ms, "
          f"p99 {_pct(logins, 99) * 1000:.0f} ms, 5xx or failed: {bad}")
    labels = {"gets": f"{GETS} GETs through the gateway, a new connection each",
              "kept": f"{GETS} GETs through the gateway, {GETS} clients keeping their connection (as browsers do)",
              "direct": f"{GETS} calls directly over RPC (nameko's ClusterRpcProxy)"}
    p99 = {what: [_pct([t for _, t in timings], 99) for timings, _ in rounds[what]] for what in rounds}
    p50 = {what: [statistics.median([t for _, t in timings]) for timings, _ in rounds[what]] for what in rounds}
    for what, label in labels.items():
        bad = sum(1 for timings, _ in rounds[what] for s, _ in timings if s is None or s >= 500)
        rates = [GETS / wall for _, wall in rounds[what]]
        print(f"  {label}:")
        print("    p50 by round  " + "  ".join(f"{v * 1000:5.0f}" for v in p50[what]) +
              f" ms   median {statistics.median(p50[what]) * 1000:.0f} ms")
        print("    p99 by round  " + "  ".join(f"{v * 1000:5.0f}" for v in p99[what]) +
              f" ms   median {statistics.median(p99[what]) * 1000:.0f} ms")
        print("    rate by round " + "  ".join(f"{v:5.0f}" for v in rates) + f" /s   5xx or failed: {bad}")
        print("    CPU ms per call: " + ", ".join(f"{name} {ms:.1f}" for name, ms in m[f"{what}_cpu"].items()
                                                 if ms >= 0.05) + f"; all {sum(m[f'{what}_cpu'].values()):.1f}")
    total = sum(m["kept_cpu"].values())
    print(f"  {GETS} kept-alive GETs at once on {cores} cores end after ≥ {GETS * total / 1000 / cores:.2f} s of CPU "
          f"(p99 < 0.5 s needs ≤ {500 * cores / (GETS - 2):.1f} ms of CPU per GET over all processes)")
    print(f"  machine load average (1 min) at the end: {m['load']} on {cores} cores")
    for what, label in (("gets", "new connection each"), ("kept", "kept-alive connections")):
        ratios = [direct_wall / wall for (_, wall), (_, direct_wall) in zip(rounds[what], rounds["direct"])]
        print(f"  gateway ({label}) / direct throughput, same round: " + "  ".join(f"{r:.2f}" for r in ratios) +
              f"   median {statistics.median(ratios):.2f}×  (target ≥ 0.8×)")
    print(f"  gateway p99 (kept-alive connections), median of the rounds: {statistics.median(p99['kept']) * 1000:.0f} ms "
          f"(target < 500 ms)")


def main():
    with Vhost(prefix="bench-concurrency") as vhost, tempfile.TemporaryDirectory() as data:
        run = Run(vhost.amqp_uri(), data).start()
        try:
            report(measure(run))
        finally:
            run.stop()


if __name__ == "__main__":
    eventlet.monkey_patch()
    main()
