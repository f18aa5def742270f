"""Procurement HTTP API: demand, requisitions, approval rules, POs, receipts, contracts."""
