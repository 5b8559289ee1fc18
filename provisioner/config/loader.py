"""Load a stack: YAML files -> one validated, frozen `Stack`, or one `StackError` with every problem.

Owns the order of the stages (parse, merge, interpolate, validate, read files and schemas,
check references) and which source file each resource came from, since relative paths are
taken from the directory of the file that declares them. It must not call the network: a stack
can be validated offline, and the planner receives it ready to use.
"""
from __future__ import annotations

import gc
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from provisioner import lifecycle
from provisioner.addresses import address
from provisioner.config import filesets
from provisioner.config.confine import Confinement
from provisioner.config.interpolate import WORKSPACE_REF, Declared, Interpolator, refers_to, resolve_variables
from provisioner.config.references import References
from provisioner.config.schemas import EMPTY_PARAMETERS, check_schema
from provisioner.config.spec import (
    NAME_PATTERN, AssistantSpec, Defaults, FileSetSpec, FileSpec, FunctionSpec, LocalFile, Provider,
    ResolvedFunction, ResponseFormat, Stack, StackFile, StateSpec, Variable, VectorStoreSpec,
)
from provisioner.config.validation import Validator, dotted
from provisioner.config.yaml_source import Path_, SourceMap, parse_file
from provisioner.errors import Diagnostic, DiagnosticCollector, SourceLocation, StackError, display_path
from provisioner.resources import sections, targets
from provisioner.trust import Trust, endpoint_refusals, readable_env
from provisioner.workspaces import DEFAULT_WORKSPACE


# sections of named entries: variables, functions (given to assistants as tools), and every
# section a resource kind is declared in (the handlers say which, and with which spec model)
GROUPS: dict[str, type[BaseModel]] = {"variables": Variable, "functions": FunctionSpec, **sections()}
STACK_SUFFIXES = (".yaml", ".yml")
SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")
# what file_search can index (OpenAI's file search guide, "Supported files"); the API refuses others
FILE_SEARCH_EXTENSIONS = frozenset(
    ".c .cpp .cs .css .doc .docx .go .html .java .js .json .md .pdf .php .pptx .py .rb .sh .tex .ts .txt".split())
# what an OpenAI secret key looks like (sk-..., sk-proj-..., sk-svcacct-...)
_SECRET = re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")
# what a database connection string looks like: a URL or key=value pairs, either may hold a password
_CONNINFO = re.compile(r"://|\b(?:password|host|dbname|user)\s*=", re.IGNORECASE)


class _SortedDiagnostics(DiagnosticCollector):
    """Reports in file order, whichever stage found each problem, so users can fix top to bottom."""

    def raise_if_any(self) -> None:
        self.items.sort(key=_position)
        super().raise_if_any()


def _position(d: Diagnostic) -> tuple[bool, str, int, int]:
    loc = d.location
    if loc is None:  # command-line problems (--var) come first
        return (False, "", 0, 0)
    return (True, loc.file, loc.line or 0, loc.column or 0)


def load_stack(path: Path, variables: dict[str, str] | None = None,
               var_files: list[Path] | None = None, trust: Trust | None = None,
               workspace: str = DEFAULT_WORKSPACE) -> Stack:
    """Load the stack file, or the directory of stack files, at `path`.

    A directory means its own *.yaml and *.yml files (not subdirectories), merged in name order;
    var files given in `var_files` are never read as stack files. `variables` (from --var) win
    over `var_files` (from --var-file, later files winning), which win over the defaults declared
    under `variables:` (a variable's default for `workspace` first, see provisioner.workspaces,
    whose name the caller has checked). `trust` holds what the operator allows (see provisioner.trust): every path
    the stack reads must resolve inside the stack's folder or a folder it allows. Raises
    StackError with every problem found, in file order.
    """
    with _no_cycle_collection():
        return _Loader(_SortedDiagnostics(), trust or Trust(), workspace).load(Path(path), variables, var_files,
                                                                               os.environ)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while loading.

    A stack's data and marks are hundreds of thousands of objects that live until the load ends
    and form no cycles, yet each collector pass walks them all: a third of a large load's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Loader:
    def __init__(self, diags: _SortedDiagnostics, trust: Trust, workspace: str = DEFAULT_WORKSPACE):
        self.diags = diags
        self.trust = trust
        self.workspace = workspace
        self.state_names_workspace = False  # state.path or state.name written with ${workspace}
        self.smap = SourceMap()
        self.validate = Validator(StackFile, self.smap, diags)
        self.origin: dict[Path_, Path] = {}  # (group, name) or (key,) -> the stack file declaring it

    def load(self, path: Path, variables: Mapping[str, str] | None, var_files: list[Path] | None,
             env: Mapping[str, str]) -> Stack:
        path = path.absolute()
        # a var file kept next to the stack files is still a var file
        sources = [s for s in self._sources(path) if s not in {f.absolute() for f in var_files or []}]
        if not sources:
            raise StackError([Diagnostic(f"{display_path(path)} holds only variables files, no stack file")])
        root = path if path.is_dir() else path.parent
        # the stack's own allow_paths: are not known yet: a stack file itself may not lead elsewhere
        self.confinement = Confinement(root, self.trust.allow_paths)
        if not all([self.confinement.check(s, "stack file", SourceLocation(display_path(s)), self.diags)
                    for s in sources]):
            self.diags.raise_if_any()
        data, unreadable = self._merge(sources)
        if unreadable:  # without a file's resources, every reference to them would be a false error
            self.diags.raise_if_any()

        data = self._interpolate(data, variables, var_files, env)
        self._reject_secrets(data.get("provider"))
        self._reject_key_value(data, env)
        self._reject_conninfo(data, env)
        top = self.validate(StackFile, {k: v for k, v in data.items() if k not in GROUPS}, ())
        specs = {group: self._entries(group, data.get(group, {})) for group in GROUPS if group != "variables"}
        if top and top.allow_paths and self.trust.trust_stack_paths:
            base = self.origin[("allow_paths",)].parent
            self.confinement = Confinement(root, [*self.trust.allow_paths,
                                                  *(_resolve(base, p) for p in top.allow_paths)])

        local_files = self._files(specs["files"])
        file_sets = self._file_sets(specs["file_sets"], root, local_files)
        self._check_indexable(specs["vector_stores"], local_files, file_sets)
        functions = self._functions(specs["functions"])
        default_target = (top.defaults if top else Defaults()).assistant_target
        assistants = self._assistants(specs["assistants"], default_target)
        References(self.smap, self.diags, files=specs["files"].keys(), file_sets=specs["file_sets"].keys(),
                   vector_stores=specs["vector_stores"].keys(),
                   functions={key: spec.name or key for key, spec in specs["functions"].items()},
                   targets=targets()).check(specs["vector_stores"], assistants)
        lifecycles = lifecycle.collect(specs, file_sets, self.smap, self.diags)
        if top:
            self._check_removed(top, specs, file_sets)
        if top:
            self._check_provider(top)
            self._check_state(top)
        self.diags.raise_if_any()
        assert top is not None  # every failure to build it was reported above
        return Stack(
            name=top.stack,
            workspace=self.workspace,
            root=root,
            sources=sources,
            provider=self._provider(top),
            state=self._state(top),
            defaults=top.defaults,
            local_files=local_files,
            file_sets=file_sets,
            vector_stores=specs["vector_stores"],
            functions=functions,
            assistants=assistants,
            lifecycles=lifecycles,
            moved=top.moved,
            removed=top.removed,
        )

    # ---- parse and merge -------------------------------------------------------------------

    def _sources(self, path: Path) -> list[Path]:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in STACK_SUFFIXES and p.is_file())
            if not found:
                raise StackError([Diagnostic(f"no *.yaml or *.yml stack files in {display_path(path)}")])
            return found
        if not path.is_file():
            raise StackError([Diagnostic(f"stack file not found: {display_path(path)}")])
        return [path]

    def _merge(self, sources: list[Path]) -> tuple[dict[str, Any], bool]:
        """One document from many: resource maps are merged by name, everything else is declared once.

        Also says whether some file could not be read or parsed.
        """
        merged: dict[str, Any] = {}
        unreadable = False
        for source in sources:
            parsed = parse_file(source, self.diags, self.trust.limits)
            if parsed is None:
                unreadable = True
                continue
            data, smap = parsed
            if not isinstance(data, dict):
                self.diags.add("a stack file must be a map of sections (stack:, files:, assistants:, ...)",
                               smap.value(()))
                continue
            taken: set[Path_] = set()  # entries (`(group, name)`, or `(key,)`) whose marks join the stack's
            for key, value in data.items():
                if key in GROUPS:
                    if isinstance(value, dict):
                        taken.add((key,))
                        self._merge_group(key, value, merged.setdefault(key, {}), smap, taken, source)
                    elif value is not None:  # None: an empty section, as left by commenting out its entries
                        self.diags.add(f"{key}: must be a map of name: settings", smap.value((key,)))
                elif key in merged:
                    self._duplicate(f'"{key}:"', (key,), smap)
                else:
                    merged[key] = value
                    self.origin[(key,)] = source
                    taken.add((key,))
            entries = len(data) + sum(len(v) for k, v in data.items() if k in GROUPS and isinstance(v, dict))
            self._take_marks(smap, taken, whole=len(taken) == entries)
        if "stack" not in merged and not unreadable:  # an unreadable file may hold the name
            self.diags.add("no `stack:` name is declared", SourceLocation(display_path(sources[0])),
                           hint="add `stack: my-stack` to one of the stack files")
            self.validate.quiet.add(("stack",))
        return merged, unreadable

    def _merge_group(self, group: str, entries: dict[str, Any], into: dict[str, Any], smap: SourceMap,
                     taken: set[Path_], source: Path) -> None:
        for name, value in entries.items():
            if name in into:
                self._duplicate(f'{group}.{name}', (group, name), smap)
                continue
            into[name] = value
            self.origin[(group, name)] = source
            taken.add((group, name))

    def _take_marks(self, smap: SourceMap, taken: set[Path_], whole: bool) -> None:
        """Add a file's marks of the entries it contributed (all, if `whole`), so a skipped duplicate
        leaves none; where the stack already knows a path (a group's own key), the first mark stays."""
        for mine, theirs in ((self.smap.keys, smap.keys), (self.smap.values, smap.values)):
            if whole:  # the common case, at C speed: every path but the document's own
                mine.update({**theirs, **mine})
                mine.pop((), None)
                continue
            # an entry is `(group, name)` inside resource maps, `(key,)` elsewhere and for the groups themselves
            mine.update({p: mark for p, mark in theirs.items()
                         if (p[:2] in taken if len(p) > 1 and p[0] in GROUPS else p[:1] in taken)
                         and p not in mine})

    def _duplicate(self, what: str, path: Path_, smap: SourceMap) -> None:
        first = self.smap.key(path)
        self.diags.add(f"{what} is declared twice", smap.key(path), hint=f"first declared at {first}")

    # ---- variables -------------------------------------------------------------------------

    def _interpolate(self, data: dict[str, Any], variables: Mapping[str, str] | None,
                     var_files: list[Path] | None, env: Mapping[str, str]) -> dict[str, Any]:
        """Declared variables get their values; then every other section is interpolated.

        Variable declarations may only use the environment, so their values never depend on each other.
        """
        provider = data.get("provider")
        key_env = provider.get("api_key_env") if isinstance(provider, dict) else None
        secret_env = {"OPENAI_API_KEY"} | ({key_env} if isinstance(key_env, str) else set())
        readable = readable_env(self.trust, env)
        env_only = Interpolator({}, {}, env, secret_env, self.diags, allow_vars=False, readable_env=readable,
                                workspace=self.workspace)
        declared: dict[str, Declared] = {}
        for name, raw in data.get("variables", {}).items():
            raw = env_only.tree(raw, self.smap, ("variables", name))
            spec = self.validate(Variable, raw, ("variables", name))
            if spec is not None:
                declared[name] = Declared(spec.default, self.smap.key(("variables", name)), spec.workspaces)
        values = resolve_variables(declared, variables, var_files, self.diags, self.trust.limits, self.workspace)
        interpolate = Interpolator(values, declared, env, secret_env, self.diags, readable_env=readable,
                                   workspace=self.workspace)
        state = data.get("state")
        # a literal `$${workspace}` names one file for every workspace: it is made each one's like any other
        self.state_names_workspace = isinstance(state, dict) and refers_to(
            [state.get("path"), state.get("name")], WORKSPACE_REF)
        result = {key: value if key == "variables" else interpolate.tree(value, self.smap, (key,))
                  for key, value in data.items()}
        self.validate.quiet |= interpolate.failed | env_only.failed
        return result

    def _reject_secrets(self, provider: Any, path: Path_ = ("provider",)) -> None:
        if isinstance(provider, dict):
            for key, value in provider.items():
                self._reject_secrets(value, path + (key,))
        elif isinstance(provider, list):
            for i, value in enumerate(provider):
                self._reject_secrets(value, path + (i,))
        elif isinstance(provider, str) and _SECRET.search(provider):
            self.diags.add(f"{dotted(path)} looks like an API key: never write the key in the stack",
                           self.smap.value(path),
                           hint="set api_key_env to the name of the environment variable that holds the key")

    def _reject_key_value(self, data: dict[str, Any], env: Mapping[str, str]) -> None:
        """However it got there (another env var, a var file), the key's value must not be in the stack."""
        provider = data.get("provider")
        name = provider.get("api_key_env") if isinstance(provider, dict) else None
        name = name if isinstance(name, str) else "OPENAI_API_KEY"
        key = env.get(name, "")
        if len(key) < 8 or not _contains(data, key):  # too short to tell from ordinary text, or absent
            return
        for path, text in _strings(data):
            if key in text:
                self.diags.add(f"{dotted(path)} contains the API key (the value of ${name})", self.smap.value(path),
                               hint="the provider reads the key itself from the variable named by `api_key_env`")

    def _reject_conninfo(self, data: dict[str, Any], env: Mapping[str, str]) -> None:
        """A connection string may hold a password: the stack names its variable, never holds it."""
        state = data.get("state")
        for path, text in _strings(state, ("state",)) if isinstance(state, dict) else ():
            if _CONNINFO.search(text):
                self.diags.add(f"{dotted(path)} looks like a connection string: never write it in the stack",
                               self.smap.value(path),
                               hint="set conninfo_env to the name of the environment variable that holds it")
                self.validate.quiet.add(path)
        name = state.get("conninfo_env") if isinstance(state, dict) else None
        conninfo = env.get(name, "") if isinstance(name, str) else ""
        if len(conninfo) < 8 or not _contains(data, conninfo):  # too short to tell from ordinary text, or absent
            return
        for path, text in _strings(data):
            if conninfo in text and path not in self.validate.quiet:
                self.diags.add(f"{dotted(path)} contains the state's connection string (the value of ${name})",
                               self.smap.value(path),
                               hint="the postgres backend reads it itself from the variable named by `conninfo_env`")

    # ---- validate --------------------------------------------------------------------------

    def _entries(self, group: str, entries: dict[str, Any]) -> dict[str, Any]:
        model = GROUPS[group]
        valid = {}
        for name, raw in entries.items():
            if not re.match(NAME_PATTERN, name):
                self.diags.add(f'{group} name "{name}" is not valid: it must start with a letter and use only '
                               "letters, digits, '_' and '-' (at most 64)", self.smap.key((group, name)))
            spec = self.validate(model, raw, (group, name))
            if spec is not None:
                valid[name] = spec
        return valid

    def _check_removed(self, top: StackFile, specs: dict[str, Any], file_sets: dict[str, list[str]]) -> None:
        """`removed:` names what the stack no longer declares; forgetting what it declares would undo itself."""
        declared = {address(group, name) for group in GROUPS for name in specs.get(group, {})}
        declared.update(member for members in file_sets.values() for member in members)
        for i, entry in enumerate(top.removed):
            if entry.address in declared:
                self.diags.add(f"removed: {entry.address} is still declared in the stack",
                               self.smap.value(("removed", i, "address")),
                               hint=f"delete {entry.address} from the stack, or drop this removed: entry")

    def _check_provider(self, top: StackFile) -> None:
        provider = top.provider
        if provider.kind == "compatible" and not provider.base_url:
            self.diags.add('provider kind "compatible" needs a base_url', self.smap.key(("provider", "kind")),
                           hint="the URL of the OpenAI-compatible server, e.g. http://localhost:8000/v1")
        if provider.data is not None and provider.kind != "emulator":
            self.diags.add(f'provider.data only applies to kind "emulator", not "{provider.kind}"',
                           self.smap.key(("provider", "data")))
        for refusal in endpoint_refusals(provider.model_dump(), self.trust):
            self.diags.add(refusal.message, self.smap.value(("provider", refusal.field)), hint=refusal.hint)
        if provider.data is not None:
            self.confinement.check(_resolve(self.origin[("provider",)].parent, provider.data), "provider.data",
                                   self.smap.value(("provider", "data")), self.diags)

    def _check_state(self, top: StackFile) -> None:
        state, where = top.state, ("state",)
        # written but faulty (reported already) is not missing
        if state.backend == "postgres" and not state.conninfo_env and where + ("conninfo_env",) not in self.smap.keys:
            self.diags.add('state backend "postgres" needs conninfo_env', self.smap.key(where + ("backend",)),
                           hint="the name of the environment variable holding the connection string,"
                           " e.g. conninfo_env: PROVISIONER_PG_CONNINFO")
        only = {"path": "local", "conninfo_env": "postgres", "name": "postgres"}
        for key, backend in only.items():
            if getattr(state, key) is not None and state.backend != backend:
                self.diags.add(f'state.{key} only applies to backend "{backend}", not "{state.backend}"',
                               self.smap.key(where + (key,)))
        if state.path is not None:  # a state file is written too: never outside the stack's folders
            self.confinement.check(_resolve(self.origin[("state",)].parent, state.path), "state.path",
                                   self.smap.value(where + ("path",)), self.diags)

    def _state(self, top: StackFile) -> StateSpec:
        """The state as written, made the workspace's own (the defaults are, in state.location)."""
        state = top.state
        apart = self.workspace != DEFAULT_WORKSPACE and not self.state_names_workspace
        if state.name is not None and apart:  # stack names have no "/", so no workspace's row is another's
            state = state.model_copy(update={"name": f"{state.name}/{self.workspace}"})
        if state.path is None:
            return state
        # like every path in a stack, relative to the file that declares it
        path = _resolve(self.origin[("state",)].parent, state.path)
        return state.model_copy(update={"path": str(path.parent / self.workspace / path.name if apart else path)})

    def _provider(self, top: StackFile) -> Provider:
        provider = top.provider
        if provider.data is None:
            return provider
        # the emulator's data path is relative to the file that declares it, like every path
        base = self.origin[("provider",)].parent
        return provider.model_copy(update={"data": str(_resolve(base, provider.data))})

    def _base(self, group: str, name: str) -> Path:
        return self.origin[(group, name)].parent

    # ---- files -----------------------------------------------------------------------------

    def _files(self, files: dict[str, FileSpec]) -> dict[str, LocalFile]:
        result = {}
        for name, spec in files.items():
            path = _resolve(self._base("files", name), spec.path)
            where = self.smap.value(("files", name, "path"))
            if not self.confinement.check(path, f"files.{name}.path", where, self.diags):
                continue
            local = filesets.local_file(address("files", name), path, path.name, spec.purpose, where, self.diags)
            if local:
                result[local.address] = local
        return result

    def _file_sets(self, sets: dict[str, FileSetSpec], root: Path, local_files: dict[str, LocalFile]
                   ) -> dict[str, list[str]]:
        members_by_set = {}
        for name, spec in sets.items():
            members = filesets.expand_set(name, spec, self._base("file_sets", name), root, self.confinement,
                                          self.smap.value(("file_sets", name, "include")), self.diags)
            for member in members:
                local_files[member.address] = member
            members_by_set[name] = [m.address for m in members]
        return members_by_set

    def _check_indexable(self, stores: dict[str, VectorStoreSpec], local_files: dict[str, LocalFile],
                         file_sets: dict[str, list[str]]) -> None:
        """The API refuses (400 unsupported_file) to attach a file file_search cannot index: say so now."""
        for name, vs in stores.items():
            for group, key in (("files", "file"), ("file_sets", "file_set")):
                for i, entry in enumerate(getattr(vs, group)):
                    ref = entry if isinstance(entry, str) else getattr(entry, key)
                    members = ([address("files", ref)] if group == "files" else file_sets.get(ref, []))
                    for member in filter(None, map(local_files.get, members)):
                        if os.path.splitext(member.filename)[1].lower() not in FILE_SEARCH_EXTENSIONS:
                            self.diags.add(
                                f"{member.address} ({display_path(member.path)}) cannot go in vector_stores.{name}:"
                                " file_search indexes only " + " ".join(sorted(FILE_SEARCH_EXTENSIONS)) + " files",
                                self.smap.value(("vector_stores", name, group, i)),
                                hint="leave it out of the store (a file set's exclude:, e.g. \"**/*.png\");"
                                     " code_interpreter takes any file")

    # ---- functions and schemas -------------------------------------------------------------

    def _functions(self, functions: dict[str, FunctionSpec]) -> dict[str, ResolvedFunction]:
        result = {}
        for key, spec in functions.items():
            path: Path_ = ("functions", key)
            what = f'parameters of function "{key}"'
            if spec.parameters is not None and spec.parameters_file is not None:
                self.diags.add(f'function "{key}" sets both parameters and parameters_file', self.smap.key(path),
                               hint="keep one of them")
                continue
            if spec.parameters_file is not None:
                parameters = self._schema_file(spec.parameters_file, self._base("functions", key),
                                               path + ("parameters_file",), what, spec.strict, object_root=True)
            elif spec.parameters is not None:
                parameters = spec.parameters
                check_schema(parameters, spec.strict, what, self._locate_in(path + ("parameters",)), self.diags,
                             object_root=True)
            else:
                parameters = dict(EMPTY_PARAMETERS)
                if spec.strict:
                    # strict mode still needs a closed object
                    parameters["additionalProperties"] = False
                    parameters["required"] = []
            if parameters is not None:
                result[key] = ResolvedFunction(name=spec.name or key, description=spec.description,
                                               parameters=parameters, strict=spec.strict)
        return result

    def _locate_in(self, prefix: Path_):
        return lambda p: self.smap.key(prefix + p) if p else self.smap.value(prefix)

    def _schema_file(self, relative: str, base: Path, path: Path_, what: str, strict: bool,
                     object_root: bool = False) -> dict[str, Any] | None:
        where = self.smap.value(path)
        file = _resolve(base, relative)
        if file.suffix not in SCHEMA_SUFFIXES:
            self.diags.add(f"{dotted(path)} must be a .json, .yaml or .yml file: {relative}", where)
            return None
        if not self._readable(file, path):
            return None
        parsed = parse_file(file, self.diags, self.trust.limits)
        if parsed is None:
            return None
        schema, fsmap = parsed
        check_schema(schema, strict, f"{what} (from {relative})",
                     lambda p: fsmap.key(p) if p else fsmap.value(()), self.diags, object_root)
        return schema if isinstance(schema, dict) else None

    # ---- assistants ------------------------------------------------------------------------

    def _assistants(self, assistants: dict[str, AssistantSpec], default_target: str) -> dict[str, AssistantSpec]:
        result = {}
        for name, spec in assistants.items():
            path: Path_ = ("assistants", name)
            update: dict[str, Any] = {"target": spec.target or default_target}
            if spec.instructions is not None and spec.instructions_file is not None:
                self.diags.add(f'assistant "{name}" sets both instructions and instructions_file',
                               self.smap.key(path), hint="keep one of them")
            elif spec.instructions_file is not None:
                text = self._read_text(spec.instructions_file, self._base("assistants", name),
                                       path + ("instructions_file",))
                if text is not None:
                    self._check_instructions_length(text, spec.instructions_file, path + ("instructions_file",))
                update["instructions"] = text
                update["instructions_file"] = None
            if isinstance(spec.response_format, ResponseFormat):
                update["response_format"] = self._response_format(spec.response_format, name, path + ("response_format",))
            result[name] = spec.model_copy(update=update)
        return result

    def _check_instructions_length(self, text: str, file: str, path: Path_) -> None:
        """Instructions read from a file obey the same limit as if written inline."""
        limit = next(m.max_length for m in AssistantSpec.model_fields["instructions"].metadata
                     if hasattr(m, "max_length"))
        if len(text) > limit:
            self.diags.add(f"instructions read from {file} are too long: {len(text)} characters, "
                           f"at most {limit}", self.smap.value(path))

    def _readable(self, file: Path, path: Path_) -> bool:
        """Whether the file a setting names may be read, and is there; reported at the setting if not."""
        where = self.smap.value(path)
        if not self.confinement.check(file, dotted(path[-1:]), where, self.diags):
            return False
        try:
            if file.is_file():
                return True
            self.diags.add(f"file not found: {display_path(file)}", where,
                           hint="paths are relative to the stack file that names them")
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            self.diags.add(f"cannot read {display_path(file)}: {getattr(exc, 'strerror', None) or exc}", where)
        return False

    def _read_text(self, relative: str, base: Path, path: Path_) -> str | None:
        file = _resolve(base, relative)
        where = self.smap.value(path)
        if not self._readable(file, path):
            return None
        try:
            return file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.diags.add(f"{display_path(file)} is not UTF-8 text", where)
        except OSError as exc:
            self.diags.add(f"cannot read {display_path(file)}: {exc.strerror or exc}", where)
        return None

    def _response_format(self, rf: ResponseFormat, name: str, path: Path_) -> ResponseFormat:
        js = rf.json_schema
        if rf.type != "json_schema":
            if js is not None:
                self.diags.add(f'json_schema only applies with type: json_schema, not "{rf.type}"',
                               self.smap.key(path + ("json_schema",)))
            return rf
        if js is None:
            self.diags.add("type: json_schema needs a json_schema: block with a name and a schema",
                           self.smap.key(path))
            return rf
        what = f'response_format schema of assistant "{name}"'
        js_path = path + ("json_schema",)
        if (js.schema_ is None) == (js.schema_file is None):
            self.diags.add("json_schema needs exactly one of schema and schema_file", self.smap.key(js_path))
            return rf
        if js.schema_file is not None:
            schema = self._schema_file(js.schema_file, self._base("assistants", name), js_path + ("schema_file",),
                                       what, js.strict is True)
            js = js.model_copy(update={"schema_": schema, "schema_file": None})
        else:
            check_schema(js.schema_, js.strict is True, what, self._locate_in(js_path + ("schema",)), self.diags)
        return rf.model_copy(update={"json_schema": js})


def _resolve(base: Path, relative: str) -> Path:
    # normalised, so `../shared/x.md` reads as the file it is in messages and in LocalFile.path
    return Path(os.path.normpath(base / relative))


def _strings(data: Any, path: Path_ = ()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _strings(value, path + (i,))
    elif isinstance(data, str):
        yield path, data


def _contains(data: Any, text: str) -> bool:
    """Whether some string in `data` contains `text`: `_strings` without a path per value, for a
    stack where, as it should be, none does."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and text in item:
            return True
    return False
