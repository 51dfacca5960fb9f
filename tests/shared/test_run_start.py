"""make run's start-up wait (shared/cli.py): on a busy machine it keeps waiting while every
process is alive, saying who it waits for, and stops at once when one dies."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.cli import _wait_ready


class _Supervisor:
    def __init__(self, dead=()):
        self._dead = list(dead)

    def dead(self):
        return self._dead


@pytest.fixture
def readyz():
    """A /readyz that answers 503 (registry still starting) until told otherwise."""
    state = {"ready": False}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = ({"status": "ready"} if state["ready"]
                    else {"status": "not ready", "unavailable": ["registry", "ledger"]})
            data = json.dumps(body).encode()
            self.send_response(200 if state["ready"] else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def test_the_wait_names_what_is_still_starting_and_ends_when_ready(readyz):
    url, state = readyz
    lines = []

    def say(line):
        lines.append(line)
        state["ready"] = True   # ready after the first progress line

    assert _wait_ready(url, _Supervisor(), seconds=30, say=say, every=0.2)
    assert lines and "waiting for registry, ledger" in lines[0]


def test_a_process_that_died_while_starting_ends_the_wait_at_once(readyz):
    url, _ = readyz
    assert not _wait_ready(url, _Supervisor(dead=["ledger"]), seconds=30, say=lambda _l: None)


def test_the_wait_gives_up_after_its_timeout(readyz):
    url, _ = readyz
    assert not _wait_ready(url, _Supervisor(), seconds=0.6, say=lambda _l: None, every=10)
