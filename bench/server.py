"""Serving an app with gunicorn for a measurement, on 127.0.0.1 and a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = int(os.environ.get("BENCH_WORKERS", 4))
THREADS = int(os.environ.get("BENCH_THREADS", 2))
#: The same settings for the wiki and for the minimal app.
SETTINGS = ["--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(THREADS),
            "--keep-alive", "5", "--backlog", "512", "--log-level", "warning",
            # gunicorn 27 otherwise shares ~/.gunicorn/gunicorn.ctl between the two servers.
            "--no-control-socket"]


def describe() -> str:
    return (f"gunicorn gthread ({WORKERS} workers, {THREADS} threads each, keep-alive 5 s), "
            f"bound to {HOST}, a free port; no reverse proxy")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """``with Server("wiki:create_app()", env) as server: server.port``."""

    def __init__(self, app: str, env: dict[str, str] | None = None, chdir: Path = ROOT) -> None:
        self.app, self.env, self.chdir = app, env or {}, chdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        self.process = subprocess.Popen(
            [gunicorn, *SETTINGS, "--bind", f"{HOST}:{self.port}", "--chdir", str(self.chdir),
             self.app], env=env, cwd=str(self.chdir))
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    pass
                if len(self.worker_pids()) >= WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start in time")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            return [int(pid) for pid in children.read_text().split()]
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return sizes

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
