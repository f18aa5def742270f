"""Supplier service: events layer."""
