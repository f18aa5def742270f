"""Run the whole Tandem system on one machine (embedded broker, SQLite per service)."""
