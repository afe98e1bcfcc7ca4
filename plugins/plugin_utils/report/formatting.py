# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the report writes values: sizes, seconds, digests, ids, and fields that may be missing.

Receipts are read tolerantly: a redacted or older document may lack a
field or hold another type, and the report shows "—" instead of failing.
"""

from __future__ import annotations

MISSING = "—"
_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def field(document, path, default=None):
    """``document["a"]["b"]`` for ``path="a.b"``; ``default`` when a step is missing or not a mapping."""
    value = document
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return default if value is None else value


def items(document, path):
    """The list at ``path``; [] when missing or not a list."""
    value = field(document, path)
    return value if isinstance(value, list) else []


def text(value):
    """A value as one line of text; MISSING for None or an empty string."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())


def size(value):
    """Bytes in binary units, ``24.0 GiB``; MISSING when not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return MISSING
    if value < 1024:
        return "%d B" % value
    amount = float(value)
    for unit in _UNITS:
        amount /= 1024.0
        if amount < 1024 or unit == _UNITS[-1]:
            return "%.1f %s" % (amount, unit)
    return MISSING  # pragma: no cover - the loop always returns


def seconds(value):
    """``1.20 s``; MISSING when not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return MISSING
    return "%.2f s" % value


def latency(value):
    """``3 ms`` below a second, else like seconds(); MISSING when not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return MISSING
    return "%.0f ms" % (value * 1000) if value < 1 else seconds(value)


def percent(part, whole):
    """``part`` of ``whole`` in percent (0-100), None when it cannot be computed."""
    numbers = (part, whole)
    if any(isinstance(n, bool) or not isinstance(n, (int, float)) for n in numbers) or whole <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * part / whole))


def short_digest(value):
    """``sha256:0123456789ab…``: enough to tell digests apart on a page."""
    if not isinstance(value, str) or not value:
        return MISSING
    return value[:19] + "…" if len(value) > 20 else value


def slug(document_id):
    """The last segment of an id: ``urn:srcos:agent-machine:pod:coder`` → ``coder``."""
    if not isinstance(document_id, str) or not document_id:
        return MISSING
    return document_id.rsplit(":", 1)[-1]


def lines_of(value):
    """Each item of a list of texts as one line; a text that stands in for the list (a redaction marker) as one line."""
    if isinstance(value, list):
        return [text(item) for item in value]
    return [] if value is None else [text(value)]


def reason_lines(reasons):
    """``code: message`` for each Reason of a document."""
    lines = []
    for reason in reasons if isinstance(reasons, list) else []:
        if isinstance(reason, dict):
            lines.append("%s: %s" % (text(reason.get("code")), text(reason.get("message"))))
        else:
            lines.append(text(reason))
    return lines
