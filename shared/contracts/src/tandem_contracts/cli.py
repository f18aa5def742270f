"""`tandem-contracts export DIR`: write JSON Schemas and the AsyncAPI document."""

from __future__ import annotations

import argparse
from pathlib import Path

from tandem_contracts.schema import export


def main() -> None:
    parser = argparse.ArgumentParser(prog="tandem-contracts")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write schemas/current, schemas/published, asyncapi.yaml")
    exp.add_argument("directory", type=Path)
    args = parser.parse_args()
    frozen = export(args.directory)
    print(f"schemas written to {args.directory}; newly published: {len(frozen)}")
    for event_type in frozen:
        print(f"  + {event_type}")


if __name__ == "__main__":
    main()
