"""Base types for integration events: immutable pydantic models with a CloudEvents type."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

# Money travels as a decimal string ("1250.00"), never as a float.
DecimalStr = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


class Money(BaseModel):
    """An amount in a currency; the amount is a decimal string on the wire."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: DecimalStr
    currency: CurrencyCode


class Event(BaseModel):
    """An integration event: the JSON value of one Kafka record.

    Subclasses set ``event_type`` (``tandem.<service>.<aggregate>.<event>.v<N>``).
    Unknown fields are ignored on read so that producers may add optional fields
    without breaking older readers (the compatibility check guards the rest).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if event_type is not None:
            parts = event_type.split(".")
            if len(parts) != 5 or parts[0] != "tandem" or not parts[4].startswith("v"):
                raise ValueError(
                    f"{cls.__name__}.event_type {event_type!r} is not "
                    "tandem.<service>.<aggregate>.<event>.v<N>"
                )

    @classmethod
    def service(cls) -> str:
        return cls.event_type.split(".")[1]
