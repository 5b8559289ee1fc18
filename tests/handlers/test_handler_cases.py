"""Handler cases as data: (kind, before, after) -> the API calls a handler makes, run on the fake API.

Each `cases/<name>.json` holds:
- `kind` and `action` (create, update or delete) and, for update and delete, the live `id`;
- `files`: local files (name -> text) written beside the case, which a `path` names;
- `setup`: API calls made on the fake before the case (not part of what it asserts); an
  `upload_file` takes `content` instead of a path;
- `before` and `after`: the attributes the plan hands the handler;
- `calls`: every API call the handler makes, in order, with its arguments by name (a local
  path as its file name);
- optionally `returns` (the attributes it hands back to record), `records_members` (the member
  changes it recorded, in order) or `error` (a fragment of the error it raises).
The fake's ids are deterministic: `file-fake0001`, `vs_fake0002`... numbered in the order made.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from provisioner.errors import ProvisionerError
from provisioner.resources import handler_for
from provisioner.resources.base import ApplyContext
from tests.support.fake_api import FakeApi

CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))
MARKER = "0123456789ab"


def _local(value: Any, root: Path) -> Any:
    """A recorded argument as a case writes it: a local path by its name under the case's folder."""
    if isinstance(value, (str, Path)) and Path(value).is_relative_to(root):
        return str(Path(value).relative_to(root))
    if isinstance(value, dict):
        return {k: _local(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_local(v, root) for v in value]
    return value


def _setup(api: FakeApi, calls: list[dict[str, Any]], root: Path) -> None:
    for call in calls:
        args = dict(call["args"])
        if call["method"] == "upload_file":
            path = root / args["filename"]
            path.write_text(args.pop("content"))
            args["path"] = path
        getattr(api, call["method"])(**args)
    api.calls.clear()


def _in_series(fn: Callable[[Any], None], items: Iterable[Any]) -> None:
    # the applier runs these at once; one at a time keeps the recorded order a case can name
    for item in items:
        fn(item)


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_handler_case(case_file: Path, tmp_path: Path):
    case = json.loads(case_file.read_text())
    for name, text in case.get("files", {}).items():
        (tmp_path / name).write_text(text)
    api = FakeApi()
    _setup(api, case.get("setup", []), tmp_path)
    after = dict(case.get("after") or {})
    if "path" in after:
        after["path"] = str(tmp_path / after["path"])
    members: list[tuple[dict[str, Any], list[str]]] = []
    context = ApplyContext(f"{case['kind']}.case", lambda live_id, attributes: None, lambda text: None,
                           lambda changed, removed: members.append((changed, removed)), _in_series, MARKER)
    handler = handler_for(case["kind"])

    def act() -> Any:
        if case["action"] == "create":
            return handler.create(api, after, context)[1]
        if case["action"] == "update":
            return handler.update(api, case["id"], case["before"], after, context)
        return handler.delete(api, case["id"])

    if "error" in case:
        with pytest.raises(ProvisionerError) as raised:
            act()
        assert case["error"] in str(raised.value)
    else:
        returned = act()
        if "returns" in case:
            assert _local(returned, tmp_path) == case["returns"]
    made = [{"method": c.method, "args": _local(c.args, tmp_path)} for c in api.calls]
    assert made == case["calls"]
    if "records_members" in case:
        assert [{"changed": c, "removed": r} for c, r in members] == case["records_members"]
