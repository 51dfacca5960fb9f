"""Configuration by YAML and environment; the error model the gateway maps."""
import pytest
from nameko.exceptions import ConfigurationError

from gateway.auth import check_secret
from shared.config import DEFAULT_JWT_SECRET, load_config
from shared.errors import NotFound, RuleViolation, ValidationFailed, flatten_errors, from_remote


def test_environment_overrides_defaults(tmp_path):
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("GATEWAY_PORT: 9000\nLOG_LEVEL: DEBUG\n")
    config = load_config(str(yaml_file), environ={"GATEWAY_PORT": "9100", "MONGO_URI": "mongodb://db:27017",
                                                  "DEMO_MODE": "true"})
    assert config["GATEWAY_PORT"] == 9100 and config["LOG_LEVEL"] == "DEBUG"
    assert config["MONGO_URI"] == "mongodb://db:27017" and config["DEMO_MODE"] is True
    assert config["WEB_SERVER_ADDRESS"].endswith(":9100")


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(SystemExit, match="GATEWAY_PORT"):
        load_config(environ={"GATEWAY_PORT": "eighty"})


def test_gateway_refuses_the_default_secret_outside_demo_mode():
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        check_secret({"JWT_SECRET": DEFAULT_JWT_SECRET, "DEMO_MODE": False})
    with pytest.raises(ConfigurationError):
        check_secret({"JWT_SECRET": "short", "DEMO_MODE": False})
    assert check_secret({"JWT_SECRET": DEFAULT_JWT_SECRET, "DEMO_MODE": True})
    assert check_secret({"JWT_SECRET": "x" * 40, "DEMO_MODE": False})


def test_errors_survive_the_trip_through_nameko_as_json():
    err = RuleViolation("too many", rule="R-7", errors={"year": "10 already"})
    back = from_remote(str(err))
    assert isinstance(back, RuleViolation) and back.rule == "R-7" and back.status == 422
    assert back.errors == {"year": "10 already"}
    assert isinstance(from_remote(str(NotFound("x"))), NotFound)
    assert from_remote("plain text") is None


def test_marshmallow_messages_flatten_to_field_paths():
    flat = flatten_errors({"team": {0: {"role": ["Missing data for required field."]}}, "name": ["Bad."]})
    assert flat == {"team.0.role": "Missing data for required field.", "name": "Bad."}
    assert isinstance(ValidationFailed("x", errors=flat).errors, dict)


def test_a_bad_clock_today_stops_the_run_at_once_in_one_line_naming_it(tmp_path):
    """issue 14: `CLOCK_TODAY=2026-13-01 make run` says which setting is wrong and starts nothing."""
    import os
    import subprocess
    import sys
    env = {**os.environ, "CLOCK_TODAY": "2026-13-01", "GATEWAY_PORT": "18999", "DATA_DIR": str(tmp_path)}
    env.pop("CLOCK_NOW", None)
    done = subprocess.run([sys.executable, "-c", "import sys; from shared.cli import run_all; sys.exit(run_all([]))"],
                          env=env, capture_output=True, text=True, timeout=60)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    print(f"injected: CLOCK_TODAY=2026-13-01; counted: exit {done.returncode}, output {lines}")
    assert done.returncode != 0 and lines == ["config: CLOCK_TODAY='2026-13-01' is not a date (YYYY-MM-DD)"]
    assert not os.path.exists(tmp_path / "run")                  # nothing was started
