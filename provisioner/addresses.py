"""Resource addresses and references: the one spelling shared by spec, state, plan and graph.

An address is `group.name`, or `group.name["key"]` for one member of a file set, e.g.
`files.policy`, `file_sets.docs["guide/intro.md"]`, `vector_stores.kb`, `assistants.support`.
A reference in a stack is a name in the stack, or the raw id of an object outside it.
"""
from __future__ import annotations

import json

# ids written in a stack as they are (an existing file or store) rather than a name in it
FILE_ID_PREFIX = "file-"
VECTOR_STORE_ID_PREFIX = "vs_"


def address(group: str, name: str, key: str | None = None) -> str:
    # json.dumps quotes the key exactly as a diff path does, so the two spellings agree
    return f"{group}.{name}" if key is None else f"{group}.{name}[{json.dumps(key, ensure_ascii=False)}]"


def file_ref(ref: str) -> str:
    """A file reference as an address, or the existing file's id unchanged."""
    return ref if ref.startswith(FILE_ID_PREFIX) else address("files", ref)


def vector_store_ref(ref: str) -> str:
    """A vector store reference as an address, or the existing store's id unchanged."""
    return ref if ref.startswith(VECTOR_STORE_ID_PREFIX) else address("vector_stores", ref)


def is_external(ref: str) -> bool:
    """True for the raw id of an object the stack does not manage."""
    return ref.startswith((FILE_ID_PREFIX, VECTOR_STORE_ID_PREFIX))
