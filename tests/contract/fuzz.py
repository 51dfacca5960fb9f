"""Run schemathesis (its CLI, in a process of its own) against a running gateway as one user.

Used by tests/contract/test_fuzz_contract.py; also runnable by hand against a system started
as ``make run`` starts it:  python tests/contract/fuzz.py http://127.0.0.1:PORT USER [SECONDS] [SEED]
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

# every response check; positive_data_acceptance is left out: rules that JSON Schema cannot say
# (a credit code's check digit, a role's tenant, a record's state) refuse schema-valid input by design
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
          "response_headers_conformance,negative_data_rejection,missing_required_header,ignored_auth,"
          "use_after_free,ensure_resource_availability")


@dataclass
class FuzzResult:
    user: str
    returncode: int
    generated: int
    failures: int
    seconds: float
    output: str


def login(base_url: str, user: str, password: str = "demo-pass") -> str:
    resp = requests.post(f"{base_url}/api/v1/auth/token", json={"username": user, "password": password}, timeout=30)
    resp.raise_for_status()
    return resp.json()["access_token"]


def schemathesis_bin() -> str:
    here = Path(sys.executable).parent / "schemathesis"
    return str(here) if here.exists() else "schemathesis"


def run(base_url: str, user: str, seconds: int, seed: int, workers: int = 1, report_dir: str | None = None,
        token: str | None = None) -> FuzzResult:
    import time
    token = token or login(base_url, user)
    cmd = [schemathesis_bin(), "run", f"{base_url}/api/v1/openapi.json", "--url", base_url,
           "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, "--max-time", str(seconds),
           "--seed", str(seed), "--workers", str(workers), "--phases", "examples,coverage,fuzzing,stateful",
           "--request-timeout", "20", "--output-truncate", "true", "--suppress-health-check", "all",
           "--generation-database", "none",
           # logging out would void the fuzzer's own token for the rest of the run (tested on its own)
           "--exclude-operation-id", "logout"]
    if report_dir:
        cmd += ["--report", "junit", "--report-dir", report_dir]
    started = time.monotonic()
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds * 3 + 120)
    out = proc.stdout + proc.stderr
    generated = re.search(r"(\d+) generated", out)
    failed = re.search(r"(\d+) found (\d+) unique failure", out)
    return FuzzResult(user=user, returncode=proc.returncode, generated=int(generated.group(1)) if generated else 0,
                      failures=int(failed.group(2)) if failed else 0, seconds=time.monotonic() - started,
                      output=out.replace(token, "[token]"))


if __name__ == "__main__":
    base, who = sys.argv[1], sys.argv[2]
    secs = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    seed_arg = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    result = run(base, who, secs, seed_arg)
    print(result.output)
    print(f"{who}: {result.generated} generated, {result.failures} failures, {result.seconds:.0f} s, rc={result.returncode}")
