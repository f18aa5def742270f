"""Tandem customer service (CRM core)."""
