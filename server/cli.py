"""`samizdat serve` and `samizdat demo`.

Must never: bind a public interface, start without an initialised data dir
or without an active journalist key, or print a secret other than the demo
passphrase that `demo` exists to show.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from server.settings import load_settings


def _data_dir_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--data-dir",
        envvar="SAMIZDAT_DATA_DIR",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Instance data directory (or SAMIZDAT_DATA_DIR).",
    )(f)


def _run(data_dir: Path, source_port: int | None, journalist_port: int | None) -> None:
    from server import runner  # noqa: PLC0415 - imports the web stack on use only

    runner.configure_logging()
    settings = load_settings(
        data_dir, overrides={"source_port": source_port, "journalist_port": journalist_port}
    )
    pre = runner.preflight(settings)
    click.echo(
        f"recovery sweep: removed {pre.sweep.temp_removed} temp file(s) and "
        f"{pre.sweep.orphan_files_removed} unacknowledged file(s)"
    )
    apps = runner.build_apps(settings)
    for name, _app, port in apps:
        click.echo(f"{name} app: http://{settings.host}:{port}/")
    if settings.retention_days > 0:
        click.echo(f"retention: data older than {settings.retention_days} day(s) is deleted daily")
    sys.stdout.flush()
    with runner.retention_job(settings):
        asyncio.run(runner.serve_apps(apps, settings.host))


@click.command("serve")
@_data_dir_option
@click.option("--source-port", type=click.IntRange(1, 65535), default=None)
@click.option("--journalist-port", type=click.IntRange(1, 65535), default=None)
def serve(data_dir: Path, source_port: int | None, journalist_port: int | None) -> None:
    """Serve the source and journalist apps on 127.0.0.1."""
    _run(data_dir, source_port, journalist_port)


def _demo_passphrase() -> str:
    # Diceware-style words from the crypto core's list when available.
    try:
        from crypto.passwords import generate_password  # noqa: PLC0415

        return str(generate_password(6))
    except ImportError:
        return secrets.token_urlsafe(24)


@click.command("demo")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to create the demo instance (default: a new temp dir).",
)
@click.option("--source-port", type=click.IntRange(1, 65535), default=8080)
@click.option("--journalist-port", type=click.IntRange(1, 65535), default=8081)
@click.option("--no-serve", is_flag=True, help="Set everything up, print it, do not serve.")
def demo(data_dir: Path | None, source_port: int, journalist_port: int, no_serve: bool) -> None:
    """A first-look instance with a demo journalist; serves both apps."""
    from server.admin.context import open_admin  # noqa: PLC0415
    from server.admin.init import init_instance  # noqa: PLC0415
    from server.admin.journalists import enrol_journalist  # noqa: PLC0415
    from server.admin.keyfile import read_public_key_file  # noqa: PLC0415
    from server.admin.signing import export_public_key  # noqa: PLC0415

    root = data_dir or Path(tempfile.mkdtemp(prefix="samizdat-demo-"))
    keys_dir = root.parent / f"{root.name}-journalist"
    if keys_dir.exists() and any(keys_dir.iterdir()):
        raise click.ClickException(f"{keys_dir} already exists; choose another --data-dir")
    init_instance(root)
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    passphrase = _demo_passphrase()
    pass_file = keys_dir / "passphrase.txt"
    fd = os.open(pass_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(passphrase + "\n")
    identity = keys_dir / "demo-journalist.key"
    # The key is made by the journalist CLI in its own process: the server
    # package may not import the code that writes identities (CONTRACT).
    subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [
            sys.executable,
            "-m",
            "samizdat",
            "journalist",
            "keygen",
            "--out",
            str(identity),
            "--passphrase-file",
            str(pass_file),
        ],
        check=True,
        capture_output=True,
    )
    server_pub = keys_dir / "server.pub"
    ctx = open_admin(root)
    try:
        enrolment = enrol_journalist(ctx, "demo", read_public_key_file(Path(f"{identity}.pub")))
        export_public_key(ctx, server_pub)
    finally:
        ctx.engine.dispose()
    click.echo(
        f"""Samizdat demo instance: {root}

Demo journalist "demo" (for a first look only; never use demo keys for real sources):
  identity (private key): {identity}
  its passphrase:         {passphrase}   (also in {pass_file})
  journalist password:    {enrolment.password}
  TOTP secret (base32):   {enrolment.totp_secret}
  server signing key:     {server_pub}

Source app:     http://127.0.0.1:{source_port}/
Journalist app: http://127.0.0.1:{journalist_port}/

Next steps, in another terminal:
  1. open the source app, get a codename, send a file
  2. samizdat journalist fetch --server http://127.0.0.1:{journalist_port} --user demo \\
         --server-key {server_pub} --otp <code from the TOTP secret> --out ./inbox
  3. samizdat journalist decrypt ./inbox/*.age --identity {identity} \\
         --passphrase-file {pass_file} --server-key {server_pub} --out ./opened
"""
    )
    if not no_serve:
        _run(root, source_port, journalist_port)
