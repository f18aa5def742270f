"""CSV lead import: validate every row, skip duplicates, insert in batches, report per row."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tandem_customer.application.access import Actor
from tandem_customer.application.unit_of_work import CustomerUnitOfWork
from tandem_customer.domain.dedup import normalise_email
from tandem_customer.domain.errors import InvalidRecord
from tandem_customer.domain.leads import Lead

COLUMNS = (
    "name",
    "email",
    "company",
    "phone",
    "source",
    "industry",
    "estimated_amount",
    "currency",
    "owner",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ERRORS = 1000  # the report keeps the first ones; the counts stay exact


@dataclass
class RowError:
    row: int  # 1-based data row (the header is row 0)
    field: str | None
    message: str


@dataclass
class ImportReport:
    total_rows: int = 0
    processed: int = 0
    imported: int = 0
    duplicates: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)

    def error(self, row: int, field_: str | None, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, field_, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "total_rows": self.total_rows,
            "processed": self.processed,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "errors": [e.__dict__ for e in self.errors],
        }


def parse_rows(text: str) -> list[dict[str, str]]:
    """Rows of a CSV with a header naming the columns (unknown columns are an error)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "name" not in header:
        raise InvalidRecord("the CSV header must name a 'name' column", field="file")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InvalidRecord(
            f"unknown CSV column {unknown[0]!r}; known: {', '.join(COLUMNS)}", field="file"
        )
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def row_to_details(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as capture details; raises InvalidRecord naming the bad field."""
    email = row.get("email") or None
    if email and not _EMAIL.match(email):
        raise InvalidRecord("not a valid email address", field="email")
    amount: Decimal | None = None
    if row.get("estimated_amount"):
        try:
            amount = Decimal(row["estimated_amount"])
        except InvalidOperation:
            raise InvalidRecord("not a decimal number", field="estimated_amount") from None
        if not amount.is_finite():
            raise InvalidRecord("not a decimal number", field="estimated_amount")
    currency = (row.get("currency") or "").upper() or None
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidRecord("not an ISO 4217 code", field="currency")
    for key, limit in (
        ("name", 200),
        ("company", 200),
        ("phone", 50),
        ("source", 50),
        ("industry", 100),
    ):
        if len(row.get(key) or "") > limit:
            raise InvalidRecord(f"longer than {limit} characters", field=key)
    return {
        "email": email,
        "company": row.get("company") or None,
        "phone": row.get("phone") or None,
        "source": row.get("source") or None,
        "industry": row.get("industry") or None,
        "estimated_amount": amount,
        "currency": currency,
    }


Progress = Callable[[ImportReport], Awaitable[None]]


async def import_leads(
    text: str,
    uow_factory: Callable[[], CustomerUnitOfWork],
    *,
    actor: Actor,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> ImportReport:
    """Import leads from CSV text; each batch is one transaction (leads + their events)."""
    rows = parse_rows(text)
    report = ImportReport(total_rows=len(rows))
    seen: set[str] = set()
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        async with uow_factory() as uow:
            keys = [k for r in batch if (k := normalise_email(r.get("email")))]
            taken = await uow.leads.existing_email_keys(keys) if keys else set()
            for offset, row in enumerate(batch, start=start + 1):
                try:
                    details = row_to_details(row)
                    owner = row.get("owner") or None
                    actor.check_assignment(owner)
                    lead = Lead.capture(
                        name=row.get("name", ""),
                        rules=uow.rules.scoring,
                        owner=owner or (actor.subject if actor.own_records_only else None),
                        **details,
                    )
                except InvalidRecord as exc:
                    report.error(offset, exc.field, exc.message)
                    continue
                except Exception as exc:  # a row must never sink the whole import
                    report.error(offset, getattr(exc, "field", None), str(exc))
                    continue
                if lead.email_key and (lead.email_key in taken or lead.email_key in seen):
                    report.duplicates += 1
                    continue
                if lead.email_key:
                    seen.add(lead.email_key)
                uow.leads.add(lead)
                report.imported += 1
            await uow.commit()
        report.processed = min(start + batch_size, len(rows))
        if progress is not None:
            await progress(report)
        await asyncio.sleep(0)  # let other requests run between batches
    return report


def new_job_id() -> uuid.UUID:
    return uuid.uuid4()
