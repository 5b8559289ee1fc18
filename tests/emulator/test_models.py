"""Models: list and retrieve the configured model list."""

from __future__ import annotations

import openai
import pytest

from provisioner.emulator import DEFAULT_MODELS
from provisioner.emulator.testing import running_emulator

from .conftest import error_body


def test_list_serves_the_default_models(client):
    models = list(client.models.list())
    assert [m.id for m in models] == list(DEFAULT_MODELS)
    assert all(m.object == "model" and m.owned_by and m.created > 0 for m in models)


def test_retrieve_known_and_unknown(client):
    assert client.models.retrieve("gpt-4.1-mini").id == "gpt-4.1-mini"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-0")
    assert error_body(caught.value)["code"] == "model_not_found"


def test_model_list_is_configurable():
    with running_emulator(models=["gpt-4o", "my-finetune"]) as emulator:
        client = emulator.client()
        assert [m.id for m in client.models.list()] == ["gpt-4o", "my-finetune"]
        assert client.beta.assistants.create(model="my-finetune").model == "my-finetune"
        with pytest.raises(openai.BadRequestError):
            client.beta.assistants.create(model="gpt-4.1")
