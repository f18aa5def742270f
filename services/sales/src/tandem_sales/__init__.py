"""Tandem sales service: catalog, opportunities, quotes, sales orders."""
