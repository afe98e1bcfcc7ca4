# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the receipt actions take their settings from, in one place.

Each setting comes from the task's option, else a collection-wide
variable, else an environment variable, else a default (or an error):

| setting        | option           | variable                            | environment                      |
|----------------|------------------|-------------------------------------|----------------------------------|
| artifacts dir  | artifacts_dir    | agent_machine_artifacts_dir         | AGENT_MACHINE_ARTIFACTS_DIR      |
| run id         | run_id           | agent_machine_run_id                | AGENT_MACHINE_RUN_ID             |
| signing key    | signing_key      | agent_machine_signing_key (vault)   |                                  |
| key file       | signing_key_file | agent_machine_signing_key_file      | AGENT_MACHINE_SIGNING_KEY_FILE   |
| endpoint       | endpoint         | agent_machine_evidence_endpoint     | AGENT_MACHINE_EVIDENCE_ENDPOINT  |
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleError

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing, store

# Options every evidence action takes (documented by the "evidence" doc fragment).
EVIDENCE_ARGUMENT_SPEC = {
    "artifacts_dir": {"type": "path"},
    "run_id": {"type": "str"},
    "signing_key": {"type": "str", "no_log": True},
    "signing_key_file": {"type": "path"},
}

_SOURCES = {
    "artifacts_dir": ("agent_machine_artifacts_dir", "AGENT_MACHINE_ARTIFACTS_DIR"),
    "run_id": ("agent_machine_run_id", "AGENT_MACHINE_RUN_ID"),
    "signing_key": ("agent_machine_signing_key", None),
    "signing_key_file": ("agent_machine_signing_key_file", "AGENT_MACHINE_SIGNING_KEY_FILE"),
    "endpoint": ("agent_machine_evidence_endpoint", "AGENT_MACHINE_EVIDENCE_ENDPOINT"),
}


def setting(name, args, task_vars):
    """The first non-empty value of option, variable, environment; else None."""
    variable, environment = _SOURCES[name]
    for value in (args.get(name), task_vars.get(variable), os.environ.get(environment) if environment else None):
        if value not in (None, ""):
            return value
    return None


def artifacts_dir(args, task_vars):
    value = setting("artifacts_dir", args, task_vars) or os.path.join(os.getcwd(), "artifacts")
    return os.path.abspath(os.path.expanduser(str(value)))


def run_id(args, task_vars):
    value = setting("run_id", args, task_vars)
    if value is None:
        raise AnsibleError("run_id: not set; pass run_id, set agent_machine_run_id (the receipts role's start "
                           "tasks do) or AGENT_MACHINE_RUN_ID")
    try:
        return store.check_run_id(str(value))
    except store.StoreError as exc:
        raise AnsibleError(str(exc))


def private_key(args, task_vars):
    """The Ed25519 signing key from PEM text or a file; a clear error when neither is set."""
    pem = setting("signing_key", args, task_vars)
    if pem is not None:
        return signing.load_private_key(str(pem))
    path = setting("signing_key_file", args, task_vars)
    if path is None:
        raise AnsibleError("signing_key: no signing key; set agent_machine_signing_key (vault) or "
                           "agent_machine_signing_key_file (an Ed25519 PKCS#8 PEM file)")
    path = os.path.expanduser(str(path))
    if not os.path.isfile(path):
        raise AnsibleError("signing_key_file: %s does not exist" % path)
    return signing.load_private_key_file(path)
