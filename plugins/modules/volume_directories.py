#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: volume_directories
short_description: Ensure a node's volume directories and mount points in one pass
version_added: "0.1.0"
description:
  - Creates each missing directory (missing parents as root, mode 0755) and
    corrects the owner, group and mode of the existing ones, in one module
    run for all of them, where a loop over M(ansible.builtin.file) costs a
    round trip to the node per directory.
  - Refuses, before touching any entry, a path that is a symbolic link or
    exists as anything but a directory, an owner or group the node does not
    have, a bad mode and a path listed twice. Nothing in the way is removed
    or replaced, and no link is followed.
  - Used by the C(storage) role for directory volumes and mount points.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  directories:
    description: The directories to ensure, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Normalized absolute path, not C(/).
        type: path
        required: true
      owner:
        description: User name or uid.
        type: str
        default: root
      group:
        description: Group name or gid.
        type: str
        default: root
      mode:
        description: Octal mode as a string, such as C("0750").
        type: raw
        default: "0750"
"""

EXAMPLES = r"""
- name: Ensure the models and scratch directories and the hot cache's mount point
  sourceos.agent_machine.volume_directories:
    directories:
      - {path: /var/lib/agent-machine/models, mode: "0755"}
      - {path: /var/lib/agent-machine/scratch, owner: inference, group: inference, mode: "0750"}
      - {path: /var/lib/agent-machine/cache/hot, mode: "0700"}
"""

RETURN = r"""
directories:
  description: Each directory with what had to change (C(created), C(owner), C(group), C(mode)); empty when nothing.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/var/lib/agent-machine/models", "changes": ["created"]}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sourceos.agent_machine.plugins.module_utils.volume_directories import (
    DirectoryError, apply_plans, check_entries, diffs, summary,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path", required=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="root"),
                mode=dict(type="raw", default="0750"),
            )),
        ),
        supports_check_mode=True,
    )
    try:
        plans = check_entries(module.params["directories"])
        if not module.check_mode:
            apply_plans(plans)
    except (DirectoryError, OSError) as exc:
        module.fail_json(msg=str(exc))
    directories = summary(plans)
    result = dict(changed=any(entry["changes"] for entry in directories), directories=directories)
    if module._diff:
        result["diff"] = diffs(plans)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
