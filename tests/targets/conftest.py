"""Fixtures for the assistant-target tests: OpenAI's published schema of the Responses create request.

The schema is an extract kept in the repository (tests/targets/data, see its README.md for where it
comes from and how to regenerate it), so the tests need nothing beside the clone.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

SCHEMA = Path(__file__).resolve().parent / "data" / "create_response.schema.json"


@pytest.fixture(scope="session")
def create_response_schema() -> jsonschema.protocols.Validator:
    """Validates the body of `POST /v1/responses` (CreateResponse), every `$ref` resolved in the extract."""
    # not check_schema(): OpenAI's spec uses the 2019-09 `$recursiveAnchor: true`, which 2020-12's
    # metaschema refuses but validation ignores, as it did against the full spec
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
