#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cache_inventory
short_description: Report the prefix caches and resident models a node holds, for placement
version_added: "0.1.0"
description:
  - Lists the prefix caches saved in the warm-cache volume, one file per
    context prefix at C(<warm_cache_root>/prefix/<sha256 hex>.bin), named by
    the prefix digest of the AgentPod's C(context.prefixDigests) (the files
    C(llama-server --slot-save-path <warm_cache_root>/prefix) saves and
    restores under those names), with size and modification time.
  - Reads the model residency manifest C(<models_root>/.residency.json), a
    JSON object with C(specVersion) C(0.1.0) and C(models), a list of
    entries with C(ref), C(digest), C(sizeBytes), C(path), C(format),
    C(materializedAt) and C(lastUsedAt), and checks that each model is a
    regular file of the recorded size (C(onDisk)); model files are never
    read.
  - A missing warm cache, prefix directory or manifest is an empty
    inventory. A manifest that is not JSON or not of that shape fails,
    naming the file and the entry.
  - Files in the prefix directory that do not follow the layout (other
    names, empty files, directories, symbolic links) are listed under
    C(ignored) with the reason; symbolic links are never followed.
  - Which models a running provider has loaded is not visible from the
    files and is not reported.
  - Changes nothing on the node; check mode reports the same inventory.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
options:
  warm_cache_root:
    description: Mount point of the warm cache volume (C(agent-cache-warm)).
    type: path
    default: /var/lib/agent-machine/cache/warm
  models_root:
    description: Mount point of the models volume (C(agent-models)), where the residency manifest lives.
    type: path
    default: /var/lib/agent-machine/models
  machine_id:
    description:
      - The machine's id (C(urn:srcos:agent-machine:machine:<slug>)), copied into the inventory so that
        placement can key it; normally C(ansible_facts.agent_machine.id).
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: Inventory the caches of each node
  sourceos.agent_machine.cache_inventory:
    machine_id: "{{ ansible_facts.agent_machine.id }}"

- name: Prefix caches resident on this node
  ansible.builtin.debug:
    msg: "{{ ansible_facts.agent_machine_cache_inventory.prefixes | map(attribute='digest') | list }}"
"""

RETURN = r"""
cache_inventory:
  description: The node's cache inventory (also set as the fact C(agent_machine_cache_inventory)).
  returned: success
  type: dict
  contains:
    agentMachineId:
      description: O(machine_id), or null.
      type: str
    warmCacheRoot:
      description: O(warm_cache_root).
      type: str
    prefixDirFound:
      description: Whether C(<warm_cache_root>/prefix) exists.
      type: bool
    prefixes:
      description: Prefix caches, sorted by digest.
      type: list
      elements: dict
      contains:
        digest:
          description: The prefix digest, C(sha256:<hex>).
          type: str
        path:
          description: The slot file.
          type: str
        sizeBytes:
          description: Its size.
          type: int
        modifiedAt:
          description: Its modification time, RFC 3339 UTC.
          type: str
    ignored:
      description: Entries of the prefix directory that are not prefix caches, with the reason.
      type: list
      elements: dict
    modelsRoot:
      description: O(models_root).
      type: str
    manifestPath:
      description: The residency manifest's path.
      type: str
    manifestFound:
      description: Whether the residency manifest exists.
      type: bool
    models:
      description:
        - The manifest's models, sorted by digest, with C(onDisk) (a regular file of the recorded size is there)
          and C(problem) (why not, or null). Relative paths are given under O(models_root).
      type: list
      elements: dict
    totals:
      description: Counts and bytes of prefixes, models and models on disk.
      type: dict
ansible_facts:
  description: C(agent_machine_cache_inventory), the same inventory.
  returned: success
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.inventory import (
    DEFAULT_MODELS_ROOT, DEFAULT_WARM_CACHE_ROOT, cache_inventory,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.prefixes import CacheInventoryError

MACHINE_ID = r"^urn:srcos:agent-machine:machine:[a-z0-9][a-z0-9-]*$"
WARNED_IGNORED = 10


def main():
    module = AnsibleModule(
        argument_spec=dict(
            warm_cache_root=dict(type="path", default=DEFAULT_WARM_CACHE_ROOT),
            models_root=dict(type="path", default=DEFAULT_MODELS_ROOT),
            machine_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["machine_id"] is not None and not re.match(MACHINE_ID, params["machine_id"]):
        module.fail_json(msg="machine_id: must be urn:srcos:agent-machine:machine:<slug> (lowercase letters, digits and '-')")
    try:
        inventory = cache_inventory(params["warm_cache_root"], params["models_root"], params["machine_id"])
    except CacheInventoryError as exc:
        module.fail_json(msg=str(exc))
    for entry in inventory["ignored"][:WARNED_IGNORED]:
        module.warn("%s: ignored, %s" % (entry["path"], entry["reason"]))
    if len(inventory["ignored"]) > WARNED_IGNORED:
        module.warn("%d more entries of the prefix cache ignored (see cache_inventory.ignored)"
                    % (len(inventory["ignored"]) - WARNED_IGNORED))
    module.exit_json(changed=False, cache_inventory=inventory, ansible_facts={"agent_machine_cache_inventory": inventory})


if __name__ == "__main__":
    main()
