"""Supplier service: domain layer."""
