"""Quadlet rendering: every provider x accelerator, hardened defaults, network, policy, digests, version gating."""

import copy

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import (
    CONTAINER_KEYS, RenderError, render_container,
)

from support import render_cases as cases

ALL_ACCELERATORS = ("cpu", "cuda", "rocm", "vulkan", "metal", "mlx")


def render(pod, provider="llama.cpp", machine=None, version="5.4.2", **kwargs):
    accelerator = (pod["resources"]["accelerators"] or [{"type": "cpu"}])[0]["type"]
    return render_container(pod, catalog.provider(provider), machine or cases.machine_for(accelerator), version, **kwargs)


def keys_of(result, section="Container"):
    return [(key, value) for name, key, value in result["keys"] if name == section]


def values(result, key):
    return [value for name, found, value in result["keys"] if found == key]


@pytest.mark.parametrize("provider,accelerator", cases.combinations())
def test_every_supported_combination_renders(provider, accelerator):
    result = render(cases.pod_for(provider, accelerator), provider)
    assert result["name"] == "%s-%s.container" % (catalog.provider(provider)["id"].rsplit(":", 1)[1], accelerator)
    assert result["text"].count("[Container]") == 1
    for key, value in (("ReadOnly", "true"), ("NoNewPrivileges", "true"), ("DropCapability", "all")):
        assert values(result, key) == [value]
    assert not values(result, "AddCapability")
    assert "privileged" not in result["text"].lower()
    assert values(result, "Network") == [result["name"].replace(".container", ".network")]
    assert values(result, "PublishPort") == ["127.0.0.1:18080:%d" % catalog.provider(provider)["defaultPort"]]
    assert values(result, "HealthCmd") and values(result, "PidsLimit") == ["4096"]
    assert all(key in CONTAINER_KEYS for key, _value in keys_of(result))


@pytest.mark.parametrize("provider,accelerator", [
    (name, kind) for name in sorted(catalog.PROVIDERS) for kind in ALL_ACCELERATORS if not catalog.supports(name, kind)])
def test_unsupported_combination_is_refused(provider, accelerator):
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["providerId"] = catalog.provider(provider)["id"]
    pod["resources"]["accelerators"] = [{"type": accelerator, "required": True, "count": 1}]
    with pytest.raises(RenderError, match=r"\$\.resources\.accelerators\[0\]\.type: provider %s does not support "
                                          r"accelerator %s" % (provider.replace(".", r"\."), accelerator)):
        render_container(pod, catalog.provider(provider), cases.ASAHI_MACHINE, "5.4.2")


def test_llama_cpp_cuda_exact_keys():
    pod = cases.pod_for("llama.cpp", "cuda")
    pod["runtime"]["env"] = {"LLAMA_ARG_NO_WEBUI": "1"}
    result = render(pod, version="5.5.0")
    assert keys_of(result) == [
        ("Image", "ghcr.io/ggml-org/llama.cpp:server-cuda@" + cases.DIGEST),
        ("ContainerName", "llama-cpp-cuda"),
        ("Label", "io.sourceos.agent-machine.pod=urn:srcos:agent-machine:pod:coder-qwen"),
        ("Network", "llama-cpp-cuda.network"),
        ("PublishPort", "127.0.0.1:18080:8080"),
        ("ReadOnly", "true"),
        ("NoNewPrivileges", "true"),
        ("DropCapability", "all"),
        ("AddDevice", "nvidia.com/gpu=GPU-00000000-1111-2222-3333-444444444444"),
        ("Volume", "/var/lib/agent-machine/models:/models:ro"),
        ("Volume", "/var/lib/agent-machine/cache/warm:/cache:rw"),
        ("Volume", "/var/lib/agent-machine/cache/hot:/tmp:rw"),
        ("Environment", "LLAMA_ARG_NO_WEBUI=1"),
        ("Exec", "-m /models/qwen2.5-coder-7b-instruct-q4_k_m.gguf --host 0.0.0.0 --port 8080 -c 16384 -np 2 -ngl 99 "
                 "--cache-reuse 256 --slot-save-path /cache/prefix"),
        ("Memory", "12884901888"),
        ("PidsLimit", "4096"),
        ("HealthCmd", '["curl","-fsS","-o","/dev/null","http://127.0.0.1:8080/health"]'),
        ("HealthInterval", "30s"),
        ("HealthRetries", "3"),
        ("HealthStartPeriod", "10m"),
        ("HealthTimeout", "10s"),
    ]
    assert keys_of(result, "Service") == [("Restart", "on-failure"), ("TimeoutStartSec", "900")]
    assert keys_of(result, "Install") == [("WantedBy", "multi-user.target")]
    assert result["text"].startswith("# Rendered by sourceos.agent_machine")


def test_cuda_all_gpus_when_count_covers_the_machine():
    pod = cases.pod_for("llama.cpp", "cuda")
    pod["resources"]["accelerators"][0]["count"] = 2
    assert values(render(pod), "AddDevice") == ["nvidia.com/gpu=all"]
    pod["resources"]["accelerators"][0]["count"] = 1
    machine = cases.cuda_machine(gpus=0)
    assert values(render(pod, machine=machine), "AddDevice") == ["nvidia.com/gpu=all"]


def test_asahi_vulkan_exact_keys():
    pod = cases.example("agent-pod.json")
    result = render(pod, machine=cases.ASAHI_MACHINE)
    assert keys_of(result) == [
        ("Image", "ghcr.io/ggml-org/llama.cpp:server-vulkan@sha256:afa0a752723f65c245420305a0666ea8a2d409f688c3582ac37cf49e00b8eb02"),
        ("ContainerName", "coder-qwen"),
        ("Label", "io.sourceos.agent-machine.pod=urn:srcos:agent-machine:pod:coder-qwen"),
        ("Network", "coder-qwen.network"),
        ("PublishPort", "127.0.0.1:18080:8080"),
        ("ReadOnly", "true"),
        ("NoNewPrivileges", "true"),
        ("DropCapability", "all"),
        ("AddDevice", "/dev/dri/renderD128"),
        ("Volume", "/var/lib/agent-machine/models:/models:ro,z"),
        ("Volume", "/var/lib/agent-machine/cache/warm:/cache:rw,z"),
        ("Volume", "/var/lib/agent-machine/cache/hot:/tmp:rw,z"),
        ("Environment", "LLAMA_ARG_NO_WEBUI=1"),
        ("Secret", "coder-qwen-api-key,type=env,target=LLAMA_API_KEY"),
        ("Exec", "-m /models/qwen2.5-coder-7b-instruct-q4_k_m.gguf --host 0.0.0.0 --port 8080 -c 16384 -np 2 -ngl 99 "
                 "--cache-reuse 256 --slot-save-path /cache/prefix --metrics"),
        ("PodmanArgs", "--memory=12884901888"),
        ("PidsLimit", "4096"),
        ("HealthCmd", '["curl","-fsS","-o","/dev/null","http://127.0.0.1:8080/health"]'),
        ("HealthInterval", "30s"),
        ("HealthRetries", "3"),
        ("HealthStartPeriod", "10m"),
        ("HealthTimeout", "10s"),
    ]
    network = result["units"][1]
    assert network["name"] == "coder-qwen.network" and network["kind"] == "quadlet-network"
    assert "NetworkName=agent-coder-qwen" in network["text"] and "Internal" not in network["text"]


def test_rocm_devices_and_rootless_install():
    pod = cases.pod_for("vllm", "rocm")
    pod["runtime"]["mode"] = "rootless"
    result = render(pod, "vllm")
    assert values(result, "AddDevice") == ["/dev/kfd", "/dev/dri"]
    assert values(result, "WantedBy") == ["default.target"]


def test_loopback_publishes_on_127_and_states_egress():
    result = render(cases.pod_for("llama.cpp", "cpu"))
    assert values(result, "PublishPort") == ["127.0.0.1:18080:8080"]
    assert any("egress is NOT blocked" in note for note in result["notes"])


def test_network_none():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["networkMode"] = "none"
    pod["ports"][0]["exposure"] = "none"
    result = render(pod)
    assert values(result, "Network") == ["none"]
    assert not values(result, "PublishPort") and len(result["units"]) == 1 and result["notes"] == []
    pod["ports"][0]["exposure"] = "loopback"
    with pytest.raises(RenderError, match=r"\$\.ports\[0\]\.exposure: networkMode none cannot publish"):
        render(pod)


def test_host_network_needs_policy():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["networkMode"] = "host"
    with pytest.raises(RenderError, match=r"\$\.runtime\.networkMode: host networking needs policy\.allowHostNetwork"):
        render(pod)
    pod["policy"]["allowHostNetwork"] = True
    result = render(pod)
    assert values(result, "Network") == ["host"] and not values(result, "PublishPort")
    assert "--host 127.0.0.1" in values(result, "Exec")[0]


def test_privileged_is_never_rendered():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["policy"]["allowPrivileged"] = True
    with pytest.raises(RenderError, match=r"\$\.policy\.allowPrivileged: privileged containers are never rendered"):
        render(pod)


@pytest.mark.parametrize("mode", ["pod", "kubernetes-service"])
def test_unsupported_network_modes_are_loud(mode):
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["networkMode"] = mode
    with pytest.raises(RenderError, match="networkMode %s is not rendered as Quadlet" % mode):
        render(pod)


def test_host_exposure_and_cluster_exposure():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["ports"][0]["exposure"] = "host"
    result = render(pod)
    assert values(result, "PublishPort") == ["0.0.0.0:18080:8080"]
    assert any("every host interface" in note for note in result["notes"])
    pod["ports"][0]["exposure"] = "cluster"
    with pytest.raises(RenderError, match=r"\$\.ports\[0\]\.exposure: exposure cluster"):
        render(pod)


@pytest.mark.parametrize("policy", ["digest-required", "digest-pinned"])
def test_digest_policy_refuses_tag_only(policy):
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["imageReferencePolicy"] = policy
    pod["runtime"]["imageDigest"] = None
    with pytest.raises(RenderError, match=r"\$\.runtime\.imageDigest: imageReferencePolicy %s needs the image by digest" % policy):
        render(pod)
    pod["runtime"]["image"] = "ghcr.io/ggml-org/llama.cpp@" + cases.DIGEST
    assert values(render(pod), "Image") == ["ghcr.io/ggml-org/llama.cpp@" + cases.DIGEST]


def test_tag_allowed_bootstrap_and_conflicting_digest():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["imageReferencePolicy"] = "tag-allowed-bootstrap"
    pod["runtime"]["imageDigest"] = None
    assert values(render(pod), "Image") == ["ghcr.io/ggml-org/llama.cpp:server"]
    pod["runtime"]["image"] = "ghcr.io/ggml-org/llama.cpp@sha256:" + "cd" * 32
    pod["runtime"]["imageDigest"] = cases.DIGEST
    with pytest.raises(RenderError, match="differs from the digest in runtime.image"):
        render(pod)


def test_memory_key_gated_by_podman_version():
    pod = cases.pod_for("llama.cpp", "cpu")
    assert values(render(pod, version="5.5.0"), "Memory") == ["12884901888"]
    old = render(pod, version="5.4.2")
    assert not values(old, "Memory") and values(old, "PodmanArgs") == ["--memory=12884901888"]
    with pytest.raises(RenderError, match=r"\$\.resources\.memoryBytes: Quadlet key Memory= needs podman 5\.5 or newer; "
                                          r"the node has podman 5\.4"):
        render(pod, version="5.4.2", memory_fallback=False)


def test_pids_limit_falls_back_before_4_7_and_health_needs_4_5():
    pod = cases.pod_for("llama.cpp", "cpu")
    assert values(render(pod, version="4.6.0"), "PodmanArgs") == ["--memory=12884901888", "--pids-limit=4096"]
    with pytest.raises(RenderError, match=r"Quadlet key HealthCmd= needs podman 4\.5 or newer; the node has podman 4\.4"):
        render(pod, version="4.4.1")
    with pytest.raises(RenderError, match=r"podman_version: Quadlet needs podman 4\.4 or newer; the node has podman 4\.3"):
        render(pod, version="4.3.1")
    with pytest.raises(RenderError, match="podman_version: expected a podman version"):
        render(pod, version="unknown")


def test_entrypoint_needs_podman_5():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["entrypoint"] = ["/app/llama-server"]
    assert values(render(pod, version="5.0.0"), "Entrypoint") == ['["/app/llama-server"]']
    with pytest.raises(RenderError, match=r"\$\.runtime\.entrypoint: Quadlet key Entrypoint= needs podman 5\.0 or newer; "
                                          r"the node has podman 4\.9"):
        render(pod, version="4.9.3")


def test_secret_refs_must_be_podman_secrets():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["secretEnv"] = [{"name": "API_KEY", "secretRef": "vault:kv/agents/coder"}]
    with pytest.raises(RenderError, match=r"\$\.runtime\.secretEnv\[0\]\.secretRef: Quadlet reads secrets from podman only"):
        render(pod)


def test_volume_paths_override_and_bad_paths():
    pod = cases.pod_for("llama.cpp", "cpu")
    result = render(pod, volume_paths={"agent-models": "/srv/models"})
    assert values(result, "Volume")[0] == "/srv/models:/models:ro,z"
    bad = copy.deepcopy(pod)
    bad["storage"][0]["mountPath"] = "/models:rw"
    with pytest.raises(RenderError, match=r"\$\.storage\[0\]\.mountPath"):
        render(bad)


def test_model_path_needs_models_volume():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["storage"] = []
    with pytest.raises(RenderError, match=r"\$\.storage: provider llama\.cpp needs the model file"):
        render(pod)


def test_ollama_is_configured_by_environment():
    result = render(cases.pod_for("ollama", "cpu"), "ollama")
    env = values(result, "Environment")
    assert "OLLAMA_HOST=0.0.0.0:11434" in env and "OLLAMA_KEEP_ALIVE=5m" in env and "OLLAMA_CONTEXT_LENGTH=16384" in env
    assert values(result, "HealthCmd") == ['["ollama","list"]']
    assert not values(result, "Exec")


def test_provider_mismatch_and_invalid_pod():
    pod = cases.pod_for("llama.cpp", "cpu")
    with pytest.raises(RenderError, match=r"\$\.providerId: the pod names provider"):
        render(pod, "vllm")
    pod["runtime"]["networkMode"] = "everything"
    with pytest.raises(Exception, match="networkMode"):
        render(pod)
