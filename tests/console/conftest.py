"""Browser tests of the console: Playwright for Python driving Debian's Chromium (never a
downloaded browser) against the whole system, started from the built console/dist on a free
port with its own RabbitMQ vhost and its own embedded store (never port 8000).

Screenshots of each journey's key screens go to ``CONSOLE_SCREENSHOTS`` (default
``test-output/console/<test name>/``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from base64 import b64encode
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "console" / "dist"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
RABBIT_API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")
SHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", ROOT / "test-output" / "console"))
START_DAY = "2026-09-28"   # a Monday: a notice from today ends on 2026-10-09 (National Day between)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rabbit(method: str, path: str, body=None) -> int:
    creds = RABBIT_API.split("//", 1)[1].split("@")[0]
    base = "http://" + RABBIT_API.split("@")[-1]
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Basic " + b64encode(creds.encode()).decode(),
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status


class RunningSystem:
    def __init__(self, base_url: str, amqp_uri: str, process: subprocess.Popen):
        self.base_url = base_url
        self.amqp_uri = amqp_uri
        self.process = process

    def set_today(self, day: str) -> None:
        """Moves every service's clock (DEMO_MODE, admin): shared/clock.py's set_clock."""
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("move_clock.py")), self.amqp_uri, day],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout.strip().splitlines()[-1])["today"] == day, done.stdout


def _wait_ready(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the system stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=3) as resp:
                if json.load(resp).get("status") == "ready":
                    return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.5)
    raise RuntimeError(f"the system did not become ready in {seconds:g} s: {last}")


@pytest.fixture(scope="session")
def console_system():
    """The system as ``make run`` configures it (DEMO_MODE, demo users, embedded store), serving
    the built console, on a free port and a vhost of its own; everything is stopped after."""
    if not (DIST / "index.html").is_file():
        pytest.fail("console/dist is not built: `make test` builds it (cd console && npm ci && npm run build)")
    vhost = f"console-test-{uuid.uuid4().hex[:10]}"
    _rabbit("PUT", f"/api/vhosts/{urllib.parse.quote(vhost, safe='')}")
    _rabbit("PUT", f"/api/permissions/{urllib.parse.quote(vhost, safe='')}/guest",
            {"configure": ".*", "write": ".*", "read": ".*"})
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="console-test-"))
    (workdir / "config.yaml").write_text("PASSWORD_HASH_FAST: true\nOUTBOX_POLL_SECONDS: 0.2\n"
                                         "EVENT_RETRY_BASE_SECONDS: 0.2\n", encoding="utf-8")
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{urllib.parse.quote(vhost, safe='')}"
    env = dict(os.environ, AMQP_URI=amqp_uri, GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(port), MONGO_URI="",
               DEMO_MODE="true", DEMO_CITY="false", CLOCK_TODAY=START_DAY, LOG_LEVEL="WARNING",
               SKILLMASTER_CONFIG=str(workdir / "config.yaml"), CONSOLE_DIST=str(DIST),
               DATA_DIR=str(workdir / "data"),   # a store of its own, emptied afterwards
               LOG_DIR=str(SHOTS / "logs"))      # each process's log, kept with the screenshots
    env.pop("CLOCK_NOW", None)
    env.pop("STORE_PORT", None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = open(SHOTS / "system.log", "w")   # kept: a failing run can be looked at
    # exactly what `make run` starts (skillmaster-run: topology, the five services and the
    # gateway as processes of their own, demo data), in a process group of its own
    process = subprocess.Popen([str(Path(sys.executable).with_name("skillmaster-run"))], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, 120)
        yield RunningSystem(url, amqp_uri, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)   # skillmaster-run stops its children in order
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)   # the group this fixture started
                process.wait(5)
        log.close()
        try:
            _rabbit("DELETE", f"/api/vhosts/{urllib.parse.quote(vhost, safe='')}")
        except OSError:
            pass
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


class Screen:
    """A page logged in (or not) as one user, saving numbered screenshots for one test."""

    def __init__(self, page, base_url: str, folder: Path):
        self.page = page
        self.base = base_url
        self.folder = folder
        self.n = 0
        self.console_errors: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self

    def shot(self, name: str) -> Path:
        self.n += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.n:02d}-{name}.png"
        self.page.wait_for_load_state("networkidle")
        try:  # loading masks gone and dialogs closed (their fade-out finished)
            self.page.wait_for_function(
                "() => ![...document.querySelectorAll('.el-loading-mask, .el-overlay')]"
                ".some(e => e.getClientRects().length > 0 && getComputedStyle(e).opacity !== '0')", timeout=5000)
        except Exception:  # a screenshot of a busy page is still worth having
            pass
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, user: str, password: str = "demo-pass"):
        self.go("/login")
        self.page.get_by_label("用户名").fill(user)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(re.compile(r".*/(dashboard|studios)$"))
        return self

    def logout(self):
        self.page.get_by_role("button", name="退出登录").click()
        self.page.wait_for_url(re.compile(r".*/login$"))


@pytest.fixture
def screen(request, browser, console_system):
    """A new browser context (its own sessionStorage) per call: screen("unit") etc."""
    contexts, screens = [], []
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def make(label: str = "main") -> Screen:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1440, "height": 900})
        context.set_default_timeout(20_000)
        contexts.append(context)
        made = Screen(context.new_page(), console_system.base_url, SHOTS / safe / label)
        screens.append(made)
        return made

    yield make
    for context in contexts:
        context.close()
    # the pages run under the gateway's Content-Security-Policy: nothing may have been refused
    refused = [e for s in screens for e in s.console_errors if "Content Security Policy" in e]
    assert not refused, refused


def _eventlet_patched() -> bool:
    try:
        from eventlet import patcher
        return patcher.is_monkey_patched("socket")
    except ImportError:
        return False


def pytest_collection_modifyitems(config, items):
    """Under `nameko test` (eventlet's patch) Playwright's sync API is not run: `make test`
    runs these in a pytest process of their own (`make test-console`)."""
    if not _eventlet_patched():
        return
    skip = pytest.mark.skip(reason="browser tests run without eventlet: make test-console")
    for item in items:
        needs_system = {"browser", "console_system", "screen"} & set(getattr(item, "fixturenames", ()))
        if "tests/console/" in str(item.fspath).replace(os.sep, "/") and needs_system:
            item.add_marker(skip)
