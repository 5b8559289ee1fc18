"""Stacks that load: addresses, hashes, file-set members, merged directories, files read in."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from provisioner.config.loader import load_stack
from provisioner.config.spec import ResponseFormat
from provisioner.trust import Trust

GOOD = """
stack: demo
provider:
  kind: emulator
  data: .state/emulator.db
variables:
  model:
    default: gpt-4o
files:
  policy:
    path: policy.md
file_sets:
  docs:
    include: ["docs/**/*.md", "notes.txt"]
    exclude: ["**/draft*"]
    purpose: user_data
vector_stores:
  kb:
    name: Knowledge base
    files: [policy, {file: file-abc123, attributes: {lang: en}}]
    file_sets: [docs]
functions:
  get_weather:
    description: Look up the weather
    strict: true
    parameters:
      type: object
      properties:
        city: {type: string}
      required: [city]
      additionalProperties: false
  ping: {}
assistants:
  support:
    model: ${var.model}
    instructions_file: prompts/support.md
    tools:
      - type: file_search
      - type: function
        function: get_weather
    tool_resources:
      file_search:
        vector_stores: [kb]
"""

CONTENT = {
    "policy.md": "Refunds within 30 days.\n",
    "docs/guide/intro.md": "Intro\n",
    "docs/guide/draft-next.md": "not yet\n",
    "docs/api/reference.md": "API\n",
    "docs/top.md": "Top\n",
    "notes.txt": "notes\n",
    "prompts/support.md": "You help customers.\n",
}


def test_good_stack_loads_with_addresses_hashes_and_members(tree):
    root = tree({"stack.yaml": GOOD, **CONTENT})
    stack = load_stack(root / "stack.yaml")

    assert stack.name == "demo"
    assert stack.root == root
    assert stack.sources == [root / "stack.yaml"]
    policy = stack.local_files["files.policy"]
    assert policy.path == root / "policy.md"
    assert policy.filename == "policy.md"
    assert policy.sha256 == hashlib.sha256(b"Refunds within 30 days.\n").hexdigest()
    assert policy.size == len("Refunds within 30 days.\n")
    assert stack.file_sets == {"docs": [
        'file_sets.docs["docs/api/reference.md"]',
        'file_sets.docs["docs/guide/intro.md"]',
        'file_sets.docs["docs/top.md"]',
        'file_sets.docs["notes.txt"]',
    ]}
    for address, local in stack.local_files.items():
        assert address == local.address
    intro = stack.local_files['file_sets.docs["docs/guide/intro.md"]']
    assert intro.filename == "intro.md"
    assert intro.purpose == "user_data"
    assert intro.path == root / "docs/guide/intro.md"


def test_resolved_values(tree):
    root = tree({"stack.yaml": GOOD, **CONTENT})
    stack = load_stack(root)

    support = stack.assistants["support"]
    assert support.model == "gpt-4o"
    assert support.instructions == "You help customers.\n"
    assert support.instructions_file is None
    assert support.target == "assistants_api"  # from defaults
    assert stack.functions["get_weather"].name == "get_weather"
    assert stack.functions["get_weather"].strict is True
    assert stack.functions["ping"].parameters == {"type": "object", "properties": {}}
    assert stack.provider.data == str(root / ".state/emulator.db")
    assert stack.vector_stores["kb"].files[0] == "policy"


def test_loaded_stack_is_serialisable(tree):
    root = tree({"stack.yaml": GOOD, **CONTENT})
    stack = load_stack(root)
    assert json.loads(stack.model_dump_json())["name"] == "demo"


def test_directory_of_files_merges(tree):
    root = tree({
        "main.yaml": """
            stack: merged
            defaults:
              assistant_target: responses
            files:
              policy: {path: policy.md}
        """,
        "assistants.yml": """
            assistants:
              support:
                model: gpt-4o
                instructions: Be brief.
                tools: [{type: code_interpreter}]
                tool_resources:
                  code_interpreter: {files: [policy, terms]}
        """,
        "more-files.yaml": """
            files:
              terms: {path: terms.md}
        """,
        "README.md": "not a stack file",
        "policy.md": "p\n",
        "terms.md": "t\n",
    })
    stack = load_stack(root)
    assert stack.name == "merged"
    assert [p.name for p in stack.sources] == ["assistants.yml", "main.yaml", "more-files.yaml"]
    assert set(stack.local_files) == {"files.policy", "files.terms"}
    assert stack.assistants["support"].target == "responses"


def test_function_name_and_parameters_file(tree):
    root = tree({
        "stack.yaml": """
            stack: s
            functions:
              weather:
                name: get_weather
                parameters_file: schemas/weather.json
              lookup:
                parameters_file: schemas/lookup.yaml
                strict: true
        """,
        "schemas/weather.json": '{"type": "object", "properties": {"city": {"type": "string"}}}',
        "schemas/lookup.yaml": """
            type: object
            properties:
              id: {type: string}
            required: [id]
            additionalProperties: false
        """,
    })
    stack = load_stack(root)
    assert stack.functions["weather"].name == "get_weather"
    assert stack.functions["weather"].parameters["properties"] == {"city": {"type": "string"}}
    assert stack.functions["lookup"].parameters["required"] == ["id"]


def test_response_format_schema_file_is_loaded_into_schema(tree):
    root = tree({
        "stack.yaml": """
            stack: s
            assistants:
              extractor:
                model: gpt-4o
                response_format:
                  type: json_schema
                  json_schema:
                    name: event
                    strict: true
                    schema_file: event.schema.json
        """,
        "event.schema.json": json.dumps({
            "type": "object",
            "properties": {"title": {"type": "string"}, "when": {"type": ["string", "null"], "format": "date"}},
            "required": ["title", "when"],
            "additionalProperties": False,
        }),
    })
    rf = load_stack(root).assistants["extractor"].response_format
    assert isinstance(rf, ResponseFormat)
    assert rf.json_schema.schema_file is None
    assert rf.json_schema.schema_["required"] == ["title", "when"]
    assert rf.json_schema.model_dump(by_alias=True)["schema"]["type"] == "object"


def test_yaml_anchors_and_merge_keys(tree):
    root = tree({
        "stack.yaml": """
            stack: s
            assistants:
              base: &base
                model: gpt-4o
                temperature: 0.2
              other:
                <<: *base
                name: Other
        """,
    })
    stack = load_stack(root)
    assert stack.assistants["other"].temperature == 0.2
    assert stack.assistants["other"].name == "Other"


def test_loading_never_touches_the_network(tree, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("load_stack opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    stack = (GOOD.replace("kind: emulator", "kind: openai").replace("  data: .state/emulator.db\n", "")
             .replace("  ping: {}", "  ping: {}\n  remote:\n    parameters:\n      type: object\n"
                                    "      properties: {a: {$ref: 'https://example.com/a.json'}}"))
    loaded = load_stack(tree({"stack.yaml": stack, **CONTENT}))
    assert loaded.provider.kind == "openai"
    assert "remote" in loaded.functions


def test_paths_are_relative_to_the_declaring_file(tree):
    root = tree({
        "stack/main.yaml": """
            stack: s
            files:
              policy: {path: ../shared/policy.md}
        """,
        "shared/policy.md": "p",
    })
    stack = load_stack(root / "stack" / "main.yaml", trust=Trust(allow_paths=(root / "shared",)))
    assert stack.local_files["files.policy"].path == root / "shared" / "policy.md"


def test_a_stack_s_own_allow_paths_count_only_when_the_operator_trusts_them(tree, errors):
    root = tree({
        "stack/main.yaml": """
            stack: s
            allow_paths: [../shared]
            files:
              policy: {path: ../shared/policy.md}
        """,
        "shared/policy.md": "p",
    })
    assert "stack/main.yaml:4:18: files.policy.path" in errors(root / "stack" / "main.yaml")
    stack = load_stack(root / "stack" / "main.yaml", trust=Trust(trust_stack_paths=True))
    assert stack.local_files["files.policy"].path == root / "shared" / "policy.md"


EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "stacks").glob("*/"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_stacks_load(example):
    stack = load_stack(example)
    for address, local in stack.local_files.items():
        assert local.path.is_file() and local.size > 0
        assert address == local.address
