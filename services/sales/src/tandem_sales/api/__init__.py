"""Sales service: api layer."""
