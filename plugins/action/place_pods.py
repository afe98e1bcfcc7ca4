# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of place_pods: place AgentPods on the fleet, on the controller (see modules/place_pods.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.errors import PlacementInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import place_pods

ARGUMENT_SPEC = dict(
    pods=dict(type="list", elements="dict", required=True),
    machines=dict(type="list", elements="dict", required=True),
    inventories=dict(type="raw"),
    loaded_models=dict(type="dict"),
    cordoned=dict(type="list", elements="str"),
    volume_classes=dict(type="dict"),
    storage_receipts=dict(type="list", elements="dict"),
    scopes=dict(type="dict"),
    running=dict(type="list", elements="dict"),
    anti_affinity=dict(type="dict"),
    parameters=dict(type="dict"),
    decided_at=dict(type="str"),
)


class ActionModule(ActionBase):
    """Place a batch of pods; never contacts the managed host."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        result["changed"] = False
        try:
            placed = place_pods(**plain(args))
        except (PlacementInputError, AnsibleError) as exc:
            result.update(failed=True, msg=to_native(exc))
            return result
        result.update(decisions=placed["decisions"], summary=placed["summary"])
        return result
