"""Sales service: application layer."""
