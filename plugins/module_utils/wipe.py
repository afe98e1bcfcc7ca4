# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Empty agent volumes: remove what is inside a volume's directory, never the directory itself.

Safe by construction: only the cache and scratch classes are wiped, models
only when asked, evidence and artifacts never; symbolic links are removed,
never followed; nothing on another filesystem (a mount inside the volume)
is touched; the volume path itself must be a real directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

WIPEABLE_CLASSES = ("agent-cache-hot", "agent-cache-warm", "agent-cache-cold", "agent-scratch")
MODELS_CLASS = "agent-models"
NEVER_WIPED = ("agent-evidence", "agent-artifacts")


class WipeError(ValueError):
    """A volume that must not be wiped; the message names the field."""


def check_volumes(volumes, include_models):
    """Refuse every volume that may not be wiped, before anything is removed."""
    seen = set()
    for index, volume in enumerate(volumes):
        field = "volumes[%d]" % index
        volume_class, path = volume.get("volume_class"), volume.get("path")
        if volume_class in NEVER_WIPED:
            raise WipeError("%s.volume_class: %s is never wiped (evidence and artifacts are kept)" % (field, volume_class))
        if volume_class == MODELS_CLASS and not include_models:
            raise WipeError("%s.volume_class: agent-models is wiped only with include_models: true" % field)
        if volume_class not in WIPEABLE_CLASSES + (MODELS_CLASS,):
            raise WipeError("%s.volume_class: unknown volume class %r" % (field, volume_class))
        if not path or not os.path.isabs(path) or os.path.normpath(path) == "/":
            raise WipeError("%s.path: must be an absolute path other than /, got %r" % (field, path))
        if os.path.normpath(path) in seen:
            raise WipeError("%s.path: %s is listed twice" % (field, path))
        seen.add(os.path.normpath(path))
        if os.path.lexists(path) and (os.path.islink(path) or not os.path.isdir(path)):
            raise WipeError("%s.path: %s is not a real directory (a symbolic link or a file); refusing to wipe it" % (
                field, path))


class _Tally:
    def __init__(self):
        self.entries = 0
        self.bytes = 0
        self.skipped = []


def _remove_tree(directory, device, tally, check_mode):
    """Remove every entry under ``directory`` on ``device``; returns True when the directory ends up empty."""
    empty = True
    with os.scandir(directory) as entries:
        children = sorted(entries, key=lambda entry: entry.name)
    for entry in children:
        info = entry.stat(follow_symlinks=False)
        if info.st_dev != device:
            tally.skipped.append(entry.path)
            empty = False
            continue
        if stat.S_ISDIR(info.st_mode):
            if not _remove_tree(entry.path, device, tally, check_mode):
                empty = False
                continue
            if not check_mode:
                os.rmdir(entry.path)
        else:
            if stat.S_ISREG(info.st_mode):
                tally.bytes += info.st_size
            if not check_mode:
                os.unlink(entry.path)
        tally.entries += 1
    return empty


def wipe_volume(volume, check_mode):
    """Empty one volume; returns the RuntimeEvidence ``wiped`` entry plus ``skipped`` paths."""
    path = volume["path"]
    tally = _Tally()
    if os.path.isdir(path):
        _remove_tree(path, os.lstat(path).st_dev, tally, check_mode)
    return {"volumeClass": volume["volume_class"], "path": path, "removedEntries": tally.entries,
            "freedBytes": tally.bytes}, tally.skipped
