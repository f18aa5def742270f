"""Alembic environment for the customer database."""

from tandem_customer.db.tables import metadata
from tandem_kit.db import kit_metadata
from tandem_kit.migrations import run_env

run_env([metadata, kit_metadata])
