"""Turns a stack's provider block into a working `Api`, starting the embedded emulator if asked.

Owns where the key comes from (an environment variable, never the stack or the plan) and the
`PROVISIONER_EMULATOR_URL` override that points emulator stacks at an emulator already running.
It must not log the key. It imports the SDK only when it connects, so offline commands never pay
for it.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Callable, Iterator

from provisioner.api.base import Api
from provisioner.errors import ProvisionerError, display_path

OPENAI_BASE_URL = "https://api.openai.com/v1"
EMULATOR_URL_ENV = "PROVISIONER_EMULATOR_URL"
EMULATOR_KEY = "emulator"  # the emulator accepts any non-empty key
DEFAULT_EMULATOR_DATA = Path("state") / "emulator.sqlite3"


@contextlib.contextmanager
def connect(provider: dict[str, Any], announce: Callable[[str], None] = lambda line: None) -> Iterator[Api]:
    """`provider` is Provider.model_dump() with `data` already made absolute by the caller.

    `announce` is told, before anything is contacted, which endpoint this is (e.g. its base URL)."""
    kind = provider.get("kind", "emulator")
    if kind == "emulator":
        url = provider.get("base_url") or os.environ.get(EMULATOR_URL_ENV)
        if url:
            label = f"the emulator at {url}"
            announce(label)
            yield _api(url, os.environ.get(provider.get("api_key_env") or "", "") or EMULATOR_KEY, provider, label)
            return
        data = Path(provider.get("data") or DEFAULT_EMULATOR_DATA)
        label = f"the embedded emulator (data in {display_path(data)})"
        announce(label)
        with _embedded_emulator(data) as url:
            yield _api(url, EMULATOR_KEY, provider, label)
        return
    variable = provider.get("api_key_env") or "OPENAI_API_KEY"
    key = os.environ.get(variable)
    url = provider.get("base_url") or (OPENAI_BASE_URL if kind == "openai" else None)
    if not url:
        raise ProvisionerError("provider kind `compatible` needs a base_url",
                               hint="set provider.base_url, e.g. http://127.0.0.1:8000/v1")
    if not key:
        if kind == "openai":
            raise ProvisionerError(f"no API key: the environment variable {variable} is not set",
                                   hint=f"export {variable}=... (the key is never written to the stack or the state)")
        key = "unused"  # many compatible servers take no key, but the SDK insists on one
    announce(f"{url} (provider {kind})")
    yield _api(url, key, provider, url)


def _api(url: str, key: str, provider: dict[str, Any], label: str) -> Api:
    from provisioner.api.client import make_client
    from provisioner.api.openai_api import OpenAIApi

    return OpenAIApi(make_client(url, key, provider), label)


@contextlib.contextmanager
def _embedded_emulator(data: Path) -> Iterator[str]:
    from provisioner.emulator.config import EmulatorConfig
    from provisioner.emulator.server import start_in_thread

    data.parent.mkdir(parents=True, exist_ok=True)
    handle = start_in_thread(EmulatorConfig(port=0, db_path=str(data)))
    try:
        yield handle.base_url
    finally:
        handle.stop()
