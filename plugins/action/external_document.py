# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accept an externally issued PolicyAdmission or AgentRegistryGrant on the controller (see modules/external_document.py)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.errors import PolicyInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.external import KINDS, accept_external
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.files import parse_value

ARGUMENT_SPEC = {
    "document": {"type": "raw"},
    "kind": {"type": "str", "required": True, "choices": list(KINDS)},
    "digest": {"type": "str", "required": True},
    "public_key": {"type": "str"},
    "envelope": {"type": "raw"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_one_of=[("document", "envelope")])
        args = plain(args)
        result["changed"] = False
        try:
            document = self._value(args["document"], "document")
            envelope = self._value(args["envelope"], "envelope")
            public_key = self._public_key(args["public_key"])
        except AnsibleError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        accepted, problems = accept_external(document, args["kind"], args["digest"], public_key=public_key,
                                             envelope=envelope)
        if problems:
            result.update(failed=True, problems=problems, msg="%s not accepted:\n%s" % (args["kind"], "\n".join(
                "%s: %s: %s" % (problem["field"] or "-", problem["code"], problem["message"]) for problem in problems)))
            return result
        result.update(accepted)
        return result

    def _read(self, path, field):
        try:
            found = path if os.path.isabs(path) else self._find_needle("files", path)
            real = self._loader.get_real_file(found, decrypt=True)
        except AnsibleError:
            raise PolicyInputError(field, "%s not found on the controller" % path) from None
        try:
            with open(real, "rb") as handle:
                return to_text(handle.read(), errors="surrogate_or_strict"), found
        except (OSError, UnicodeError) as exc:
            raise PolicyInputError(field, "cannot read %s: %s" % (found, exc)) from None
        finally:
            self._loader.cleanup_tmp_file(real)

    def _value(self, value, field):
        """A mapping as given, or the JSON/YAML mapping in the controller file a string names."""
        if value is None or isinstance(value, dict):
            return value
        if not isinstance(value, str):
            raise PolicyInputError(field, "must be a mapping or the path of a JSON or YAML file, not %s" % type(value).__name__)
        text, found = self._read(value, field)
        return plain(parse_value(text, found, field))

    def _public_key(self, value):
        """PEM text as given, or the PEM text of the controller file the option names."""
        if value is None or "-----BEGIN" in value:
            return value
        return self._read(value, "public_key")[0]
