# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""InferenceProvider: one entry of the provider catalog (llama.cpp, vLLM, SGLang, Ollama).

It says which image serves which accelerator, where the server listens and
answers health checks, and how the provider-neutral settings of an AgentPod
(``inference`` section, model path, port) become arguments or environment.
"""

from __future__ import annotations

from typing import Annotated, Dict, List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    AcceleratorType, Digest, Document, ModelFormat, Port, ProviderId, Section, check_unique,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_pod import EnvName

ProviderName = Literal["llama.cpp", "vllm", "sglang", "ollama"]
# Names match the AgentPod fields they come from (inference.<setting>, or
# the rendered model path, listen address and port).
Setting = Literal[
    "modelPath", "host", "port", "contextSize", "parallelSlots", "gpuLayers",
    "gpuMemoryFraction", "tensorParallelSize", "cacheReuse", "slotSavePath",
]
UrlPath = Annotated[str, Field(max_length=1024, pattern=r"^/[^\s?#]*$")]
Image = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^\S+$")]


class ProviderAccelerator(Section):
    """An accelerator type the provider supports, and the image built for it."""

    type: AcceleratorType
    image: Optional[Image] = Field(default=None, description="Image for this accelerator; null uses the provider's image.")
    image_digest: Optional[Digest] = None


class ArgumentMapping(Section):
    """How one setting reaches the server: a command-line flag or an environment variable."""

    model_config = {"json_schema_extra": {"oneOf": [
        {"required": ["flag"], "properties": {"flag": {"type": "string"}}},
        {"required": ["env"], "properties": {"env": {"type": "string"}}},
    ]}}

    setting: Setting
    flag: Optional[Annotated[str, Field(pattern=r"^--?[A-Za-z0-9][A-Za-z0-9-]*$")]] = None
    env: Optional[EnvName] = None

    def model_post_init(self, context, /):
        if (self.flag is None) == (self.env is None):
            raise ValueError("setting %s needs exactly one of flag or env" % self.setting)


class InferenceProvider(Document):
    """A provider catalog entry."""

    kind: Literal["InferenceProvider"]
    id: ProviderId
    name: ProviderName
    image: Image = Field(description="Default image (CPU build where the provider ships one per accelerator).")
    image_digest: Optional[Digest] = None
    entrypoint: Optional[List[str]] = Field(default=None, description="Command that starts the server; null keeps the image's entrypoint.")
    default_port: Port
    health_path: UrlPath = Field(description="HTTP GET path that answers 200 once the model is loaded.")
    models_path: Optional[UrlPath] = Field(default=None, description="HTTP path listing the served models.")
    accelerators: List[ProviderAccelerator] = Field(min_length=1)
    model_formats: List[ModelFormat] = Field(min_length=1)
    arguments: List[ArgumentMapping] = []
    fixed_args: List[str] = Field(default=[], description="Arguments always passed, after the mapped ones.")
    env: Dict[EnvName, str] = Field(default={}, json_schema_extra={"additionalProperties": False})

    def model_post_init(self, context, /):
        check_unique([item.type for item in self.accelerators], "accelerator types")
        check_unique([item.setting for item in self.arguments], "argument settings")
