"""One handler per resource kind, and the registry that maps a kind to its handler.

Adding a kind means writing one handler and listing it here, nothing else.
"""
from provisioner.resources.assistant import AssistantHandler
from provisioner.resources.base import Handler
from provisioner.resources.definition import DefinitionHandler
from provisioner.resources.file import FileHandler
from provisioner.resources.vector_store import VectorStoreHandler

# in dependency order: a kind may only refer to kinds listed before it
HANDLERS: dict[str, Handler] = {h.kind: h for h in (FileHandler(), VectorStoreHandler(), AssistantHandler(),
                                                     DefinitionHandler())}


def handler_for(kind: str) -> Handler:
    return HANDLERS[kind]
