"""Test fixtures shared by every service (loaded with ``-p tandem_kit.testing.plugin``)."""
