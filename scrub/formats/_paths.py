"""Recognising local file paths in values we otherwise keep.

A local path names a user, a share or a machine (C:\\Users\\alice\\...,
\\\\fileserver\\..., file:///home/alice/...). It is never needed to show the
content on another machine, so such values keep only the file name.

Must never: touch a value that is not a local path (web links are content).
"""

from __future__ import annotations

import re

LOCAL_PATH = re.compile(r"^(file:|[A-Za-z]:[\\/]|\\\\)", re.IGNORECASE)


def is_local_path(value: str) -> bool:
    return LOCAL_PATH.match(value) is not None


def basename(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1]
