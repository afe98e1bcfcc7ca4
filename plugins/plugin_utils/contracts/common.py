# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pieces every contract shares: spec version, ids, digests, timestamps, sizes, vocabularies.

Documents built from these types are checked strictly: a string is never
coerced into a number and a number never into a boolean, so the pydantic
models accept exactly what the published JSON Schemas accept.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_machine import AcceleratorType, Profile
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Contract, Field

__all__ = [
    "SPEC_VERSION", "SpecVersion", "Section", "Document", "rule",
    "SLUG_PATTERN", "URN_PREFIX", "ID_TYPES", "urn_pattern", "Urn", "AnyId",
    "MachineId", "PodId", "ProviderId", "CacheTierId", "StorageReceiptId", "ModelReceiptId",
    "PolicyAdmissionId", "GrantId", "PlacementDecisionId", "DeploymentReceiptId",
    "ActivationDecisionId", "RuntimeEvidenceId",
    "DIGEST_REGEX", "Digest", "TIMESTAMP_REGEX", "Timestamp", "ByteSize", "Count", "Port", "Seconds",
    "Ref", "AbsolutePath", "DnsLabel", "Text", "ReasonCode", "Reason", "DocumentRef",
    "AcceleratorType", "Profile", "VolumeClass", "VOLUME_CLASSES", "Durability", "VOLUME_CLASS_DURABILITY",
    "Exposure", "ReceiptKind", "SideEffect", "ModelFormat", "check_unique",
]

SPEC_VERSION = "0.1.0"
SpecVersion = Literal["0.1.0"]

SLUG_PATTERN = r"[a-z0-9][a-z0-9-]*"
URN_PREFIX = "urn:srcos:agent-machine:"

# Kind of each document -> the <type> segment of its id.
ID_TYPES = {
    "AgentMachine": "machine",
    "AgentPod": "pod",
    "InferenceProvider": "provider",
    "CacheTier": "cache-tier",
    "StorageReceipt": "storage-receipt",
    "ModelReceipt": "model-receipt",
    "PolicyAdmission": "policy-admission",
    "AgentRegistryGrant": "grant",
    "PlacementDecision": "placement-decision",
    "DeploymentReceipt": "deployment-receipt",
    "ActivationDecision": "activation-decision",
    "RuntimeEvidence": "runtime-evidence",
}


def urn_pattern(id_type):
    """Regular expression of the ids of one type, e.g. ``urn_pattern("pod")``.

    Only characters that need no escaping in any regex dialect are used.
    """
    if not re.match("^" + SLUG_PATTERN + "$", id_type):
        raise ValueError("not an id type: %r" % (id_type,))
    return "^" + URN_PREFIX + id_type + ":" + SLUG_PATTERN + "$"


def Urn(id_type):  # pylint: disable=invalid-name
    """The string type of the ids of one document type."""
    return Annotated[str, Field(pattern=urn_pattern(id_type))]


AnyId = Annotated[str, Field(pattern="^" + URN_PREFIX + SLUG_PATTERN + ":" + SLUG_PATTERN + "$")]
MachineId = Urn("machine")
PodId = Urn("pod")
ProviderId = Urn("provider")
CacheTierId = Urn("cache-tier")
StorageReceiptId = Urn("storage-receipt")
ModelReceiptId = Urn("model-receipt")
PolicyAdmissionId = Urn("policy-admission")
GrantId = Urn("grant")
PlacementDecisionId = Urn("placement-decision")
DeploymentReceiptId = Urn("deployment-receipt")
ActivationDecisionId = Urn("activation-decision")
RuntimeEvidenceId = Urn("runtime-evidence")

DIGEST_REGEX = r"^sha256:[0-9a-f]{64}$"
Digest = Annotated[str, Field(pattern=DIGEST_REGEX)]

# RFC 3339 in UTC with a literal Z; fractional seconds allowed.
TIMESTAMP_REGEX = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z$"
)
Timestamp = Annotated[str, Field(pattern=TIMESTAMP_REGEX)]

ByteSize = Annotated[int, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]
Port = Annotated[int, Field(ge=1, le=65535)]
Seconds = Annotated[float, Field(ge=0)]

# A reference to something held elsewhere (identity, workroom, secret,
# vault entry, policy decision): never the thing itself.
Ref = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^\S+$")]
AbsolutePath = Annotated[str, Field(max_length=4096, pattern=r"^/[^\x00\r\n]*$")]
DnsLabel = Annotated[str, Field(max_length=63, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
Text = Annotated[str, Field(min_length=1, max_length=4096)]
ReasonCode = Annotated[str, Field(max_length=128, pattern=r"^[a-z][a-z0-9]*([.-][a-z0-9]+)*$")]

VolumeClass = Literal[
    "agent-models", "agent-cache-hot", "agent-cache-warm", "agent-cache-cold",
    "agent-scratch", "agent-evidence", "agent-artifacts",
]
VOLUME_CLASSES = (
    "agent-models", "agent-cache-hot", "agent-cache-warm", "agent-cache-cold",
    "agent-scratch", "agent-evidence", "agent-artifacts",
)
Durability = Literal["ephemeral", "semi-durable", "durable"]
# The durability each class is expected to have (REFERENCE: models durable,
# hot ephemeral, warm semi-durable, scratch ephemeral, evidence durable).
VOLUME_CLASS_DURABILITY = {
    "agent-models": "durable",
    "agent-cache-hot": "ephemeral",
    "agent-cache-warm": "semi-durable",
    "agent-cache-cold": "durable",
    "agent-scratch": "ephemeral",
    "agent-evidence": "durable",
    "agent-artifacts": "durable",
}

Exposure = Literal["none", "loopback", "host", "cluster", "ingress"]
ReceiptKind = Literal[
    "StorageReceipt", "ModelReceipt", "PlacementDecision", "DeploymentReceipt",
    "ActivationDecision", "RuntimeEvidence",
]
SideEffect = Literal[
    "start-provider", "stop-provider", "install-unit", "pull-image", "download-model",
    "mount-cache", "reuse-cache", "open-port", "network-egress", "wipe-cache", "wipe-models",
]
ModelFormat = Literal["gguf", "safetensors", "mlx", "onnx"]


def rule(when, then, otherwise=None, required=(), otherwise_required=()):
    """A JSON Schema ``if``/``then``/``else`` over an object's properties.

    ``when``, ``then`` and ``otherwise`` map property names to subschemas;
    ``required`` and ``otherwise_required`` name properties that must be
    present in each branch. Publishes the cross-field rules that the
    models' ``model_post_init`` enforce, so both validators agree.
    """
    clause = {"if": {"properties": when}, "then": {"properties": then}}
    if required:
        clause["then"]["required"] = list(required)
    if otherwise or otherwise_required:
        clause["else"] = {"properties": otherwise or {}}
        if otherwise_required:
            clause["else"]["required"] = list(otherwise_required)
    return clause


class Section(Contract):
    """A part of a document: camelCase keys, unknown keys refused, no type coercion."""

    model_config = {"strict": True}


class Document(Section):
    """Fields every document starts with. Subclasses add ``kind`` and ``id``."""

    spec_version: SpecVersion = Field(description="Version of the document format.")


class Reason(Section):
    """Why something was rejected or failed: a stable code and a sentence."""

    code: ReasonCode
    message: Text
    field: Optional[str] = Field(default=None, description="JSON path of the input field the reason is about, when there is one.")


class DocumentRef(Section):
    """Another document, by id and by digest of its canonical JSON."""

    id: AnyId
    digest: Digest


def check_unique(values, what):
    """ValueError naming the first duplicate in ``values``."""
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError("%s must be unique: %r appears more than once" % (what, value))
        seen.add(value)
