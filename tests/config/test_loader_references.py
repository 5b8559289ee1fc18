"""Names that resources refer to must exist; raw ids are let through; tool resources need their tool."""
from __future__ import annotations

import pytest

from provisioner.config.loader import load_stack

DECLARED = """
stack: s
files:
  policy: {path: policy.md}
file_sets:
  docs: {include: ["*.md"]}
functions:
  get_weather: {}
vector_stores:
  kb: {}
"""


def stack(body: str) -> dict[str, str]:
    """The declared names in stack.yaml, the case in body.yaml (merged as one stack directory)."""
    return {"stack.yaml": DECLARED, "body.yaml": body.strip("\n") + "\n", "policy.md": "p\n"}


def test_raw_ids_and_names_are_accepted(tree):
    root = tree(stack("""
assistants:
  a:
    model: m
    tools: [{type: file_search}, {type: code_interpreter}, {type: function, function: get_weather}]
    tool_resources:
      code_interpreter: {files: [policy, file-abc123]}
      file_search: {vector_stores: [vs_abc123]}
"""))
    a = load_stack(root).assistants["a"]
    assert a.tool_resources.code_interpreter.files == ["policy", "file-abc123"]


@pytest.mark.parametrize("body, fragments", [
    ("""
assistants:
  a:
    model: m
    tools: [{type: function, function: get_wether}]
""", ['body.yaml:4:40: unknown function "get_wether"', 'did you mean "get_weather"?']),
    ("""
assistants:
  a:
    model: m
    tools: [{type: code_interpreter}]
    tool_resources:
      code_interpreter: {files: [polcy]}
""", ['body.yaml:6:34: unknown file "polcy"', '"file-..."', 'did you mean "policy"?']),
    ("""
assistants:
  a:
    model: m
    tools: [{type: file_search}]
    tool_resources:
      file_search: {vector_stores: [kbb]}
""", ['body.yaml:6:37: unknown vector store "kbb"', '"vs_..."', 'did you mean "kb"?']),
    ("""
assistants:
  a:
    model: m
    tool_resources:
      file_search: {vector_stores: [kb]}
""", ["body.yaml:5:7: file_search resources are given but the assistant has no file_search tool",
      "add `- type: file_search` to tools"]),
    ("""
assistants:
  a:
    model: m
    tool_resources:
      code_interpreter: {files: [policy]}
""", ["body.yaml:5:7: code_interpreter files are given but the assistant has no code_interpreter tool"]),
    ("""
vector_stores:
  kb2:
    files: [policyy]
    file_sets: [{file_set: doc}]
""", ['body.yaml:3:13: unknown file "policyy"', 'body.yaml:4:28: unknown file set "doc"',
      'did you mean "docs"?']),
    ("""
vector_stores:
  kb2:
    files: [policy, {file: policy, attributes: {lang: en}}]
    file_sets: [docs, docs]
""", ['body.yaml:3:28: file "policy" is listed twice in vector_stores.kb2',
      'body.yaml:4:23: file set "docs" is listed twice in vector_stores.kb2']),
    ("""
vector_stores:
  kb2:
    files:
      - file: policy
        attributes: {note: "%s"}
""" % ("x" * 513), ['body.yaml:5:28: attribute "note" is 513 characters long; at most 512']),
    ("""
vector_stores:
  kb2:
    metadata: {%s}
""" % ", ".join(f"k{i}: v" for i in range(13)), ["body.yaml:3:5: 13 metadata keys; at most 12 are allowed",
                                                  "keeps 4 for ownership"]),
])
def test_reference_errors(tree, errors, body, fragments):
    text = errors(tree(stack(body)))
    for fragment in fragments:
        assert fragment in text


def test_unknown_name_with_nothing_close_lists_what_exists(tree, errors):
    text = errors(tree(stack("""
assistants:
  a:
    model: m
    tools: [{type: function, function: send_email}]
""")))
    assert "declared functions: get_weather" in text


def test_references_are_checked_even_when_the_entry_has_an_unknown_key(tree, errors):
    text = errors(tree(stack("""
assistants:
  a:
    model: m
    temprature: 1
    tools: [{type: function, function: nope}]
""")))
    assert 'body.yaml:4:5: unknown key "temprature"' in text
    assert 'body.yaml:5:40: unknown function "nope"' in text


def test_function_names_must_be_unique_per_assistant(tree, errors):
    text = errors(tree(stack("""
functions:
  weather_v2: {name: get_weather}
assistants:
  a:
    model: m
    tools:
      - {type: function, function: get_weather}
      - {type: function, function: weather_v2}
      - {type: function, function: weather_v2}
""")))
    assert 'body.yaml:8:36: function name "get_weather" is given to this assistant by functions "get_weather" and ' \
           '"weather_v2"' in text
    assert 'body.yaml:9:36: function name "get_weather" is given to this assistant twice' in text


def test_references_are_checked_even_when_a_value_is_wrong(tree, errors):
    text = errors(tree(stack("""
assistants:
  a:
    model: m
    temperature: hot
    response_format: json
    tools: [{type: function, function: nope}]
""")))
    assert "body.yaml:4:18: assistants.a.temperature must be a number" in text
    assert 'body.yaml:5:22: assistants.a.response_format cannot be "json"' in text
    assert 'body.yaml:6:40: unknown function "nope"' in text


def test_a_broken_tool_gives_no_false_tool_resource_error(tree, errors):
    text = errors(tree(stack("""
assistants:
  a:
    model: m
    tools: [{type: filesearch}]
    tool_resources:
      file_search: {vector_stores: [kb]}
""")))
    assert text.startswith("1 error in the stack")
    assert 'body.yaml:4:13: assistants.a.tools[0] has unknown type "filesearch"' in text
