"""The launcher: every group has --help; failures are `error:`/`hint:`, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from samizdat.__main__ import main
from samizdat.lazy import LazyGroup


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "samizdat", *args], capture_output=True, text=True, check=False
    )


def test_top_level_help_lists_every_group() -> None:
    out = run("--help")
    assert out.returncode == 0
    for group in ("serve", "demo", "admin", "journalist", "scrub"):
        assert group in out.stdout


@pytest.mark.parametrize("group", ["serve", "demo", "admin", "journalist", "scrub"])
def test_every_group_has_help(group: str) -> None:
    out = run(group, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage:" in out.stdout


def test_unknown_command_is_an_error_without_traceback() -> None:
    out = run("no-such-command")
    assert out.returncode != 0
    assert out.stderr.startswith("error:")
    assert "Traceback" not in out.stderr


def test_missing_dependency_gives_install_hint() -> None:
    @click.group(cls=LazyGroup, lazy_commands={"x": "server.does_not_exist:cmd"})
    def group() -> None:
        pass

    result = CliRunner().invoke(group, ["x"])
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "samizdat[server]" in result.output


def test_unexpected_exception_is_reported_with_a_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Boom(Exception):
        hint = "do the other thing"

    @click.command()
    def boom() -> None:
        raise Boom("it broke")

    monkeypatch.delenv("SAMIZDAT_DEBUG", raising=False)
    monkeypatch.setattr("samizdat.__main__.cli", boom)
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "error: it broke" in err
    assert "hint: do the other thing" in err
