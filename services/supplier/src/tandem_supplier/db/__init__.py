"""Supplier service: db layer."""
