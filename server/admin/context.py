"""An opened instance for admin work: its paths, its DB engine, the clock and
who is acting. Built once per command by the shell and passed in.

Must never hold a secret (passwords, keys) or cache one.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from server.clock import Clock, day_of, utc_now
from server.db.engine import make_engine
from server.instance import InstancePaths, open_instance


def default_actor() -> str:
    """The OS account running the command: an audit trail of who did what."""
    try:
        return f"admin:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "admin:unknown"


@dataclass(frozen=True)
class AdminContext:
    paths: InstancePaths
    engine: Engine
    actor: str = field(default_factory=default_actor)
    clock: Clock = utc_now

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> str:
        return day_of(self.clock())

    def timestamp(self) -> str:
        # Admin actions are not source actions: second precision is fine.
        return self.clock().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_admin(data_dir: Path, *, actor: str | None = None, clock: Clock = utc_now) -> AdminContext:
    """Open an initialised instance (raises InstanceError with a hint if not)."""
    paths = open_instance(data_dir)
    return AdminContext(
        paths=paths,
        engine=make_engine(paths.db),
        actor=actor or default_actor(),
        clock=clock,
    )
