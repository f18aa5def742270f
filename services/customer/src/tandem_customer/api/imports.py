"""CSV lead import over HTTP: a job that reports progress and per-row errors."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tandem_customer.api.common import actor_of
from tandem_customer.application.imports import import_leads, parse_rows
from tandem_customer.db.jobs import ImportJobs
from tandem_customer.domain.errors import InvalidRecord, RecordNotFound
from tandem_kit.auth import CurrentPrincipal
from tandem_kit.permissions import require

router = APIRouter(prefix="/api/v1/leads/imports", tags=["leads"])
log = logging.getLogger("tandem.customer.imports")


class RowErrorOut(BaseModel):
    row: int
    field: str | None
    message: str


class ImportJob(BaseModel):
    id: uuid.UUID
    status: str
    filename: str | None
    total_rows: int
    processed: int
    imported: int
    duplicates: int
    failed: int
    errors: list[RowErrorOut]
    created_by: str
    created_at: datetime
    finished_at: datetime | None


async def _csv_text(request: Request) -> tuple[str, str | None]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "text/plain", "application/csv"):
        raise InvalidRecord(
            "send the file as the body with Content-Type: text/csv", field="Content-Type"
        )
    return (await request.body()).decode("utf-8-sig"), request.headers.get("X-Filename")


@router.post(
    "",
    status_code=202,
    response_model=ImportJob,
    dependencies=[require("leads", "write")],
    responses={422: {"description": "unreadable CSV, or more rows than allowed"}},
)
async def start_import(
    request: Request,
    principal: CurrentPrincipal,
    wait: Annotated[bool, Query(description="answer only when the import has finished")] = False,
) -> JSONResponse:
    """Import leads from CSV (header: name,email,company,phone,source,industry,
    estimated_amount,currency,owner). Duplicates (by email) are skipped; bad rows are reported
    by row number and field. Poll ``GET /api/v1/leads/imports/{id}`` for progress."""
    try:
        text, filename = await _csv_text(request)
    except UnicodeDecodeError:
        raise InvalidRecord("the CSV must be UTF-8", field="file") from None
    settings = request.app.state.settings
    total = len(parse_rows(text))
    if total > settings.import_max_rows:
        raise InvalidRecord(f"at most {settings.import_max_rows} rows per import", field="file")
    jobs = ImportJobs(request.app.state.sessions)
    job_id = uuid.uuid4()
    await jobs.start(job_id, total=total, filename=filename, by=principal.subject)
    actor = actor_of(principal)

    async def run() -> None:
        async def progress(report) -> None:
            await jobs.progress(job_id, report.as_dict())

        try:
            report = await import_leads(
                text,
                request.app.state.uow,
                actor=actor,
                batch_size=settings.import_batch_size,
                progress=progress,
            )
            await jobs.progress(job_id, report.as_dict(), status="completed")
        except asyncio.CancelledError:
            # The process is stopping: say so, so nobody waits on a job that will not finish
            # (batches already committed stay imported; re-running the file skips them).
            await asyncio.shield(_give_up(jobs, job_id, "interrupted"))
            raise
        except Exception:
            log.exception("lead import failed", extra={"job": str(job_id)})
            await _give_up(jobs, job_id, "failed")

    task = asyncio.create_task(run())
    running: set = request.app.state.import_tasks
    running.add(task)
    task.add_done_callback(running.discard)
    if wait:
        await task
    job = await jobs.get(job_id)
    return JSONResponse(
        status_code=202 if not wait else 200,
        content=ImportJob.model_validate(job).model_dump(mode="json"),
    )


async def _give_up(jobs: ImportJobs, job_id: uuid.UUID, status: str) -> None:
    try:
        job = await jobs.get(job_id) or {}
        counts = {k: job.get(k, 0) for k in ("processed", "imported", "duplicates", "failed")}
        await jobs.progress(job_id, counts | {"errors": job.get("errors", [])}, status=status)
    except Exception:
        log.exception("could not record the end of a lead import", extra={"job": str(job_id)})


@router.get("/{job_id}", response_model=ImportJob, dependencies=[require("leads", "read")])
async def get_import(job_id: uuid.UUID, request: Request) -> ImportJob:
    job = await ImportJobs(request.app.state.read_sessions).get(job_id)
    if job is None:
        raise RecordNotFound("import", job_id, field="job_id")
    return ImportJob.model_validate(job)
