"""One handler per resource kind, and the registry that maps a kind to its handler.

Adding a kind means writing one handler and listing it here, nothing else: what the rest of the
tool knows of kinds (stack sections, assistant targets, raw id prefixes, tagged and model-naming
kinds) is read from the handlers through the functions below.
"""
from __future__ import annotations

from typing import Mapping

from pydantic import BaseModel

from provisioner.resources.agent import AgentHandler
from provisioner.resources.assistant import AssistantHandler
from provisioner.resources.base import Handler
from provisioner.resources.definition import DefinitionHandler
from provisioner.resources.file import FileHandler
from provisioner.resources.vector_store import VectorStoreHandler

# in dependency order: a kind may only refer to kinds listed before it
HANDLERS: dict[str, Handler] = {h.kind: h for h in (FileHandler(), VectorStoreHandler(), AssistantHandler(),
                                                     DefinitionHandler(), AgentHandler())}


def handler_for(kind: str) -> Handler:
    return HANDLERS[kind]


def sections() -> Mapping[str, type[BaseModel]]:
    """Stack section -> the spec model of its entries, for every section a kind is declared in."""
    return {section: model for h in HANDLERS.values() for section, model in h.sections.items()}


def ignorable() -> dict[str, dict[str, tuple[str, ...]]]:
    """Stack section -> the names `ignore_changes` takes in its entries -> the attributes each covers.

    A section several kinds serve (`assistants`) takes every name one of them takes, covering each
    kind's attributes: the target picks the kind, and a kind has no attribute of another's."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for h in HANDLERS.values():
        for section in h.sections:
            fields = out.setdefault(section, {})
            for name, attributes in h.ignorable.items():
                fields[name] = tuple(dict.fromkeys((*fields.get(name, ()), *attributes)))
    return out


def tagged_nouns() -> str:
    """What the tagged kinds' live objects are called, for help and reports: "vector stores, ... and Agents"."""
    nouns = list(dict.fromkeys(HANDLERS[kind].live_noun + "s" for kind in tagged_kinds()))
    return ", ".join(nouns[:-1]) + " and " + nouns[-1] if len(nouns) > 1 else "".join(nouns)


def targets() -> dict[str, Handler]:
    """Assistant target -> the handler that deploys it."""
    return {h.target: h for h in HANDLERS.values() if h.target is not None}


# prefix of a raw id a stack may name -> the kind it is an object of
_EXTERNAL_KINDS = {h.external_prefix: h.kind for h in HANDLERS.values() if h.external_prefix is not None}


def external_kind(ref: str) -> str | None:
    """The kind of object a raw id names (`vs_...` a vector store), or None for no kind's id."""
    return next((kind for prefix, kind in _EXTERNAL_KINDS.items() if ref.startswith(prefix)), None)


def tagged_kinds() -> tuple[str, ...]:
    return tuple(kind for kind, h in HANDLERS.items() if h.tagged)


def model_kinds() -> frozenset[str]:
    return frozenset(kind for kind, h in HANDLERS.items() if h.names_model)
