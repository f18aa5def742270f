"""`tandem-dev run` starts everything and stops it on Ctrl-C; `tandem-dev token` prints a JWT;
`tandem-dev manifests` and `tandem-dev settings-doc` regenerate deployment files and docs."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tandem_dev.system import SERVICES, System
from tandem_kit.auth import TokenVerifier
from tandem_kit.settings import DEV_SECRET, AuthSettings


def _say(message: str) -> None:
    print(f"[tandem {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run() -> int:
    system = System(progress=_say)
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        system.start()
        s = system.settings
        print(
            f"""
Tandem is running (data in {s.data_dir.resolve()}, logs in {s.data_dir.resolve()}/logs).

  Gateway (one base URL):  {system.gateway_url}        API docs: {system.gateway_url}/docs
"""
            + "\n".join(
                f"  {svc:<12} service:   {system.service_url(svc)}        "
                f"docs: {system.service_url(svc)}/docs"
                for svc in SERVICES
            )
            + f"""
  Broker:                  {system.kafka_bootstrap}

Get a development token:
  curl -s -X POST {system.gateway_url}/auth/token -H 'content-type: application/json' \\
       -d '{{"subject": "alice", "roles": ["admin"]}}'
Then call the API with it:
  curl -s {system.gateway_url}/api/v1/customers -H "authorization: Bearer $TOKEN"

Press Ctrl-C to stop everything.
""",
            flush=True,
        )
        while True:
            time.sleep(1)
            if dead := system.dead():
                for name in dead:
                    _say(f"{name} stopped unexpectedly:\n{system.processes[name].log_tail()}")
                return 1
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        _say(f"failed to start: {exc}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _say("stopping every process")
        system.stop()
        _say("stopped")


def token(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tandem-dev token")
    parser.add_argument("--subject", default="dev")
    parser.add_argument("--roles", default="admin", help="comma-separated")
    args = parser.parse_args(argv)
    verifier = TokenVerifier(AuthSettings(development=True, secret=DEV_SECRET))
    print(verifier.issue(args.subject, [r for r in args.roles.split(",") if r]))
    return 0


def generate(argv: list[str], what: str) -> int:
    """Write (or with --check, verify) generated deployment files or the settings table."""
    parser = argparse.ArgumentParser(prog=f"tandem-dev {what}")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    if what == "manifests":
        from tandem_dev import manifests

        rendered = manifests.render(manifests.load_values(args.root / "deploy/values.yaml"))
        stale, write = manifests.diff, manifests.write
    else:
        from tandem_dev import settings_doc

        rendered = settings_doc.render()
        stale, write = settings_doc.diff, settings_doc.write
    if args.check:
        paths = stale(args.root, rendered)
        for path in paths:
            print(f"out of date: {path}", file=sys.stderr)
        if paths:
            print(f"run `make {TARGETS[what]}` and commit the result", file=sys.stderr)
        return 1 if paths else 0
    for path in write(args.root, rendered):
        print(f"wrote {path}")
    return 0


TARGETS = {"manifests": "deploy-manifests", "settings-doc": "settings-doc"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="tandem-dev")
    parser.add_argument("command", choices=["run", "token", *TARGETS])
    args, rest = parser.parse_known_args()
    if args.command == "run":
        sys.exit(run())
    if args.command == "token":
        sys.exit(token(rest))
    sys.exit(generate(rest, args.command))


if __name__ == "__main__":
    main()
