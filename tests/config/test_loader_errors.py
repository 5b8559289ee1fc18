"""Broken stacks: each problem is reported at file:line:col, in plain words, with a useful hint."""
from __future__ import annotations

import pytest

# (case id, files to write, fragments the error text must contain)
CASES = [
    (
        "unknown key with did-you-mean",
        {"stack.yaml": """
            stack: s
            assistants:
              support:
                model: gpt-4o
                instrutions: Be kind.
        """},
        ['stack.yaml:5:5: unknown key "instrutions" in assistants.support', 'hint: did you mean "instructions"?'],
    ),
    (
        "unknown top-level key",
        {"stack.yaml": """
            stack: s
            assistant:
              support: {model: gpt-4o}
        """},
        ['stack.yaml:2:1: unknown key "assistant" in the top level', 'did you mean "assistants"?'],
    ),
    (
        "missing required key",
        {"stack.yaml": """
            stack: s
            files:
              policy:
                purpose: assistants
        """},
        ['stack.yaml:3:3: missing required key "path" in files.policy'],
    ),
    (
        "bad literal with did-you-mean",
        {"stack.yaml": """
            stack: s
            provider:
              kind: openaii
        """},
        ['stack.yaml:3:9: provider.kind cannot be "openaii"', 'did you mean "openai"?'],
    ),
    (
        "unknown tool type",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                tools:
                  - type: filesearch
        """},
        ['stack.yaml:6:9: assistants.a.tools[0] has unknown type "filesearch"', 'did you mean "file_search"?'],
    ),
    (
        "number out of range",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                temperature: 3
        """},
        ["stack.yaml:5:18: assistants.a.temperature must be at most 2, not 3"],
    ),
    (
        "wrong type",
        {"stack.yaml": """
            stack: s
            file_sets:
              docs:
                include: docs/*.md
        """},
        ["stack.yaml:4:14: file_sets.docs.include must be a list"],
    ),
    (
        "unquoted YAML scalar that is not a string",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                description: yes
                metadata: {version: 1.0}
        """},
        ["stack.yaml:5:18: assistants.a.description must be a string, not true",
         "hint: YAML read this as a boolean (yes/no/on/off/true/false); put the value in quotes",
         "stack.yaml:6:25: assistants.a.metadata.version must be a string, not 1.0",
         "hint: YAML read this as a number"],
    ),
    (
        "unknown key inside a union member",
        {"stack.yaml": """
            stack: s
            files:
              f: {path: f.md}
            vector_stores:
              kb:
                files:
                  - file: f
                    atributes: {lang: en}
        """, "f.md": "x"},
        ['stack.yaml:8:9: unknown key "atributes" in vector_stores.kb.files[0]', 'did you mean "attributes"?'],
    ),
    (
        "value fitting no member of a scalar union",
        {"stack.yaml": """
            stack: s
            files:
              f: {path: f.md}
            vector_stores:
              kb:
                files:
                  - file: f
                    attributes: {lang: [en], size: null}
        """, "f.md": "x"},
        ["2 errors in the stack",
         "stack.yaml:8:28: vector_stores.kb.files[0].attributes.lang must be a string or a number or true or false, "
         "not a list",
         "stack.yaml:8:40: vector_stores.kb.files[0].attributes.size must be a string or a number or true or false, "
         "not nothing"],
    ),
    (
        "metadata key too long",
        {"stack.yaml": f"""
            stack: s
            vector_stores:
              kb:
                metadata:
                  {"k" * 65}: v
        """},
        ["stack.yaml:5:7:", "is too long: at most 64 characters"],
    ),
    (
        "bad stack name",
        {"stack.yaml": "stack: 9 lives\n"},
        ['stack.yaml:1:8: stack "9 lives" is not valid: it must start with a letter'],
    ),
    (
        "bad resource name",
        {"stack.yaml": """
            stack: s
            assistants:
              "my assistant": {model: m}
        """},
        ['stack.yaml:3:3: assistants name "my assistant" is not valid'],
    ),
    (
        "yaml syntax error",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: [gpt-4o
        """},
        ["stack.yaml:5:1: invalid YAML"],
    ),
    (
        "duplicate key in one file",
        {"stack.yaml": """
            stack: s
            assistants:
              a: {model: m}
              a: {model: n}
        """},
        ['stack.yaml:4:3: duplicate key "a" (first defined at line 3)'],
    ),
    (
        "api key written in the provider",
        {"stack.yaml": """
            stack: s
            provider:
              kind: openai
              api_key: sk-proj-abcdefghijklmnopqrstuvwxyz
        """},
        ['stack.yaml:4:3: unknown key "api_key" in provider', "set api_key_env",
         "stack.yaml:4:12: provider.api_key looks like an API key"],
    ),
    (
        "api key hidden in another provider field",
        {"stack.yaml": """
            stack: s
            provider:
              organization: sk-abcdefghij-klmnopqrstuvwx
        """},
        ["stack.yaml:3:17: provider.organization looks like an API key"],
    ),
    (
        "missing file",
        {"stack.yaml": """
            stack: s
            files:
              policy: {path: nowhere.md}
        """},
        ["stack.yaml:3:18: file not found:", "nowhere.md"],
    ),
    (
        "glob in a files: path",
        {"stack.yaml": """
            stack: s
            files:
              docs: {path: "docs/*.md"}
        """},
        ["stack.yaml:3:16: file not found:", "use file_sets: with include: for a pattern"],
    ),
    (
        "empty file",
        {"stack.yaml": """
            stack: s
            files:
              policy:
                path: empty.md
        """, "empty.md": ""},
        ["stack.yaml:4:11: file is empty:", "the Files API rejects empty files"],
    ),
    (
        "file set matching nothing",
        {"stack.yaml": """
            stack: s
            file_sets:
              docs:
                include: ["docs/**/*.md"]
        """},
        ['stack.yaml:4:14: file set "docs" matches no file'],
    ),
    (
        "file set member whose name has a double quote",
        {"stack.yaml": """
            stack: s
            file_sets:
              docs: {include: ["docs/*"]}
        """, 'docs/say "hi".md': "hi", "docs/ok.md": "ok"},
        ['stack.yaml:3:19: file set "docs" matches docs/say "hi".md, whose name has a double quote'],
    ),
    (
        "missing instructions file",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                instructions_file: prompts/a.md
        """},
        ["stack.yaml:5:24: file not found:", "a.md"],
    ),
    (
        "instructions and instructions_file",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                instructions: hi
                instructions_file: a.md
        """, "a.md": "hello"},
        ['stack.yaml:3:3: assistant "a" sets both instructions and instructions_file'],
    ),
    (
        "instructions file too long",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                instructions_file: long.md
        """, "long.md": "x" * 256_001},
        ["stack.yaml:5:24: instructions read from long.md are too long: 256001 characters, at most 256000"],
    ),
    (
        "parameters and parameters_file",
        {"stack.yaml": """
            stack: s
            functions:
              f:
                parameters: {type: object}
                parameters_file: f.json
        """, "f.json": "{}"},
        ['stack.yaml:3:3: function "f" sets both parameters and parameters_file'],
    ),
    (
        "parameters file with bad JSON",
        {"stack.yaml": """
            stack: s
            functions:
              f:
                parameters_file: f.json
        """, "f.json": '{"type": "object",\n "properties": {"a": }\n}'},
        ["f.json:2:22: invalid JSON: Expecting value"],
    ),
    (
        "not a valid JSON schema",
        {"stack.yaml": """
            stack: s
            functions:
              f:
                parameters:
                  type: object
                  properties:
                    a: {type: strin}
        """},
        ['stack.yaml:7:13: parameters of function "f" is not a valid JSON Schema at properties/a/type'],
    ),
    (
        "static chunking overlap too large",
        {"stack.yaml": """
            stack: s
            vector_stores:
              kb:
                chunking_strategy:
                  type: static
                  static:
                    max_chunk_size_tokens: 800
                    chunk_overlap_tokens: 401
        """},
        ["stack.yaml:8:31: chunk_overlap_tokens (401) must not exceed half of max_chunk_size_tokens (800)"],
    ),
    (
        "static chunking without settings",
        {"stack.yaml": """
            stack: s
            vector_stores:
              kb:
                chunking_strategy: {type: static}
        """},
        ["stack.yaml:4:5: static chunking needs a `static:` block"],
    ),
    (
        "reserved metadata key",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                metadata:
                  "provisioner:owner": me
        """},
        ['stack.yaml:6:7: metadata key "provisioner:owner" is reserved'],
    ),
    (
        "response_format json_schema without schema",
        {"stack.yaml": """
            stack: s
            assistants:
              a:
                model: m
                response_format:
                  type: json_schema
                  json_schema: {name: out}
        """},
        ["stack.yaml:7:7: json_schema needs exactly one of schema and schema_file"],
    ),
    (
        "compatible provider without base_url",
        {"stack.yaml": """
            stack: s
            provider:
              kind: compatible
              data: x.db
        """},
        ['stack.yaml:3:3: provider kind "compatible" needs a base_url',
         'stack.yaml:4:3: provider.data only applies to kind "emulator"'],
    ),
    (
        "section that is not a map",
        {"stack.yaml": """
            stack: s
            files:
              - policy.md
        """},
        ["stack.yaml:3:3: files: must be a map of name: settings"],
    ),
    (
        "section that is not a map, other errors still reported",
        {"stack.yaml": """
            stack: s
            files: policy.md
            assistants:
              a: {model: m, temprature: 1}
        """},
        ["2 errors in the stack", "stack.yaml:2:8: files: must be a map of name: settings",
         'stack.yaml:4:17: unknown key "temprature"'],
    ),
    (
        "two documents in one file",
        {"stack.yaml": "stack: s\n---\nfiles: {}\n"},
        ["stack.yaml:2:1: invalid YAML: but found another document (expected a single document in the stream)"],
    ),
    (
        "tab indentation",
        {"stack.yaml": "stack: s\nassistants:\n\ta: {model: m}\n"},
        ["stack.yaml:3:1: invalid YAML", "hint: YAML does not allow tabs for indentation: use spaces"],
    ),
    (
        "not UTF-8",
        {"stack.yaml": b"stack: s\nname: caf\xe9\n"},
        ["stack.yaml: cannot read", "not UTF-8 text"],
    ),
    (
        "no stack name",
        {"stack.yaml": "files: {}\n"},
        ["1 error in the stack", "stack.yaml: no `stack:` name is declared"],
    ),
]


@pytest.mark.parametrize("files, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_error_is_reported_at_its_place(tree, errors, files, fragments):
    root = tree(files)
    text = errors(root / "stack.yaml")
    for fragment in fragments:
        assert fragment in text
    assert "Traceback" not in text and "pydantic" not in text


def test_every_error_of_a_file_is_reported_at_once(tree, errors):
    root = tree({"stack.yaml": """
        stack: s
        files:
          policy: {path: missing.md}
        vector_stores:
          kb:
            files: [polcy]
        assistants:
          a:
            model: m
            temprature: 1
          b:
            model: m
            tools: [{type: function, function: nope}]
    """})
    text = errors(root / "stack.yaml")
    assert text.startswith("4 errors in the stack")
    assert "stack.yaml:3:18: file not found" in text
    assert 'stack.yaml:6:13: unknown file "polcy"' in text
    assert 'stack.yaml:10:5: unknown key "temprature" in assistants.a' in text
    assert 'stack.yaml:13:40: unknown function "nope"' in text
    # in the order of the file, whatever stage found them
    assert text.index(":3:18:") < text.index(":6:13:") < text.index(":10:5:") < text.index(":13:40:")


def test_same_resource_in_two_files_names_both_places(tree, errors):
    root = tree({
        "a.yaml": """
            stack: s
            assistants:
              support: {model: m}
        """,
        "b.yaml": """
            assistants:
              support: {model: n}
        """,
    })
    text = errors(root)
    assert "b.yaml:2:3: assistants.support is declared twice" in text
    assert "first declared at" in text and "a.yaml:3:3" in text


def test_two_stack_names_in_a_directory(tree, errors):
    root = tree({"a.yaml": "stack: one\n", "b.yaml": "stack: two\n"})
    text = errors(root)
    assert 'b.yaml:1:1: "stack:" is declared twice' in text
    assert "a.yaml:1:1" in text


def test_path_that_does_not_exist(tmp_path, errors):
    assert "stack file not found" in errors(tmp_path / "nope.yaml")


def test_directory_without_stack_files(tmp_path, errors):
    assert "no *.yaml or *.yml stack files" in errors(tmp_path)
