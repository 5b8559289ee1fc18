"""A local, wire-faithful emulator of the OpenAI API surface the provisioner manages.

Owns the package's public names: EmulatorConfig, start_in_thread (in-process), with
cli.emulator_command (`provisioner emulator`) and testing.running_emulator (subprocess, for
tests) alongside. Must not import the rest of the provisioner: the emulator stands in for
OpenAI and knows nothing about stacks, plans or state.
"""

from .config import DEFAULT_MODELS, EmulatorConfig
from .server import EmulatorHandle, start_in_thread

__all__ = ["DEFAULT_MODELS", "EmulatorConfig", "EmulatorHandle", "start_in_thread"]
