"""Samizdat's command-line launcher.

It only dispatches to the packages that implement each command group, and
imports them lazily: a command group whose package or dependencies are not
installed (the server extras on the offline workstation) says so with a hint
instead of failing the whole CLI. This module must never import a group's code
at import time.
"""

__all__: list[str] = []
