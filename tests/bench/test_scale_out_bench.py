"""Scale-out on this machine: two gunicorn app servers behind haproxy, Redis, an RQ worker and PostgreSQL.

haproxy terminates TLS (a self-signed certificate made here) and balances round robin over the app
servers (DEBUG off, production settings, sessions and cache in Redis, one shared media folder); two
more haproxy frontends pin app server A and B, so a count import is previewed on A and confirmed on B.
A bounded headless locust run (tests/bench/locustfile.py) of clerks and managers is measured once with
the balancer sending everything to A and once spread over A and B. Afterwards: no failed request, every
background export done exactly once, every double-clicked receipt posted once, and verify_ledger passes.

Run: make bench-scale (installs haproxy from Debian and locust from requirements-bench.txt when missing).
"""

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USERS, SPAWN_RATE = 48, 12
DURATION = os.environ.get("SCALE_DURATION", "45s")
DATABASE = "stockroom_scale"
PG = ["-h", "127.0.0.1", "-U", "postgres"]


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def haproxy_config(work: Path, lb: int, only_a: int, only_b: int, app_a: int, app_b: int, spread: bool) -> Path:
    servers = f"    server a 127.0.0.1:{app_a} check\n"
    if spread:
        servers += f"    server b 127.0.0.1:{app_b} check\n"
    frontends = "".join(
        f"frontend {name}\n    bind 127.0.0.1:{port} ssl crt {work}/lb.pem\n"
        f"    http-request set-header X-Forwarded-Proto https\n    default_backend {backend}\n"
        for name, port, backend in (("lb", lb, "apps"), ("only_a", only_a, "app_a"), ("only_b", only_b, "app_b"))
    )
    config = work / ("haproxy-two.cfg" if spread else "haproxy-one.cfg")
    config.write_text(
        "global\n    maxconn 4096\n"
        "defaults\n    mode http\n    option forwardfor\n    timeout connect 5s\n"
        "    timeout client 60s\n    timeout server 60s\n"
        f"{frontends}"
        "backend apps\n    balance roundrobin\n    option httpchk\n"
        "    http-check send meth GET uri /health/ hdr Host 127.0.0.1\n"
        f"{servers}"
        f"backend app_a\n    server a 127.0.0.1:{app_a}\n"
        f"backend app_b\n    server b 127.0.0.1:{app_b}\n"
    )
    return config


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


STATE = """
import json
from django.db.models import Count
from inventory.models import DataJob, StockMovement
ours = StockMovement.objects.filter(reference__startswith="LOCUST-")
doubled = ours.values("reference").annotate(n=Count("id")).filter(n__gt=1).count()
exports = DataJob.objects.filter(kind="export", created_by__username="manager")
jobs = list(exports.values_list("status", "attempts"))
print(json.dumps({"jobs": jobs, "doubled": doubled, "receipts": ours.count()}))
"""


def locust(env: dict, work: Path, host: str, label: str) -> dict:
    prefix = work / label
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "tests/bench/locustfile.py"),
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(SPAWN_RATE),
            "--run-time",
            DURATION,
            "--host",
            host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "20",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    with open(f"{prefix}_stats.csv") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    with open(f"{prefix}_failures.csv") as handle:
        failures = list(csv.DictReader(handle))
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "exports": int(rows.get("background export", {}).get("Request Count", 0)),
        "failure list": [(f["Name"], f["Error"], f["Occurrences"]) for f in failures],
        "per name": {name: (int(r["Request Count"]), float(r["50%"]), float(r["95%"])) for name, r in rows.items()},
    }


def test_two_app_servers_behind_haproxy_serve_more_and_lose_nothing(tmp_path):
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed (make bench-scale installs it)")
    pytest.importorskip("locust")
    subprocess.run(["dropdb", *PG, "--if-exists", "--force", DATABASE], check=True)
    subprocess.run(["createdb", *PG, DATABASE], check=True)
    lb, only_a, only_b, app_a, app_b = free_ports(5)
    origins = ",".join(f"https://127.0.0.1:{port}" for port in (lb, only_a, only_b))
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DEBUG": "false",
        "SECRET_KEY": "scale-out-bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": origins,
        "SECURE_SSL_REDIRECT": "false",
        "TRUSTED_PROXY_COUNT": "1",
        "LOGIN_FAILURE_LIMIT": "1000",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "STOCKROOM_VAR_DIR": str(tmp_path / "var"),
        "BACKGROUND_ROWS": "10",
        "WEB_CONCURRENCY": "2",
        "JOB_SWEEP_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    subprocess.run(["redis-cli", "-n", "9", "flushdb"], check=True, capture_output=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_demo")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    ids = json.loads(
        manage(
            env,
            "shell",
            "-c",
            "import json; from inventory.models import Product, Warehouse; "
            "print(json.dumps([list(Product.objects.order_by('pk').values_list('pk', flat=True)[:40]), "
            "list(Product.objects.order_by('pk').values_list('sku', flat=True)[:40]), "
            "Warehouse.objects.get(code='MAIN').pk]))",
        ).splitlines()[-1]
    )
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tmp_path / "lb.key"),
            "-out",
            str(tmp_path / "lb.crt"),
        ],
        check=True,
        capture_output=True,
    )
    (tmp_path / "lb.pem").write_bytes((tmp_path / "lb.crt").read_bytes() + (tmp_path / "lb.key").read_bytes())
    load_env = {
        **env,
        "SCALE_PRODUCTS": json.dumps(ids[0]),
        "SCALE_SKUS": json.dumps(ids[1]),
        "SCALE_MAIN": str(ids[2]),
        "SCALE_ONLY_A": f"https://127.0.0.1:{only_a}",
        "SCALE_ONLY_B": f"https://127.0.0.1:{only_b}",
    }

    web = [
        subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for port in (app_a, app_b)
    ]
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "stockroom_worker"],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / "worker.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # noqa: SIM115
    )
    balancer = None
    results = {}
    try:
        for port in (app_a, app_b):
            wait_until_up(f"http://127.0.0.1:{port}/health/")
        for label, spread in (("one app server", False), ("two app servers", True)):
            config = haproxy_config(tmp_path, lb, only_a, only_b, app_a, app_b, spread)
            balancer = subprocess.Popen(
                ["haproxy", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
            )
            time.sleep(2)
            results[label] = locust(load_env, tmp_path, f"https://127.0.0.1:{lb}", label.replace(" ", "-"))
            balancer.terminate()
            balancer.wait(timeout=10)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = json.loads(manage(env, "shell", "-c", STATE).splitlines()[-1])
            if all(status in ("done", "failed", "cancelled") for status, _ in state["jobs"]):
                break
            time.sleep(1)
        ledger = subprocess.run(
            [sys.executable, "manage.py", "verify_ledger"], cwd=ROOT, env=env, capture_output=True, text=True
        )
    finally:
        for process in [*web, worker]:
            os.killpg(process.pid, signal.SIGTERM)
        if balancer and balancer.poll() is None:
            balancer.kill()

    print()
    for label, figures in results.items():
        print(
            f"{label:16} | {figures['requests']:6,} requests | {figures['rps']:6.1f} req/s | "
            f"p50 {figures['p50']:5.0f} ms | p95 {figures['p95']:5.0f} ms | {figures['failures']} failed | "
            f"{figures['exports']} background exports"
        )
        for name, (count, p50, p95) in sorted(figures["per name"].items()):
            print(f"    {name:40} {count:6,}  p50 {p50:5.0f} ms  p95 {p95:5.0f} ms")
        for failure in figures["failure list"]:
            print("    FAILED", failure)
    exports = sum(figures["exports"] for figures in results.values())
    statuses = {status for status, _ in state["jobs"]}
    print(
        f"jobs: {len(state['jobs'])} for {exports} export requests, statuses {statuses}, "
        f"max attempts {max((a for _, a in state['jobs']), default=0)} | receipts posted {state['receipts']}, "
        f"doubled {state['doubled']} | verify_ledger: {ledger.stdout.strip().splitlines()[-1] if ledger.stdout else ''}"
    )
    assert all(figures["failures"] == 0 for figures in results.values()), results
    assert len(state["jobs"]) == exports and statuses == {"done"}
    assert all(attempts == 1 for _, attempts in state["jobs"])
    assert state["doubled"] == 0 and state["receipts"] > 0
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
