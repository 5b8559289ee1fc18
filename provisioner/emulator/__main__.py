"""`python -m provisioner.emulator`: run the emulator in the foreground.

Owns only the module entry point; options live in cli.py and must not be duplicated here.
"""

from .cli import emulator_command

if __name__ == "__main__":
    emulator_command(prog_name="python -m provisioner.emulator")
