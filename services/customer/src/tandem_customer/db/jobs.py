"""Lead-import jobs: progress and the per-row report, stored so any replica can answer."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_customer.db.tables import lead_imports
from tandem_kit.db import utcnow


class ImportJobs:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def start(self, job_id: uuid.UUID, *, total: int, filename: str | None, by: str) -> None:
        async with self.sessions() as s:
            await s.execute(
                insert(lead_imports).values(
                    id=job_id,
                    status="running",
                    filename=filename,
                    total_rows=total,
                    processed=0,
                    imported=0,
                    duplicates=0,
                    failed=0,
                    errors=[],
                    created_by=by,
                    created_at=utcnow(),
                )
            )
            await s.commit()

    async def progress(
        self, job_id: uuid.UUID, report: dict[str, Any], *, status: str = "running"
    ) -> None:
        values = {k: report[k] for k in ("processed", "imported", "duplicates", "failed", "errors")}
        if status != "running":
            values["finished_at"] = utcnow()
        async with self.sessions() as s:
            await s.execute(
                update(lead_imports)
                .where(lead_imports.c.id == job_id)
                .values(status=status, **values)
            )
            await s.commit()

    async def get(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        async with self.sessions() as s:
            row = (await s.execute(select(lead_imports).where(lead_imports.c.id == job_id))).first()
        return None if row is None else dict(row._mapping)
