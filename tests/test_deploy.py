"""The Procfile, run by honcho as Heroku and Elastic Beanstalk would, in production settings on PostgreSQL and Redis.

The release line migrates a fresh database; then web (gunicorn, DEBUG off) and worker start: the site
serves its sign-in page, static files come from WhiteNoise, /health/ and /health/worker/ answer, and a
background export queued through the site's code completes. Runs on whichever TASKS_BACKEND the suite
runs with (`.ci/run` runs it again on RQ).
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

QUEUE_EXPORT = """
from django.contrib.auth.models import User
from django.db import transaction
from inventory.tasks import start_export
user = User.objects.create_superuser("deploy", "deploy@example.com", "x")
with transaction.atomic():
    job = start_export(user=user, exporter="report.stock_on_hand", params={}, fmt="csv", subject="stock on hand")
print(job.pk)
"""
JOB_STATE = (
    "import json; from inventory.models import DataJob; "
    "print(json.dumps(list(DataJob.objects.values_list('status', 'rows_done', 'result'))))"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production(tmp_path):
    """A fresh PostgreSQL database and production environment for the Procfile's processes."""
    db = connection.settings_dict
    name = f"stockroom_deploy_{os.getpid()}"
    host = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    subprocess.run(["dropdb", *host, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *host, name], check=True)
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DEBUG": "false",
        "SECRET_KEY": "deploy-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"),
        "TASKS_BACKEND": settings.TASKS_BACKEND,
        "STOCKROOM_VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "JOB_SWEEP_SECONDS": "1",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    yield env, port
    subprocess.run(["dropdb", *host, "--if-exists", "--force", name], check=False)


def honcho(*args: str) -> list[str]:
    return [str(BIN / "honcho"), "-f", str(ROOT / "Procfile"), "-d", str(ROOT), *args]


def manage(env, script: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def get(port: int, path: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_the_dockerfile_and_compose_run_the_procfiles_commands():
    processes = procfile()
    assert set(processes) == {"web", "worker", "release"}
    dockerfile, compose = (ROOT / "Dockerfile").read_text(), (ROOT / "compose.yaml").read_text()
    web = processes["web"].replace("${PORT:-8000}", "${PORT}")
    assert f'CMD ["sh", "-c", "{web}"]' in dockerfile
    assert "USER stockroom" in dockerfile and "collectstatic --noinput" in dockerfile
    assert f"command: {processes['worker']}" in compose
    assert f"command: {processes['release']}" in compose


@pytest.mark.postgres
def test_the_procfile_releases_serves_static_files_and_runs_a_background_job(production):
    env, port = production
    release = subprocess.run(honcho("start", "release"), env=env, capture_output=True, text=True, timeout=180)
    assert release.returncode == 0, release.stdout + release.stderr
    # What the platform's build does before starting the processes (Heroku's buildpack, the Dockerfile).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )

    processes = subprocess.Popen(
        honcho("start", "web", "worker"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        status, _, page = wait_for(lambda: get(port, "/admin/login/"), 60, "the web process")
        assert status == 200 and b'name="password"' in page
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page).group(1).decode()
        assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet), stylesheet  # hashed by the manifest storage
        status, headers, _ = get(port, stylesheet)
        assert status == 200
        assert "immutable" in headers.get("Cache-Control", ""), headers  # WhiteNoise's header for hashed files

        assert get(port, "/health/")[0] == 200
        wait_for(lambda: get(port, "/health/worker/")[0] == 200, 30, "the worker's first beat")

        manage(env, QUEUE_EXPORT)
        done = wait_for(
            lambda: (state := json.loads(manage(env, JOB_STATE))) and state[0][0] == "done" and state,
            60,
            "the export to finish",
        )
        assert done[0][2].startswith("jobs/out/stock-on-hand")
        assert (Path(env["STOCKROOM_VAR_DIR"]) / "media" / done[0][2]).exists()
    finally:
        os.killpg(processes.pid, signal.SIGTERM)
        output, _ = processes.communicate(timeout=30)
    assert "Booting worker" in output, output
    assert "Traceback" not in output, output
