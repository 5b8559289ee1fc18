"""Fixtures for the assistant-target tests: OpenAI's published schema of the Responses create request."""
from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# reference data kept beside the repository: ../shared/openai-openapi (see its README.md)
OPENAPI = Path(__file__).resolve().parents[2].parent / "shared" / "openai-openapi" / "openapi.yaml"
SPEC_URI = "urn:openai-openapi"


@pytest.fixture(scope="session")
def create_response_schema() -> jsonschema.protocols.Validator:
    """Validates the body of `POST /v1/responses` (CreateResponse), every `$ref` resolved in the spec."""
    if not OPENAPI.is_file():
        pytest.fail(f"OpenAI's published spec is missing: expected {OPENAPI} (from openai/openai-openapi, "
                    "see ../shared/openai-openapi/README.md); definitions are checked against it")
    spec = yaml.load(OPENAPI.read_text(), Loader=yaml.CSafeLoader)
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
    return jsonschema.Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/CreateResponse"},
                                           registry=registry)
