"""GET /v1/models and /v1/models/{model}: the configured model list.

Owns the Model wire shape. Must not store anything; the list comes from EmulatorConfig.
"""

from __future__ import annotations

from typing import Any

from ..config import DEFAULT_MODELS
from ..errors import not_found
from ..routing import App, Request, Router

_FALLBACK_CREATED = 1735689600  # 2025-01-01, for configured ids without a known date


def model_view(model_id: str) -> dict[str, Any]:
    return {
        "id": model_id,
        "object": "model",
        "created": DEFAULT_MODELS.get(model_id, _FALLBACK_CREATED),
        "owned_by": "system",
    }


def list_models(app: App, request: Request) -> dict[str, Any]:
    return {"object": "list", "data": [model_view(model_id) for model_id in app.config.models]}


def retrieve_model(app: App, request: Request) -> dict[str, Any]:
    model_id = request.params["model"]
    if model_id not in app.config.models:
        raise not_found(
            f"The model '{model_id}' does not exist or you do not have access to it.", code="model_not_found"
        )
    return model_view(model_id)


def register(router: Router) -> None:
    router.add("GET", "/v1/models", list_models)
    router.add("GET", "/v1/models/{model}", retrieve_model)
