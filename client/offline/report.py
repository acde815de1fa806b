"""Plain-text rendering of a submission's manifest and scrub reports.

Must never include file contents; the report carries field *names* only.
"""

from __future__ import annotations

from typing import Any

from crypto.opener import OpenedBundle

NEVER_OPENED = (
    "Samizdat did not open, preview or render any submitted file. Submitted files\n"
    "can be hostile: open them only in a disposable, offline viewer (see SECURITY.md)."
)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _lines(value: Any, indent: str) -> list[str]:
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                out.append(f"{indent}{key}:")
                out += _lines(item, indent + "  ")
            elif item not in ("", [], {}, None):
                out.append(f"{indent}{key}: {item}")
        return out
    if isinstance(value, list):
        return [f"{indent}- {x}" for x in value]
    return [f"{indent}{value}"]


def render(opened: OpenedBundle) -> str:
    lines = [
        f"Submission {opened.submission_id}",
        f"Source id:  {opened.source_id}  (use with `journalist upload-reply --source`)",
        f"Received:   {opened.submitted_at}",
        f"Signed by:  server key {opened.signer.key_id_hex} (verified)",
        f"Message:    {'message.txt' if opened.message is not None else '(none)'}",
        "",
        f"Files ({len(opened.files)}), in files/:",
    ]
    for f in opened.files:
        outcome = str(f.scrub.get("outcome", "unknown"))
        flag = "" if outcome == "cleaned" else "   <-- NOT CLEANED: metadata may remain"
        lines.append(f"* {f.name}  [{f.type}, {_size(f.size)}, {outcome}]{flag}")
        lines.append(f"    sha256 {f.sha256}")
        lines += _lines({k: v for k, v in f.scrub.items() if k != "outcome"}, "    ")
    lines += ["", NEVER_OPENED, ""]
    return "\n".join(lines)
