"""`samizdat scrub FILE… --out-dir DIR [--json] [--profile NAME]`.

Writes `DIR/<same file name>` only for files that were cleaned; nothing at
all for a file not cleaned or rejected. Exit status 0 when every file was
cleaned, 1 otherwise.

Kept light on purpose: it is timed as a whole process against exiftool, so
it imports only click and scrub's core; format modules load on demand.

Must never: write a partial or uncleaned output, overwrite its own input, or
print a metadata *value* (the report holds field names only).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scrub.base import PROFILES, Outcome, Profile, Report, ScrubResult

if TYPE_CHECKING:
    from scrub.sandbox import ScrubPool


def _read_capped(path: Path, cap: int) -> bytes | None:
    """The file's bytes, or None when it is larger than `cap`."""
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
    return None if len(data) > cap else data


def _write_atomically(target: Path, data: bytes) -> None:
    # A temp name in the same directory, then rename: a crash leaves either no
    # output or the whole cleaned file, never a partial one under its name.
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _human(name: str, report: Report, output: Path | None) -> str:
    lines = []
    if report.outcome is Outcome.CLEANED:
        lines.append(f"{name}: cleaned ({report.detected_type}) -> {output}")
    else:
        label = "NOT CLEANED" if report.outcome is Outcome.NOT_CLEANED else "REJECTED"
        lines.append(f"{name}: {label} ({report.detected_type}): {report.reason}")
    for place, names in report.removed.items():
        lines.append(f"  removed {place}: {', '.join(names)}")
    lines.extend(f"  kept: {item}" for item in report.kept)
    lines.extend(f"  warning: {item}" for item in report.warnings)
    lines.extend(f"  residual risk: {item}" for item in report.residual_risks)
    return "\n".join(lines)


@click.command("scrub")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out-dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the cleaned files (created if missing).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="default",
    show_default=True,
    help="'strict' also removes patient identity from DICOM.",
)
@click.option(
    "--sandbox/--no-sandbox",
    default=False,
    show_default=True,
    help="Parse each file in a resource-limited, network-less worker process. "
    "Use it for files from people you do not trust.",
)
@click.option(
    "--data-dir",
    envvar="SAMIZDAT_DATA_DIR",
    type=click.Path(path_type=Path),
    hidden=True,
    help="Accepted like every samizdat command; scrub does not use it.",
)
def scrub(
    files: tuple[Path, ...],
    out_dir: Path,
    *,
    as_json: bool,
    profile: str,
    sandbox: bool,
    data_dir: Path | None,
) -> None:
    """Remove identifying metadata from FILE… losslessly; write cleaned copies to --out-dir."""
    chosen = PROFILES[profile]
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, object]] = []
    all_cleaned = True
    taken: set[str] = set()
    pool: ScrubPool | None = None
    if sandbox:
        from scrub.sandbox import ScrubPool  # noqa: PLC0415 - only when asked for

        pool = ScrubPool(max_workers=1)
    try:
        for path in files:
            name = path.name
            result = _scrub_one(path, chosen, pool)
            output: Path | None = None
            report = result.report
            if report.outcome is Outcome.CLEANED and result.data is not None:
                target = out_dir / name
                if name in taken:
                    report.outcome = Outcome.NOT_CLEANED
                    report.reason = "another input file has the same name; nothing written"
                elif target.exists() and target.resolve() == path.resolve():
                    report.outcome = Outcome.NOT_CLEANED
                    report.reason = "output would overwrite the input; choose another --out-dir"
                else:
                    _write_atomically(target, result.data)
                    output = target
                    taken.add(name)
            all_cleaned = all_cleaned and report.outcome is Outcome.CLEANED
            if as_json:
                entry: dict[str, object] = {"file": str(path), "output": output and str(output)}
                entry.update(report.to_json())
                results.append(entry)
            else:
                click.echo(_human(str(path), report, output))
    finally:
        if pool is not None:
            pool.close()
    if as_json:
        click.echo(json.dumps({"all_cleaned": all_cleaned, "files": results}, indent=2))
    raise SystemExit(0 if all_cleaned else 1)


def _scrub_one(path: Path, profile: Profile, pool: ScrubPool | None) -> ScrubResult:
    try:
        data = _read_capped(path, profile.limits.max_file_bytes)
    except OSError as exc:
        report = Report(detected_type="unknown", outcome=Outcome.NOT_CLEANED)
        report.reason = f"could not read the file ({exc.strerror or type(exc).__name__})"
        return ScrubResult(report=report, data=None)
    if data is None:
        report = Report(detected_type="unknown", outcome=Outcome.NOT_CLEANED)
        report.reason = (
            f"file is larger than the {profile.limits.max_file_bytes >> 20} MiB limit "
            "for cleaning in memory"
        )
        return ScrubResult(report=report, data=None)
    if pool is not None:
        return pool.scrub(data, profile)
    from scrub.api import scrub_bytes  # noqa: PLC0415

    return scrub_bytes(data, profile=profile)
