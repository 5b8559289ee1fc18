"""Workspaces: one stack deployed to dev and prod keeps two states and two sets of objects, and
neither workspace ever sees, plans or touches the other's."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import replace_in, stack_state

STACK = "stacks/support-bot"


@pytest.fixture
def endpoint(emulator_factory, monkeypatch: pytest.MonkeyPatch, workspace: Path):
    """An emulator of this test's own, so every tagged object on it is this test's."""
    process = emulator_factory()
    monkeypatch.setenv("PROVISIONER_EMULATOR_URL", process.base_url)
    return process


def _ids(path: Path) -> dict[str, str]:
    return {address: r["id"] for address, r in json.loads(path.read_text())["resources"].items()}


@pytest.fixture
def in_workspace(cli, monkeypatch: pytest.MonkeyPatch):
    """Runs the CLI with $PROVISIONER_WORKSPACE set, as a pipeline's job would."""
    def run(name: str, *args: str):
        with monkeypatch.context() as env:
            env.setenv("PROVISIONER_WORKSPACE", name)
            return cli(*args)
    return run


def _tags(client) -> dict[str, str | None]:
    """Every vector store and assistant live, by id: the workspace its tags name (None: the default)."""
    objects = [*client.vector_stores.list(), *client.beta.assistants.list()]
    return {o.id: (o.metadata or {}).get("provisioner:workspace") for o in objects}


def test_dev_and_prod_from_one_stack_keep_two_states_and_two_sets_of_objects(cli, in_workspace, workspace: Path,
                                                                               endpoint):
    dev = cli("apply", STACK, "--workspace", "dev", "--auto-approve")
    assert dev.code == 0, dev.output
    assert "Workspace: dev" in dev.err.splitlines()
    dev_state = workspace / STACK / "state" / "dev" / "support-bot.json"
    dev_ids = _ids(dev_state)
    assert len(dev_ids) == 7

    # prod planned next to a live dev: everything is new, and not one dev object or id is named
    plans = {how: cli("plan", STACK, "--workspace", "prod", *args)
             for how, args in (("text", ()), ("markdown", ("--markdown",)), ("json", ("--json",)))}
    for planned in plans.values():
        assert planned.code == 0, planned.output
        assert not any(i in planned.output for i in dev_ids.values()), planned.output
        assert "support-knowledge-dev" not in planned.output and "Support bot (dev)" not in planned.output
    assert "Plan: 7 to add, 0 to change, 0 to destroy." in plans["text"].out
    assert "### provisioner plan: `support-bot` (workspace `prod`)" in plans["markdown"].out
    assert json.loads(plans["json"].out)["workspace"] == "prod"
    assert json.loads(plans["json"].out)["summary"]["create"] == 7

    prod = in_workspace("prod", "apply", STACK, "--auto-approve")
    assert prod.code == 0, prod.output
    assert "Workspace: prod" in prod.err.splitlines()
    prod_ids = _ids(workspace / STACK / "state" / "prod" / "support-bot.json")
    assert len(prod_ids) == 7 and not set(prod_ids.values()) & set(dev_ids.values())
    assert not stack_state(workspace, "support-bot").exists()  # the default workspace has applied nothing

    client = endpoint.client()
    store = client.vector_stores.retrieve(prod_ids["vector_stores.knowledge"])
    assert store.name == "support-knowledge-prod"  # the variable's default for prod
    assert store.metadata["provisioner:workspace"] == "prod"
    tags = _tags(client)
    assert tags[dev_ids["vector_stores.knowledge"]] == "dev" and tags[dev_ids["assistants.support"]] == "dev"
    assert tags[prod_ids["assistants.support"]] == "prod"

    # an edit planned for prod names prod's objects only; dev stays as it is
    replace_in(workspace / STACK / "stack.yaml", "temperature: 0.2", "temperature: 0.4")
    edited = cli("plan", STACK, "--workspace", "prod")
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in edited.out
    assert prod_ids["assistants.support"] in edited.output
    assert not any(i in edited.output for i in dev_ids.values())

    # destroying prod leaves dev whole
    assert cli("destroy", STACK, "--workspace", "prod", "--auto-approve").code == 0
    assert set(_tags(client)) == {dev_ids["vector_stores.knowledge"], dev_ids["assistants.support"]}
    assert cli("plan", STACK, "--workspace", "dev", "--detailed-exitcode").code == 2  # the edit, only
    replace_in(workspace / STACK / "stack.yaml", "temperature: 0.4", "temperature: 0.2")
    assert cli("plan", STACK, "--workspace", "dev", "--detailed-exitcode").code == 0


def test_drift_never_reports_another_workspace_objects(cli, workspace: Path, endpoint):
    assert cli("apply", STACK, "--workspace", "dev", "--auto-approve").code == 0
    assert cli("apply", STACK, "--workspace", "prod", "--auto-approve").code == 0
    dev_ids = _ids(workspace / STACK / "state" / "dev" / "support-bot.json")

    clean = cli("drift", STACK, "--workspace", "prod", "--unmanaged", "--json")
    assert clean.code == 0, clean.output
    assert "Workspace: prod" in clean.err.splitlines()
    assert json.loads(clean.out)["drift"] == []

    # dev loses its state and the stack drops its assistant: dev's tagged assistant is dev's orphan,
    # its store one the next plan adopts, and still nothing of prod's
    (workspace / STACK / "state" / "dev" / "support-bot.json").unlink()
    (workspace / STACK / "stack.yaml").write_text((workspace / STACK / "stack.yaml").read_text().split("assistants:")[0])
    lost = json.loads(cli("drift", STACK, "--workspace", "dev", "--json").out)
    assert [d["id"] for d in lost["drift"]] == [dev_ids["assistants.support"]]
    assert "vector_stores.knowledge" in {p["address"] for p in lost["pending"] if p["action"] == "adopt"}
    assert json.loads(cli("drift", STACK, "--workspace", "prod", "--unmanaged", "--json").out)["drift"] == []


def test_a_saved_plan_is_applied_only_in_its_workspace(cli, in_workspace, workspace: Path, endpoint):
    assert cli("plan", STACK, "--workspace", "dev", "--out", "dev.plan").code == 0
    refused = cli("apply", "dev.plan", "--workspace", "prod")
    assert refused.code == 1
    assert "dev.plan was planned in workspace dev, and this run is in workspace prod: nothing was changed" \
        in refused.err
    assert "--workspace dev" in refused.err and "Traceback" not in refused.output
    assert cli("apply", "dev.plan").code == 1  # the default workspace is another workspace too
    assert endpoint.client().vector_stores.list().data == []

    applied = in_workspace("dev", "apply", "dev.plan")
    assert applied.code == 0, applied.output
    assert "Workspace: dev" in applied.err.splitlines()
    assert len(_ids(workspace / STACK / "state" / "dev" / "support-bot.json")) == 7


@pytest.mark.parametrize("given", [("--workspace", "Prod"), ("--workspace", "../prod"), ("--workspace", ""),
                                   ("--workspace", "prod\n"), ("env", "prod/eu"), ("env", "dev\n")])
def test_a_bad_workspace_name_is_refused(cli, in_workspace, workspace: Path, given: tuple[str, str]):
    how, name = given
    result = in_workspace(name, "plan", STACK) if how == "env" else cli("plan", STACK, how, name)
    assert result.code == 1
    assert f"{name!r} is not a workspace name: use 1 to 32 lowercase letters" in result.err
    assert ("$PROVISIONER_WORKSPACE" if how == "env" else "--workspace") in result.err
    assert "Traceback" not in result.output
    assert not (workspace / STACK / "state").exists()


def test_refresh_and_import_name_the_endpoint_state_and_workspace_first(cli, workspace: Path, endpoint):
    assert cli("apply", STACK, "--workspace", "prod", "--auto-approve").code == 0
    prod_state = workspace / STACK / "state" / "prod" / "support-bot.json"
    store = _ids(prod_state)["vector_stores.knowledge"]
    header = [f"Endpoint:  the emulator at {endpoint.base_url}",
              f"State:     {STACK}/state/prod/support-bot.json",
              "Workspace: prod"]
    endpoint.client().vector_stores.update(store, name="renamed in the dashboard")
    refreshed = cli("refresh", STACK, "--workspace", "prod", "--auto-approve")
    assert refreshed.code == 0, refreshed.output
    assert refreshed.err.splitlines()[:3] == header

    assert cli("state", "rm", STACK, "vector_stores.knowledge", "--workspace", "prod").code == 0
    imported = cli("import", STACK, "vector_stores.knowledge", store, "--workspace", "prod")
    assert imported.code == 0, imported.output
    assert imported.err.splitlines()[:3] == header
    assert _ids(prod_state)["vector_stores.knowledge"] == store


def test_workspace_list_shows_the_workspaces_with_state_and_marks_the_current_one(cli, in_workspace,
                                                                                   workspace: Path, endpoint):
    assert cli("workspace", "list", STACK).out.splitlines() == ["* default (no state yet)"]
    for name in ("prod", "dev"):
        assert cli("apply", STACK, "--workspace", name, "--auto-approve").code == 0
    (workspace / STACK / "state" / "notes").mkdir()  # a folder without this stack's state is no workspace

    listed = in_workspace("dev", "workspace", "list", STACK)
    assert listed.code == 0, listed.output
    assert listed.out.splitlines() == ["* dev", "  prod"]  # the default workspace has no state
    assert cli("apply", STACK, "--auto-approve").code == 0
    found = json.loads(cli("workspace", "list", f"{STACK}/stack.yaml", "--workspace", "staging", "--json").out)
    assert found == {"stack": "support-bot", "current": "staging", "workspaces": ["default", "dev", "prod"]}
    assert cli("workspace", "list", STACK).out.splitlines() == ["* default", "  dev", "  prod"]
