"""`python -m provisioner.emulator`: run the emulator in the foreground."""

from .cli import emulator_command

if __name__ == "__main__":
    emulator_command(prog_name="python -m provisioner.emulator")
