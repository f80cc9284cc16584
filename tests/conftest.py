"""Shared fixtures: paths to the shared corpora and a loopback HTTP server."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seed" / "000_bcb57dddbc643e17.txt"
FUNDUS = SHARED / "corpora" / "fundus"
NAEB = SHARED / "corpora" / "naeb-dev"
SAMPLES = ROOT / "pipeline" / "samples"


@pytest.fixture(scope="session")
def seed_text() -> str:
    if not SEED.exists():
        pytest.skip(f"seed story not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def naeb() -> Path:
    if not (NAEB / "gold.jsonl").exists():
        pytest.skip(f"naeb-dev corpus not found at {NAEB}")
    return NAEB


@pytest.fixture(scope="session")
def fundus() -> Path:
    if not (FUNDUS / "gold.jsonl").exists():
        pytest.skip(f"fundus corpus not found at {FUNDUS}")
    return FUNDUS


class Routes:
    """Responses a loopback server gives: path → (status, headers, body, delay seconds). A route
    whose headers hold an ETag or Last-Modified answers 304 to a GET that sends it back."""

    def __init__(self):
        self.routes: dict[str, list[tuple[int, dict, bytes, float]]] = {}
        self.hits: list[str] = []
        #: Paths asked for with If-None-Match or If-Modified-Since (a conditional GET).
        self.conditional: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server was answering at once (before sending)
        self.lock = threading.Lock()

    def add(
        self,
        path: str,
        body: bytes | str,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        delay: float = 0.0,
        headers: dict | None = None,
    ):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes.setdefault(path, []).append(
            (status, {"Content-Type": content_type, **(headers or {})}, data, delay)
        )

    def answer(self, path: str):
        """The next answer for a path: added answers are given in turn, the last one from then on."""
        answers = self.routes.get(path)
        if not answers:
            return 404, {"Content-Type": "text/plain"}, b"not found", 0.0
        return answers.pop(0) if len(answers) > 1 else answers[0]


@contextlib.contextmanager
def serve():
    """A server on 127.0.0.1 serving the routes a test adds (``Routes``), stopped on exit."""
    routes = Routes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            with routes.lock:
                routes.hits.append(self.path)
                status, headers, body, delay = routes.answer(self.path.split("?")[0])
                sent = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
                if any(sent):
                    routes.conditional.append(self.path)
                if (sent[0] and sent[0] == headers.get("ETag")) or (
                    sent[1] and sent[1] == headers.get("Last-Modified")
                ):
                    status, body = 304, b""  # as a server does when the validator still matches
                routes.in_flight += 1
                routes.max_in_flight = max(routes.max_in_flight, routes.in_flight)
            # A request stops counting before its answer is sent: the client may send its next
            # request as soon as it has the answer, before this thread would run on after _send.
            try:
                if delay:
                    time.sleep(delay)
            finally:
                with routes.lock:
                    routes.in_flight -= 1
            self._send(status, headers, body)

        def _send(self, status, headers, body):
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    routes.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield routes
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_server():
    """A loopback server for one test: see :func:`serve`."""
    with serve() as routes:
        yield routes


@pytest.fixture(scope="session")
def sample_output(tmp_path_factory) -> Path:
    """The bundled samples, run once in-process with run id ``runners-1``, their live progress
    counts kept beside the output (``<out>-progress``): shared by the tests that only read it."""
    from newsbeam.pipeline.run import run, sample_inputs

    out = tmp_path_factory.mktemp("samples")
    progress = out.parent / (out.name + "-progress")
    progress.mkdir()
    argv = ["--output", str(out), "--run_id", "runners-1", "--progress_dir", str(progress)]
    for spec in sorted(sample_inputs()):
        argv += ["--input", spec]
    assert run(argv).runs_row["run_id"] == "runners-1"
    return out
