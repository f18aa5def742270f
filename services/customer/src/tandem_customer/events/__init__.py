"""Customer integration events: domain events -> contracts (published via the outbox)."""
