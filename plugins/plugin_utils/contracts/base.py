# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared base of every contract model: camelCase documents, unknown keys refused.

pydantic is a controller requirement (requirements.txt). Without it the
model modules still import (so ansible-doc and friends work), and any use
of a model goes through ``require_pydantic`` and fails with one clear error.
"""

from __future__ import annotations

from ansible.errors import AnsibleError

try:
    from pydantic import BaseModel, ConfigDict, Field
    from pydantic.alias_generators import to_camel
    PYDANTIC_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test's import test
    PYDANTIC_IMPORT_ERROR = exc
    BaseModel = object
    ConfigDict = dict
    to_camel = None

    def Field(*args, **kwargs):  # pylint: disable=invalid-name,unused-argument
        return None

__all__ = ["Contract", "Field", "require_pydantic"]


def require_pydantic():
    if PYDANTIC_IMPORT_ERROR is not None:
        raise AnsibleError(
            "sourceos.agent_machine needs the Python package 'pydantic' on the controller "
            "(pip install -r requirements.txt from the collection): %s" % PYDANTIC_IMPORT_ERROR)


class Contract(BaseModel):
    """Documents are camelCase; Python attributes are snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
