"""Procurement HTTP API: demand, requisitions, approval rules, purchase orders, receipts, contracts."""
