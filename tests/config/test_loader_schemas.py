"""Function parameters and response-format schemas: JSON Schema validity and strict-mode rules."""
from __future__ import annotations

import json

import pytest

from provisioner.config.loader import load_stack


def function_stack(parameters: str, strict: bool = True) -> str:
    """A stack with one function `f`; the schema's first line is line 6, indented to column 7."""
    body = "\n".join("      " + line for line in parameters.strip("\n").splitlines())
    return f"stack: s\nfunctions:\n  f:\n    strict: {str(strict).lower()}\n    parameters:\n{body}\n"


GOOD_STRICT = """
type: object
properties:
  city: {type: string, description: City name}
  unit: {type: [string, "null"], enum: [c, f, null]}
  days:
    type: array
    items: {type: integer, minimum: 1}
    maxItems: 7
  when: {type: string, format: date}
  place:
    anyOf:
      - {$ref: "#/$defs/address"}
      - {type: "null"}
required: [city, unit, days, when, place]
additionalProperties: false
$defs:
  address:
    type: object
    properties: {street: {type: string}}
    required: [street]
    additionalProperties: false
"""


def test_strict_schema_that_follows_the_rules_loads(tree):
    stack = load_stack(tree({"stack.yaml": function_stack(GOOD_STRICT)}))
    assert stack.functions["f"].parameters["required"] == ["city", "unit", "days", "when", "place"]


def test_non_strict_schema_may_be_loose(tree):
    stack = load_stack(tree({"stack.yaml": function_stack("type: object\nproperties: {a: {type: string, minLength: 1}}",
                                                          strict=False)}))
    assert stack.functions["f"].strict is False


def test_strict_function_without_parameters_gets_a_closed_object(tree):
    stack = load_stack(tree({"stack.yaml": "stack: s\nfunctions:\n  ping: {strict: true}\n"}))
    assert stack.functions["ping"].parameters == {
        "type": "object", "properties": {}, "additionalProperties": False, "required": []}


@pytest.mark.parametrize("schema, fragments", [
    ("""
type: object
properties: {a: {type: string}}
required: [a]
""", ["stack.yaml:6:7: parameters of function \"f\" (strict): every object must set additionalProperties: false"]),
    ("""
type: object
properties: {a: {type: string}, b: {type: integer}}
required: [a]
additionalProperties: false
""", ["stack.yaml:8:7:", "every property must be listed in required; missing: b", 'allow null']),
    ("""
anyOf:
  - {type: object, properties: {}, additionalProperties: false}
""", ["stack.yaml:6:7:", "the root schema must not be anyOf"]),
    ("""
type: array
items: {type: string}
""", ["stack.yaml:6:7:", 'the root schema must have type "object"']),
    ("""
type: object
properties: {}
additionalProperties: false
patternProperties: {"^x": {type: string}}
""", ['stack.yaml:9:7:', 'keyword "patternProperties" is not supported', "set strict: false"]),
    ("""
type: object
properties:
  a: {type: string, format: uri}
required: [a]
additionalProperties: false
""", ['stack.yaml:8:27:', 'format "uri" is not supported']),
    ("""
type: object
properties:
  inner:
    type: object
    properties: {x: {type: string}}
    required: [x]
required: [inner]
additionalProperties: false
""", ["stack.yaml:8:9:", "every object must set additionalProperties: false"]),
])
def test_strict_mode_violations(tree, errors, schema, fragments):
    text = errors(tree({"stack.yaml": function_stack(schema)}) / "stack.yaml")
    for fragment in fragments:
        assert fragment in text


def test_function_parameters_need_an_object_root_even_when_not_strict(tree, errors):
    text = errors(tree({"stack.yaml": function_stack("type: array\nitems: {type: string}", strict=False)}))
    assert 'stack.yaml:6:7: parameters of function "f" must have type "object" at the root' in text


def test_external_ref_and_large_enum_in_strict_mode(tree, errors):
    schema = {"type": "object", "additionalProperties": False, "required": ["a", "b"], "properties": {
        "a": {"$ref": "https://example.com/a.json"},
        "b": {"type": "string", "enum": [f"value-{i:04d}-" + "x" * 60 for i in range(251)]},
    }}
    root = tree({"stack.yaml": "stack: s\nfunctions:\n  f: {strict: true, parameters_file: f.json}\n",
                 "f.json": json.dumps(schema, indent=1)})
    text = errors(root)
    assert 'f.json:10:4: parameters of function "f" (from f.json) (strict): $ref "https://example.com/a.json" ' \
           "points outside the schema" in text
    assert "an enum of 251 values may hold at most 15000 characters" in text


def nested(depth: int) -> dict:
    schema: dict = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"x": schema}, "required": ["x"], "additionalProperties": False}
    return schema


def test_nesting_deeper_than_ten_levels(tree, errors):
    root = tree({"stack.yaml": "stack: s\nfunctions:\n  f: {strict: true, parameters_file: deep.json}\n",
                 "deep.json": json.dumps(nested(11))})
    assert "objects nest more than 10 levels deep" in errors(root)
    root = tree({"deep.json": json.dumps(nested(10))})
    assert load_stack(root).functions["f"].strict


def test_too_many_properties_and_enum_values(tree, errors):
    schema = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(5001)},
              "required": [f"p{i}" for i in range(5001)], "additionalProperties": False}
    schema["properties"]["p0"] = {"type": "string", "enum": [str(i) for i in range(1001)]}
    root = tree({"stack.yaml": "stack: s\nfunctions:\n  f: {strict: true, parameters_file: big.json}\n",
                 "big.json": json.dumps(schema)})
    text = errors(root)
    assert "5001 object properties in total; at most 5000" in text
    assert "1001 enum values in total; at most 1000" in text


def test_schema_file_errors_point_into_the_schema_file(tree, errors):
    root = tree({
        "stack.yaml": "stack: s\nfunctions:\n  f: {strict: true, parameters_file: schemas/f.yaml}\n",
        "schemas/f.yaml": """
            type: object
            properties:
              a: {type: string}
            required: [a]
        """,
    })
    text = errors(root)
    assert 'f.yaml:1:1: parameters of function "f" (from schemas/f.yaml) (strict): every object must set ' \
           "additionalProperties: false" in text


def test_response_format_schema_in_strict_mode(tree, errors):
    root = tree({"stack.yaml": """
        stack: s
        assistants:
          a:
            model: m
            response_format:
              type: json_schema
              json_schema:
                name: out
                strict: true
                schema:
                  type: object
                  properties: {x: {type: string}}
                  additionalProperties: false
    """})
    text = errors(root)
    assert 'stack.yaml:11:11: response_format schema of assistant "a" (strict): every property must be listed' in text


def test_missing_and_wrong_kind_of_parameters_file(tree, errors):
    root = tree({"stack.yaml": """
        stack: s
        functions:
          f: {parameters_file: nope.json}
          g: {parameters_file: schema.txt}
    """, "schema.txt": "{}"})
    text = errors(root)
    assert "stack.yaml:3:24: file not found:" in text
    assert "stack.yaml:4:24: functions.g.parameters_file must be a .json, .yaml or .yml file" in text


def test_json_schema_file_is_read_as_json(tree):
    root = tree({
        "stack.yaml": "stack: s\nfunctions:\n  f: {parameters_file: f.json}\n",
        # tab-indented, and 1e2 is a number to JSON (YAML 1.1 would read a string)
        "f.json": '{\n\t"type": "object",\n\t"properties": {"n": {"type": "number", "maximum": 1e2}}\n}\n',
    })
    assert load_stack(root).functions["f"].parameters["properties"]["n"]["maximum"] == 100.0
