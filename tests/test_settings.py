"""Production settings come from the environment and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**environment, **env}, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k3y-for-the-deploy-check-only_9f8e7d6c5b4a3210-ZYXWVUTSRQPONMLKJIHGFEDCBA",
        ALLOWED_HOSTS="stock.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_stops_with_a_clear_message():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_defaults_require_two_factor_and_end_sessions_with_the_browser():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.REQUIRE_2FA, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.SESSION_IDLE_MINUTES, s.SESSION_MAX_HOURS, "
        "s.TRUSTED_PROXY_COUNT, s.AXES_FAILURE_LIMIT)",
        DEBUG="false",
        SECRET_KEY="k3y-for-the-deploy-check-only_9f8e7d6c5b4a3210-ZYXWVUTSRQPONMLKJIHGFEDCBA",
        ALLOWED_HOSTS="stock.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["True", "True", "30", "12", "0", "5"]
