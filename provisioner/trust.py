"""What the operator allows a stack to do, as opposed to what the stack asks for.

A stack may come from a pull request, so anyone who can open one writes it; the command line
and the environment belong to whoever runs the pipeline. This module owns the operator's
settings (extra folders a stack may read, endpoints and key variables, parse limits) and the
endpoint rule: the key held in the provider's `api_key_env` is sent, as a bearer token, only to
OpenAI, to this machine (loopback), or to an endpoint the operator listed, and only a variable
the operator allows (OPENAI_API_KEY by default) may be sent at all. It must not read files or
call the network.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from provisioner.config.yaml_source import ParseLimits

OPENAI_ENDPOINT = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
ENDPOINTS_ENV = "PROVISIONER_ALLOWED_ENDPOINTS"
KEY_ENVS_ENV = "PROVISIONER_ALLOWED_KEY_ENVS"
ENV_VARS_ENV = "PROVISIONER_ALLOWED_ENV"


@dataclass(frozen=True)
class Trust:
    """The operator's settings, from flags or the environment; never from the stack."""

    allow_paths: tuple[Path, ...] = ()  # --allow-path: more folders any stack may read
    trust_stack_paths: bool = False  # --trust-stack-paths: honour the stack's own allow_paths:
    endpoints: tuple[str, ...] = ()  # --allow-endpoint
    key_envs: tuple[str, ...] = ()  # --allow-key-env
    env_vars: tuple[str, ...] = ()  # --allow-env: variables ${env:NAME} may read
    limits: ParseLimits = field(default_factory=ParseLimits)


@dataclass(frozen=True)
class Refusal:
    field: str  # the provider field to point at
    message: str
    hint: str


def _normal(url: str) -> str:
    return url.strip().rstrip("/")


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def readable_env(trust: Trust, env: Mapping[str, str] = os.environ) -> frozenset[str]:
    """The environment variables a stack's `${env:NAME}` may read: only those the operator named,
    since a stack's values are printed in plans (a pull request could post the runner's secrets)."""
    return frozenset({*trust.env_vars, *env.get(ENV_VARS_ENV, "").split()})


def endpoint_refusals(provider: Mapping[str, object], trust: Trust, env: Mapping[str, str] = os.environ
                      ) -> list[Refusal]:
    """Why the key of this provider block may not be sent where it points; empty when it may."""
    kind = provider.get("kind") or "emulator"
    base_url = provider.get("base_url")
    if kind == "emulator" and not base_url:
        return []  # the embedded emulator, or the one the operator named in PROVISIONER_EMULATOR_URL
    refusals = []
    allowed = {_normal(u) for u in trust.endpoints} | {_normal(u) for u in env.get(ENDPOINTS_ENV, "").split()}
    if isinstance(base_url, str) and _normal(base_url) not in allowed | {OPENAI_ENDPOINT} and not _is_loopback(base_url):
        refusals.append(Refusal(
            "base_url", f"provider.base_url {base_url} is not an endpoint the operator allowed: the API key would"
            " be sent there", f"if you run this pipeline and trust that server, pass --allow-endpoint {_normal(base_url)}"
            f" (or list it in ${ENDPOINTS_ENV}); OpenAI ({OPENAI_ENDPOINT}) and loopback addresses need nothing"))
    key_env = provider.get("api_key_env") or DEFAULT_KEY_ENV
    key_envs = {DEFAULT_KEY_ENV, *trust.key_envs, *env.get(KEY_ENVS_ENV, "").split()}
    if key_env not in key_envs:
        refusals.append(Refusal(
            "api_key_env", f"provider.api_key_env {key_env} is not a key variable the operator allowed: its value"
            " would be sent to the endpoint as the API key",
            f"if you run this pipeline and {key_env} holds an API key for this endpoint, pass --allow-key-env"
            f" {key_env} (or list it in ${KEY_ENVS_ENV}); {DEFAULT_KEY_ENV} needs nothing"))
    return refusals
