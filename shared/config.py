"""Configuration: packaged YAML defaults < an optional YAML file < environment variables.

Every service and the gateway read the same keys; nameko gets the merged dict as its
config, so providers read it through ``self.container.config`` in ``setup()``.
"""
from __future__ import annotations

import os
from importlib import resources
from typing import Any, Mapping

import yaml

# Keys an operator may set from the environment, with how to read the string.
_BOOL_TRUE = {"1", "true", "yes", "on"}


def _as_bool(text: str) -> bool:
    return text.strip().lower() in _BOOL_TRUE


ENV_KEYS: dict[str, Any] = {
    "AMQP_URI": str,
    "RABBIT_API_URI": str,
    "MONGO_URI": str,
    "MONGO_DB_PREFIX": str,
    "DATA_DIR": str,        # make run: the embedded store's data and the run's state live here
    "STORE_PORT": int,      # make run: the embedded store's port (0: a free one)
    "LOG_DIR": str,         # make run: each process's log file (default DATA_DIR/logs)
    "RUN_ECHO_LEVEL": str,  # make run: log lines at this level or above also go to the terminal (ERROR)
    "RUN_STATE_FILE": str,  # set by make run: the supervisor's process counts, shown by /readyz
    "GATEWAY_HOST": str,
    "GATEWAY_PORT": int,
    "JWT_SECRET": str,
    "JWT_TTL_SECONDS": int,
    "DEMO_MODE": _as_bool,
    "RPC_TIMEOUT_SECONDS": float,
    "READY_PING_TIMEOUT_SECONDS": float,
    "START_TIMEOUT_SECONDS": float,       # make run: how long the system may take to become ready
    "MAX_JSON_BODY_BYTES": int,
    "MAX_UPLOAD_BYTES": int,
    "IMPORT_JOB_BYTES": int,
    "GATEWAY_MAX_WORKERS": int,  # the gateway's concurrent requests (its nameko max_workers)  # a workbook import larger than this runs as a job (202), shared/jobs.py
    "LOG_LEVEL": str,
    "OUTBOX_POLL_SECONDS": float,
    "EVENT_RETRY_LIMIT": int,
    "EVENT_RETRY_BASE_SECONDS": float,
    "EVENT_RETRY_MAX_SECONDS": float,     # the longest back-off between two attempts
    "EVENT_WAIT_SECONDS": float,          # how long an event waits for the one it depends on
    "AUDIT_SPOOL_DIR": str,               # the gateway's undelivered audit records (default DATA_DIR/audit-spool)
    "AUDIT_RESEND_SECONDS": float,        # how often kept audit records are sent again
    "REMINDER_CHECK_SECONDS": float,      # supervision's reminder timer
    "BOOTSTRAP_ADMIN_PASSWORD": str,
    "CLOCK_NOW": str,     # every service's clock starts here (ISO 8601 with offset), shared/clock.py
    "CLOCK_TODAY": str,   # alias: a date (YYYY-MM-DD), 09:00 Beijing time that day
    "FIXED_ASSET_THRESHOLD_FEN": int,
    "SPECIAL_EQUIPMENT_THRESHOLD_FEN": int,
}

DEFAULT_JWT_SECRET = "demo-only-insecure-secret-change-me"


def default_config() -> dict:
    text = resources.files("shared").joinpath("default_config.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def load_config(path: str | None = None, environ: Mapping[str, str] | None = None) -> dict:
    """Merge defaults, the YAML file at ``path`` (or $SKILLMASTER_CONFIG) and the environment."""
    environ = os.environ if environ is None else environ
    config = default_config()
    path = path or environ.get("SKILLMASTER_CONFIG")
    if path:
        with open(path, encoding="utf-8") as fh:
            config.update(yaml.safe_load(fh) or {})
    for key, convert in ENV_KEYS.items():
        if key in environ and environ[key] != "":
            try:
                config[key] = convert(environ[key])
            except ValueError as exc:
                raise SystemExit(f"config: environment variable {key}={environ[key]!r} is not valid: {exc}")
    from shared.clock import parse_clock_setting
    parse_clock_setting(config)   # a bad CLOCK_NOW/CLOCK_TODAY stops start-up naming the setting
    # nameko's web server reads WEB_SERVER_ADDRESS.
    config["WEB_SERVER_ADDRESS"] = f"{config['GATEWAY_HOST']}:{config['GATEWAY_PORT']}"
    return config


def service_names(config: Mapping) -> list[str]:
    """The services behind the gateway, in the order of config ``SERVICES`` (the one list of them)."""
    return [name for name in config["SERVICES"] if name != "gateway"]
