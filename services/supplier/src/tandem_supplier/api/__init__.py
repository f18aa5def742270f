"""Supplier service: api layer."""
