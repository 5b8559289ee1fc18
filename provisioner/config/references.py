"""Cross-resource rules: every name a resource refers to exists, and the combination makes sense.

Owns the checks that need more than one resource at a time: tool -> function, tool resources
-> files and vector stores, vector store -> files and file sets, tool resources without their
tool, static chunking overlap, reserved metadata keys. It must not read files or change specs.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping

from provisioner.config.suggest import did_you_mean
from provisioner.config.spec import AssistantSpec, FunctionTool, VectorStoreSpec
from provisioner.config.yaml_source import Path_, SourceMap
from provisioner.errors import DiagnosticCollector

# the tool marks what it manages with metadata keys under this prefix
RESERVED_METADATA_PREFIX = "provisioner:"
_NOUNS = {"files": "file", "file_sets": "file set", "vector_stores": "vector store", "functions": "function"}


class References:
    def __init__(self, smap: SourceMap, diags: DiagnosticCollector, *, files: Collection[str],
                 file_sets: Collection[str], vector_stores: Collection[str], functions: Mapping[str, str]):
        """`functions` maps each `functions:` key to the name the model sees (`name:`, or the key)."""
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

    def _metadata(self, metadata: Mapping[str, str], path: Path_) -> None:
        for key in metadata:
            if key.startswith(RESERVED_METADATA_PREFIX):
                self.diags.add(f'metadata key "{key}" is reserved: keys starting with "{RESERVED_METADATA_PREFIX}" '
                               "are written by the provisioner itself", self.smap.key(path + (key,)))

    def vector_store(self, name: str, vs: VectorStoreSpec) -> None:
        base: Path_ = ("vector_stores", name)
        for i, entry in enumerate(vs.files):
            is_plain = isinstance(entry, str)
            value = entry if is_plain else entry.file
            self._ref(value, base + ("files", i) + (() if is_plain else ("file",)), "files", self.files, "file-")
        for i, entry in enumerate(vs.file_sets):
            is_plain = isinstance(entry, str)
            value = entry if is_plain else entry.file_set
            self._ref(value, base + ("file_sets", i) + (() if is_plain else ("file_set",)), "file_sets",
                      self.file_sets, None)
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
            if not isinstance(tool, FunctionTool):
                continue
            path = base + ("tools", i, "function")
            self._ref(tool.function, path, "functions", self.functions, None)
            name = self.functions.get(tool.function)
            if name is None:
                continue
            if name in seen:
                same = "twice" if seen[name] == tool.function else f'by functions "{seen[name]}" and "{tool.function}"'
                self.diags.add(f'function name "{name}" is given to this assistant {same}', self.smap.value(path),
                               hint="the model calls functions by name, so names must be unique per assistant")
            seen[name] = tool.function
        resources = a.tool_resources
        if resources and resources.code_interpreter:
            path = base + ("tool_resources", "code_interpreter")
            if "code_interpreter" not in tool_types and resources.code_interpreter.files:
                self.diags.add("code_interpreter files are given but the assistant has no code_interpreter tool",
                               self.smap.key(path), hint="add `- type: code_interpreter` to tools")
            for i, file in enumerate(resources.code_interpreter.files):
                self._ref(file, path + ("files", i), "files", self.files, "file-")
        if resources and resources.file_search:
            path = base + ("tool_resources", "file_search")
            if "file_search" not in tool_types:
                self.diags.add("file_search resources are given but the assistant has no file_search tool",
                               self.smap.key(path), hint="add `- type: file_search` to tools")
            for i, store in enumerate(resources.file_search.vector_stores):
                self._ref(store, path + ("vector_stores", i), "vector_stores", self.vector_stores, "vs_")
        self._metadata(a.metadata, base + ("metadata",))
