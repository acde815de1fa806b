"""A click group whose subcommands are imported only when invoked.

Why: the offline workstation installs no server dependencies, and `scrub` must
start fast (it is benchmarked as a whole process against exiftool).
"""

from __future__ import annotations

import importlib
import importlib.util

import click

# Distribution extras that provide each top-level package, for the install hint.
_EXTRA_FOR_PACKAGE = {"server": "server"}


class LazyGroup(click.Group):
    """Maps command names to "module:attribute" strings, resolved on use."""

    def __init__(
        self,
        *args: object,
        lazy_commands: dict[str, str] | None = None,
        requires: dict[str, tuple[str, ...]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_commands = dict(lazy_commands or {})
        # Modules a command needs at run time though its package imports them
        # lazily: checked up front so a missing extra is named before any
        # option parsing, not deep inside the command.
        self.requires = dict(requires or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            target = self.lazy_commands[cmd_name]
            for module in self.requires.get(cmd_name, ()):
                if importlib.util.find_spec(module) is None:
                    return _unavailable(cmd_name, target.split(":")[0], module)
            return _load(cmd_name, target)
        return super().get_command(ctx, cmd_name)


def _load(name: str, target: str) -> click.Command:
    module_name, attr = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        return _unavailable(name, module_name, exc.name or module_name)
    command = getattr(module, attr)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command


def _unavailable(name: str, module_name: str, missing: str) -> click.Command:
    top = module_name.split(".", maxsplit=1)[0]
    extra = _EXTRA_FOR_PACKAGE.get(top)
    hint = (
        f"install it with: pip install 'samizdat[{extra}]'"
        if extra
        else "reinstall samizdat: pip install samizdat"
    )

    @click.command(
        name=name,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        help=f"(unavailable here: {missing} is not installed)",
    )
    def unavailable() -> None:
        click.echo(f"error: '{name}' needs {missing}, which is not installed.", err=True)
        click.echo(f"hint: {hint}", err=True)
        raise SystemExit(2)

    return unavailable
