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
