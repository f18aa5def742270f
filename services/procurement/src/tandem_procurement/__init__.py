"""Tandem procurement service: demand, requisitions, approvals, purchase orders, receipts, contracts."""
