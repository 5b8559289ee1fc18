"""Stack files: YAML with line marks -> validated, frozen Stack with references checked."""
