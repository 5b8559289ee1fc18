"""${env:NAME} and ${var.NAME}: sources, precedence, types, escapes, and what goes wrong."""
from __future__ import annotations

import pytest

from provisioner.config.loader import load_stack

STACK = """
stack: s
variables:
  model:
    default: gpt-4o-mini
  temperature:
    default: 0.3
  team:
    description: who owns it
    default: search
assistants:
  a:
    model: ${var.model}
    temperature: ${var.temperature}
    name: "Support (${var.team})"
    instructions: "Use $${var.literal} as is; home is ${env:PROV_TEST_HOME}."
"""


@pytest.fixture(autouse=True)
def env(monkeypatch):
    monkeypatch.setenv("PROV_TEST_HOME", "/home/test")
    monkeypatch.delenv("PROV_TEST_UNSET", raising=False)
    # the operator lets stacks read these (the key variables, to show they are refused all the same)
    monkeypatch.setenv("PROVISIONER_ALLOWED_ENV", "PROV_TEST_HOME PROV_TEST_UNSET OPENAI_API_KEY MY_KEY COPY_OF_KEY")


def test_a_variable_the_operator_did_not_allow_is_not_read(tree, errors, monkeypatch):
    """A pull request's stack must not copy the runner's secrets into a plan it gets to read."""
    monkeypatch.delenv("PROVISIONER_ALLOWED_ENV")
    monkeypatch.setenv("DB_PASSWORD", "hunter2-canary")
    root = tree({"stack.yaml": 'stack: s\nassistants:\n  a: {model: m, instructions: "pw ${env:DB_PASSWORD}"}\n'})
    message = errors(root / "stack.yaml")
    assert "stack.yaml:3:31: ${env:DB_PASSWORD} reads the environment of whoever runs the tool" in message
    assert "--allow-env DB_PASSWORD" in message and "hunter2-canary" not in message
    monkeypatch.setenv("PROVISIONER_ALLOWED_ENV", "DB_PASSWORD")
    assert load_stack(root / "stack.yaml").assistants["a"].instructions == "pw hunter2-canary"


def test_defaults_env_typed_scalar_and_escape(tree):
    a = load_stack(tree({"stack.yaml": STACK})).assistants["a"]
    assert a.model == "gpt-4o-mini"
    assert a.temperature == 0.3
    assert a.name == "Support (search)"
    assert a.instructions == "Use ${var.literal} as is; home is /home/test."


def test_var_file_overrides_default_and_later_file_wins(tree):
    root = tree({
        "stack.yaml": STACK,
        "one.yaml": "model: gpt-4o\nteam: one\n",
        "two.json": '{"team": "two", "temperature": 1}',
    })
    # var files given explicitly are not stack files, even in the stack's directory
    a = load_stack(root, var_files=[root / "one.yaml", root / "two.json"]).assistants["a"]
    assert a.model == "gpt-4o"
    assert a.name == "Support (two)"
    assert a.temperature == 1  # a var file keeps the value's type


def test_var_argument_wins_over_var_files(tree):
    root = tree({"stack.yaml": STACK, "vars.yaml": "model: from-file\n"})
    a = load_stack(root, variables={"model": "from-flag", "temperature": "0.9"},
                   var_files=[root / "vars.yaml"]).assistants["a"]
    assert a.model == "from-flag"
    assert a.temperature == 0.9


def test_whole_scalar_keeps_list_type(tree):
    root = tree({"stack.yaml": """
        stack: s
        variables:
          stores: {default: [kb]}
        vector_stores:
          kb: {}
        assistants:
          a:
            model: m
            tools: [{type: file_search}]
            tool_resources:
              file_search: {vector_stores: "${var.stores}"}
    """})
    assert load_stack(root).assistants["a"].tool_resources.file_search.vector_stores == ["kb"]


def test_variable_default_may_use_the_environment(tree):
    root = tree({"stack.yaml": """
        stack: s
        variables:
          home: {default: "${env:PROV_TEST_HOME}/x"}
        assistants:
          a: {model: "${var.home}"}
    """})
    assert load_stack(root).assistants["a"].model == "/home/test/x"


@pytest.mark.parametrize("stack, kwargs, fragments", [
    ("""
        stack: s
        variables:
          model: {default: m}
        assistants:
          a: {model: "${var.modle}"}
     """, {}, ['stack.yaml:5:14: undeclared variable "modle"', 'did you mean "model"?']),
    ("""
        stack: s
        variables:
          model: {description: required}
        assistants:
          a: {model: "${var.model}"}
     """, {}, ['stack.yaml:3:3: variable "model" has no value', "--var model=VALUE"]),
    ("""
        stack: s
        assistants:
          a: {model: "${env:PROV_TEST_UNSET}"}
     """, {}, ['stack.yaml:3:14: environment variable "PROV_TEST_UNSET" is not set']),
    ("""
        stack: s
        assistants:
          a: {model: "m", instructions: "key ${env:OPENAI_API_KEY}"}
     """, {}, ["stack.yaml:3:33: ${env:OPENAI_API_KEY} would write the API key into the stack"]),
    ("""
        stack: s
        provider: {api_key_env: MY_KEY}
        assistants:
          a: {model: "${env:MY_KEY}"}
     """, {}, ["stack.yaml:4:14: ${env:MY_KEY} would write the API key into the stack"]),
    ("""
        stack: s
        assistants:
          a: {model: "${model}"}
     """, {}, ['stack.yaml:3:14: cannot interpolate "${model}"', "${var.NAME}"]),
    ("""
        stack: s
        assistants:
          a: {model: "gpt-${var.x"}
     """, {}, ['stack.yaml:3:14: unterminated "${"']),
    ("""
        stack: s
        variables:
          model: {default: m}
     """, {"variables": {"modle": "x"}}, ['--var: variable "modle" given with --var is not declared',
                                           'did you mean "model"?']),
    ("""
        stack: s
        variables:
          a: {default: "${var.b}"}
          b: {default: x}
     """, {}, ["stack.yaml:3:16: ${var.b} cannot be used here"]),
])
def test_interpolation_errors(tree, errors, stack, kwargs, fragments):
    text = errors(tree({"stack.yaml": stack}) / "stack.yaml", **kwargs)
    for fragment in fragments:
        assert fragment in text


def test_undeclared_variable_in_var_file(tree, errors):
    root = tree({"stack.yaml": "stack: s\nvariables:\n  model: {default: m}\n", "vars.yaml": "model: x\nmodl: y\n"})
    text = errors(root / "stack.yaml", var_files=[root / "vars.yaml"])
    assert 'vars.yaml:2:1: variable "modl" is not declared in the stack' in text
    assert 'did you mean "model"?' in text


def test_var_file_that_is_not_a_map(tree, errors):
    root = tree({"stack.yaml": "stack: s\n", "vars.yaml": "- a\n- b\n"})
    assert "vars.yaml:1:1: a variables file must be a map" in errors(root, var_files=[root / "vars.yaml"])


def test_failed_reference_is_reported_once(tree, errors):
    text = errors(tree({"stack.yaml": """
        stack: s
        assistants:
          a: {model: m, temperature: "${env:PROV_TEST_UNSET}"}
    """}) / "stack.yaml")
    assert text.startswith("1 error in the stack")
    assert 'stack.yaml:3:30: environment variable "PROV_TEST_UNSET" is not set' in text


def test_empty_value_in_var_file_keeps_the_default(tree):
    root = tree({"stack.yaml": STACK, "vars.yaml": "model:\n"})
    assert load_stack(root / "stack.yaml", var_files=[root / "vars.yaml"]).assistants["a"].model == "gpt-4o-mini"


def test_broken_or_missing_var_file(tree, errors):
    root = tree({"stack.yaml": STACK, "vars.yaml": "model: [x\n"})
    text = errors(root / "stack.yaml", var_files=[root / "vars.yaml", root / "missing.yaml"])
    assert "vars.yaml:2:1: invalid YAML" in text
    assert "missing.yaml: cannot read" in text and "No such file or directory" in text


def test_list_variable_inside_text(tree, errors):
    text = errors(tree({"stack.yaml": """
        stack: s
        variables:
          stores: {default: [kb]}
        assistants:
          a: {model: "m-${var.stores}"}
    """}) / "stack.yaml")
    assert "stack.yaml:5:14: ${var.stores} is a list and cannot be part of a text" in text


def test_api_key_value_never_lands_in_the_stack(tree, errors, monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-test-0123456789abcdef")
    monkeypatch.setenv("COPY_OF_KEY", "sk-test-0123456789abcdef")
    root = tree({"stack.yaml": """
        stack: s
        provider: {kind: openai, api_key_env: MY_KEY}
        assistants:
          a: {model: m, description: "${env:COPY_OF_KEY}"}
    """})
    text = errors(root / "stack.yaml")
    assert "stack.yaml:4:30: assistants.a.description contains the API key (the value of $MY_KEY)" in text
