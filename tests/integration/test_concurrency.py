"""20 concurrent logins and 200 concurrent GETs under `make run` answer without a 5xx (issue 14;
argon2 runs off the eventlet hub). The timings are printed (bench/concurrency_bench.py measures
the same, with the direct RPC path beside it)."""
import pytest

from bench.concurrency_bench import measure, report
from tests.support.run_process import Run, Vhost

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_20_concurrent_logins_and_200_concurrent_gets_answer_without_a_5xx(request, tmp_path):
    with Vhost(request.config.getoption("RABBIT_API_URI")) as vhost:
        run = Run(vhost.amqp_uri(), str(tmp_path / "data")).start()
        try:
            measured = measure(run)
        finally:
            run.stop()
    report(measured)
    gets = [s for what in ("gets", "kept") for timings, _ in measured["rounds"][what] for s, _ in timings]
    statuses = [s for s, _ in measured["logins"]] + gets
    print(f"injected: {len(measured['logins'])} concurrent logins, {len(gets)} GETs in bursts of 200 at once; "
          f"counted: {sum(1 for s in statuses if s == 200)} answered 200, "
          f"{sum(1 for s in statuses if s is None or s >= 500)} 5xx or failed")
    assert all(s == 200 for s in statuses)
