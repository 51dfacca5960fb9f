"""Concurrency under `make run` (issue 14): 20 concurrent logins, then 200 concurrent GETs of
the tenants list through the gateway and the same 200 calls made directly over RPC, in one
run (own port, data folder and vhost). Prints p50/p99 of each and the throughput ratio.

Targets: no 5xx; p99 of the 200 GETs under 0.5 s; the gateway path at least 0.8× the
direct one in throughput. (Direct latencies are read in call order as the replies are
collected, so a call's time is at most the time of the replies before it: its p50 is an
upper bound.)"""
from __future__ import annotations

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


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


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


def measure(run: Run) -> dict:
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.principal import PRINCIPAL_KEY, Principal
    login = lambda i: _timed_request("POST", f"{run.base}/api/v1/auth/token",  # noqa: E731
                                     json={"username": "demo-center", "password": "demo-pass"})
    cpu = _cpu_seconds(run)
    logins, logins_wall = _concurrently(LOGINS, login)
    logins_cpu = _cpu_per_call(cpu, _cpu_seconds(run), LOGINS)
    token = requests.post(f"{run.base}/api/v1/auth/token", timeout=30,
                          json={"username": "demo-center", "password": "demo-pass"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    _timed_request("GET", f"{run.base}/api/v1/tenants", headers=headers)  # warm up
    cpu = _cpu_seconds(run)
    gets, gets_wall = _concurrently(GETS, lambda i: _timed_request("GET", f"{run.base}/api/v1/tenants",
                                                                   headers=headers))
    gets_cpu = _cpu_per_call(cpu, _cpu_seconds(run), GETS)
    config = {"AMQP_URI": run.env["AMQP_URI"], "serializer": "json"}
    principal = Principal(user="demo-center", role="city_center", tenant_id=None, unit_id=None)
    with ClusterRpcProxy(config, timeout=30, context_data={PRINCIPAL_KEY: principal.to_header()}) as proxy:
        proxy.registry.list_tenants()  # warm up
        cpu = _cpu_seconds(run)
        started = time.monotonic()
        replies = [proxy.registry.list_tenants.call_async() for _ in range(GETS)]
        direct = []
        for reply in replies:
            reply.result()
            direct.append(time.monotonic() - started)
        direct_wall = time.monotonic() - started
        direct_cpu = _cpu_per_call(cpu, _cpu_seconds(run), GETS)
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    return {"load": load, "logins_cpu": logins_cpu, "gets_cpu": gets_cpu, "logins": logins, "logins_wall": logins_wall, "gets": gets, "gets_wall": gets_wall,
            "direct": direct, "direct_wall": direct_wall, "direct_cpu": direct_cpu}


def report(m: dict) -> None:
    def line(name, timings, wall, statuses=None):
        bad = sum(1 for s in statuses if s is None or s >= 500) if statuses is not None else 0
        print(f"  {name:34s} p50 {statistics.median(timings) * 1000:7.1f} ms  p99 {_pct(timings, 99) * 1000:7.1f} ms"
              f"  {len(timings) / wall:7.1f}/s" + (f"  5xx or failed: {bad}" if statuses is not None else ""))
    print(f"{LOGINS} concurrent logins, {GETS} concurrent GET /api/v1/tenants (make run: separate processes, "
          f"embedded wire store, local RabbitMQ)")
    line(f"{LOGINS} logins through the gateway", [t for _, t in m["logins"]], m["logins_wall"],
         [s for s, _ in m["logins"]])
    line(f"{GETS} GETs through the gateway", [t for _, t in m["gets"]], m["gets_wall"], [s for s, _ in m["gets"]])
    line(f"{GETS} calls directly over RPC", m["direct"], m["direct_wall"])
    ratio = (GETS / m["gets_wall"]) / (GETS / m["direct_wall"])
    for what in ("logins", "gets", "direct"):
        print(f"  CPU ms per call ({what}): " + ", ".join(f"{name} {ms:.1f}" for name, ms in m[f"{what}_cpu"].items()
                                                           if ms >= 0.05))
    total = sum(m["gets_cpu"].values())
    print(f"  all CPU per GET through the gateway: {total:.1f} ms; 200 at once on {os.cpu_count()} cores end after "
          f"≥ {GETS * total / 1000 / (os.cpu_count() or 1):.2f} s (p99 < 0.5 s needs ≤ "
          f"{500 * (os.cpu_count() or 1) / (GETS - 2):.1f} ms of CPU per GET, and ≤ {500 / (GETS - 2):.1f} ms in any one "
          f"process)")
    print(f"  machine load average (1 min) at the end: {m['load']} on {os.cpu_count()} cores")
    print(f"  gateway / direct throughput: {ratio:.2f}×  (target ≥ 0.8×); gateway p99 target < 500 ms")


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
