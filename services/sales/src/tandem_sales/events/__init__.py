"""Sales service: events layer."""
