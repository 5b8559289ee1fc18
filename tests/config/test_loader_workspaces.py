"""Workspaces in the stack language: ${workspace}, per-workspace variable defaults and their
precedence, and where each workspace's state goes when the stack names a file or a row."""
from __future__ import annotations

from provisioner.config.loader import load_stack
from provisioner.errors import StackError

STACK = """
stack: s
variables:
  env:
    default: dev
    workspaces:
      prod: production
      staging: staging
  size:
    default: small
state:
  path: states/s.json
vector_stores:
  kb:
    name: kb-${var.env}
    description: "${workspace} kb, $${workspace} literally"
    metadata:
      workspace: ${workspace}
      size: ${var.size}
"""


def test_workspace_is_interpolated_and_picks_its_variable_default(tree):
    root = tree({"stack/stack.yaml": STACK}) / "stack"
    prod = load_stack(root, workspace="prod")
    assert prod.workspace == "prod"
    kb = prod.vector_stores["kb"]
    assert kb.name == "kb-production"
    assert kb.description == "prod kb, ${workspace} literally"
    assert kb.metadata == {"workspace": "prod", "size": "small"}  # no workspace default: the default

    default = load_stack(root)
    assert default.workspace == "default"
    assert default.vector_stores["kb"].name == "kb-dev"
    assert default.vector_stores["kb"].metadata["workspace"] == "default"
    assert load_stack(root, workspace="qa").vector_stores["kb"].name == "kb-dev"  # not listed: the default


def test_var_file_and_var_win_over_the_workspace_default(tree):
    root = tree({"stack/stack.yaml": STACK, "prod.yaml": "env: from-file\n"})
    stack_dir = root / "stack"
    assert load_stack(stack_dir, var_files=[root / "prod.yaml"], workspace="prod").vector_stores["kb"].name \
        == "kb-from-file"
    assert load_stack(stack_dir, {"env": "from-flag"}, [root / "prod.yaml"], workspace="prod") \
        .vector_stores["kb"].name == "kb-from-flag"


def test_a_bad_workspace_key_or_an_unknown_key_is_an_error_at_its_line(tree, errors):
    root = tree({"stack.yaml": """
        stack: s
        variables:
          env:
            default: dev
            workspaces:
              Prod: production
          other:
            default: x
            workspace: {prod: y}
        """})
    message = errors(root / "stack.yaml")
    assert 'stack.yaml:6:7: key "Prod" in variables.env.workspaces is not valid: it must name a workspace: 1 to 32 lowercase' in message, message
    assert 'stack.yaml:9:5: unknown key "workspace" in variables.other' in message and 'did you mean "workspaces"' in message


def test_a_variable_only_a_workspace_sets_has_no_value_elsewhere(tree, errors):
    root = tree({"stack.yaml": """
        stack: s
        variables:
          key_team:
            workspaces: {prod: platform}
        vector_stores:
          kb: {name: "${var.key_team}"}
        """})
    assert load_stack(root / "stack.yaml", workspace="prod").vector_stores["kb"].name == "platform"
    assert 'stack.yaml:3:3: variable "key_team" has no value' in errors(root / "stack.yaml", workspace="dev")


def test_a_state_file_or_row_named_by_the_stack_is_the_workspace_own(tree):
    root = tree({"stack/stack.yaml": STACK}) / "stack"
    states = root / "states"
    assert load_stack(root).state.path == str(states / "s.json")
    assert load_stack(root, workspace="prod").state.path == str(states / "prod" / "s.json")

    templated = STACK.replace("states/s.json", "states/${workspace}.json")
    (root / "stack.yaml").write_text(templated)
    assert load_stack(root, workspace="prod").state.path == str(states / "prod.json")  # as written
    spaced = STACK.replace("states/s.json", "states/${ workspace }.json")
    (root / "stack.yaml").write_text(spaced)
    assert load_stack(root, workspace="prod").state.path == str(states / "prod.json")
    # a literal "${workspace}" names one file: each workspace still gets its own beside it
    literal = STACK.replace("states/s.json", "states/$${workspace}.json")
    (root / "stack.yaml").write_text(literal)
    assert load_stack(root).state.path == str(states / "${workspace}.json")
    assert load_stack(root, workspace="prod").state.path == str(states / "prod" / "${workspace}.json")

    pg = "state: {backend: postgres, conninfo_env: PG, name: bot}\n"
    (root / "stack.yaml").write_text(STACK.replace("state:\n  path: states/s.json\n", pg))
    assert load_stack(root).state.name == "bot"
    assert load_stack(root, workspace="prod").state.name == "bot/prod"
    (root / "stack.yaml").write_text(STACK.replace("state:\n  path: states/s.json\n",
                                                   pg.replace("name: bot", "name: 'bot-${workspace}'")))
    assert load_stack(root, workspace="prod").state.name == "bot-prod"


def test_a_row_named_by_the_stack_cannot_take_another_stacks_workspace_row(tree):
    # `bot/prod` is the row of stack bot's prod workspace: a stack naming it would share that state
    root = tree({"stack/stack.yaml": STACK.replace("state:\n  path: states/s.json\n",
                                                   "state: {backend: postgres, conninfo_env: PG, name: bot/prod}\n")})
    try:
        load_stack(root / "stack")
    except StackError as error:
        assert "stack.yaml:" in str(error) and "state.name" in str(error), str(error)
    else:
        raise AssertionError("a state row named with a / was accepted")
