"""Sales service: db layer."""
