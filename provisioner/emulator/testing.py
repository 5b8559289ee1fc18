"""Run the emulator as a real subprocess for tests and benchmarks.

Owns starting `python -m provisioner.emulator`, waiting for its listening line, reading its
request counter and restarting it on the same port and database. Must not reach into the
server's memory: everything goes over HTTP, like any other client.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.request
from typing import Any, Iterator

_LISTENING = re.compile(r"emulator listening on (http://\S+/v1)")
DEFAULT_API_KEY = "sk-emulator-test"


def _flags(switches: dict[str, Any]) -> list[str]:
    """`fault_rate=0.2` -> `--fault-rate 0.2`; booleans for on/off switches."""
    args: list[str] = []
    for key, value in switches.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if key == "assistants_api":
            args += [flag, "on" if value in (True, "on") else "off"]
        elif key == "db_path":
            args += ["--db", str(value)]
        elif isinstance(value, bool):
            if value:
                args.append(flag)
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(item) for item in value)]
        else:
            args += [flag, str(value)]
    return args


class EmulatorProcess:
    """A running emulator subprocess; `base_url` ends in `/v1`."""

    def __init__(
        self,
        switches: dict[str, Any],
        startup_timeout: float = 20.0,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self._switches = dict(switches)
        self._env = dict(env or {})
        self._cwd = cwd
        if "db_path" not in self._switches and "in_memory" not in self._switches:
            self._switches["in_memory"] = True
        self._timeout = startup_timeout
        self.api_key = DEFAULT_API_KEY if not switches.get("api_key") else str(switches["api_key"])
        self._port = int(self._switches.pop("port", 0))
        self._process: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.base_url = ""
        self.start()

    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        return self.base_url[: -len("/v1")]

    def start(self) -> None:
        command = [sys.executable, "-m", "provisioner.emulator", "--port", str(self._port), *_flags(self._switches)]
        process = self._process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self._env},
            cwd=self._cwd,
        )
        line_holder: list[str] = []
        stdout = process.stdout
        assert stdout is not None  # stdout=PIPE
        reader = threading.Thread(target=lambda: line_holder.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self._timeout)
        found = _LISTENING.search(line_holder[0]) if line_holder else None
        if not found:
            self.stop()
            self._stderr.seek(0)
            raise RuntimeError(f"emulator did not start: {command}\n{self._stderr.read()[-4000:]}")
        self.base_url = found.group(1)
        # Restarts reuse the port so clients built on base_url keep working.
        self._port = int(self.base_url.rsplit(":", 1)[1].split("/")[0])

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        if self._process.stdout:
            self._process.stdout.close()
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.root_url + path, method=method, data=data)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        """`{"requests": {"POST /v1/files": 3, ...}, "total": N, "faults": {...}}`."""
        return self._control("GET", "/_emulator/stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._control("POST", "/_emulator/stats/reset")

    def set_faults(
        self, rate: float | None = None, kinds: list[str] | str | None = None, **seed: Any
    ) -> dict[str, Any]:
        """Change fault injection at run time; pass seed=N to restart the seeded sequence."""
        body: dict[str, Any] = {key: value for key, value in (("rate", rate), ("kinds", kinds)) if value is not None}
        body.update(seed)
        return self._control("POST", "/_emulator/faults", body)

    def reset(self) -> None:
        """Delete every object and upload and zero the counter (a clean slate, same server)."""
        self._control("POST", "/_emulator/reset")

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far (request logs with --log-requests, tracebacks)."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the emulator's clock forward (indexing, expiry); lost on restart."""
        return self._control("POST", "/_emulator/clock/advance", {"seconds": seconds})

    def client(self, **options: Any) -> Any:
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key=self.api_key, **options)

    def close(self) -> None:
        self.stop()
        self._stderr.close()


@contextlib.contextmanager
def running_emulator(
    *, env: dict[str, str] | None = None, cwd: str | None = None, **switches: Any
) -> Iterator[EmulatorProcess]:
    """Start `python -m provisioner.emulator --port 0 ...` with CLI switches as keywords.

    Defaults to an in-memory database; pass `db_path=...` to persist (and `restart()`), or
    `in_memory=False` for the CLI's default `state/emulator.sqlite3` under `cwd`.
    `env` adds environment variables (e.g. PROVISIONER_EMULATOR_ASSISTANTS_API=off).
    """
    process = EmulatorProcess(switches, env=env, cwd=cwd)
    try:
        yield process
    finally:
        process.close()
