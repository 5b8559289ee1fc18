"""Pydantic models of the desired world, as a stack file declares it.

Owns the shape and the per-field rules of every declared resource. It must not read files or
call the API: the loader fills in file contents, hashes and locations.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from provisioner.workspaces import DEFAULT_WORKSPACE, WORKSPACE_PATTERN

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"
Metadata = dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=512)]]
AttributeValue = Union[str, float, bool]
AssistantTarget = Literal["assistants_api", "responses", "agents"]
FilePurpose = Literal["assistants", "user_data"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider(Spec):
    """Where the stack deploys. The key is read from an environment variable, never written here."""

    kind: Literal["emulator", "openai", "compatible"] = "emulator"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    organization: str | None = None
    project: str | None = None
    # bounds each request (connect and every read); unset: the SDK's 5 s to connect, 600 s to answer
    timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    # emulator only: where the embedded emulator keeps its SQLite data (relative to the stack)
    data: str | None = None


class StateSpec(Spec):
    """Where the stack's state lives. A postgres connection string may hold a password, so the
    stack names the environment variable that holds it, never the string itself."""

    backend: Literal["local", "postgres"] = "local"
    path: str | None = None  # local: the state file, relative to the stack file (default state/<stack>.json there too)
    conninfo_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")  # postgres
    # postgres: the row (default: the stack); no "/", which separates a workspace's row (`<name>/<ws>`)
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"^[^/]+$")


class Variable(Spec):
    description: str | None = None
    default: Any = None
    # workspace -> its default, taken instead of `default` when that workspace is deployed
    workspaces: dict[Annotated[str, Field(pattern=WORKSPACE_PATTERN)], Any] = {}


class Defaults(Spec):
    assistant_target: AssistantTarget = "assistants_api"


class Lifecycle(Spec):
    """Guards on one resource: never delete or replace it; leave fields edited elsewhere alone."""

    prevent_destroy: bool = False
    ignore_changes: Union[Literal["all"], list[str]] = []  # field names (see provisioner.lifecycle)


class FileSpec(Spec):
    path: str
    purpose: FilePurpose = "assistants"
    lifecycle: Lifecycle | None = None


class FileSetSpec(Spec):
    include: list[str] = Field(min_length=1)
    exclude: list[str] = []
    purpose: FilePurpose = "assistants"
    lifecycle: Lifecycle | None = None  # for every file of the set


class ExpiresAfter(Spec):
    anchor: Literal["last_active_at"] = "last_active_at"
    days: int = Field(ge=1, le=365)


class StaticChunking(Spec):
    max_chunk_size_tokens: int = Field(ge=100, le=4096)
    chunk_overlap_tokens: int = Field(ge=0)


class ChunkingStrategy(Spec):
    type: Literal["auto", "static"]
    static: StaticChunking | None = None


class VectorStoreFile(Spec):
    """One file in a vector store: a file name from this stack, or the id of an existing file."""

    file: str
    attributes: dict[Annotated[str, Field(max_length=64)], AttributeValue] = {}


class VectorStoreFileSet(Spec):
    file_set: str
    attributes: dict[Annotated[str, Field(max_length=64)], AttributeValue] = {}


class VectorStoreSpec(Spec):
    name: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=512)
    metadata: Metadata = {}
    expires_after: ExpiresAfter | None = None
    chunking_strategy: ChunkingStrategy | None = None
    files: list[Union[str, VectorStoreFile]] = []
    file_sets: list[Union[str, VectorStoreFileSet]] = []
    lifecycle: Lifecycle | None = None


class FunctionSpec(Spec):
    name: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9_\-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    parameters_file: str | None = None
    strict: bool = False


class RankingOptions(Spec):
    ranker: Literal["auto", "default_2024_08_21"] = "auto"
    score_threshold: float = Field(default=0.0, ge=0.0, le=1.0)


class CodeInterpreterTool(Spec):
    type: Literal["code_interpreter"]


class FileSearchTool(Spec):
    type: Literal["file_search"]
    max_num_results: int | None = Field(default=None, ge=1, le=50)
    ranking_options: RankingOptions | None = None


class FunctionTool(Spec):
    type: Literal["function"]
    function: str  # name of an entry under `functions:`


Tool = Annotated[Union[CodeInterpreterTool, FileSearchTool, FunctionTool], Field(discriminator="type")]


class CodeInterpreterResources(Spec):
    files: list[str] = Field(default=[], max_length=20)


class FileSearchResources(Spec):
    vector_stores: list[str] = Field(default=[], max_length=1)


class ToolResources(Spec):
    code_interpreter: CodeInterpreterResources | None = None
    file_search: FileSearchResources | None = None


class JsonSchemaFormat(Spec):
    name: str = Field(pattern=r"^[a-zA-Z0-9_\-]{1,64}$")
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    schema_file: str | None = None
    strict: bool | None = None


class ResponseFormat(Spec):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class AssistantSpec(Spec):
    target: AssistantTarget | None = None  # None: the stack's defaults.assistant_target
    model: str
    name: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=512)
    instructions: str | None = Field(default=None, max_length=256_000)
    instructions_file: str | None = None
    tools: list[Tool] = Field(default=[], max_length=128)
    tool_resources: ToolResources | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    response_format: Union[Literal["auto"], ResponseFormat, None] = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    metadata: Metadata = {}
    lifecycle: Lifecycle | None = None


class Moved(Spec):
    """A resource renamed in the stack: its state entry moves, and the live object is kept."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: str = Field(alias="from")
    to: str


class Removed(Spec):
    """A resource dropped from the stack; with destroy: false it is forgotten, not deleted."""

    address: str
    destroy: bool = True


class StackFile(Spec):
    """The top level of one stack file (a directory of files merges into one of these)."""

    stack: str = Field(pattern=NAME_PATTERN)
    # more folders this stack reads, relative to the file; honoured only with --trust-stack-paths
    allow_paths: list[str] = []
    provider: Provider = Provider()
    state: StateSpec = StateSpec()
    variables: dict[str, Variable] = {}
    defaults: Defaults = Defaults()
    files: dict[str, FileSpec] = {}
    file_sets: dict[str, FileSetSpec] = {}
    vector_stores: dict[str, VectorStoreSpec] = {}
    functions: dict[str, FunctionSpec] = {}
    assistants: dict[str, AssistantSpec] = {}
    moved: list[Moved] = []
    removed: list[Removed] = []


# ---- what the loader produces: everything resolved, read and hashed -------------------------


class LocalFile(Spec):
    """One file to upload: a `files:` entry or one member of a file set."""

    address: str  # e.g. files.policy or file_sets.docs["guide/intro.md"]
    path: Path  # absolute
    filename: str  # the name it is uploaded under
    purpose: FilePurpose
    sha256: str
    size: int


class ResolvedFunction(Spec):
    name: str
    description: str | None = None
    parameters: dict[str, Any]
    strict: bool


class Stack(Spec):
    """The desired world after loading: variables interpolated, files read, schemas loaded."""

    name: str
    workspace: str = DEFAULT_WORKSPACE  # the environment deployed to (see provisioner.resources.base.OWNER_WORKSPACE)
    root: Path  # the directory relative paths in the stack are taken from
    sources: list[Path]
    provider: Provider
    state: StateSpec = StateSpec()  # a local path is absolute by now
    defaults: Defaults
    local_files: dict[str, LocalFile]  # by address string
    file_sets: dict[str, list[str]]  # set name -> member addresses, in path order
    vector_stores: dict[str, VectorStoreSpec]
    functions: dict[str, ResolvedFunction]
    # instructions_file already read into instructions, response_format schema_file into schema
    assistants: dict[str, AssistantSpec]
    lifecycles: dict[str, Lifecycle] = {}  # by address; a file set's members share the set's
    moved: list[Moved] = []
    removed: list[Removed] = []
