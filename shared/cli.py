"""Command-line entry points (console scripts in pyproject.toml).

- ``skillmaster-service NAME``: run one service (or ``gateway``) in the foreground.
- ``skillmaster-topology``: declare every event subscriber's durable queue, then exit.
- ``skillmaster-ping NAME``: exit 0 if NAME answers (health checks).
- ``skillmaster-run``: the whole system on this machine (``make run``): checks RabbitMQ,
  starts the embedded store (unless ``MONGO_URI`` is set), every service and the gateway as
  child processes under a supervisor (shared/supervise.py: a process that dies is started
  again), seeds demo data, prints the URL and the demo logins, and stops everything in
  order on Ctrl-C.

Services are loaded by the dotted paths in config ``SERVICES``, as ``nameko run`` does.
eventlet's monkey patch is applied before anything that opens sockets is imported.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings

# eventlet prints a deprecation banner when first imported, and config loading may import it
# (through nameko) before _patch(): one filter for the whole process keeps `make run`'s log readable.
warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")


def _patch():
    import eventlet
    eventlet.monkey_patch()


def _config(path=None) -> dict:
    from shared.config import load_config
    return load_config(path)


def broker_reachable(amqp_uri: str, timeout: float = 3.0) -> bool:
    from kombu import Connection
    try:
        with Connection(amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:
        return False


def _known_service(parser, config: dict, name: str) -> str:
    if name not in config["SERVICES"]:
        parser.error(f"unknown service {name!r}: one of {', '.join(config['SERVICES'])} (config SERVICES)")
    return name


def _service_classes(config: dict, names=None) -> dict:
    from shared.topology import load_service_class
    names = names or list(config["SERVICES"])
    return {n: load_service_class(config["SERVICES"][n]) for n in names}


def declare_topology(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="skillmaster-topology", description=declare_topology.__doc__)
    parser.add_argument("--config")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for the broker")
    args = parser.parse_args(argv)
    _patch()
    from shared.logs import setup_logging
    from shared.topology import declare_topology as declare
    config = _config(args.config)
    setup_logging(config.get("LOG_LEVEL", "INFO"))
    _wait_for_broker(config["AMQP_URI"], args.wait)
    names = declare(config["AMQP_URI"], _service_classes(config).values())
    print(f"declared {len(names)} event queues")
    return 0


declare_topology.__doc__ = "Declare every event subscriber's durable queue on the broker (idempotent)."


def _wait_for_broker(amqp_uri: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not broker_reachable(amqp_uri):
        if time.monotonic() > deadline:
            raise SystemExit(f"RabbitMQ is not reachable at {_redact(amqp_uri)} after {seconds:g} s")
        time.sleep(1)


def _redact(uri: str) -> str:
    if "@" in uri and "//" in uri:
        scheme, rest = uri.split("//", 1)
        return f"{scheme}//***@{rest.split('@', 1)[1]}"
    return uri


def run_service(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="skillmaster-service", description="Run one service in the foreground.")
    parser.add_argument("name", help="a service of config SERVICES, or gateway")
    parser.add_argument("--config")
    args = parser.parse_args(argv)
    _known_service(parser, _config(args.config), args.name)
    _patch()
    import eventlet
    from nameko.runners import ServiceRunner

    from shared.logs import setup_logging
    from shared.topology import declare_topology as declare

    config = _config(args.config)
    if args.name == "gateway" and config.get("GATEWAY_MAX_WORKERS"):
        # the gateway's workers wait on services, not on its CPU: more of them keep the services' own
        # workers (max_workers each) fed instead of queueing requests in front of the gateway
        config["max_workers"] = int(config["GATEWAY_MAX_WORKERS"])
    setup_logging(config.get("LOG_LEVEL", "INFO"))
    _wait_for_broker(config["AMQP_URI"], 60)
    if os.environ.get("SKILLMASTER_TOPOLOGY_DECLARED"):
        # under `make run`, whose topology step declared every queue before any service
        # started: load only this service (a restart after a crash is seconds faster)
        classes = _service_classes(config, [args.name])
    else:
        classes = _service_classes(config)
        declare(config["AMQP_URI"], classes.values())  # no publish can outrun a subscriber's queue
    runner = ServiceRunner(config)
    runner.add_service(classes[args.name])

    def shutdown(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    runner.start()
    runnlet = eventlet.spawn(runner.wait)
    while True:
        try:
            runnlet.wait()
            return 0
        except KeyboardInterrupt:
            try:
                runner.stop()
            except KeyboardInterrupt:
                runner.kill()
        except OSError:  # a signal interrupted the wait
            continue


def ping(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="skillmaster-ping", description="Exit 0 if a service answers.")
    parser.add_argument("name", help="a service of config SERVICES, or gateway")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--config")
    args = parser.parse_args(argv)
    config = _config(args.config)
    _known_service(parser, config, args.name)
    if args.name == "gateway":
        import urllib.request
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{config['GATEWAY_PORT']}/healthz",
                                        timeout=args.timeout) as resp:
                return 0 if resp.status == 200 else 1
        except Exception as exc:
            print(f"gateway: {exc}", file=sys.stderr)
            return 1
    _patch()
    from nameko.standalone.rpc import ClusterRpcProxy
    try:
        with ClusterRpcProxy(config, timeout=args.timeout) as proxy:
            answer = getattr(proxy, args.name).ping()
        print(answer)
        return 0 if answer.get("status") == "ok" else 1
    except Exception as exc:
        print(f"{args.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


# -- the whole system on one machine ------------------------------------------------
RABBIT_HELP = """RabbitMQ is not reachable at {uri}.
Start it with one of:
  rabbitmq-server -detached                       (installed here: as root or the rabbitmq user)
  sudo apt-get install -y rabbitmq-server         (Debian/Ubuntu, then it starts by itself)
  docker run -d -p 5672:5672 -p 15672:15672 rabbitmq:3.13-management
or point AMQP_URI at a broker you have."""


def ensure_rabbitmq(amqp_uri: str) -> None:
    if broker_reachable(amqp_uri):
        return
    server = shutil.which("rabbitmq-server")
    local = "127.0.0.1" in amqp_uri or "localhost" in amqp_uri
    if server and local:
        print("RabbitMQ is installed but not running: starting it (rabbitmq-server -detached) …")
        subprocess.run([server, "-detached"], check=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if broker_reachable(amqp_uri):
                return
            time.sleep(1)
    raise SystemExit(RABBIT_HELP.format(uri=_redact(amqp_uri)))


def run_all(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="skillmaster-run", description="Run the whole system here.")
    parser.add_argument("--config")
    parser.add_argument("--no-demo", action="store_true", help="do not seed demo users")
    parser.add_argument("--no-demo-city", action="store_true",
                        help="demo users only, not the demo city (also DEMO_CITY=false)")
    args = parser.parse_args(argv)
    from shared.supervise import EmbeddedStore, Supervisor, echo_level, rotate_logs
    env = dict(os.environ)
    if not args.no_demo:
        env.setdefault("DEMO_MODE", "true")
    if args.config:
        env["SKILLMASTER_CONFIG"] = args.config
    config = _config(args.config)
    # Ctrl-C (SIGINT) and SIGTERM both stop everything, even when started from a script
    # that ignores SIGINT for background jobs
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    ensure_rabbitmq(config["AMQP_URI"])
    # its one line is enough here; the JSON log line naming all queues is for the deploy step
    code = subprocess.run([sys.executable, "-m", "shared.cli", "topology"],
                          env={**env, "LOG_LEVEL": "WARNING"}).returncode
    if code:
        return code
    env["SKILLMASTER_TOPOLOGY_DECLARED"] = "1"
    data_dir = os.path.abspath(config.get("DATA_DIR") or ".data")
    os.makedirs(os.path.join(data_dir, "run"), exist_ok=True)
    env["RUN_STATE_FILE"] = os.path.join(data_dir, "run", "processes.json")
    log_dir = os.path.abspath(config.get("LOG_DIR") or os.path.join(data_dir, "logs"))
    os.makedirs(log_dir, exist_ok=True)
    rotate_logs(log_dir)
    supervisor = Supervisor(env["RUN_STATE_FILE"], log_dir=log_dir, echo_threshold=echo_level(config.get("RUN_ECHO_LEVEL")))
    order = []
    url = f"http://127.0.0.1:{config['GATEWAY_PORT']}"
    try:
        if not config.get("MONGO_URI"):
            store = EmbeddedStore(data_dir, int(config.get("STORE_PORT") or 0))
            child = supervisor.add("store", store.argv(), env)
            order.append("store")
            store.wait_ready(child.process)
            env["MONGO_URI"] = store.uri
            print(f"embedded store (SecantusDB, MongoDB wire protocol) on 127.0.0.1:{store.port}, "
                  f"data in {store.path} (kept across runs; `make clean-data` empties it)")
        for name in config["SERVICES"]:   # the gateway last (it is last in SERVICES)
            supervisor.add(name, [sys.executable, "-m", "shared.cli", "service", name], env)
            order.append(name)
        start_timeout = float(config.get("START_TIMEOUT_SECONDS") or 300)
        if not _wait_ready(url, supervisor, start_timeout):
            dead = supervisor.dead()
            print("the system did not become ready"
                  + (f": {', '.join(dead)} stopped at start-up (see its message above)" if dead
                     else f" in {start_timeout:g} s (START_TIMEOUT_SECONDS); see {url}/readyz and the logs in {log_dir}"))
            return 1
        supervisor.started = True
        supervisor.write_state()
        demo = env.get("DEMO_MODE", "").lower() in ("1", "true", "yes", "on")
        seeding = None   # the demo city is seeded while the supervisor keeps watching
        if demo and not args.no_demo_city and env.get("DEMO_CITY", "true").lower() in ("1", "true", "yes", "on"):
            seeding = _seed_demo_city(url)
        else:
            _print_welcome(url, demo=demo)
        while True:
            supervisor.tick()
            if seeding is not None and not seeding.is_alive():
                seeding = None
                _print_welcome(url, demo=demo)
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("\nstopping …")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the stop short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # the gateway first (no new requests), then the services, the store last
        supervisor.stop_all([["gateway"], [n for n in order if n not in ("gateway", "store")], ["store"]])


def _seed_demo_city(url: str):
    """The demo city, once (shared/demo_city.py: through the gateway's API), in a thread of its
    own; a failure is reported and the system keeps running. Returns the thread."""
    import threading

    from shared.demo_city import seed_city

    def seed():
        def log(line):
            print(line, flush=True)
        try:
            seed_city(url, log=log)
        except Exception as exc:  # the system itself is fine: say what failed and go on
            log(f"demo city: seeding stopped: {exc} (the next make run resumes it)")
    thread = threading.Thread(target=seed, name="demo-city", daemon=True)
    thread.start()
    return thread


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _wait_ready(url: str, supervisor, seconds: float, say=None, every: float = 20) -> bool:
    """Until /readyz says ready; False at once if a process stops while starting (a bad
    setting is reported by that process and is not retried). On a busy machine starting
    takes a while: every ``every`` seconds one line says what is still starting."""
    import json
    import urllib.error
    import urllib.request
    say = say or (lambda line: print(line, flush=True))
    started = time.monotonic()
    deadline, next_note = started + seconds, started + every
    waiting = ["gateway"]
    while time.monotonic() < deadline:
        if supervisor.dead():
            return False
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=3) as resp:
                answer = json.load(resp)
        except urllib.error.HTTPError as exc:   # 503 while not ready: its body says who
            try:
                answer = json.load(exc)
            except ValueError:
                answer = {}
        except (urllib.error.URLError, OSError, ValueError):
            answer = {}
        if answer.get("status") == "ready":
            return True
        if answer:
            waiting = answer.get("unavailable") or waiting
        if time.monotonic() >= next_note:
            say(f"starting ({time.monotonic() - started:.0f} s): waiting for {', '.join(waiting)}")
            next_note += every
        time.sleep(0.5)
    return False


def _print_welcome(url: str, demo: bool) -> None:
    print(f"""
================================================================
 Skill Master Studios (北京市技能大师工作室) is running
   Console:  {url}/          API docs: {url}/api/docs
   API:      {url}/api/v1
   OpenAPI:  {url}/api/v1/openapi.json
   Health:   {url}/healthz   Ready: {url}/readyz""")
    if demo:
        print("""   Demo logins (password demo-pass for all):
     demo-admin (admin)            demo-center (city_center)
     demo-bureau (city_bureau)     demo-finance (finance)
     demo-dongcheng (tenant 东城区)  demo-haidian (tenant 海淀区)
     demo-unit-a (unit in 东城区)    demo-unit-b (unit in 海淀区)
   Try: curl -s -X POST {url}/api/v1/auth/token -H 'Content-Type: application/json' \\
          -d '{"username":"demo-dongcheng","password":"demo-pass"}'""".replace("{url}", url))
    print(" Ctrl-C stops everything.\n================================================================")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"service": run_service, "topology": declare_topology, "ping": ping, "run": run_all}
    if not argv or argv[0] not in commands:
        print(f"usage: python -m shared.cli {{{','.join(commands)}}} …", file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
