"""Resource addresses: the one key shared by spec, state, plan and graph.

An address is `group.name`, or `group.name["key"]` for one member of a file set, e.g.
`files.policy`, `file_sets.docs["guide/intro.md"]`, `vector_stores.kb`, `assistants.support`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# group in the stack file -> resource kind (the handler that manages it)
GROUP_KIND = {
    "files": "file",
    "file_sets": "file",
    "vector_stores": "vector_store",
    "assistants": "assistant",
}

_PATTERN = re.compile(r'^(?P<group>[a-z_]+)\.(?P<name>[A-Za-z0-9_\-]+)(?:\["(?P<key>[^"]+)"\])?$')


@dataclass(frozen=True, order=True)
class ResourceAddress:
    group: str
    name: str
    key: str | None = None

    @property
    def kind(self) -> str:
        return GROUP_KIND[self.group]

    def __str__(self) -> str:
        base = f"{self.group}.{self.name}"
        return f'{base}["{self.key}"]' if self.key is not None else base

    @classmethod
    def parse(cls, text: str) -> "ResourceAddress":
        match = _PATTERN.match(text)
        if not match or match["group"] not in GROUP_KIND:
            raise ValueError(f"not a resource address: {text!r}")
        return cls(match["group"], match["name"], match["key"])
