"""Customer persistence: tables, mapping, repositories, migrations."""
