"""Turns a stack's provider block into a working `Api`, starting the embedded emulator if asked.

Owns where the key comes from (an environment variable, never the stack or the plan) and the
`PROVISIONER_EMULATOR_URL` override that points emulator stacks at an emulator already running.
It must not log the key.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

import openai

from provisioner.api.base import Api
from provisioner.api.openai_api import OpenAIApi
from provisioner.errors import ProvisionerError, display_path

OPENAI_BASE_URL = "https://api.openai.com/v1"
EMULATOR_URL_ENV = "PROVISIONER_EMULATOR_URL"
EMULATOR_KEY = "emulator"  # the emulator accepts any non-empty key
DEFAULT_EMULATOR_DATA = Path("state") / "emulator.sqlite3"
MAX_RETRIES = 5


@contextlib.contextmanager
def connect(provider: dict[str, Any]) -> Iterator[Api]:
    """`provider` is Provider.model_dump() with `data` already made absolute by the caller."""
    kind = provider.get("kind", "emulator")
    if kind == "emulator":
        url = provider.get("base_url") or os.environ.get(EMULATOR_URL_ENV)
        if url:
            yield _api(url, os.environ.get(provider.get("api_key_env") or "", "") or EMULATOR_KEY, provider,
                       f"the emulator at {url}")
            return
        data = Path(provider.get("data") or DEFAULT_EMULATOR_DATA)
        with _embedded_emulator(data) as url:
            yield _api(url, EMULATOR_KEY, provider, f"the embedded emulator (data in {display_path(data)})")
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
    yield _api(url, key, provider, url)


def _api(url: str, key: str, provider: dict[str, Any], label: str) -> Api:
    client = openai.OpenAI(base_url=url, api_key=key, organization=provider.get("organization"),
                           project=provider.get("project"), max_retries=MAX_RETRIES)
    return OpenAIApi(client, label)


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
