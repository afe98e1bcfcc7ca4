# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""numpy, a controller requirement of placement, imported so that its absence is one clear error.

Without numpy the placement modules still import (ansible-doc, ansible-test's
import test); placing anything goes through ``require_numpy`` first.
"""

from __future__ import annotations

from ansible.errors import AnsibleError

try:
    import numpy
    NUMPY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test's import test
    numpy = None
    NUMPY_IMPORT_ERROR = exc

__all__ = ["numpy", "require_numpy"]


def require_numpy():
    if NUMPY_IMPORT_ERROR is not None:
        raise AnsibleError(
            "sourceos.agent_machine needs the Python package 'numpy' on the controller for placement "
            "(pip install -r requirements.txt from the collection): %s" % NUMPY_IMPORT_ERROR)
