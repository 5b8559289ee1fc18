"""Emulator settings: the one dataclass every other module reads its switches from.

Owns defaults and the environment-variable names. Must not start servers or touch storage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

ENV_PREFIX = "PROVISIONER_EMULATOR_"

# Model ids served by GET /v1/models when none are configured: the current Assistants-capable
# chat and reasoning models plus the embedding models a real project also lists.
# `created` values are the real release timestamps where known, so listings sort plausibly.
DEFAULT_MODELS: dict[str, int] = {
    "gpt-5": 1754425777,
    "gpt-5-2025-08-07": 1754425777,
    "gpt-5-mini": 1754425928,
    "gpt-5-mini-2025-08-07": 1754425867,
    "gpt-5-nano": 1754426384,
    "gpt-5-nano-2025-08-07": 1754426303,
    "gpt-4.1": 1744316542,
    "gpt-4.1-2025-04-14": 1744315746,
    "gpt-4.1-mini": 1744318173,
    "gpt-4.1-mini-2025-04-14": 1744317547,
    "gpt-4.1-nano": 1744321707,
    "gpt-4.1-nano-2025-04-14": 1744321025,
    "o3": 1744225308,
    "o3-2025-04-16": 1744133301,
    "o4-mini": 1744225351,
    "o4-mini-2025-04-16": 1744133506,
    "o3-mini": 1737146383,
    "o3-mini-2025-01-31": 1738010200,
    "o1": 1734375816,
    "o1-2024-12-17": 1734326976,
    "gpt-4o": 1715367049,
    "gpt-4o-2024-11-20": 1739331543,
    "gpt-4o-2024-08-06": 1722814719,
    "gpt-4o-mini": 1721172741,
    "gpt-4o-mini-2024-07-18": 1721172717,
    "gpt-4-turbo": 1712361441,
    "gpt-3.5-turbo": 1677610602,
    "text-embedding-3-small": 1705948997,
    "text-embedding-3-large": 1705953180,
}

DEFAULT_DB_PATH = os.path.join("state", "emulator.sqlite3")

# Default kinds. "drop" closes the connection before handling; "drop_after" handles the
# request (and stores its effects) and then closes without answering; "502_after" handles it and
# then answers 502, as a gateway that lost the server's answer does.
FAULT_KINDS = ("429", "500", "drop")
ALL_FAULT_KINDS = FAULT_KINDS + ("drop_after", "502_after")


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8750
    # None means an in-memory database that dies with the process.
    db_path: str | None = DEFAULT_DB_PATH
    # Added to every /v1 request before it is handled.
    latency_ms: float = 0.0
    # Indexing of a vector store file takes index_base_ms + index_ms_per_kb * size_in_KiB.
    index_base_ms: float = 300.0
    index_ms_per_kb: float = 1.0
    # Value of the `openai-poll-after-ms` header the SDK polling helpers obey.
    poll_after_ms: int = 200
    fault_rate: float = 0.0
    fault_seed: int | None = None
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    # What a 429 tells the client to wait; the SDK prefers `retry-after-ms` over `Retry-After`.
    retry_after_ms: int = 100
    # OpenAI limits writes to one vector store (its update and delete, attaching, re-attributing and
    # detaching files, creating and cancelling batches) to 300 a minute; 0 turns the limit off.
    store_write_limit: int = 300
    store_write_window_seconds: float = 60.0
    # False answers every /v1/assistants route like post-sunset OpenAI (404 Invalid URL).
    assistants_api: bool = True
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    # When set, only this bearer key is accepted; otherwise any non-empty key is.
    api_key: str | None = None
    log_requests: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = set(self.fault_kinds) - set(ALL_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}; known: {list(ALL_FAULT_KINDS)}")
        if self.store_write_limit < 0:
            raise ValueError("store_write_limit must be 0 (off) or more")
        if self.store_write_window_seconds <= 0:
            raise ValueError("store_write_window_seconds must be more than 0")
        if not self.models:
            raise ValueError("at least one model must be configured")
