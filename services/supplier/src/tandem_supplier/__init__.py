"""Tandem supplier service: suppliers, qualification, certifications, offers, scorecards."""
