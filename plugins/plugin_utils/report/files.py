# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the report's files on the controller: atomically, and only those whose bytes differ."""

from __future__ import annotations

import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import store
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.collect import ReportError

FILE_MODE = 0o640


def _current_bytes(path):
    if not os.path.lexists(path):
        return None
    if not os.path.isfile(path) or os.path.islink(path):
        raise ReportError("dest: %s exists and is not a plain file; refusing to replace it" % path)
    return store.read_bytes(path)


def write_report_files(dest, files, check_mode=False):
    """Write ``files`` ({name: bytes}) into ``dest``; returns the names that changed (or would, in check mode)."""
    if os.path.lexists(dest) and not os.path.isdir(dest):
        raise ReportError("dest: %s exists and is not a directory" % dest)
    changed = []
    for name in sorted(files):
        path = os.path.join(dest, name)
        if _current_bytes(path) == files[name]:
            continue
        changed.append(name)
        if not check_mode:
            store.write_atomic(path, files[name], mode=FILE_MODE)
    return changed
