"""Procurement service: domain layer."""
