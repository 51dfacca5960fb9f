"""Before the tests: RabbitMQ must answer on AMQP, and its management API (nameko's test
fixtures make a fresh vhost per test through it). Says how to fix what is missing."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from base64 import b64encode

AMQP_HOST, AMQP_PORT = "127.0.0.1", 5672
API = os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672")


def amqp_up() -> bool:
    try:
        socket.create_connection((AMQP_HOST, AMQP_PORT), timeout=2).close()
        return True
    except OSError:
        return False


def api_up() -> bool:
    url = API.split("@")[-1]
    creds = API.split("//", 1)[1].split("@")[0] if "@" in API else "guest:guest"
    req = urllib.request.Request(f"http://{url}/api/overview",
                                 headers={"Authorization": "Basic " + b64encode(creds.encode()).decode()})
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:
            return resp.status == 200
    except OSError:
        return False


def wait(check, seconds) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1)
    return check()


def main() -> int:
    if not amqp_up():
        if shutil.which("rabbitmq-server"):
            print("preflight: RabbitMQ is installed but not running; starting it (rabbitmq-server -detached)")
            subprocess.run(["rabbitmq-server", "-detached"], check=False)
        if not wait(amqp_up, 60):
            print("preflight: RabbitMQ does not answer on 127.0.0.1:5672. The tests use the real broker.\n"
                  "  Start it:   rabbitmq-server -detached      (install: apt-get install rabbitmq-server)\n"
                  "  or:         docker run -d -p 5672:5672 -p 15672:15672 rabbitmq:3.13-management",
                  file=sys.stderr)
            return 1
    if not api_up():
        if shutil.which("rabbitmq-plugins"):
            print("preflight: enabling the RabbitMQ management plugin (rabbitmq-plugins enable rabbitmq_management)")
            subprocess.run(["rabbitmq-plugins", "enable", "rabbitmq_management"], check=False,
                           stdout=subprocess.DEVNULL)
        if not wait(api_up, 60):
            print("preflight: RabbitMQ's management API does not answer on 127.0.0.1:15672; nameko's test "
                  "fixtures need it for a fresh vhost per test.\n"
                  "  Enable it (as root):  rabbitmq-plugins enable rabbitmq_management", file=sys.stderr)
            return 1
    print("preflight: RabbitMQ and its management API answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
