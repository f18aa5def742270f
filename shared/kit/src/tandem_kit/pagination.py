"""Opaque keyset cursors and the `{"items": [...], "next": cursor}` page shape."""

from __future__ import annotations

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tandem_kit.errors import DomainError

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


class BadCursor(DomainError):
    def __init__(self) -> None:
        super().__init__("cursor is not one this API returned", field="cursor")


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor() from exc
    if not isinstance(values, list) or len(values) != size:
        raise BadCursor()
    return values
