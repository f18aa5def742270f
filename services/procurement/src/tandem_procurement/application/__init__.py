"""Procurement service: application layer."""
