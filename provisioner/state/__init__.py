"""State: what was applied for a stack, and where and how it is stored and locked.

Import from here: the model (State, ResourceState), the StateManager, and the backends.
"""
from provisioner.state.backend import LockInfo, StateBackend
from provisioner.state.local import LocalFileBackend
from provisioner.state.manager import StateManager
from provisioner.state.memory import InMemoryBackend
from provisioner.state.model import ResourceState, State

__all__ = [
    "InMemoryBackend",
    "LocalFileBackend",
    "LockInfo",
    "ResourceState",
    "State",
    "StateBackend",
    "StateManager",
]
