"""Supplier tables (the service's own; the kit's outbox/inbox tables live beside them)."""

from __future__ import annotations

from sqlalchemy import MetaData

from tandem_kit.db import NAMING

metadata = MetaData(naming_convention=NAMING)
