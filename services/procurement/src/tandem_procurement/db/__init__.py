"""Procurement service: db layer."""
