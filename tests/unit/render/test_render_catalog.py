"""The provider catalog: valid InferenceProvider documents, accelerators per provider."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog

EXPECTED = {
    "llama.cpp": ({"cpu", "cuda", "rocm", "vulkan"}, 8080, "/health"),
    "vllm": ({"cuda", "rocm"}, 8000, "/health"),
    "sglang": ({"cuda", "rocm"}, 30000, "/health"),
    "ollama": ({"cpu", "cuda", "rocm", "vulkan"}, 11434, "/"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_entries_validate_and_match_reference(name):
    document = catalog.provider(name)
    validate_document("InferenceProvider", document)
    accelerators, port, health = EXPECTED[name]
    assert {item["type"] for item in document["accelerators"]} == accelerators
    assert document["defaultPort"] == port
    assert document["healthPath"] == health
    for kind in ("cpu", "cuda", "rocm", "vulkan", "metal", "mlx"):
        assert catalog.supports(name, kind) == (kind in accelerators)


def test_llama_cpp_images_and_flags():
    document = catalog.provider("llama.cpp")
    assert catalog.accelerator_image(document, "cpu")[0] == "ghcr.io/ggml-org/llama.cpp:server"
    for kind in ("cuda", "vulkan", "rocm"):
        assert catalog.accelerator_image(document, kind)[0] == "ghcr.io/ggml-org/llama.cpp:server-" + kind
    flags = {item["setting"]: item["flag"] for item in document["arguments"]}
    assert flags == {"modelPath": "-m", "host": "--host", "port": "--port", "contextSize": "-c", "parallelSlots": "-np",
                     "gpuLayers": "-ngl", "cacheReuse": "--cache-reuse", "slotSavePath": "--slot-save-path"}


def test_vllm_sglang_ollama_mappings():
    vllm = {item["setting"]: item["flag"] for item in catalog.provider("vllm")["arguments"]}
    assert vllm["gpuMemoryFraction"] == "--gpu-memory-utilization"
    assert vllm["contextSize"] == "--max-model-len" and vllm["tensorParallelSize"] == "--tensor-parallel-size"
    sglang = {item["setting"]: item["flag"] for item in catalog.provider("sglang")["arguments"]}
    assert sglang["gpuMemoryFraction"] == "--mem-fraction-static"
    assert sglang["contextSize"] == "--context-length" and sglang["tensorParallelSize"] == "--tp-size"
    ollama = catalog.provider("ollama")
    assert all(item["flag"] is None for item in ollama["arguments"])
    assert ollama["env"]["OLLAMA_KEEP_ALIVE"] == "5m" and "OLLAMA_MAX_LOADED_MODELS" in ollama["env"]
    assert catalog.provider("vllm")["image"].startswith("vllm/vllm-openai")
    assert catalog.provider("sglang")["image"].startswith("lmsysorg/sglang")
    assert catalog.provider("ollama")["image"].startswith("ollama/ollama")


def test_lookup_by_id_and_copies():
    document = catalog.provider("urn:srcos:agent-machine:provider:llama-cpp")
    document["defaultPort"] = 1
    assert catalog.provider("llama.cpp")["defaultPort"] == 8080


def test_unknown_provider_and_accelerator():
    with pytest.raises(catalog.CatalogError, match="unknown provider 'tgi'"):
        catalog.provider("tgi")
    with pytest.raises(catalog.CatalogError, match="vllm does not support accelerator vulkan"):
        catalog.accelerator_image("vllm", "vulkan")


def test_health_commands():
    assert catalog.health_command("llama.cpp", 8080)[-1] == "http://127.0.0.1:8080/health"
    assert catalog.health_command("ollama", 11434) == ["ollama", "list"]
