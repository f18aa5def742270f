"""Customer domain: pure Python, no I/O."""
