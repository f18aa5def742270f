"""Procurement service: events layer."""
