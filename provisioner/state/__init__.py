"""State: what was applied for a stack, and where and how it is stored and locked.

Import from here: the model (State, ResourceState), the StateManager, and the backends
(the postgres one imports its driver only when used).
"""
from provisioner.state.backend import LockInfo, StateBackend
from provisioner.state.local import LocalFileBackend
from provisioner.state.manager import StateManager
from provisioner.state.memory import InMemoryBackend
from provisioner.state.postgres import PostgresBackend
from provisioner.state.model import ResourceState, State

__all__ = [
    "InMemoryBackend",
    "LocalFileBackend",
    "LockInfo",
    "PostgresBackend",
    "ResourceState",
    "State",
    "StateBackend",
    "StateManager",
]
