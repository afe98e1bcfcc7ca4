# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render an AgentPod on the controller; optionally write the files on the target (see modules/provider_render.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.deployment import render_deployment
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import RenderError

ARGUMENT_SPEC = {
    "pod": {"type": "dict", "required": True},
    "machine": {"type": "raw"},
    "provider": {"type": "raw"},
    "target": {"type": "str", "choices": ["quadlet", "kubernetes"]},
    "podman_version": {"type": "str"},
    "volume_paths": {"type": "dict"},
    "storage_classes": {"type": "dict"},
    "namespace": {"type": "str"},
    "device_resources": {"type": "dict"},
    "placement_decision_id": {"type": "str"},
    "dest": {"type": "path"},
    "mode": {"type": "raw", "default": "0644"},
}
WRITER = "sourceos.agent_machine.rendered_file"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            require_pydantic()
            rendered = self._render(args, task_vars)
        except (RenderError, AnsibleError) as exc:
            result.update(failed=True, msg=to_native(exc))
            return result
        result.update(changed=False, target=rendered["target"], notes=rendered["notes"],
                      files=rendered["files"], manifests=rendered["manifests"],
                      plan_digest=rendered["planDigest"], deployment_receipt=rendered["deploymentReceipt"],
                      health_url=rendered["healthUrl"], directories=rendered["directories"])
        if args["dest"]:
            written = self._write(args, rendered["files"], task_vars)
            if written.get("failed"):
                result.update(failed=True, msg="writing to %s: %s" % (args["dest"], written.get("msg")))
                return result
            result.update(changed=written["changed"], written=written["files"], dest=args["dest"])
            if "diff" in written:
                result["diff"] = written["diff"]
            outcome = "planned" if self._task.check_mode and written["changed"] else (
                "written" if written["changed"] else "unchanged")
            result["deployment_receipt"] = dict(result["deployment_receipt"], outcome=outcome)
        return result

    def _render(self, args, task_vars):
        machine = args["machine"]
        if machine is None:
            machine = (task_vars.get("ansible_facts") or {}).get("agent_machine")
        return render_deployment(
            plain(args["pod"]), machine=plain(machine), provider=plain(args["provider"]), target=args["target"],
            podman_version=args["podman_version"], volume_paths=plain(args["volume_paths"]),
            storage_classes=plain(args["storage_classes"]), namespace=args["namespace"],
            device_resources=plain(args["device_resources"]), placement_decision_id=args["placement_decision_id"])

    def _write(self, args, files, task_vars):
        module_args = {"directory": args["dest"], "mode": args["mode"],
                       "files": [{"name": item["name"], "content": item["text"]} for item in files]}
        return self._execute_module(module_name=WRITER, module_args=module_args, task_vars=task_vars)
