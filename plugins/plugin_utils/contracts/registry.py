# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every published contract and its JSON Schema (draft 2020-12).

The pydantic models are the source of truth; ``contracts/*.schema.json``
are generated from them (``make contracts``) and a test fails on drift.
"""

from __future__ import annotations

import json

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.activation_decision import ActivationDecision
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_machine import AgentMachine
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_pod import AgentPod
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_registry_grant import AgentRegistryGrant
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.cache_tier import CacheTier
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.deployment_receipt import DeploymentReceipt
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.inference_provider import InferenceProvider
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.model_receipt import ModelReceipt
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.placement_decision import PlacementDecision
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.policy_admission import PolicyAdmission
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.runtime_evidence import RuntimeEvidence
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.storage_receipt import StorageReceipt
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URI = "https://sourceos.dev/agent-machine/contracts/"

CONTRACTS = {
    "agent-machine": AgentMachine,
    "agent-pod": AgentPod,
    "inference-provider": InferenceProvider,
    "cache-tier": CacheTier,
    "storage-receipt": StorageReceipt,
    "model-receipt": ModelReceipt,
    "policy-admission": PolicyAdmission,
    "agent-registry-grant": AgentRegistryGrant,
    "placement-decision": PlacementDecision,
    "deployment-receipt": DeploymentReceipt,
    "activation-decision": ActivationDecision,
    "runtime-evidence": RuntimeEvidence,
}


def json_schema(name):
    """The JSON Schema of one contract, with dialect and id."""
    require_pydantic()
    schema = CONTRACTS[name].model_json_schema(by_alias=True, mode="validation")
    schema = {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_BASE_URI + name + ".schema.json", **schema}
    return schema


def schema_text(name):
    """The schema file's exact text: sorted keys, two-space indent, final newline."""
    return json.dumps(json_schema(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
