"""Cross-resource rules: every name a resource refers to exists, and the combination makes sense.

Owns the checks that need more than one resource at a time: tool -> function, tool resources
-> files and vector stores, vector store -> files and file sets, tool resources without their
tool; what an assistant's target cannot deploy (a tool, a field, a field's value: the target's
handler says what it can); a parameter the model refuses (reasoning_effort); and the API's limits that one field's
type cannot say: static chunking overlap, reserved and counted metadata keys, vector store file
attributes. It must not read files or change specs.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import BaseModel

from provisioner.addresses import FILE_ID_PREFIX, VECTOR_STORE_ID_PREFIX

# Assistants API rankers the Responses file_search tool does not offer (it has auto, default-2024-11-15)
ASSISTANTS_ONLY_RANKERS = frozenset({"default_2024_08_21"})
from provisioner.config.models import REASONING_FAMILIES, takes_reasoning_effort
from provisioner.config.suggest import did_you_mean
from provisioner.config.spec import AssistantSpec, FileSearchTool, FunctionTool, VectorStoreSpec
from provisioner.config.yaml_source import Path_, SourceMap
from provisioner.errors import DiagnosticCollector

# the tool marks what it manages with metadata keys under this prefix (resources/base.ownership)
RESERVED_METADATA_PREFIX = "provisioner:"
# the API takes 16 metadata pairs; ownership keeps four of them (stack, workspace, address, and the
# marker of the create that made the object, which crash recovery knows it by)
MAX_USER_METADATA = 16 - 4
MAX_ATTRIBUTES = 16
MAX_ATTRIBUTE_TEXT = 512
_NOUNS = {"files": "file", "file_sets": "file set", "vector_stores": "vector store", "functions": "function"}


class References:
    def __init__(self, smap: SourceMap, diags: DiagnosticCollector, *, files: Collection[str],
                 file_sets: Collection[str], vector_stores: Collection[str], functions: Mapping[str, str],
                 targets: Mapping[str, Any] = {}):
        """`functions` maps each `functions:` key to the name the model sees (`name:`, or the key);
        `targets` each assistant target to its handler (its `tools` and `fields`, None for all, and
        `takes`, the values it takes of some fields)."""
        self.targets = targets
        self.smap = smap
        self.diags = diags
        self.files = files
        self.file_sets = file_sets
        self.vector_stores = vector_stores
        self.functions = functions

    def check(self, vector_stores: Mapping[str, VectorStoreSpec], assistants: Mapping[str, AssistantSpec]) -> None:
        for name, vs in vector_stores.items():
            self.vector_store(name, vs)
        for name, assistant in assistants.items():
            self.assistant(name, assistant)

    def _ref(self, value: str, path: Path_, group: str, names: Collection[str], raw_prefix: str | None) -> None:
        if value in names or (raw_prefix and value.startswith(raw_prefix)):
            return
        noun = _NOUNS[group]
        also = f', or the id of an existing one ("{raw_prefix}...")' if raw_prefix else ""
        hint = did_you_mean(value, names) or (
            f"declared {group}: {', '.join(sorted(names))}" if names else f"this stack declares no {group}")
        self.diags.add(f'unknown {noun} "{value}": expected a name under `{group}:`{also}',
                       self.smap.value(path), hint)

    def _attributes(self, attributes: Mapping[str, object], path: Path_) -> None:
        if len(attributes) > MAX_ATTRIBUTES:
            self.diags.add(f"{len(attributes)} attributes; a vector store file takes at most {MAX_ATTRIBUTES}",
                           self.smap.key(path))
        for key, value in attributes.items():
            if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_TEXT:
                self.diags.add(f'attribute "{key}" is {len(value)} characters long; at most {MAX_ATTRIBUTE_TEXT}',
                               self.smap.value(path + (key,)))

    def _metadata(self, metadata: Mapping[str, str], path: Path_) -> None:
        if len(metadata) > MAX_USER_METADATA:
            self.diags.add(f"{len(metadata)} metadata keys; at most {MAX_USER_METADATA} are allowed",
                           self.smap.key(path),
                           hint="the API takes 16 and the provisioner keeps 4 for ownership (provisioner:stack, "
                                "provisioner:workspace, provisioner:address, provisioner:intent)")
        for key in metadata:
            if key.startswith(RESERVED_METADATA_PREFIX):
                self.diags.add(f'metadata key "{key}" is reserved: keys starting with "{RESERVED_METADATA_PREFIX}" '
                               "are written by the provisioner itself", self.smap.key(path + (key,)))

    def vector_store(self, name: str, vs: VectorStoreSpec) -> None:
        base: Path_ = ("vector_stores", name)
        for group, key, raw_prefix, names in (("files", "file", FILE_ID_PREFIX, self.files),
                                              ("file_sets", "file_set", None, self.file_sets)):
            listed: set[str] = set()
            for i, entry in enumerate(getattr(vs, group)):
                is_plain = isinstance(entry, str)
                value = entry if is_plain else getattr(entry, key)
                path = base + (group, i) + (() if is_plain else (key,))
                self._ref(value, path, group, names, raw_prefix)
                if value in listed:
                    # members are keyed by file: a second listing would silently replace the first
                    self.diags.add(f'{_NOUNS[group]} "{value}" is listed twice in vector_stores.{name}',
                                   self.smap.value(path), hint="list it once, with all its attributes")
                listed.add(value)
                if not is_plain:
                    self._attributes(entry.attributes, base + (group, i, "attributes"))
        self._metadata(vs.metadata, base + ("metadata",))
        chunking = vs.chunking_strategy
        if chunking is None:
            return
        path = base + ("chunking_strategy",)
        if chunking.type == "static" and chunking.static is None:
            self.diags.add("static chunking needs a `static:` block with max_chunk_size_tokens and "
                           "chunk_overlap_tokens", self.smap.key(path))
        elif chunking.type == "auto" and chunking.static is not None:
            self.diags.add("`static:` settings only apply with type: static", self.smap.key(path + ("static",)))
        elif chunking.static and chunking.static.chunk_overlap_tokens * 2 > chunking.static.max_chunk_size_tokens:
            s = chunking.static
            self.diags.add(f"chunk_overlap_tokens ({s.chunk_overlap_tokens}) must not exceed half of "
                           f"max_chunk_size_tokens ({s.max_chunk_size_tokens})",
                           self.smap.value(path + ("static", "chunk_overlap_tokens")))

    def assistant(self, name: str, a: AssistantSpec) -> None:
        base: Path_ = ("assistants", name)
        tool_types = {tool.type for tool in a.tools}
        seen: dict[str, str] = {}  # name the model sees -> the functions: key giving it
        for i, tool in enumerate(a.tools):
            ranking = tool.ranking_options if isinstance(tool, FileSearchTool) else None
            if a.target == "responses" and ranking and ranking.ranker in ASSISTANTS_ONLY_RANKERS:
                self.diags.add(f"file_search ranker '{ranking.ranker}' exists only in the Assistants API; "
                               "the Responses API offers 'auto'",
                               self.smap.value(base + ("tools", i, "ranking_options", "ranker")),
                               hint="set `ranker: auto` (or leave ranking_options out) to deploy it with "
                                    "target responses")
            if not isinstance(tool, FunctionTool):
                continue
            path = base + ("tools", i, "function")
            self._ref(tool.function, path, "functions", self.functions, None)
            called = self.functions.get(tool.function)  # the name the model calls it by
            if called is None:
                continue
            if called in seen:
                same = ("twice" if seen[called] == tool.function
                        else f'by functions "{seen[called]}" and "{tool.function}"')
                self.diags.add(f'function name "{called}" is given to this assistant {same}', self.smap.value(path),
                               hint="the model calls functions by name, so names must be unique per assistant")
            seen[called] = tool.function
        if a.reasoning_effort is not None and takes_reasoning_effort(a.model) is False:
            self.diags.add(f'model "{a.model}" does not take reasoning_effort: only reasoning models do '
                           f"({', '.join(REASONING_FAMILIES)} families)",
                           self.smap.key(base + ("reasoning_effort",)),
                           hint="remove reasoning_effort, or choose a reasoning model such as o4-mini or gpt-5")
        resources = a.tool_resources
        if resources and resources.code_interpreter:
            path = base + ("tool_resources", "code_interpreter")
            if "code_interpreter" not in tool_types and resources.code_interpreter.files:
                self.diags.add("code_interpreter files are given but the assistant has no code_interpreter tool",
                               self.smap.key(path), hint="add `- type: code_interpreter` to tools")
            for i, file in enumerate(resources.code_interpreter.files):
                self._ref(file, path + ("files", i), "files", self.files, FILE_ID_PREFIX)
        if resources and resources.file_search:
            path = base + ("tool_resources", "file_search")
            if "file_search" not in tool_types:
                self.diags.add("file_search resources are given but the assistant has no file_search tool",
                               self.smap.key(path), hint="add `- type: file_search` to tools")
            for i, store in enumerate(resources.file_search.vector_stores):
                self._ref(store, path + ("vector_stores", i), "vector_stores", self.vector_stores,
                          VECTOR_STORE_ID_PREFIX)
        self._metadata(a.metadata, base + ("metadata",))
        self._deployable(a, base)

    def _deployable(self, a: AssistantSpec, base: Path_) -> None:
        """Every tool and field the assistant sets, and every value it sets them to, is one its
        target can deploy."""
        handler = self.targets.get(a.target or "")
        if handler is None:
            return

        def able(what: str, takes: Callable[[Any], bool]) -> str:
            names = [t for t, h in self.targets.items() if takes(h)]
            return (f"targets that take {what}: {', '.join(names)}; set `target:` on this assistant to one of "
                    f"them, or change it")
        for i, tool in enumerate(a.tools):
            if handler.tools is not None and tool.type not in handler.tools:
                self.diags.add(f"target {a.target} cannot deploy a {tool.type} tool",
                               self.smap.value(base + ("tools", i, "type")),
                               hint=able(tool.type, lambda h: h.tools is None or tool.type in h.tools))
        for field in [f for f in AssistantSpec.model_fields if f not in ("target", "lifecycle")]:
            value = getattr(a, field)
            if value is None or value == [] or value == {}:
                continue
            key = "instructions_file" if field == "instructions" and base + ("instructions_file",) in self.smap.keys \
                else field
            if handler.fields is not None and field not in handler.fields:
                self.diags.add(f"target {a.target} cannot deploy an assistant's {field}", self.smap.key(base + (key,)),
                               hint=able(field, lambda h: h.fields is None or field in h.fields))
                continue
            rule = handler.takes.get(field)
            why = rule.refuses(value) if rule is not None else None
            if why is None:
                continue
            typed = isinstance(value, BaseModel) and "type" in type(value).model_fields
            self.diags.add(f"target {a.target} cannot deploy this {field}: {why}",
                           self.smap.value(base + (key, "type") if typed else base + (key,)),
                           hint=able(f"this {field}", lambda h: field not in h.takes or h.takes[field].refuses(value) is None))
