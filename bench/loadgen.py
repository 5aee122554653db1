"""Load generators: ``wrk`` (Debian's package) when it is installed, else a small closed-loop
HTTP/1.1 generator in Python; ``BENCH_LOADGEN=wrk|python`` forces one (``auto`` by default).

Both are closed loops of ``concurrency`` keep-alive connections sending GET requests back to
back for a bounded time, and answer the same ``LoadResult``. wrk costs far less CPU per request
(C, epoll): on a 2-core machine where the load generator shares the cores with the servers,
it leaves more of them to the servers, so it is preferred.

The Python one: ``concurrency`` keep-alive connections, spread over ``processes`` processes
(threads inside each), send GET requests back to back for a bounded time; the client reconnects
when the server closes a connection. Responses are read with their ``Content-Length`` (or chunked
encoding), never parsed further: the client's own cost per request stays small and the same
for every URL, so throughputs compare fairly as ratios to the minimal Flask app's.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

#: ``auto`` (wrk when installed), ``wrk`` or ``python``.
CHOICE = os.environ.get("BENCH_LOADGEN", "auto")
WRK = shutil.which("wrk") if CHOICE in ("auto", "wrk") else None
if CHOICE == "wrk" and WRK is None:
    raise SystemExit("BENCH_LOADGEN=wrk but wrk is not installed (apt-get install wrk)")
BACKEND = "wrk" if WRK else "python"


@dataclass(frozen=True)
class LoadResult:
    url: str
    seconds: float
    requests: int
    errors: int
    statuses: dict[int, int]
    latencies_ms: tuple[float, ...]  # a sample, sorted
    body_bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        index = min(len(self.latencies_ms) - 1, int(q * len(self.latencies_ms)))
        return self.latencies_ms[index]


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.sock: socket.socket | None = None
        self.reader = None

    def _open(self) -> None:
        self.close()
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb", buffering=65536)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
        if self.sock is not None:
            self.sock.close()
        self.sock = self.reader = None

    def get(self, request: bytes) -> tuple[int, int]:
        """``(status, body length)``; one retry on a connection the server had closed."""
        for attempt in (0, 1):
            if self.sock is None:
                self._open()
            try:
                self.sock.sendall(request)
                return self._read()
            except (ConnectionError, _Closed):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _read(self) -> tuple[int, int]:
        reader = self.reader
        status_line = reader.readline()
        if not status_line:
            raise _Closed()
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        while True:
            line = reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        size = 0
        if chunked:
            while True:
                chunk = int(reader.readline().split(b";")[0], 16)
                if chunk == 0:
                    reader.readline()
                    break
                size += len(reader.read(chunk))
                reader.readline()
        elif length is not None:
            size = len(reader.read(length))
        else:
            size = len(reader.read())
            close = True
        if close:
            self.close()
        return status, size


class _Closed(Exception):
    pass


def _worker(host: str, port: int, path: str, headers: dict[str, str], threads: int,
            seconds: float, queue) -> None:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: bench",
             "Accept: */*", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    deadline = time.perf_counter() + seconds
    results = []

    def run() -> None:
        connection = _Connection(host, port)
        done = errors = size = 0
        statuses: dict[int, int] = {}
        latencies: list[float] = []
        while True:
            start = time.perf_counter()
            if start >= deadline:
                break
            try:
                status, length = connection.get(request)
            except OSError:
                errors += 1
                connection.close()
                continue
            end = time.perf_counter()
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200:
                errors += 1
            done += 1
            size += length
            if len(latencies) < 20_000:
                latencies.append((end - start) * 1000)
        connection.close()
        results.append((done, errors, statuses, latencies, size))

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put(results)


def describe(concurrency: int) -> str:
    if BACKEND == "wrk":
        return (f"wrk {wrk_version()} (paquet Debian), 2 fils, {concurrency} connexions "
                "keep-alive")
    return (f"générateur Python en boucle fermée (`bench/loadgen.py` ; wrk absent), 2 processus, "
            f"{concurrency} connexions keep-alive")


def wrk_version() -> str:
    run = subprocess.run([WRK, "--version"], capture_output=True, text=True)
    first = (run.stdout or run.stderr).split("\n", 1)[0].split()
    return first[1] if len(first) > 1 else "?"


def load(host: str, port: int, path: str, *, seconds: float, concurrency: int = 8,
         headers: dict[str, str] | None = None) -> LoadResult:
    """Hammer ``path`` for ``seconds`` with ``concurrency`` connections (wrk or Python)."""
    if BACKEND == "wrk":
        return wrk_load(host, port, path, seconds=seconds, concurrency=concurrency,
                        headers=headers)
    return python_load(host, port, path, seconds=seconds, concurrency=concurrency,
                       headers=headers)


#: wrk's report as one JSON line: counts, errors, and the latency at every percentile.
_WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  local q = {}
  for k = 0, 99 do q[#q + 1] = string.format("%.3f", latency:percentile(k) / 1000) end
  q[#q + 1] = string.format("%.3f", latency.max / 1000)
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d, "latencies_ms": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, table.concat(q, ", ")))
end
"""


def wrk_load(host: str, port: int, path: str, *, seconds: float, concurrency: int = 8,
             headers: dict[str, str] | None = None) -> LoadResult:
    """One wrk run; ``latencies_ms`` holds the 101 percentiles 0, 1, …, 99 and the maximum."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    try:
        command = [WRK, "-t", str(min(2, concurrency)), "-c", str(concurrency),
                   "-d", f"{max(1, round(seconds))}s", "--timeout", "30s", "-s", script.name]
        for name, value in (headers or {}).items():
            command += ["-H", f"{name}: {value}"]
        run = subprocess.run([*command, f"http://{host}:{port}{path}"], capture_output=True,
                             text=True, timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    line = next((row for row in run.stdout.splitlines() if row.startswith("BENCH-JSON ")), None)
    if run.returncode or line is None:
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stderr or run.stdout}")
    report = json.loads(line.removeprefix("BENCH-JSON "))
    errors = sum(report[k] for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(url=path, seconds=report["duration_us"] / 1e6,
                      requests=report["requests"], errors=errors,
                      statuses={0: report["status"]} if report["status"] else {},
                      latencies_ms=tuple(report["latencies_ms"]), body_bytes=report["bytes"])


def python_load(host: str, port: int, path: str, *, seconds: float, concurrency: int = 8,
                processes: int = 2, headers: dict[str, str] | None = None) -> LoadResult:
    """Hammer ``path`` for ``seconds`` with ``concurrency`` connections, in Python."""
    processes = max(1, min(processes, concurrency))
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    per_process = [concurrency // processes + (1 if k < concurrency % processes else 0)
                   for k in range(processes)]
    started = time.perf_counter()
    workers = [context.Process(target=_worker, args=(host, port, path, headers or {}, threads,
                                                     seconds, queue))
               for threads in per_process]
    for worker in workers:
        worker.start()
    collected = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    done = errors = size = 0
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    for results in collected:
        for d, e, s, lat, b in results:
            done += d
            errors += e
            size += b
            latencies.extend(lat)
            for status, count in s.items():
                statuses[status] = statuses.get(status, 0) + count
    # Process start-up is outside the window: the measured time is the bounded one.
    return LoadResult(url=path, seconds=min(elapsed, seconds), requests=done, errors=errors,
                      statuses=statuses, latencies_ms=tuple(sorted(latencies)), body_bytes=size)


def warm(host: str, port: int, path: str, *, requests: int, concurrency: int) -> None:
    """``requests`` GETs over ``concurrency`` connections, each awaited however long it takes:
    a fresh worker's first answer of a page compiles its templates and its SQL (up to seconds
    on a loaded machine), which a time-bounded burst would count as a stall or not at all."""
    import http.client

    def run(count: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=120)
        try:
            for _ in range(count):
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} while warming up")
        finally:
            connection.close()

    share = [requests // concurrency + (1 if k < requests % concurrency else 0)
             for k in range(concurrency)]
    errors: list[BaseException] = []

    def guarded(count: int) -> None:
        try:
            run(count)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    pool = [threading.Thread(target=guarded, args=(count,)) for count in share if count]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]


def fetch(host: str, port: int, path: str, headers: dict[str, str] | None = None
          ) -> tuple[int, dict[str, str], bytes]:
    """One plain request (for checks): status, headers, body."""
    import http.client

    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()
