"""A local, wire-faithful emulator of the OpenAI API surface the provisioner manages.

Public entry points: EmulatorConfig, start_in_thread (in-process), cli.emulator_command
(`provisioner emulator`), testing.running_emulator (subprocess, for tests).
"""

from .config import DEFAULT_MODELS, EmulatorConfig
from .server import EmulatorHandle, start_in_thread

__all__ = ["DEFAULT_MODELS", "EmulatorConfig", "EmulatorHandle", "start_in_thread"]
