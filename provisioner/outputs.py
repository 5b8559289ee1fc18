"""Outputs: what an application needs from an applied stack, derived from its state.

Owns the shape of the outputs, the choice of one of them by name, and the outputs file:

    {"stack": "support-bot",
     "resources":  {"vector_stores.knowledge": "vs_...", "files.pricing": "file-...", ...},
     "assistants": {"support": {"target": "responses", "definition": {...}}}}
                   (a server object, e.g. with target agents: {"target": "agents", "id": "agent_..."})

A definition holds the keyword arguments of a Responses create request, so an application calls
`client.responses.create(**definition, input=...)`.

The outputs file is written next to a local state file, after every apply and destroy:
`state/<stack>.json` -> `state/<stack>.outputs.json` (with `--state dir/x.json`, `dir/x.outputs.json`).
It is removed when nothing is left in it. Outputs are a pure function of the state, so they are not
stored in it again: `provisioner output` computes them from the state, the file is a copy for
applications. This module must not call the API, read stack files or change state.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from provisioner.config.suggest import did_you_mean
from provisioner.errors import ProvisionerError
from provisioner.observe import is_deposed
from provisioner.private_files import write_atomic
from provisioner.resources import handler_for
from provisioner.resources.assistant_parts import assistant_address
from provisioner.state.model import State

ASSISTANT_PREFIX = assistant_address("")


def outputs_path(state_file: Path) -> Path:
    return state_file.with_name(state_file.name.removesuffix(".json") + ".outputs.json")


def outputs_of(state: State) -> dict[str, Any]:
    resources: dict[str, str] = {}
    assistants: dict[str, dict[str, Any]] = {}
    for address, resource in sorted(state.resources.items()):
        # deposed objects are on their way out, and a pending create has no id yet
        if resource.id is None or is_deposed(address):
            continue
        # an assistant's kind says what of it applications use (its id, or its definition)
        entry = handler_for(resource.kind).output(resource.id, resource.attributes)
        if entry is not None:
            assistants[address.removeprefix(ASSISTANT_PREFIX)] = entry
        if entry is None or "id" in entry:
            resources[address] = resource.id
    return {"stack": state.stack, "resources": resources, "assistants": assistants}


def is_empty(outputs: dict[str, Any]) -> bool:
    return not outputs["resources"] and not outputs["assistants"]


def select(outputs: dict[str, Any], name: str) -> Any:
    """One output: a resource's id by address, or an assistant (by name or address) as what an
    application uses: its Responses definition, or its Assistants API id."""
    assistants = outputs["assistants"]
    assistant_name = name.removeprefix(ASSISTANT_PREFIX)
    if assistant_name in assistants:
        entry = assistants[assistant_name]
        return entry["definition"] if "definition" in entry else entry["id"]
    if name in outputs["resources"]:
        return outputs["resources"][name]
    names = [*assistants, *(assistant_address(n) for n in assistants), *outputs["resources"]]
    raise ProvisionerError(
        f'stack {outputs["stack"]} has no output named "{name}"',
        hint=did_you_mean(name, names) or ("outputs exist after apply; run `provisioner output PATH` to list them"
                                           if not names else "run `provisioner output PATH` to list them"))


def write_outputs(path: Path, outputs: dict[str, Any]) -> None:
    """Replace the outputs file in one step (readers never see half of it); remove it when empty."""
    if is_empty(outputs):
        path.unlink(missing_ok=True)
        return
    write_atomic(path, (json.dumps(outputs, indent=2, ensure_ascii=False) + "\n").encode())
