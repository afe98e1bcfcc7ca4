# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built-in provider catalog: llama.cpp, vLLM, SGLang and Ollama as InferenceProvider documents.

Data only. How a provider-neutral setting of an AgentPod reaches the
server is the ``arguments`` list of each entry (a flag or an environment
variable); the renderers read it and never special-case a provider.

Health checks run inside the container, so they need a client the image
ships: the llama.cpp, vLLM and SGLang images carry ``curl``; the Ollama
image does not, so its check is ``ollama list``, which is an HTTP request
to the same server (``OLLAMA_HOST``) and fails until it answers.
"""

from __future__ import annotations

import copy

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document

__all__ = ["PROVIDERS", "HEALTH_COMMANDS", "CatalogError", "health_command", "provider", "providers", "supports"]


def _flag(setting, flag):
    return {"setting": setting, "flag": flag, "env": None}


def _env(setting, name):
    return {"setting": setting, "flag": None, "env": name}


def _entry(slug, name, image, port, health, models, accelerators, formats, arguments, fixed_args=(), env=None):
    return {
        "specVersion": "0.1.0",
        "kind": "InferenceProvider",
        "id": "urn:srcos:agent-machine:provider:" + slug,
        "name": name,
        "image": image,
        "imageDigest": None,
        "entrypoint": None,
        "defaultPort": port,
        "healthPath": health,
        "modelsPath": models,
        "accelerators": [{"type": kind, "image": kind_image, "imageDigest": None} for kind, kind_image in accelerators],
        "modelFormats": list(formats),
        "arguments": arguments,
        "fixedArgs": list(fixed_args),
        "env": dict(env or {}),
    }


# Provider name -> InferenceProvider document.
PROVIDERS = {
    "llama.cpp": _entry(
        "llama-cpp", "llama.cpp", "ghcr.io/ggml-org/llama.cpp:server", 8080, "/health", "/v1/models",
        [("cpu", None),
         ("cuda", "ghcr.io/ggml-org/llama.cpp:server-cuda"),
         ("rocm", "ghcr.io/ggml-org/llama.cpp:server-rocm"),
         ("vulkan", "ghcr.io/ggml-org/llama.cpp:server-vulkan")],
        ["gguf"],
        [_flag("modelPath", "-m"), _flag("host", "--host"), _flag("port", "--port"),
         _flag("contextSize", "-c"), _flag("parallelSlots", "-np"), _flag("gpuLayers", "-ngl"),
         _flag("cacheReuse", "--cache-reuse"), _flag("slotSavePath", "--slot-save-path")]),
    "vllm": _entry(
        "vllm", "vllm", "vllm/vllm-openai:v0.8.5", 8000, "/health", "/v1/models",
        [("cuda", None), ("rocm", "rocm/vllm:latest")],
        ["safetensors", "gguf"],
        [_flag("modelPath", "--model"), _flag("host", "--host"), _flag("port", "--port"),
         _flag("contextSize", "--max-model-len"), _flag("gpuMemoryFraction", "--gpu-memory-utilization"),
         _flag("tensorParallelSize", "--tensor-parallel-size")],
        fixed_args=["--disable-log-requests"], env={"VLLM_NO_USAGE_STATS": "1"}),
    "sglang": _entry(
        "sglang", "sglang", "lmsysorg/sglang:latest", 30000, "/health", "/v1/models",
        [("cuda", None), ("rocm", "lmsysorg/sglang:v0.4.6.post1-rocm630")],
        ["safetensors"],
        [_flag("modelPath", "--model-path"), _flag("host", "--host"), _flag("port", "--port"),
         _flag("contextSize", "--context-length"), _flag("gpuMemoryFraction", "--mem-fraction-static"),
         _flag("tensorParallelSize", "--tp-size")]),
    # Ollama is configured through its environment; OLLAMA_HOST carries host and port together.
    "ollama": _entry(
        "ollama", "ollama", "ollama/ollama:latest", 11434, "/", "/api/tags",
        [("cpu", None), ("cuda", None), ("rocm", "ollama/ollama:rocm"), ("vulkan", None)],
        ["gguf"],
        [_env("host", "OLLAMA_HOST"), _env("contextSize", "OLLAMA_CONTEXT_LENGTH"),
         _env("parallelSlots", "OLLAMA_NUM_PARALLEL")],
        env={"OLLAMA_KEEP_ALIVE": "5m", "OLLAMA_MAX_LOADED_MODELS": "1", "OLLAMA_MODELS": "/models"}),
}

# Provider name -> health command run inside the container; {url} is the health URL.
HEALTH_COMMANDS = {
    "llama.cpp": ["curl", "-fsS", "-o", "/dev/null", "{url}"],
    "vllm": ["curl", "-fsS", "-o", "/dev/null", "{url}"],
    "sglang": ["curl", "-fsS", "-o", "/dev/null", "{url}"],
    "ollama": ["ollama", "list"],
}

_BY_ID = {document["id"]: name for name, document in PROVIDERS.items()}


class CatalogError(ValueError):
    """An unknown provider or an unsupported accelerator."""


def provider(name):
    """The InferenceProvider document (a copy) by name (``llama.cpp``) or id; validated against the contract."""
    key = _BY_ID.get(name, name)
    if key not in PROVIDERS:
        raise CatalogError("unknown provider %r; the catalog holds %s" % (name, ", ".join(sorted(PROVIDERS))))
    document = copy.deepcopy(PROVIDERS[key])
    validate_document("InferenceProvider", document, source="catalog")
    return document


def providers():
    """Every catalog entry, by name."""
    return {name: provider(name) for name in PROVIDERS}


def _document(value):
    return provider(value) if isinstance(value, str) else value


def supports(provider_or_name, accelerator_type):
    """True when the provider has an image for the accelerator type."""
    document = _document(provider_or_name)
    return any(item["type"] == accelerator_type for item in document["accelerators"])


def accelerator_image(provider_or_name, accelerator_type):
    """(image, imageDigest) the provider uses for an accelerator type; CatalogError when unsupported."""
    document = _document(provider_or_name)
    for item in document["accelerators"]:
        if item["type"] == accelerator_type:
            if item.get("image"):
                return item["image"], item.get("imageDigest")
            return document["image"], document.get("imageDigest")
    raise CatalogError("provider %s does not support accelerator %s (supported: %s)" % (
        document["name"], accelerator_type, ", ".join(item["type"] for item in document["accelerators"])))


def health_command(provider_or_name, port):
    """The health command (argv) for a provider listening on ``port`` inside the container."""
    document = _document(provider_or_name)
    url = "http://127.0.0.1:%d%s" % (port, document["healthPath"])
    template = HEALTH_COMMANDS.get(document["name"], HEALTH_COMMANDS["llama.cpp"])
    return [part.replace("{url}", url) for part in template]
