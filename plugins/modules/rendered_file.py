#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rendered_file
short_description: Write rendered files into one directory atomically, with diff and check mode
version_added: "0.1.0"
description:
  - Writes each file by temp file, fsync and rename in its directory, then
    fsyncs the directory, so a reader sees the old or the new content, never
    a mix.
  - Only files whose content or mode differ are written; the result says
    which changed and their sha256.
  - Refuses, before touching anything, a name that is not a plain file
    name, a duplicate name, and a target that is a symbolic link or not a
    regular file.
  - Normally called by M(sourceos.agent_machine.provider_render), which renders
    the content on the controller.
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
  directory:
    description: Absolute path of the directory the files go to; created (with O(directory_mode)) when missing.
    type: path
    required: true
  files:
    description: The files to write.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: File name inside O(directory).
        type: str
        required: true
      content:
        description: The file's text (written as UTF-8).
        type: str
        required: true
  mode:
    description: Permissions of the files.
    type: raw
    default: "0644"
  directory_mode:
    description: Permissions of the directory when it is created.
    type: raw
    default: "0755"
"""

EXAMPLES = r"""
- name: Write a Quadlet unit
  sourceos.agent_machine.rendered_file:
    directory: /etc/containers/systemd
    files:
      - name: coder.container
        content: "{{ unit_text }}"
"""

RETURN = r"""
files:
  description: One entry per file.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
    path:
      description: Full path.
      type: str
    changed:
      description: Whether the file was (or in check mode would be) written.
      type: bool
    sha256:
      description: sha256 (hex) of the content.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sourceos.agent_machine.plugins.module_utils.rendered_files import (
    RenderedFileError, apply_files, check_files, diffs, plan_files, summary,
)


def _mode(module, name):
    value = module.params[name]
    try:
        return int(value, 8) if isinstance(value, str) else int(value)
    except ValueError:
        module.fail_json(msg="%s: expected an octal mode such as 0644, got %r" % (name, value))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directory=dict(type="path", required=True),
            files=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                content=dict(type="str", required=True),
            )),
            mode=dict(type="raw", default="0644"),
            directory_mode=dict(type="raw", default="0755"),
        ),
        supports_check_mode=True,
    )
    directory, files = module.params["directory"], module.params["files"]
    mode, directory_mode = _mode(module, "mode"), _mode(module, "directory_mode")
    try:
        check_files(directory, files)
        plans = plan_files(directory, files, mode)
        if not module.check_mode:
            apply_files(directory, plans, mode, directory_mode)
    except (RenderedFileError, OSError) as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=any(plan["changed"] for plan in plans), files=summary(plans))
    if module._diff:
        result["diff"] = diffs(plans)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
