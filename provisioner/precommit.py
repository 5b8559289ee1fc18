"""The pre-commit hook's entry (`provisioner-validate-files FILE...`): validate the stacks the files belong to.

pre-commit passes the staged files; a stack is a stack.yaml (or a directory holding one, whose
other YAML files merge into it), so each file is mapped to the nearest directory with a stack.yaml
and each such stack is validated once, with `provisioner validate`. It must not change anything.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

STACK_FILES = ("stack.yaml", "stack.yml")


def stack_root(file: Path) -> Path | None:
    for directory in [file.parent, *file.parent.parents]:
        if any((directory / name).is_file() for name in STACK_FILES):
            return directory
    return None


def main(argv: list[str] | None = None) -> int:
    files = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    roots = sorted({root for root in map(stack_root, files) if root is not None})
    failed = 0
    for root in roots:
        failed |= subprocess.run([sys.executable, "-m", "provisioner.cli", "validate", str(root)]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
