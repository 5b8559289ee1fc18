"""One module per OpenAI resource family; each exposes `register(router)`.

Handlers validate input, read and write the store, and return wire-form dicts. They must not
speak HTTP or build error bodies by hand (raise errors.ApiError).
"""

from __future__ import annotations

from ..routing import Router
from . import agents, assistants, files, models, vector_store_files, vector_stores


def register_all(router: Router) -> None:
    for module in (models, files, vector_stores, vector_store_files, assistants, agents):
        module.register(router)
