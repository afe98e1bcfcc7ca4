# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command output recorded on a captured machine, for probing its root elsewhere.

A recording is a JSON object mapping each command line (argv joined by single
spaces, as the probe runs it) to ``{"rc": int, "stdout": str, "stderr": str}``.
The probe replays it instead of running commands, so that a captured root is
described by its own ``nvidia-smi`` or ``podman --version`` rather than by the
machine the probe happens to run on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

_TEXT_FIELDS = ("stdout", "stderr")


class RecordingError(ValueError):
    """A recording that cannot be replayed; the message names the entry."""


def load_recording(path):
    """Read and check a recording; returns the dict ReplayRunner takes."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise RecordingError("cannot read %s: %s" % (path, exc.strerror or exc))
    except ValueError as exc:
        raise RecordingError("%s is not JSON: %s" % (path, exc))
    return check_recording(data)


def check_recording(data):
    if not isinstance(data, dict):
        raise RecordingError("$ must be an object mapping command lines to their output")
    for line, record in data.items():
        where = "$[%s]" % json.dumps(line)
        if not line.strip():
            raise RecordingError("%s: a command line must not be empty" % where)
        if not isinstance(record, dict):
            raise RecordingError("%s must be an object with rc, stdout and stderr" % where)
        unknown = sorted(set(record) - {"rc"} - set(_TEXT_FIELDS))
        if unknown:
            raise RecordingError("%s.%s is not a recording field (rc, stdout, stderr)" % (where, unknown[0]))
        rc = record.get("rc", 0)
        if not isinstance(rc, int) or isinstance(rc, bool):
            raise RecordingError("%s.rc must be an integer exit status" % where)
        for field in _TEXT_FIELDS:
            if not isinstance(record.get(field, ""), str):
                raise RecordingError("%s.%s must be a string" % (where, field))
    return data
