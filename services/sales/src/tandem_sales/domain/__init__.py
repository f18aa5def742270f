"""Sales service: domain layer."""
