# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ModelReceipt: one model artifact materialized (or refused) on one machine.

The source is recorded by kind and, for URLs, by host only: never the full
URL, its query string, user information or an authorization header.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    AbsolutePath, ByteSize, Digest, Document, MachineId, ModelFormat, ModelReceiptId, Ref, Section, Timestamp, rule,
)

# host or host:port; no user information, path or query can fit.
HOST_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$"
ModelOutcome = Literal["downloaded", "resumed", "copied", "already-present", "quarantined", "planned"]


class ModelSource(Section):
    model_config = {"json_schema_extra": {"allOf": [
        rule({"kind": {"const": "url"}},
             {"host": {"type": "string"}, "scheme": {"type": "string"}},
             {"host": {"type": "null"}, "scheme": {"type": "null"}}, required=["host", "scheme"]),
    ]}}

    kind: Literal["url", "path", "controller"]
    scheme: Optional[Literal["http", "https"]] = Field(default=None, description="URL sources only.")
    host: Optional[Annotated[str, Field(max_length=260, pattern=HOST_PATTERN)]] = Field(
        default=None, description="URL sources only: the host (and port), never credentials, path or query.")

    def model_post_init(self, context, /):
        if self.kind == "url" and (self.host is None or self.scheme is None):
            raise ValueError("a url source records its scheme and host")
        if self.kind != "url" and (self.host is not None or self.scheme is not None):
            raise ValueError("only a url source has a scheme and host")


class ModelReceipt(Document):
    """A model artifact on a machine's models volume."""

    model_config = {"json_schema_extra": {"allOf": [
        rule({"verified": {"const": True}},
             {"observedDigest": {"type": "string"}, "outcome": {"not": {"const": "quarantined"}}},
             required=["observedDigest"]),
    ]}}

    kind: Literal["ModelReceipt"]
    id: ModelReceiptId
    agent_machine_id: MachineId
    ref: Ref = Field(description="The model reference AgentPods use.")
    digest: Digest = Field(description="The expected sha256 of the artifact.")
    observed_digest: Optional[Digest] = Field(default=None, description="The sha256 computed on the node; null when not hashed.")
    size_bytes: ByteSize
    format: Optional[ModelFormat] = None
    path: AbsolutePath = Field(description="Final path on the node (the quarantine path when quarantined).")
    source: ModelSource
    verified: bool = Field(description="observedDigest was computed and equals digest.")
    materialized_at: Optional[Timestamp] = None
    last_used_at: Optional[Timestamp] = None
    outcome: ModelOutcome
    recorded_at: Timestamp

    def model_post_init(self, context, /):
        if self.verified and self.observed_digest != self.digest:
            raise ValueError("verified is true only when observedDigest equals digest")
        if self.outcome == "quarantined" and self.verified:
            raise ValueError("a quarantined artifact is not verified")
