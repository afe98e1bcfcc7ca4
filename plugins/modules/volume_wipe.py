#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: volume_wipe
short_description: Empty agent cache and scratch volumes, with a RuntimeEvidence wipe record
version_added: "0.1.0"
description:
  - Removes everything inside each volume's directory and keeps the directory (and its mount) itself.
  - Wipes C(agent-cache-hot), C(agent-cache-warm), C(agent-cache-cold) and C(agent-scratch); C(agent-models)
    only with O(include_models); C(agent-evidence) and C(agent-artifacts) never.
  - Symbolic links are removed, never followed; entries on another filesystem (a mount inside the volume)
    are left alone and listed; a volume path that is a symbolic link or a file is refused.
  - Every volume is checked before anything is removed. Takes the node's activation lock, so a wipe never
    runs while a provider is being activated.
  - Returns a RuntimeEvidence document (action C(wipe)) with what each volume lost.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  volumes:
    description: The volumes to empty.
    type: list
    elements: dict
    required: true
    suboptions:
      volume_class:
        description: The volume class.
        type: str
        required: true
      path:
        description: The volume's directory (mount point) on the node.
        type: path
        required: true
  include_models:
    description: Allow wiping C(agent-models).
    type: bool
    default: false
  machine_id:
    description: The node's AgentMachine id, for the RuntimeEvidence.
    type: str
    required: true
  lock_path:
    description: The node's activation lock file.
    type: path
    default: /run/agent-machine/activation.lock
  lock_timeout:
    description: Seconds to wait for the lock.
    type: float
    default: 900
"""

EXAMPLES = r"""
- name: Empty the caches and scratch space
  sourceos.agent_machine.volume_wipe:
    machine_id: "{{ ansible_facts.agent_machine.id }}"
    volumes:
      - {volume_class: agent-cache-warm, path: /var/lib/agent-machine/cache/warm}
      - {volume_class: agent-scratch, path: /var/lib/agent-machine/scratch}
"""

RETURN = r"""
wiped:
  description: Per volume C(volumeClass), C(path), C(removedEntries) and C(freedBytes).
  returned: always
  type: list
  elements: dict
skipped:
  description: Entries left alone because they are on another filesystem.
  returned: always
  type: list
  elements: str
evidence:
  description: The RuntimeEvidence document of the wipe.
  returned: always
  type: dict
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.lock import ActivationLock, LockTimeout
from ansible_collections.sourceos.agent_machine.plugins.module_utils.wipe import WipeError, check_volumes, wipe_volume


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _evidence(machine_id, wiped, started_at, check_mode):
    slug = machine_id.rsplit(":", 1)[-1]
    removed = sum(item["removedEntries"] for item in wiped)
    return {
        "specVersion": "0.1.0", "kind": "RuntimeEvidence",
        "id": "urn:srcos:agent-machine:runtime-evidence:%s-wipe" % slug,
        "agentPodId": None, "agentMachineId": machine_id, "activationDecision": None,
        "action": "wipe", "outcome": "planned" if check_mode else "wiped", "unitName": None,
        "previousRevisionDigest": None, "newRevisionDigest": None, "rolledBack": False, "healthChecks": [],
        "wiped": wiped,
        "events": ["%s %d entries from %d volume(s)" % ("would remove" if check_mode else "removed", removed, len(wiped))],
        "startedAt": started_at, "finishedAt": _now(),
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            volumes=dict(type="list", elements="dict", required=True, options=dict(
                volume_class=dict(type="str", required=True),
                path=dict(type="path", required=True),
            )),
            include_models=dict(type="bool", default=False),
            machine_id=dict(type="str", required=True),
            lock_path=dict(type="path", default="/run/agent-machine/activation.lock"),
            lock_timeout=dict(type="float", default=900),
        ),
        supports_check_mode=True,
    )
    started_at = _now()
    volumes = module.params["volumes"]
    try:
        check_volumes(volumes, module.params["include_models"])
        if module.check_mode:
            results = [wipe_volume(volume, True) for volume in volumes]
        else:
            with ActivationLock(module.params["lock_path"], module.params["lock_timeout"]):
                results = [wipe_volume(volume, False) for volume in volumes]
    except (WipeError, LockTimeout, OSError) as exc:
        module.fail_json(msg=str(exc))
    wiped = [entry for entry, _skipped in results]
    skipped = [path for _entry, paths in results for path in paths]
    module.exit_json(changed=any(item["removedEntries"] for item in wiped), wiped=wiped, skipped=skipped,
                     evidence=_evidence(module.params["machine_id"], wiped, started_at, module.check_mode))


if __name__ == "__main__":
    main()
