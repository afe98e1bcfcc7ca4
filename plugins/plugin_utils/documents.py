# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documents as task arguments arrive with Ansible's own types; turn them into plain JSON data."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

__all__ = ["plain"]


def _timestamp(value):
    """An RFC 3339 string for a YAML timestamp Ansible already parsed."""
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        if offset is not None and not offset:
            text = value.strftime("%Y-%m-%dT%H:%M:%S")
            if value.microsecond:
                text += (".%06d" % value.microsecond).rstrip("0")
            return text + "Z"
    return value.isoformat()  # not UTC or no zone: the contract's pattern reports it


def plain(value):
    """Plain JSON types (no Ansible tagged or unsafe subclasses); dates as strings."""
    if isinstance(value, Mapping):
        return {plain(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return _timestamp(value)
    return value
