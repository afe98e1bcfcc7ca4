"""The default Rego bundle: the example pod is admitted with a narrow scope; each bad case is denied with its reason."""

import copy

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.bundle import load_bundle

from policy_cases import admit_args, admitted

LLAMA = "urn:srcos:agent-machine:provider:llama-cpp"
VLLM = "urn:srcos:agent-machine:provider:vllm"
EMPTY_SET = {"networkExposure": [], "volumeClasses": [], "providerIds": [], "cacheReuse": False, "sideEffects": []}


def codes(result):
    return [reason["code"] for reason in result["reasons"]]


def config(**settings):
    """bundle_data that changes the default policy's settings."""
    return {"agent_machine": {"config": settings}}


def test_example_pod_is_admitted_with_the_scope_it_needs():
    result = admitted()
    admission = result["admission"]
    validate_document("PolicyAdmission", admission)
    assert result["reasons"] == []
    assert admission["id"] == "urn:srcos:agent-machine:policy-admission:coder-qwen-m2-air-activation"
    assert admission["request"] == {
        "requestType": "activation",
        "agentMachineId": "urn:srcos:agent-machine:machine:m2-air",
        "agentPodId": "urn:srcos:agent-machine:pod:coder-qwen",
        "providerId": LLAMA,
        "planDigest": admit_args()["plan_digest"],
    }
    assert admission["decision"]["status"] == "allowed"
    assert admission["decision"]["authorizationGranted"] is True
    assert admission["decision"]["decisionRef"] == (
        "rego:sourceos.agent_machine/default@%s#data.agent_machine.admission.decision" % result["bundle"]["digest"])
    assert admission["scope"] == {
        "allowed": {
            "networkExposure": ["loopback", "none"],
            "volumeClasses": ["agent-cache-hot", "agent-cache-warm", "agent-models"],
            "providerIds": [LLAMA],
            "cacheReuse": True,
            "sideEffects": ["install-unit", "mount-cache", "network-egress", "open-port", "reuse-cache", "start-provider"],
        },
        "denied": {
            "networkExposure": ["host", "ingress"],
            "volumeClasses": ["agent-artifacts", "agent-evidence"],
            "providerIds": [],
            "cacheReuse": False,
            "sideEffects": ["wipe-cache", "wipe-models"],
        },
    }
    # The policy's receipts and the pod's own (ModelReceipt) together.
    assert admission["obligations"] == {
        "requiredReceipts": ["ActivationDecision", "DeploymentReceipt", "ModelReceipt", "RuntimeEvidence", "StorageReceipt"],
        "expiresAt": "2026-03-02T10:33:30Z",
        "revocationRef": None,
    }
    assert admission["decidedAt"] == "2026-03-02T09:33:30Z"


def test_same_input_gives_the_same_admission_and_digest():
    first, second = admitted(), admitted()
    assert first == second
    assert first["admission"]["decision"]["decisionDigest"].startswith("sha256:")


@pytest.mark.parametrize("ttl, expires", [
    (None, "2026-03-02T10:33:30Z"),      # default_ttl_seconds: one hour
    (600, "2026-03-02T09:43:30Z"),       # requested
    (10 ** 7, "2026-03-03T09:33:30Z"),   # capped at max_ttl_seconds: one day
])
def test_expiry_is_decision_time_plus_ttl(ttl, expires):
    assert admitted(ttl=ttl)["admission"]["obligations"]["expiresAt"] == expires


def test_fractional_decision_time_expires_on_the_whole_second():
    admission = admitted(decided_at="2026-03-02T09:33:30.750Z")["admission"]
    assert admission["decidedAt"] == "2026-03-02T09:33:30.750Z"
    assert admission["obligations"]["expiresAt"] == "2026-03-02T10:33:30Z"


def _pod(mutate):
    def apply(args):
        mutate(args["pod"])
    return apply


def _set(path, value):
    def mutate(pod):
        target = pod
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return _pod(mutate)


def _host_network(pod):
    pod["runtime"]["networkMode"] = "host"
    pod["policy"]["allowHostNetwork"] = True


def _unpinned(policy):
    def mutate(pod):
        pod["runtime"]["imageDigest"] = None
        pod["runtime"]["imageReferencePolicy"] = policy
    return _pod(mutate)


def _no_storage_class(pod):
    pod["storage"].append({"volumeClass": "agent-evidence", "mountPath": "/evidence", "accessMode": "read-write",
                           "sizeBytes": None, "encryptionRequired": False, "quotaRequired": False})


DENIALS = [
    # name, change to the admit() arguments, bundle_data, expected (code, field) reasons
    ("privileged", _set(["policy", "allowPrivileged"], True), None,
     [("privileged", "input.pod.policy.allowPrivileged")]),
    ("privileged even when the data allows everything else", _set(["policy", "allowPrivileged"], True),
     config(network={"allowed_exposures": ["none", "loopback", "host", "cluster", "ingress"], "allow_host_network": True}),
     [("privileged", "input.pod.policy.allowPrivileged")]),
    ("host network asked by the pod, not allowed by the data", _pod(_host_network), None,
     [("host-network", "input.pod.runtime.networkMode")]),
    ("host network allowed by the data, not asked by the pod", _set(["runtime", "networkMode"], "host"),
     config(network={"allowed_exposures": ["none", "loopback"], "allow_host_network": True}),
     [("host-network", "input.pod.runtime.networkMode")]),
    ("secrets in the spec", _set(["policy", "allowSecretInSpec"], True), None,
     [("secret-in-spec", "input.pod.policy.allowSecretInSpec")]),
    ("digest-pinned image without a digest", _unpinned("digest-pinned"), None,
     [("image-not-pinned", "input.pod.runtime.imageDigest")]),
    ("digest-required image without a digest", _unpinned("digest-required"), None,
     [("image-not-pinned", "input.pod.runtime.imageDigest")]),
    ("tag allowed by the pod, digest required by the data", _unpinned("tag-allowed-bootstrap"),
     config(images={"require_digest": True}), [("image-not-pinned", "input.pod.runtime.imageDigest")]),
    ("image digest in the reference differs from imageDigest",
     _set(["runtime", "image"], "ghcr.io/ggml-org/llama.cpp@sha256:" + "ab" * 32), None,
     [("image-digest-conflict", "input.pod.runtime.imageDigest")]),
    ("host exposure", _set(["ports", 0, "exposure"], "host"), None,
     [("exposure-not-allowed", "input.pod.ports[0].exposure")]),
    ("ingress exposure", _set(["ports", 0, "exposure"], "ingress"), None,
     [("exposure-not-allowed", "input.pod.ports[0].exposure")]),
    ("loopback exposure removed from the data", lambda args: None,
     config(network={"allowed_exposures": ["none"], "allow_host_network": False}),
     [("exposure-not-allowed", "input.pod.ports[0].exposure")]),
    ("evidence volume class", _pod(_no_storage_class), None,
     [("volume-class-not-allowed", "input.pod.storage[3].volumeClass")]),
    ("models mounted read-write", _set(["storage", 0, "accessMode"], "read-write"), None,
     [("volume-not-read-only", "input.pod.storage[0].accessMode")]),
    ("provider not listed", _set(["providerId"], "urn:srcos:agent-machine:provider:other"), None,
     [("provider-not-allowed", "input.pod.providerId")]),
    ("provider removed from the data", lambda args: None, config(providers={"allowed": [VLLM]}),
     [("provider-not-allowed", "input.pod.providerId")]),
    ("provider document of another provider", lambda args: args.update(provider="vllm"), None,
     [("provider-accelerator-unsupported", "input.pod.resources.accelerators[0].type"),
      ("provider-mismatch", "input.pod.providerId")]),
    ("cache reuse not allowed", lambda args: None,
     config(side_effects={"allowed": ["install-unit", "start-provider", "mount-cache", "open-port", "network-egress"]}),
     [("side-effect-not-allowed", "input.pod.inference.cacheReuse")]),
    ("egress not allowed", lambda args: None,
     config(side_effects={"allowed": ["install-unit", "start-provider", "mount-cache", "reuse-cache", "open-port"]}),
     [("side-effect-not-allowed", "input.pod.runtime.networkMode")]),
    ("wipe request", lambda args: args.update(request_type="wipe"), None,
     [("request-type-not-allowed", "input.request.requestType")]),
    ("teardown request", lambda args: args.update(request_type="teardown"), None,
     [("request-type-not-allowed", "input.request.requestType")]),
]


@pytest.mark.parametrize("name, change, data, expected", DENIALS, ids=[case[0] for case in DENIALS])
def test_denials_name_the_rule_and_the_field(name, change, data, expected):
    args = admit_args()
    change(args)
    result = admitted(bundle=load_bundle(data=data), **args)
    admission = result["admission"]
    validate_document("PolicyAdmission", admission)
    assert [(reason["code"], reason["field"]) for reason in result["reasons"]] == sorted(expected), name
    assert all(reason["message"] for reason in result["reasons"])
    assert admission["decision"]["status"] == "denied"
    assert admission["decision"]["authorizationGranted"] is False
    # A denied admission allows nothing and does not expire into anything.
    assert admission["scope"]["allowed"] == EMPTY_SET
    assert admission["obligations"]["expiresAt"] is None
    assert admission["obligations"]["requiredReceipts"] == []


def test_every_problem_of_one_pod_is_listed():
    def everything_wrong(pod):
        pod["policy"]["allowPrivileged"] = True
        _host_network(pod)
        pod["runtime"]["imageDigest"] = None
        pod["ports"][0]["exposure"] = "ingress"
        pod["storage"][0]["accessMode"] = "read-write"
    args = admit_args()
    everything_wrong(args["pod"])
    assert codes(admitted(**args)) == [
        "exposure-not-allowed", "host-network", "image-not-pinned", "privileged", "volume-not-read-only"]


def test_host_network_is_admitted_when_pod_and_data_allow_it():
    args = admit_args()
    _host_network(args["pod"])
    bundle = load_bundle(data=config(network={"allowed_exposures": ["none", "loopback"], "allow_host_network": True}))
    result = admitted(bundle=bundle, **args)
    assert result["reasons"] == []
    assert "network-egress" in result["admission"]["scope"]["allowed"]["sideEffects"]


def test_tag_image_is_admitted_when_pod_and_data_allow_tags():
    args = admit_args()
    _unpinned("tag-allowed-bootstrap")(args)
    assert admitted(**args)["admission"]["decision"]["status"] == "allowed"


def test_network_none_pod_needs_no_egress_nor_ports():
    args = admit_args()
    pod = args["pod"]
    pod["runtime"]["networkMode"] = "none"
    pod["ports"] = []
    pod["context"]["prefixDigests"] = []
    pod["inference"]["cacheReuse"] = None
    pod["storage"] = [entry for entry in pod["storage"] if entry["volumeClass"] == "agent-models"]
    allowed = admitted(**args)["admission"]["scope"]["allowed"]
    assert allowed == {"networkExposure": ["none"], "volumeClasses": ["agent-models"], "providerIds": [
        "urn:srcos:agent-machine:provider:llama-cpp"], "cacheReuse": False, "sideEffects": ["install-unit", "start-provider"]}


def test_kubernetes_service_pod_gets_cluster_exposure_without_egress():
    args = admit_args()
    pod = args["pod"]
    pod["podType"] = "kubernetes-pod"
    pod["runtime"]["networkMode"] = "kubernetes-service"
    pod["ports"][0]["exposure"] = "cluster"
    result = admitted(**args)
    allowed = result["admission"]["scope"]["allowed"]
    assert result["reasons"] == []
    assert allowed["networkExposure"] == ["cluster", "none"]
    assert allowed["sideEffects"] == ["mount-cache", "open-port", "reuse-cache", "start-provider"]


def test_provider_from_the_catalog_that_fits_is_admitted():
    assert admitted(provider="llama.cpp")["reasons"] == []


@pytest.mark.parametrize("request_type", ["placement", "render", "cache-reuse"])
def test_other_admitted_request_types(request_type):
    result = admitted(request_type=request_type)
    assert result["admission"]["request"]["requestType"] == request_type
    assert result["admission"]["decision"]["status"] == "allowed"
    assert result["admission"]["id"].endswith("-" + request_type)


def test_broken_policy_data_denies_naming_each_setting():
    data = config(request_types="activation", admission={"default_ttl_seconds": 0, "max_ttl_seconds": 60,
                                                         "revocation_ref": 5})
    bundle = load_bundle(data=data)
    del bundle.data["agent_machine"]["config"]["images"]
    result = admitted(bundle=bundle)
    invalid = sorted(reason["field"] for reason in result["reasons"] if reason["code"] == "policy-data-invalid")
    assert invalid == [
        "data.agent_machine.config.admission.default_ttl_seconds",
        "data.agent_machine.config.admission.revocation_ref",
        "data.agent_machine.config.images.require_digest",
        "data.agent_machine.config.request_types",
    ]
    assert result["admission"]["decision"]["status"] == "denied"


def test_machine_given_by_id_only():
    args = admit_args(machine="urn:srcos:agent-machine:machine:m2-air")
    result = admitted(**args)
    assert result["admission"]["decision"]["status"] == "allowed"
    assert result["admission"]["request"]["agentMachineId"] == "urn:srcos:agent-machine:machine:m2-air"


def test_inputs_are_not_modified():
    args = admit_args()
    before = copy.deepcopy(args)
    admitted(**args)
    assert args == before
