"""The HTTP server: wire handling, auth, latency, faults, counting, and how to start it.

Owns everything about the socket (status lines, headers, bodies, dropped connections) and the
order of concerns for each request: count -> latency -> fault -> auth -> route -> per-store write
limit -> handler.
Must not contain API rules; those live in resources/. Never logs request headers, so the
bearer key never reaches a log.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import control, errors
from .config import EmulatorConfig
from .errors import ApiError
from .faults import FaultInjector, RequestCounter
from .limits import StoreWriteLimiter
from .resources import register_all
from .routing import App, Request, Response, Router, new_id
from .store import Store

_RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "5000",
    "x-ratelimit-remaining-requests": "4999",
    "x-ratelimit-reset-requests": "12ms",
    "x-ratelimit-limit-tokens": "800000",
    "x-ratelimit-remaining-tokens": "800000",
    "x-ratelimit-reset-tokens": "0s",
}


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self.app = App(config=config, store=self.store)
        self.router = Router()
        register_all(self.router)
        self.faults = FaultInjector(config)
        self.counter = RequestCounter()
        self.store_limiter = StoreWriteLimiter(config.store_write_limit, config.store_write_window_seconds)
        try:
            super().__init__((config.host, config.port), _Handler)
        except OSError:
            self.store.close()
            raise

    @property
    def base_url(self) -> str:
        host, port = self.socket.getsockname()[:2]  # the address bound (server_address may be bytes)
        return f"http://{host}:{port}/v1"

    def server_close(self) -> None:
        super().server_close()
        self.store.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, delayed ACKs add ~40 ms each.
    disable_nagle_algorithm = True
    server: EmulatorServer
    server_version = "emulator"
    sys_version = ""

    def __getattr__(self, name: str) -> Any:
        # Every method, HEAD, OPTIONS, TRACE and unknown ones included, goes through the same flow
        # and gets an OpenAI-shaped JSON answer (404 Invalid URL where no route takes it); the base
        # class would answer a bare HTML 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Requests the base class cannot parse (bad request line, oversized headers) answer in
        # OpenAI's JSON shape too, then the connection closes: its framing cannot be trusted.
        self.close_connection = True
        reason = message or self.responses.get(code, ("Bad request",))[0]
        error = ApiError(code, reason)
        self._send(Response(body=error.body(), status=code, headers={"Connection": "close"}), time.monotonic())

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.config.log_requests:
            sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")

    # --- plumbing -------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response, started: float) -> None:
        if isinstance(response.body, (bytes, bytearray)):
            payload = bytes(response.body)
        else:
            payload = json.dumps(response.body, indent=2).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-request-id", new_id("req_", 32))
        self.send_header("openai-version", "2020-10-01")
        self.send_header("openai-processing-ms", str(int((time.monotonic() - started) * 1000)))
        headers = {**_RATE_LIMIT_HEADERS, **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the headers of the body it does not carry
            self.wfile.write(payload)

    def _send_error(self, error: ApiError, started: float) -> None:
        self._send(Response(body=error.body(), status=error.status, headers=error.headers), started)

    # --- request flow ---------------------------------------------------------------------

    def _handle(self) -> None:
        started = time.monotonic()
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        body = self._read_body()
        if path.startswith("/_emulator"):
            server = self.server
            response = control.handle(
                self.command, path, body, app=server.app, counter=server.counter, faults=server.faults
            )
            self._send(response, started)
            return
        matched = self.server.router.match(self.command, path)
        route = f"{self.command} {matched[2]}" if matched else f"{self.command} (unknown route)"
        self.server.counter.add(route)
        config = self.server.config
        if config.latency_ms > 0:
            time.sleep(config.latency_ms / 1000)
        fault = self.server.faults.next_fault()
        if fault:
            self.server.counter.add_fault(fault)
        if fault == "drop":
            # No status line at all: the client sees the connection close mid-request.
            self.close_connection = True
            return
        if fault in ("429", "500"):
            error = errors.rate_limited(config.retry_after_ms) if fault == "429" else errors.server_error()
            self._send_error(error, started)
            return
        try:
            self._authenticate()
            if not config.assistants_api and (path == "/v1/assistants" or path.startswith("/v1/assistants/")):
                raise errors.invalid_url(self.command, path)
            if matched is None:
                raise errors.invalid_url(self.command, path)
            handler, params, template = matched
            refused = self.server.store_limiter.refuse(self.command, template, params)
            if refused is not None:
                self.server.counter.add_limited("vector_store_writes")
                raise refused
            request = Request(
                method=self.command,
                path=path,
                query=dict(parse_qsl(parts.query)),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
                params=params,
            )
            result = handler(self.server.app, request)
            response = result if isinstance(result, Response) else Response(body=result)
        except ApiError as error:
            response = Response(body=error.body(), status=error.status, headers=error.headers)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            failure = errors.server_error()
            response = Response(body=failure.body(), status=failure.status)
        if fault == "drop_after":
            # The work is done and stored, but the answer is lost: what a client sees when a
            # connection dies after the server committed (e.g. a create it must later adopt).
            self.close_connection = True
            return
        if fault == "502_after":
            self._send_error(errors.server_error(502), started)
            return
        self._send(response, started)

    def _authenticate(self) -> None:
        header = self.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise errors.missing_api_key()
        expected = self.server.config.api_key
        if expected is not None and key != expected:
            raise errors.incorrect_api_key(key)


# --- starting it -------------------------------------------------------------------------


@dataclass
class EmulatorHandle:
    """A running in-process emulator."""

    server: EmulatorServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def api_key(self) -> str:
        """A key this server accepts: the configured one, else any non-empty placeholder."""
        return self.server.config.api_key or "sk-emulator"

    def stats(self) -> dict[str, Any]:
        return self.server.counter.snapshot()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()

    def __enter__(self) -> "EmulatorHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(config: EmulatorConfig) -> EmulatorHandle:
    """Start the emulator on a daemon thread of this process; `config.port` 0 picks a free port."""
    server = EmulatorServer(config)
    # A short poll interval keeps stop() quick; idle polling costs nothing noticeable.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="provisioner-emulator", daemon=True
    )
    thread.start()
    return EmulatorHandle(server=server, thread=thread)


def serve_forever(config: EmulatorConfig) -> None:
    """Run in the foreground until SIGINT/SIGTERM, announcing the URL on stdout once ready."""
    server = EmulatorServer(config)

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    print(f"emulator listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
