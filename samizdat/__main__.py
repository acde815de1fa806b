"""Entry point of the `samizdat` console command.

Every failure ends as `error: …` and, where there is one, `hint: …` on stderr:
a traceback can leak paths or values into a terminal log a journalist shares.
Set SAMIZDAT_DEBUG=1 to see tracebacks while developing.
"""

from __future__ import annotations

import os
import sys

import click

from samizdat.lazy import LazyGroup

# What the [server] extra brings; the offline client install has none of them.
_SERVER_MODULES = ("fastapi", "uvicorn", "sqlmodel", "python_multipart", "jinja2")


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "serve": "server.cli:serve",
        "demo": "server.cli:demo",
        "admin": "server.admin_cli:admin",
        "journalist": "client.cli:journalist",
        "scrub": "scrub.cli:scrub",
    },
    requires={name: _SERVER_MODULES for name in ("serve", "demo", "admin")},
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="samizdat")
def cli() -> None:
    """Samizdat: secure submissions from sources to journalists."""


def _print_error(message: str, hint: str | None) -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


def main(argv: list[str] | None = None) -> None:
    try:
        rv = cli.main(args=argv, prog_name="samizdat", standalone_mode=False)
    except click.exceptions.Abort:
        _print_error("aborted", None)
        sys.exit(1)
    except click.ClickException as exc:
        _print_error(exc.format_message(), getattr(exc, "hint", None))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _print_error("interrupted", None)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("SAMIZDAT_DEBUG"):
            raise
        # Package error types carry a user-facing message and an optional hint.
        hint = getattr(exc, "hint", None) or "set SAMIZDAT_DEBUG=1 to see the traceback"
        _print_error(str(exc) or type(exc).__name__, hint)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
