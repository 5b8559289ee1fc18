"""The `state:` block: where a stack's state lives, and that a connection string never sits in the stack."""
from __future__ import annotations

import pytest

from provisioner.config.loader import load_stack
from provisioner.trust import Trust

ERRORS = [
    (
        "a connection URL written where its variable's name goes",
        """
        stack: s
        state:
          backend: postgres
          conninfo_env: postgresql://ci:hunter2@db.internal/iac
        """,
        ["stack.yaml:4:17: state.conninfo_env looks like a connection string: never write it in the stack",
         "set conninfo_env to the name of the environment variable"],
    ),
    (
        "a connection string as keywords, in another field",
        """
        stack: s
        state:
          backend: postgres
          conninfo_env: PG
          name: host=db.internal password=hunter2
        """,
        ["stack.yaml:5:9: state.name looks like a connection string"],
    ),
    (
        "the connection string itself under an unknown key",
        """
        stack: s
        state:
          backend: postgres
          conninfo: postgres://ci:hunter2@db/iac
        """,
        ["stack.yaml:4:13: state.conninfo looks like a connection string",
         'stack.yaml:3:3: state backend "postgres" needs conninfo_env'],
    ),
    (
        "postgres without its variable",
        """
        stack: s
        state: {backend: postgres}
        """,
        ['stack.yaml:2:9: state backend "postgres" needs conninfo_env', "PROVISIONER_PG_CONNINFO"],
    ),
    (
        "settings of the other backend",
        """
        stack: s
        state:
          backend: postgres
          conninfo_env: PG
          path: state/s.json
        """,
        ['stack.yaml:5:3: state.path only applies to backend "local", not "postgres"'],
    ),
    (
        "an unknown backend",
        """
        stack: s
        state: {backend: s3}
        """,
        ["stack.yaml:2:18: state.backend", "s3"],
    ),
]


@pytest.mark.parametrize("stack, expected", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_state_block_errors(tree, errors, stack, expected):
    message = errors(tree({"stack.yaml": stack}) / "stack.yaml")
    for text in expected:
        assert text in message
    assert "hunter2" not in message


def test_the_value_of_the_connection_variable_is_refused_anywhere_in_the_stack(tree, errors, monkeypatch):
    monkeypatch.setenv("PG", "host=db.internal password=hunter2")
    monkeypatch.setenv("PROVISIONER_ALLOWED_ENV", "PG")  # allowed or not, the connection string is refused
    root = tree({"stack.yaml": """
        stack: s
        state: {backend: postgres, conninfo_env: PG}
        vector_stores:
          kb: {description: "${env:PG}"}
    """})
    message = errors(root / "stack.yaml")
    assert "stack.yaml:4:21: vector_stores.kb.description contains the state's connection string" in message
    assert "hunter2" not in message


def test_without_a_state_block_the_state_is_local_by_default(tree):
    stack = load_stack(tree({"stack.yaml": "stack: s\n"}) / "stack.yaml")
    assert stack.state.backend == "local" and stack.state.path is None


def test_a_local_path_is_relative_to_the_stack_file(tree):
    root = tree({"infra/stack.yaml": "stack: s\nstate: {path: ../shared/s.json}\n"})
    trust = Trust(allow_paths=(root / "shared",))
    assert load_stack(root / "infra" / "stack.yaml", trust=trust).state.path == str(root / "shared" / "s.json")


def test_a_postgres_block_is_passed_through_with_variables(tree):
    root = tree({"stack.yaml": """
        stack: s
        variables:
          env: {default: dev}
        state: {backend: postgres, conninfo_env: PROVISIONER_PG_CONNINFO, name: "s-${var.env}"}
    """})
    state = load_stack(root / "stack.yaml", {"env": "prod"}).state
    assert (state.backend, state.conninfo_env, state.name) == ("postgres", "PROVISIONER_PG_CONNINFO", "s-prod")
