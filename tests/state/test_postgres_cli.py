"""A stack whose state is in PostgreSQL, end to end through the CLI, as a GitOps pipeline runs it."""
from __future__ import annotations

import json
import shlex
import uuid
from pathlib import Path

import pytest

from provisioner.state import PostgresBackend

QUICKSTART = "stacks/quickstart"
VARIABLE = "PROVISIONER_PG_CONNINFO"


@pytest.fixture
def pg_stack(workspace: Path, pg_server, monkeypatch) -> str:
    """The quickstart stack with its state in PostgreSQL, under a row name of its own; returns that name."""
    name = f"quickstart-{uuid.uuid4().hex[:8]}"  # the server outlives this test
    with (workspace / QUICKSTART / "stack.yaml").open("a") as stack:
        stack.write(f"\nstate:\n  backend: postgres\n  conninfo_env: {VARIABLE}\n  name: {name}\n")
    monkeypatch.setenv(VARIABLE, pg_server.conninfo)
    return name


def _stored(pg_server, name: str) -> bytes:
    data = PostgresBackend(pg_server.conninfo, name).read()
    assert data is not None
    return data


def test_apply_plan_show_and_a_held_lock(cli, workspace, pg_server, pg_stack, hold_lock):
    applied = cli("apply", QUICKSTART, "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete" in applied.output

    again = cli("plan", QUICKSTART)
    assert again.code == 0 and "No changes." in again.out

    shown = cli("show", QUICKSTART)
    assert shown.code == 0 and "assistants.weather  agent_" in shown.out

    stored = _stored(pg_server, pg_stack)
    assert json.loads(stored)["stack"] == "quickstart"
    assert pg_server.password.encode() not in stored
    assert not (workspace / "state" / "quickstart.json").exists(), "the state lives in the database only"

    holder = hold_lock(f"PostgresBackend({pg_server.conninfo!r}, {pg_stack!r})")
    refused = cli("apply", QUICKSTART, "--auto-approve")
    assert refused.code == 1
    assert f"state postgres:{pg_stack} is locked by apply in another process (pid {holder.pid}" in refused.err
    assert pg_server.password not in refused.output

    pasted = shlex.split(refused.err.split("release the lock with `")[1].split("`")[0])  # as a shell would
    assert pasted[:3] == ["provisioner", "force-unlock", QUICKSTART]
    unlocked = cli(*pasted[1:])
    assert unlocked.code == 0 and f"Unlocked the state postgres:{pg_stack}." in unlocked.out
    after = cli("apply", QUICKSTART, "--auto-approve")
    assert after.code == 0 and "No changes." in after.out


def test_a_saved_plan_applies_to_the_same_database_and_names_only_the_variable(cli, workspace, pg_server, pg_stack,
                                                                                 monkeypatch):
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    stack = workspace / QUICKSTART / "stack.yaml"
    stack.write_text(stack.read_text().replace("reasoning_effort: low", "reasoning_effort: medium"))
    planned = cli("plan", QUICKSTART, "--out", "plan.json")
    assert planned.code == 0 and "reasoning.effort" in planned.out

    saved = (workspace / "plan.json").read_text()
    assert VARIABLE in saved and pg_server.password not in saved

    # applied later, elsewhere: from another directory, with only the plan file
    elsewhere = workspace / "merge-job"
    elsewhere.mkdir()
    (workspace / "plan.json").rename(elsewhere / "plan.json")
    monkeypatch.chdir(elsewhere)
    applied = cli("apply", "plan.json")
    assert applied.code == 0, applied.output
    assert not (elsewhere / "state").exists()
    monkeypatch.chdir(workspace)
    assert "No changes." in cli("plan", QUICKSTART).out


def test_without_the_connection_variable_nothing_runs_and_the_error_names_it(cli, pg_stack, monkeypatch):
    monkeypatch.delenv(VARIABLE)
    result = cli("plan", QUICKSTART)
    assert result.code == 1
    assert f"${VARIABLE}, which should hold the connection string, is not set" in result.err


def test_state_flag_overrides_the_block_with_a_local_file(cli, workspace, pg_stack, monkeypatch):
    monkeypatch.delenv(VARIABLE)  # the database is not needed at all
    applied = cli("apply", QUICKSTART, "--auto-approve", "--state", "local/quickstart.json")
    assert applied.code == 0, applied.output
    assert json.loads((workspace / "local" / "quickstart.json").read_text())["stack"] == "quickstart"


def test_the_state_before_the_last_apply_is_restored_from_the_database(cli, workspace, pg_server, pg_stack):
    stack = workspace / QUICKSTART / "stack.yaml"
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    before = json.loads(_stored(pg_server, pg_stack))
    stack.write_text(stack.read_text().replace("reasoning_effort: low", "reasoning_effort: medium"))
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0

    listed = cli("state", "versions", QUICKSTART)
    assert listed.code == 0 and f"serial {before['serial']} " in listed.out and "before apply" in listed.out
    restored = cli("state", "restore", QUICKSTART, "--auto-approve")
    assert restored.code == 0, restored.output
    after = json.loads(_stored(pg_server, pg_stack))
    assert after["resources"] == before["resources"] and after["serial"] > before["serial"]
    assert pg_server.password not in restored.output

    stack.write_text(stack.read_text().replace("reasoning_effort: medium", "reasoning_effort: low"))
    planned = cli("plan", QUICKSTART)
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in planned.out and '"medium"' in planned.out


def test_each_workspace_has_its_own_row_and_objects(cli, workspace, pg_server, pg_stack):
    """Row `<name>` for the default workspace, `<name>/<workspace>` for another: one database, two states."""
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    prod = cli("apply", QUICKSTART, "--workspace", "prod", "--auto-approve")
    assert prod.code == 0, prod.output
    assert f"State:     postgres:{pg_stack}/prod" in prod.err.splitlines()

    default_ids = {a: r["id"] for a, r in json.loads(_stored(pg_server, pg_stack))["resources"].items()}
    prod_ids = {a: r["id"] for a, r in json.loads(_stored(pg_server, f"{pg_stack}/prod"))["resources"].items()}
    assert default_ids.keys() == prod_ids.keys() and not set(default_ids.values()) & set(prod_ids.values())

    planned = cli("plan", QUICKSTART, "--workspace", "prod", "--json")
    assert json.loads(planned.out)["has_changes"] is False
    assert not any(i in planned.output for i in default_ids.values())
    assert cli("state", "list", QUICKSTART, "--workspace", "prod").out.split() == sorted(prod_ids)


def test_workspace_list_names_the_rows_of_this_stack_only(cli, workspace, pg_server, pg_stack):
    assert cli("apply", QUICKSTART, "--workspace", "prod", "--auto-approve").code == 0
    PostgresBackend(pg_server.conninfo, f"{pg_stack}-eu").write(b"{}")  # another stack's row, by its name
    listed = cli("workspace", "list", QUICKSTART, "--workspace", "prod")
    assert listed.code == 0, listed.output
    assert listed.out.splitlines() == ["* prod"]
    assert cli("apply", QUICKSTART, "--auto-approve").code == 0
    found = json.loads(cli("workspace", "list", QUICKSTART, "--json").out)
    assert found == {"stack": "quickstart", "current": "default", "workspaces": ["default", "prod"]}
    assert pg_server.password not in listed.output
