"""Tandem procurement service: demand, requisitions, approvals, POs, receipts, contracts."""
