#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: model_artifact
short_description: Materialize one model artifact on the node, sha256-verified and atomic, with a ModelReceipt
version_added: "0.1.0"
description:
  - Puts one model file at C(<models_root>/<name>) from an http(s) URL or from a file on the node
    (for files from the controller, copy them to the node first and set O(from_controller)).
  - The file is written to C(<models_root>/.partial/), on the same filesystem as its final path, hashed
    while it is written, compared with O(digest), fsynced and renamed into place; the directory is
    fsynced after the rename. Nothing is ever half-written at the final path.
  - An interrupted download keeps its partial file; the retry (O(retries)) or the next run asks only
    for the rest with an HTTP C(Range) request. A server that ignores the range (C(200)) is
    downloaded again from the start; C(416) is handled as "already complete" or "start over".
  - On a digest mismatch the downloaded file moves to C(<models_root>/.quarantine/), nothing appears at
    the final path, the task fails and the result still carries the C(quarantined) ModelReceipt.
  - Free space is checked (C(statvfs)) before anything is downloaded or copied, from O(size_bytes) or
    the server's C(Content-Length).
  - A file already at the final path is not read again when its size, modification and change times
    and inode are those recorded when it was last hashed (C(<models_root>/.fingerprints.json)).
    O(verify=true) forces a re-hash. A present file with another digest is replaced; its old bytes
    are kept in the quarantine.
  - Records every artifact in the residency manifest C(<models_root>/.residency.json), with C(specVersion)
    C(0.1.0) and a C(models) list whose entries have C(ref), C(digest), C(sizeBytes), C(path), C(format),
    C(materializedAt) and C(lastUsedAt). It is written atomically and returned as RV(residency) and as
    the fact C(agent_machine_models). Entries whose file is gone are dropped.
  - Returns a ModelReceipt document (C(contracts/model-receipt.schema.json)) in RV(model_receipt). Its
    source names the kind, and for URLs the scheme and host only.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
options:
  ref:
    description: The model reference AgentPods use, for example C(hf://org/repo/model-q4_k_m.gguf).
    type: str
    required: true
  digest:
    description:
      - Expected sha256 of the file, C(sha256:<64 hex digits>).
      - Required unless O(allow_unverified=true).
    type: str
  allow_unverified:
    description:
      - Accept the artifact without an expected digest; the receipt says C(verified=false).
      - Only set this where policy allows unverified models (the C(models) role refuses it unless
        C(models_allow_unverified) is true). A given O(digest) is still checked.
    type: bool
    default: false
  size_bytes:
    description:
      - Expected size in bytes (from the pod or the model catalog). Used for the free-space check before
        the download starts; a server or file of another size is refused.
    type: int
  format:
    description: Model format, recorded in the manifest and the receipt.
    type: str
    choices: [gguf, safetensors, mlx, onnx]
  name:
    description:
      - File name under O(models_root). Defaults to the last part of O(ref), which is where the
        rendered provider units look for the model.
      - Letters, digits, C(.), C(_), C(+) and C(-); not starting with a dot.
    type: str
  models_root:
    description: Directory of the models volume; created (mode C(0750)) when missing.
    type: path
    default: /var/lib/agent-machine/models
  url:
    description:
      - http(s) URL to download from. Must not carry user information; use O(auth_header).
      - Mutually exclusive with O(path).
    type: str
  path:
    description:
      - Absolute path of a file already on the node to copy from. Mutually exclusive with O(url).
    type: path
  from_controller:
    description:
      - O(path) is a copy staged from the controller (the C(models) role does this); the receipt records
        the source kind C(controller). In check mode a staged file that is not there yet is planned, not
        an error.
    type: bool
    default: false
  auth_header:
    description:
      - Value of the C(Authorization) header for O(url), for example C(Bearer <token>) from a vaulted
        variable. Never logged, never returned, never in a receipt or an error, and not sent again when
        the server redirects.
    type: str
  verify:
    description: Hash a present file even when its fingerprint is unchanged.
    type: bool
    default: false
  mark_used:
    description:
      - Set C(lastUsedAt) of the artifact's manifest entry to now (for example when a provider starts
        with it). This bookkeeping alone does not report a change.
    type: bool
    default: false
  mode:
    description: Permissions of the artifact file, octal, for example C("0644").
    type: raw
    default: "0644"
  machine_id:
    description:
      - Id of the machine for the receipt, C(urn:srcos:agent-machine:machine:<slug>).
      - Defaults to the id the probe (M(sourceos.agent_machine.machine_facts)) derives from the hostname.
    type: str
  timeout:
    description: Seconds to wait for the server to connect or send data.
    type: int
    default: 30
  retries:
    description: How many times an interrupted download is resumed within this run.
    type: int
    default: 3
  retry_delay:
    description: Seconds between retries.
    type: float
    default: 2
  validate_certs:
    description: Verify the server's TLS certificate for https URLs.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Reads (and may hash) the present file; downloads, copies and writes nothing.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
notes:
  - Target side needs only the Python standard library.
  - Reports C(changed) when the artifact was written, its mode changed, or its residency entry changed
    (other than C(lastUsedAt)).
  - Partial downloads are named after the expected digest, so a partial file of another revision is
    never continued.
seealso:
  - module: sourceos.agent_machine.receipt
"""

EXAMPLES = r"""
- name: Materialize a GGUF model from a model hub, with a token from the vault
  sourceos.agent_machine.model_artifact:
    ref: hf://Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m.gguf
    digest: sha256:66e268392caa298fe3e0e899007e2622ad5d1d4a04d620f62f077b6aef99a5af
    size_bytes: 4683074240
    format: gguf
    url: https://huggingface.co/Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/resolve/main/qwen2.5-coder-7b-instruct-q4_k_m.gguf
    auth_header: "Bearer {{ vault_model_hub_token }}"
  register: model

- name: Record its ModelReceipt
  sourceos.agent_machine.receipt:
    document: "{{ model.model_receipt }}"

- name: Re-hash a model that is already on the node
  sourceos.agent_machine.model_artifact:
    ref: file:///srv/models/tiny.gguf
    digest: sha256:0d7f3c1b6e0e3f5c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a
    path: /srv/models/tiny.gguf
    verify: true
"""

RETURN = r"""
outcome:
  description: C(downloaded), C(resumed), C(copied), C(already-present), or C(planned) in check mode.
  returned: success
  type: str
  sample: resumed
path:
  description: Final path of the artifact.
  returned: always
  type: str
  sample: /var/lib/agent-machine/models/qwen2.5-coder-7b-instruct-q4_k_m.gguf
digest:
  description: sha256 of the file on the node (null when planned).
  returned: success
  type: str
verified:
  description: The file's digest was compared with O(digest) and matched.
  returned: success
  type: bool
hashed:
  description: The file was read and hashed in this run (false when its fingerprint vouched for it).
  returned: success
  type: bool
size_bytes:
  description: Size of the artifact.
  returned: success
  type: int
received_bytes:
  description: Bytes downloaded or copied in this run.
  returned: success
  type: int
resumed_from:
  description: Byte the last range request of this run started from (0 when none).
  returned: success
  type: int
attempts:
  description: HTTP requests made for the download.
  returned: success
  type: int
source:
  description: The source as the receipt records it (kind, and scheme and host of a URL).
  returned: success
  type: dict
  sample: {"kind": "url", "scheme": "https", "host": "huggingface.co"}
notes:
  description: What happened beyond the outcome (retries, restarts, dropped residency entries, plans).
  returned: always
  type: list
  elements: str
model_receipt:
  description:
    - The ModelReceipt document. Also returned on a digest mismatch (outcome C(quarantined), its path in
      the quarantine). Null in check mode for an unverified artifact that is not on the node yet.
  returned: success or digest mismatch
  type: dict
quarantined_path:
  description: Where the mismatching file was moved.
  returned: digest mismatch
  type: str
residency:
  description: The residency manifest after this run.
  returned: success
  type: dict
  sample:
    specVersion: 0.1.0
    models:
      - ref: hf://Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m.gguf
        digest: sha256:66e268392caa298fe3e0e899007e2622ad5d1d4a04d620f62f077b6aef99a5af
        sizeBytes: 4683074240
        path: /var/lib/agent-machine/models/qwen2.5-coder-7b-instruct-q4_k_m.gguf
        format: gguf
        materializedAt: "2026-03-02T09:32:40Z"
        lastUsedAt: null
ansible_facts:
  description: C(agent_machine_models), the residency manifest.
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.materialize import MaterializeError, materialize
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.receipt import check_machine_id
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.request import RequestError, normalize_request
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.residency import ResidencyError
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.document import machine_id as machine_id_from_hostname
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.host import _hostname

ARGUMENT_SPEC = dict(
    ref=dict(type="str", required=True),
    digest=dict(type="str"),
    allow_unverified=dict(type="bool", default=False),
    size_bytes=dict(type="int"),
    format=dict(type="str", choices=["gguf", "safetensors", "mlx", "onnx"]),
    name=dict(type="str"),
    models_root=dict(type="path", default="/var/lib/agent-machine/models"),
    url=dict(type="str"),
    path=dict(type="path"),
    from_controller=dict(type="bool", default=False),
    auth_header=dict(type="str", no_log=True),
    verify=dict(type="bool", default=False),
    mark_used=dict(type="bool", default=False),
    mode=dict(type="raw", default="0644"),
    machine_id=dict(type="str"),
    timeout=dict(type="int", default=30),
    retries=dict(type="int", default=3),
    retry_delay=dict(type="float", default=2),
    validate_certs=dict(type="bool", default=True),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           mutually_exclusive=[("url", "path")], required_one_of=[("url", "path")])
    try:
        request = normalize_request(module.params)
        machine = check_machine_id(module.params["machine_id"] or machine_id_from_hostname(_hostname(ProbeContext())[0]))
    except (RequestError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    try:
        result = materialize(request, machine, check_mode=module.check_mode)
    except MaterializeError as exc:
        module.fail_json(msg=str(exc), path=request.final_path, **exc.result)
    except (ResidencyError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (request.ref, exc), path=request.final_path)
    module.exit_json(ansible_facts={"agent_machine_models": result["residency"]}, **result)


if __name__ == "__main__":
    main()
