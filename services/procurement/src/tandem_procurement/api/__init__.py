"""Procurement service: api layer."""
