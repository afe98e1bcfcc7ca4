"""validate_document, kind_of, ContractError, and the pure helpers of the validate_documents action."""

import datetime
import json
import os

import pytest
from ansible.errors import AnsibleError

from ansible_collections.sourceos.agent_machine.plugins.action import validate_documents as action
from ansible_collections.sourceos.agent_machine.plugins.modules import validate_documents as module
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_pod import AgentPod
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import CONTRACTS
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    KINDS, NAMES, ContractError, json_path, kind_of, model_for, resolve_kind, validate_document,
)

EXAMPLES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "contracts", "examples")


def example(name):
    with open(os.path.join(EXAMPLES_DIR, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.parametrize("kind_or_name", ["AgentPod", "agent-pod", None])
def test_kind_or_name_or_the_documents_own_kind(kind_or_name):
    pod = validate_document(kind_or_name, example("agent-pod"))
    assert isinstance(pod, AgentPod)
    assert pod.workload.name == "coder-qwen"


def test_names_and_kinds_cover_every_contract():
    assert sorted(KINDS) == sorted(CONTRACTS)
    assert sorted(NAMES) == sorted(model.__name__ for model in CONTRACTS.values())
    for name, model in CONTRACTS.items():
        assert resolve_kind(name) == resolve_kind(model.__name__) == model.__name__
        assert model_for(name) is model_for(model.__name__) is model


def test_kind_of_picks_the_model_from_the_document():
    assert kind_of(example("policy-admission")) is CONTRACTS["policy-admission"]


@pytest.mark.parametrize("data, line", [
    ({"kind": "Nope"}, "Document document: $.kind: unknown kind 'Nope'; expected one of ActivationDecision, "),
    ({"id": "x y"}, "Document document: $.kind: field required"),
    ({"id": "urn:x"}, "Document urn:x: $.kind: field required"),
    ([1, 2], "Document document: $: Input should be an object"),
    ({"kind": ["AgentPod"]}, "Document document: $.kind: unknown kind ['AgentPod']"),
])
def test_documents_without_a_usable_kind(data, line):
    with pytest.raises(ContractError) as info:
        validate_document(None, data)
    assert str(info.value).startswith(line)


def test_unknown_kind_argument():
    with pytest.raises(ContractError, match=r"\$\.kind: unknown kind 'agent_pod'"):
        validate_document("agent_pod", example("agent-pod"))


def test_a_document_of_another_kind_names_kind():
    with pytest.raises(ContractError) as info:
        validate_document("AgentPod", example("policy-admission"), source="admission.json")
    assert info.value.problems[0] == ("$.kind", "Input should be 'AgentPod'")
    assert info.value.lines[0] == "AgentPod admission.json: $.kind: Input should be 'AgentPod'"


def test_contract_error_format_and_problems():
    document = example("agent-pod")
    document["runtime"]["imageReferencePolicy"] = "latest"
    del document["resources"]["accelerators"][0]["count"]
    document["ports"][0]["protocol"] = "tcp"
    with pytest.raises(ContractError) as info:
        validate_document("agent-pod", document, source="pods/coder.yaml")
    error = info.value
    assert isinstance(error, AnsibleError)
    assert error.kind == "AgentPod"
    assert error.source == "pods/coder.yaml"
    assert error.problems == [
        ("$.runtime.imageReferencePolicy", "Input should be 'tag-allowed-bootstrap', 'digest-required' or 'digest-pinned'"),
        ("$.resources.accelerators[0].count", "field required"),
        ("$.ports[0].protocol", "unknown field"),
    ]
    assert str(error).splitlines() == [
        "AgentPod pods/coder.yaml: $.runtime.imageReferencePolicy: "
        "Input should be 'tag-allowed-bootstrap', 'digest-required' or 'digest-pinned'",
        "AgentPod pods/coder.yaml: $.resources.accelerators[0].count: field required",
        "AgentPod pods/coder.yaml: $.ports[0].protocol: unknown field",
    ]
    assert error.message == str(error)


def test_label_defaults_to_the_document_id():
    document = example("cache-tier")
    document["sizeBytes"] = -1
    with pytest.raises(ContractError) as info:
        validate_document(None, document)
    assert str(info.value) == ("CacheTier urn:srcos:agent-machine:cache-tier:warm-m2-air: $.sizeBytes: "
                               "Input should be greater than or equal to 0")


def test_root_level_rule_is_reported_at_dollar():
    document = example("activation-decision")
    document["inputs"]["deploymentReceipt"] = None
    with pytest.raises(ContractError) as info:
        validate_document(None, document, source="d.json")
    assert str(info.value) == "ActivationDecision d.json: $: status 'allowed' needs inputs deploymentReceipt"


@pytest.mark.parametrize("loc, path", [
    ((), "$"),
    (("runtime", "imageReferencePolicy"), "$.runtime.imageReferencePolicy"),
    (("resources", "accelerators", 0, "type"), "$.resources.accelerators[0].type"),
    (("labels", "nvidia.com/gpu.product"), '$.labels["nvidia.com/gpu.product"]'),
    (("env", 'A"B'), '$.env["A\\"B"]'),
])
def test_json_path(loc, path):
    assert json_path(loc) == path


# ---- action helpers -----------------------------------------------------------------------

def test_action_and_module_document_the_same_options():
    assert action.ARGUMENT_SPEC == module.ARGUMENT_SPEC
    assert action.REQUIRED_ONE_OF == [["documents", "paths"]]


@pytest.mark.parametrize("value, text", [
    (datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.timezone.utc), "2026-03-02T09:30:00Z"),
    (datetime.datetime(2026, 3, 2, 9, 30, 0, 518000, tzinfo=datetime.timezone.utc), "2026-03-02T09:30:00.518Z"),
    (datetime.datetime(2026, 3, 2, 9, 30), "2026-03-02T09:30:00"),
    (datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))), "2026-03-02T09:30:00+02:00"),
    (datetime.date(2026, 3, 2), "2026-03-02"),
])
def test_plain_turns_parsed_timestamps_back_into_text(value, text):
    assert action.plain({"at": [value]}) == {"at": [text]}


def test_plain_drops_subclasses():
    class Tagged(str):
        pass

    class TaggedInt(int):
        pass

    result = action.plain({Tagged("k"): (Tagged("v"), TaggedInt(3), True, None, 1.5)})
    assert result == {"k": ["v", 3, True, None, 1.5]}
    assert [value.__class__ for value in [list(result)[0]] + result["k"][:2]] == [str, str, int]


def test_parse_documents_single_list_and_stream():
    pod = example("agent-pod")
    assert action.parse_documents(json.dumps(pod), "pod.json") == [pod]
    assert action.parse_documents(json.dumps([pod, pod]), "pods.JSON") == [pod, pod]
    stream = "kind: AgentPod\nrecordedAt: 2026-03-02T09:30:00Z\nrestart: never\n---\n---\nkind: CacheTier\n"
    assert action.parse_documents(stream, "docs.yaml") == [
        {"kind": "AgentPod", "recordedAt": "2026-03-02T09:30:00Z", "restart": "never"}, {"kind": "CacheTier"}]


@pytest.mark.parametrize("text, filename, message", [
    ("{", "x.json", "is not valid JSON"),
    ("a: [", "x.yaml", "is not valid YAML"),
    ("", "x.yaml", "holds no document"),
    ("[]", "x.json", "holds no document"),
])
def test_parse_documents_problems(text, filename, message):
    with pytest.raises(Exception, match=message):
        action.parse_documents(text, filename)
