"""Command-line entry point: `provisioner emulator` / `python -m provisioner.emulator`.

Owns option names, their environment variables (PROVISIONER_EMULATOR_*) and turning them
into an EmulatorConfig. Must not implement server behaviour.
"""

from __future__ import annotations

from typing import Any, Callable

import click

from .config import ALL_FAULT_KINDS, DEFAULT_DB_PATH, DEFAULT_MODELS, ENV_PREFIX, FAULT_KINDS, EmulatorConfig
from .server import serve_forever


def _option(*decls: str, env: str, **kwargs: Any) -> Callable[[Any], Any]:
    """A click option that also reads PROVISIONER_EMULATOR_<env> and says so in --help."""
    return click.option(*decls, envvar=ENV_PREFIX + env, show_envvar=True, **kwargs)


@click.command(name="emulator", context_settings={"show_default": True})
@_option("--host", env="HOST", default="127.0.0.1", help="Address to bind.")
@_option("--port", env="PORT", default=8750, type=int, help="Port to bind; 0 picks a free one.")
@_option("--db", "db_path", env="DB", default=DEFAULT_DB_PATH, help="SQLite file that keeps every resource.")
@_option("--in-memory", env="IN_MEMORY", is_flag=True, help="Keep nothing on disk (for tests).")
@_option("--latency-ms", env="LATENCY_MS", default=0.0, type=float, help="Delay added to every /v1 request.")
@_option(
    "--index-base-ms", env="INDEX_BASE_MS", default=300.0, type=float, help="Fixed part of a file's indexing time."
)
@_option("--index-ms-per-kb", env="INDEX_MS_PER_KB", default=1.0, type=float, help="Indexing time per KiB of file.")
@_option(
    "--poll-after-ms",
    env="POLL_AFTER_MS",
    default=200,
    type=int,
    help="`openai-poll-after-ms` hint that paces the SDK's polling helpers.",
)
@_option(
    "--fault-rate",
    env="FAULT_RATE",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of /v1 requests that get an injected fault.",
)
@_option("--fault-seed", env="FAULT_SEED", default=None, type=int, help="Seed so fault sequences repeat.")
@_option(
    "--fault-kinds",
    env="FAULT_KINDS",
    default=",".join(FAULT_KINDS),
    help="Comma-separated subset of " + ",".join(ALL_FAULT_KINDS) + ".",
)
@_option(
    "--retry-after-ms",
    env="RETRY_AFTER_MS",
    default=100,
    type=int,
    help="Wait an injected 429 asks for (Retry-After rounds up to whole seconds).",
)
@_option(
    "--store-write-limit",
    env="STORE_WRITE_LIMIT",
    default=300,
    type=click.IntRange(0),
    help="Writes one vector store takes per window before it answers 429 (0: no limit).",
)
@_option(
    "--store-write-window-seconds",
    env="STORE_WRITE_WINDOW_SECONDS",
    default=60.0,
    type=click.FloatRange(0, min_open=True),
    help="Length of the sliding window --store-write-limit counts over.",
)
@_option(
    "--assistants-api",
    env="ASSISTANTS_API",
    type=click.Choice(["on", "off"]),
    default="on",
    help="off answers /v1/assistants* like post-sunset OpenAI (404 Invalid URL).",
)
@_option("--models", env="MODELS", default=None, help="Comma-separated model ids (default: current OpenAI models).")
@_option(
    "--api-key",
    env="API_KEY",
    default=None,
    show_default=False,
    help="Accept only this bearer key (default: any non-empty key).",
)
@_option("--log-requests", env="LOG_REQUESTS", is_flag=True, help="Log request lines (never headers) to stderr.")
def emulator_command(
    host: str,
    port: int,
    db_path: str,
    in_memory: bool,
    latency_ms: float,
    index_base_ms: float,
    index_ms_per_kb: float,
    poll_after_ms: int,
    fault_rate: float,
    fault_seed: int | None,
    fault_kinds: str,
    retry_after_ms: int,
    store_write_limit: int,
    store_write_window_seconds: float,
    assistants_api: str,
    models: str | None,
    api_key: str | None,
    log_requests: bool,
) -> None:
    """Run a local, wire-faithful emulator of the OpenAI API (files, vector stores, assistants)."""
    try:
        config = EmulatorConfig(
            host=host,
            port=port,
            db_path=None if in_memory else db_path,
            latency_ms=latency_ms,
            index_base_ms=index_base_ms,
            index_ms_per_kb=index_ms_per_kb,
            poll_after_ms=poll_after_ms,
            fault_rate=fault_rate,
            fault_seed=fault_seed,
            fault_kinds=tuple(kind.strip() for kind in fault_kinds.split(",") if kind.strip()),
            retry_after_ms=retry_after_ms,
            store_write_limit=store_write_limit,
            store_write_window_seconds=store_write_window_seconds,
            assistants_api=assistants_api == "on",
            models=[m.strip() for m in models.split(",") if m.strip()] if models else list(DEFAULT_MODELS),
            api_key=api_key,
            log_requests=log_requests,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        serve_forever(config)
    except OSError as exc:
        # Typically the port is taken; say so in one line instead of a traceback.
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
