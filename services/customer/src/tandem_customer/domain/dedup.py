"""Normalisation used to spot duplicate customers and leads (same legal id, name or email)."""

from __future__ import annotations

import re
import unicodedata

# Legal-form words that do not tell two companies apart ("Acme GmbH" is "ACME").
LEGAL_FORMS = frozenset(
    {
        "ag",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "limited",
        "llc",
        "llp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "sa",
        "sarl",
        "sas",
        "se",
        "spa",
        "srl",
        "ab",
        "as",
        "aps",
        "pty",
        "kk",
        "the",
        "und",
        "and",
        "&",
    }
)
_NON_WORD = re.compile(r"[^a-z0-9&]+")


def normalise_name(name: str | None) -> str | None:
    """Lower case, accents and punctuation dropped, legal forms removed, single spaces."""
    if not name:
        return None
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    plain = plain.replace(".", "")  # "S.A." is "sa", "Inc." is "inc"
    words = [w for w in _NON_WORD.sub(" ", plain).split() if w not in LEGAL_FORMS]
    return " ".join(words) or None


def normalise_email(email: str | None) -> str | None:
    """Lower case and trimmed, with any ``+tag`` in the local part removed."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().casefold().rpartition("@")
    local = local.split("+", 1)[0]
    return f"{local}@{domain}" if local and domain else None


def normalise_legal_id(legal_id: str | None) -> str | None:
    """Upper case without spaces, dots or dashes ("de 123-45" is "DE12345")."""
    if not legal_id:
        return None
    return re.sub(r"[\s.\-/]", "", legal_id).upper() or None
