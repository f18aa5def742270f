"""Supplier service: application layer."""
