"""A throwaway PostgreSQL cluster that fault tests may stop and start; the main cluster is never touched."""

import shutil
import subprocess

import pytest

VERSION = "15"


class FaultCluster:
    """`pg_createcluster` on its own port, trust auth, created on first use and left for the next run."""

    def __init__(self, name: str, port: int):
        self.name = name
        self.port = port

    def ensure_running(self) -> None:
        if shutil.which("pg_createcluster") is None:
            pytest.skip("pg_createcluster is not installed (Debian's postgresql-common)")
        listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout
        if not any(line.split()[:2] == [VERSION, self.name] for line in listing.splitlines()):
            subprocess.run(
                ["pg_createcluster", VERSION, self.name, "--port", str(self.port), "--", "--auth=trust"],
                capture_output=True,
                check=True,
            )
        self.start()

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop")

    def restart(self) -> None:
        self._ctl("restart")

    def _ctl(self, action: str) -> None:
        result = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", VERSION, self.name, action], capture_output=True, text=True
        )
        said = result.stdout + result.stderr
        already = "already running" in said or "is not running" in said
        if result.returncode != 0 and not already:
            raise RuntimeError(f"pg_ctlcluster {action} {self.name}: {said.strip()}")
