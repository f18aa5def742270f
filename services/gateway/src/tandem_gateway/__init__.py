"""Tandem gateway: the one base URL clients use."""
