"""Customer use cases: one handler per command, one transaction each."""
