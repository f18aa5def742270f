"""Alembic environment for the procurement database."""

from tandem_kit.db import kit_metadata
from tandem_kit.migrations import run_env
from tandem_procurement.db.tables import metadata

run_env([metadata, kit_metadata])
