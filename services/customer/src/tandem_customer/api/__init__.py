"""Customer HTTP API."""
