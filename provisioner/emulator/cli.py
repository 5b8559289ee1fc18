"""Command-line entry point: `provisioner emulator` / `python -m provisioner.emulator`.

Owns option names, their environment variables (PROVISIONER_EMULATOR_*) and turning them
into an EmulatorConfig. Must not implement server behaviour.
"""

from __future__ import annotations

import click

from .config import DEFAULT_DB_PATH, DEFAULT_MODELS, ENV_PREFIX, FAULT_KINDS, EmulatorConfig
from .server import serve_forever


def _env(name: str) -> str:
    return ENV_PREFIX + name


@click.command(name="emulator", context_settings={"show_default": True})
@click.option("--host", default="127.0.0.1", envvar=_env("HOST"), show_envvar=True, help="Address to bind.")
@click.option("--port", default=8750, type=int, envvar=_env("PORT"), show_envvar=True, help="Port to bind; 0 picks a free one.")
@click.option("--db", "db_path", default=DEFAULT_DB_PATH, envvar=_env("DB"), show_envvar=True, help="SQLite file that keeps every resource.")
@click.option("--in-memory", is_flag=True, envvar=_env("IN_MEMORY"), show_envvar=True, help="Keep nothing on disk (for tests).")
@click.option("--latency-ms", default=0.0, type=float, envvar=_env("LATENCY_MS"), show_envvar=True, help="Delay added to every /v1 request.")
@click.option("--index-base-ms", default=300.0, type=float, envvar=_env("INDEX_BASE_MS"), show_envvar=True, help="Fixed part of the time a vector store file takes to index.")
@click.option("--index-ms-per-kb", default=1.0, type=float, envvar=_env("INDEX_MS_PER_KB"), show_envvar=True, help="Indexing time per KiB of file.")
@click.option("--poll-after-ms", default=200, type=int, envvar=_env("POLL_AFTER_MS"), show_envvar=True, help="`openai-poll-after-ms` hint sent to the SDK's polling helpers.")
@click.option("--fault-rate", default=0.0, type=click.FloatRange(0, 1), envvar=_env("FAULT_RATE"), show_envvar=True, help="Share of /v1 requests that get an injected fault.")
@click.option("--fault-seed", default=None, type=int, envvar=_env("FAULT_SEED"), show_envvar=True, help="Seed so fault sequences repeat.")
@click.option("--fault-kinds", default=",".join(FAULT_KINDS), envvar=_env("FAULT_KINDS"), show_envvar=True, help="Comma-separated subset of 429,500,drop,drop_after.")
@click.option("--retry-after-ms", default=100, type=int, envvar=_env("RETRY_AFTER_MS"), show_envvar=True, help="Wait a 429 asks for (Retry-After rounds up to whole seconds).")
@click.option("--assistants-api", type=click.Choice(["on", "off"]), default="on", envvar=_env("ASSISTANTS_API"), show_envvar=True, help="off answers /v1/assistants* like post-sunset OpenAI (404).")
@click.option("--models", default=None, envvar=_env("MODELS"), show_envvar=True, help="Comma-separated model ids to serve (default: current OpenAI models).")
@click.option("--api-key", default=None, envvar=_env("API_KEY"), show_envvar=True, help="Accept only this bearer key (default: any non-empty key).", show_default=False)
@click.option("--log-requests", is_flag=True, envvar=_env("LOG_REQUESTS"), show_envvar=True, help="Log request lines (never headers) to stderr.")
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
