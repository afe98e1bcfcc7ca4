# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AgentPod: one inference workload an agent needs, as the operator declares it.

The document says what the workload asks for. Whether it may run (a
privileged pod, host networking, an unpinned image) is decided by the
activation decision, so such requests are representable here and refused
there with a reason.
"""

from __future__ import annotations

from typing import Annotated, Dict, List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    AbsolutePath, AcceleratorType, ByteSize, Count, Digest, DnsLabel, Document, Exposure,
    MachineId, ModelFormat, PodId, Port, Profile, ProviderId, ReceiptKind, Ref, Section, Text, VolumeClass,
    check_unique,
)

PodType = Literal["local-systemd", "local-podman-quadlet", "kubernetes-pod"]
ImageReferencePolicy = Literal["tag-allowed-bootstrap", "digest-required", "digest-pinned"]
NetworkMode = Literal["none", "loopback", "host", "pod", "kubernetes-service"]
AccessMode = Literal["read-only", "read-write", "runtime-managed"]
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
EnvName = Annotated[str, Field(max_length=256, pattern=ENV_NAME_PATTERN)]


class Workload(Section):
    name: DnsLabel = Field(description="Workload name; unit and Kubernetes object names derive from it.")
    purpose: Text
    agent_identity_ref: Ref = Field(description="The agent identity the workload serves (a reference, never a credential).")
    workroom_ref: Ref = Field(description="The workroom (tenant) the workload belongs to.")
    tool_refs: List[Ref] = Field(default=[], description="Tools the agent uses through this workload; the grant must cover them.")


class SecretEnv(Section):
    """An environment variable whose value comes from a secret store at run time."""

    name: EnvName
    secret_ref: Ref = Field(description="Where the secret lives (e.g. a podman secret or Kubernetes Secret name); the value never appears here.")


class PodRuntime(Section):
    mode: Literal["rootful", "rootless"] = Field(description="Run as a system service (rootful) or a user service (rootless).")
    image: Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^\S+$")]
    image_digest: Optional[Digest] = Field(default=None, description="Manifest digest the image must resolve to.")
    image_reference_policy: ImageReferencePolicy
    entrypoint: Optional[List[str]] = Field(default=None, description="Replaces the image entrypoint; null keeps it.")
    args: List[str] = []
    env: Dict[EnvName, str] = Field(
        default={}, description="Plain settings only; secrets go in secretEnv.",
        json_schema_extra={"additionalProperties": False})
    secret_env: List[SecretEnv] = []
    network_mode: NetworkMode
    restart_policy: Literal["never", "on-failure", "always"] = Field(
        description="never, on-failure or always (systemd Restart=no|on-failure|always; Kubernetes Never|OnFailure|Always).")

    def model_post_init(self, context, /):
        check_unique(list(self.env) + [item.name for item in self.secret_env], "environment variable names")


class AcceleratorRequest(Section):
    type: AcceleratorType
    required: bool = Field(description="False: the pod may fall back to CPU when no such accelerator is free.")
    count: Count
    memory_bytes: Optional[ByteSize] = Field(default=None, description="Accelerator memory needed per device.")


class Resources(Section):
    cpu: Annotated[float, Field(gt=0)] = Field(description="CPU cores.")
    memory_bytes: ByteSize
    accelerators: List[AcceleratorRequest] = []


class VolumeMount(Section):
    volume_class: VolumeClass
    mount_path: AbsolutePath
    access_mode: AccessMode
    size_bytes: Optional[ByteSize] = Field(default=None, description="Capacity to claim (Kubernetes PVCs); null: the class default.")
    encryption_required: bool = Field(default=False, description="Activation needs a StorageReceipt that observed encryption.")
    quota_required: bool = Field(default=False, description="Activation needs a StorageReceipt that observed an enforced quota.")


class PodPort(Section):
    name: Annotated[str, Field(max_length=15, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    container_port: Port
    host_port: Optional[Port] = None
    exposure: Exposure


class PodPolicy(Section):
    """What the pod asks to be allowed; safe defaults."""

    allow_privileged: bool = False
    allow_host_network: bool = False
    allow_secret_in_spec: bool = False
    cache_reuse_requires_policy: bool = True


class PodReceipts(Section):
    required: List[ReceiptKind] = Field(description="Receipts that must exist before the pod may be activated.")
    include_raw_content: bool = Field(default=False, description="Never include prompts, KV or file contents in receipts unless true.")

    def model_post_init(self, context, /):
        check_unique(self.required, "receipts.required")


class PodModel(Section):
    ref: Ref
    digest: Digest
    size_bytes: ByteSize
    format: ModelFormat


class PodContext(Section):
    """Cache-locality hints: the shared context prefixes the workload sends.

    The digests are ordered, shortest prefix first, and each names the whole
    prefix up to its end (a chain: a context pack, then each turn of a
    session), so a cache holding the digest at position ``i`` holds every
    token up to ``prefixTokenCounts[i]``.
    """

    prefix_digests: List[Digest] = []
    prefix_tokens: Count = Field(default=0, description="Tokens in those shared prefixes (prefill cost when not cached).")
    prefix_token_counts: List[Count] = Field(
        default=[],
        description="Tokens from the start of the context to the end of each prefix, in the order of prefixDigests "
                    "(non-decreasing, the last one equal to prefixTokens); empty: the tokens are taken as evenly split.")

    def model_post_init(self, context, /):
        check_unique(self.prefix_digests, "context.prefixDigests")
        counts = self.prefix_token_counts
        if not counts:
            return
        if len(counts) != len(self.prefix_digests):
            raise ValueError("prefixTokenCounts has %d entries, prefixDigests %d; they must match"
                             % (len(counts), len(self.prefix_digests)))
        if any(later < earlier for earlier, later in zip(counts, counts[1:])):
            raise ValueError("prefixTokenCounts must not decrease: each prefix extends the one before")
        if counts[-1] != self.prefix_tokens:
            raise ValueError("the last prefixTokenCounts entry (%d) must equal prefixTokens (%d)"
                             % (counts[-1], self.prefix_tokens))


class InferenceSettings(Section):
    """Provider-neutral serving settings; the provider catalog maps them to arguments."""

    context_size: Optional[Annotated[int, Field(ge=1)]] = None
    parallel_slots: Optional[Annotated[int, Field(ge=1)]] = None
    gpu_layers: Optional[Count] = None
    gpu_memory_fraction: Optional[Annotated[float, Field(gt=0, le=1)]] = None
    tensor_parallel_size: Optional[Annotated[int, Field(ge=1)]] = None
    cache_reuse: Optional[Count] = Field(default=None, description="Minimum chunk size (tokens) to reuse from the cache.")


class PlacementConstraints(Section):
    """Hard placement constraints; empty lists mean any."""

    architectures: List[Literal["x86_64", "aarch64"]] = []
    profiles: List[Profile] = []
    machine_ids: List[MachineId] = Field(default=[], description="Only these machines.")


class AgentPod(Document):
    """One inference workload, declared by the operator."""

    kind: Literal["AgentPod"]
    id: PodId
    pod_type: PodType
    provider_id: ProviderId = Field(description="The InferenceProvider that serves the model.")
    workload: Workload
    runtime: PodRuntime
    resources: Resources
    storage: List[VolumeMount] = []
    ports: List[PodPort] = []
    policy: PodPolicy = PodPolicy()
    receipts: PodReceipts
    model: PodModel
    context: PodContext = PodContext()
    inference: InferenceSettings = InferenceSettings()
    placement: PlacementConstraints = PlacementConstraints()

    def model_post_init(self, context, /):
        check_unique([mount.mount_path for mount in self.storage], "storage mount paths")
        check_unique([port.name for port in self.ports], "port names")
