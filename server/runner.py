"""Run the source and journalist apps on 127.0.0.1, two uvicorn servers on
one event loop, after the start-up checks.

Must never: bind anything but 127.0.0.1, trust proxy headers (an onion
service's requests all come from tor on loopback; a forwarded-for header
would only ever be attacker-supplied), write an access log for the source
app, or send a `Server` header.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlmodel import select

from server.clock import day_of, utc_now
from server.db.engine import make_engine, session_scope
from server.db.tables import Reply, Submission
from server.errors import ConfigError
from server.keys import load_signing_key, sealing_recipients
from server.retention import PurgeReport, run_daily
from server.settings import Settings
from server.storage import Store, SweepReport

log = logging.getLogger("samizdat.serve")


@dataclass(frozen=True)
class Preflight:
    sweep: SweepReport
    recipients: int


def preflight(settings: Settings) -> Preflight:
    """Recovery sweep and the checks that make serving pointless if they fail."""
    paths = settings.paths
    load_signing_key(paths)  # raises ConfigError with a hint
    engine = make_engine(paths.db)
    try:
        with session_scope(engine) as session:
            submissions = set(session.exec(select(Submission.id)).all())
            replies = set(session.exec(select(Reply.id)).all())
            recipients = sealing_recipients(session, day_of(utc_now()))
        if not recipients:
            raise ConfigError(
                "no active journalist key: nothing could be sealed",
                hint=(
                    "enrol a journalist first: samizdat admin journalist add NAME "
                    f"--public-key FILE.pub --data-dir {paths.root}"
                ),
            )
        # After the key check, so a refused start changes nothing on disk.
        report = Store(paths).sweep(submissions, replies)
    finally:
        engine.dispose()
    return Preflight(report, len(recipients))


class _Server(uvicorn.Server):
    # Two servers share one loop: signals are handled once, for both, below.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        server_header=False,
        date_header=False,
        proxy_headers=False,
        forwarded_allow_ips="",
        log_config=None,
        lifespan="on",
        # A slow Tor circuit may pause mid-upload; keep-alive idles are short.
        timeout_keep_alive=15,
        h11_max_incomplete_event_size=64 * 1024,
    )


def build_apps(settings: Settings) -> list[tuple[str, Any, int]]:
    # Imported on use: the apps pull FastAPI, Jinja2 and the i18n catalogs.
    from server.journalist.app import create_journalist_app  # noqa: PLC0415
    from server.source.app import create_source_app  # noqa: PLC0415

    return [
        ("source", create_source_app(settings), settings.source_port),
        ("journalist", create_journalist_app(settings), settings.journalist_port),
    ]


def configure_logging() -> None:
    # Our format has no address, agent or path: uvicorn's own lines are
    # start-up and error messages; its access log is off.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


async def serve_apps(apps: list[tuple[str, Any, int]], host: str) -> None:
    servers = [_Server(_config(app, host, port)) for _name, app, port in apps]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for s in servers:
            s.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # If one server stops (or fails to bind), stop the other too.
        stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for t in done:
            t.result()
        for s in servers:
            if not s.started:
                raise ConfigError(
                    "a server could not start (is the port already in use?)",
                    hint="choose other ports with --source-port / --journalist-port",
                )
    finally:
        stop()


def summary(pre: Preflight) -> str:
    return json.dumps(
        {
            "temp_removed": pre.sweep.temp_removed,
            "orphans_removed": pre.sweep.orphan_files_removed,
            "recipients": pre.recipients,
        }
    )


def _log_purge(report: PurgeReport) -> None:
    # Counts only: no ids, days or sizes that could tie a deletion to a source.
    log.info(
        "retention: deleted %d submission(s), %d reply(ies), %d idle source(s)",
        report.submissions,
        report.replies,
        report.sources,
    )


def _log_failure(exc: BaseException) -> None:
    # The type only: a message could carry a path holding a submission id.
    log.error("retention run failed (%s); retrying at the next run", type(exc).__name__)


@contextlib.contextmanager
def retention_job(
    settings: Settings, *, interval_seconds: float = 24 * 3600
) -> Iterator[threading.Thread | None]:
    """While the apps serve: apply `retention_days` now, then daily, in a
    background thread that is stopped and joined on exit. Off (None) when
    retention_days is 0."""
    if settings.retention_days <= 0:
        yield None
        return
    engine = make_engine(settings.paths.db)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_daily,
        args=(settings.paths, engine, settings.retention_days, stop),
        kwargs={
            "interval_seconds": interval_seconds,
            "on_error": _log_failure,
            "on_report": _log_purge,
        },
        name="samizdat-retention",
        # A purge in progress is allowed to finish (see the join below); the
        # daemon flag only matters if the join times out.
        daemon=True,
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=60)
        engine.dispose()
