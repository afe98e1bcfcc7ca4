"""Bad input gets one clear error naming the option, before the node is touched."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.receipt import check_machine_id, receipt_id
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.request import (
    RequestError,
    display_url,
    normalize_request,
    url_host,
)

DIGEST = "sha256:" + "ab" * 32


def params(**overrides):
    base = {"ref": "hf://org/repo/model-q4.gguf", "digest": DIGEST, "url": "https://models.example/model-q4.gguf"}
    base.update(overrides)
    return dict((key, value) for key, value in base.items() if value is not None)


def error_for(**overrides):
    with pytest.raises(RequestError) as failure:
        normalize_request(params(**overrides))
    return str(failure.value)


def test_defaults():
    request = normalize_request(params())
    assert request.name == "model-q4.gguf"
    assert request.models_root == "/var/lib/agent-machine/models"
    assert request.final_path == "/var/lib/agent-machine/models/model-q4.gguf"
    assert (request.mode, request.timeout, request.retries, request.retry_delay) == (0o644, 30.0, 3, 2.0)
    assert request.validate_certs is True and request.verify is False
    assert request.source_record() == {"kind": "url", "scheme": "https", "host": "models.example"}


def test_an_uppercase_digest_is_normalized():
    assert normalize_request(params(digest="SHA256:" + "AB" * 32)).digest == DIGEST


@pytest.mark.parametrize("overrides, field, words", [
    ({"ref": ""}, "ref", "non-empty"),
    ({"ref": "has space"}, "ref", "without spaces"),
    ({"digest": None}, "digest", "required"),
    ({"digest": "md5:abc"}, "digest", "sha256:<64 hex digits>"),
    ({"digest": "sha256:" + "ab" * 31}, "digest", "sha256:<64 hex digits>"),
    ({"url": None}, "url, path", "exactly one source"),
    ({"path": "/srv/model.gguf"}, "url, path", "exactly one source"),
    ({"url": "ftp://models.example/m.gguf"}, "url", "http or https"),
    ({"url": "https:///m.gguf"}, "url", "no host"),
    ({"url": "https://models.example:99999/m.gguf"}, "url", "not a valid URL"),
    ({"url": "https://models.example/a b.gguf"}, "url", "spaces"),
    ({"url": None, "path": "relative/model.gguf"}, "path", "absolute path"),
    ({"from_controller": True}, "from_controller", "path only"),
    ({"url": None, "path": "/srv/m.gguf", "auth_header": "Bearer x"}, "auth_header", "url sources only"),
    ({"name": ".hidden"}, "name", "plain file name"),
    ({"name": "a/b.gguf"}, "name", "plain file name"),
    ({"ref": "hf://", "name": None}, "name (taken from the last part of ref)", "plain file name"),
    ({"models_root": "models"}, "models_root", "absolute path"),
    ({"models_root": "/"}, "models_root", "must not be /"),
    ({"format": "pickle"}, "format", "not one of"),
    ({"size_bytes": -1}, "size_bytes", "at least 0"),
    ({"size_bytes": "big"}, "size_bytes", "must be a number"),
    ({"timeout": 0}, "timeout", "at least 1"),
    ({"retries": -1}, "retries", "at least 0"),
    ({"mode": "rw-r--r--"}, "mode", "octal mode"),
    ({"mode": True}, "mode", "not a boolean"),
])
def test_errors_name_the_option(overrides, field, words):
    message = error_for(**overrides)
    assert message.startswith(field + ": "), message
    assert words in message


def test_unverified_needs_the_explicit_allowance():
    assert "allow_unverified" in error_for(digest=None)
    assert normalize_request(params(digest=None, allow_unverified=True)).digest is None


def test_an_unquoted_yaml_mode_is_read_as_octal():
    assert normalize_request(params(mode=0o640)).mode == 0o640
    assert normalize_request(params(mode="640")).mode == 0o640


def test_urls_are_shown_without_credentials_query_or_fragment():
    url = "https://models.example:8443/org/m.gguf?X-Amz-Signature=abc#part"
    assert display_url(url) == "https://models.example:8443/org/m.gguf"
    assert url_host("http://[::1]:8080/m.gguf") == "[::1]:8080"
    assert normalize_request(params(url="http://[::1]:8080/m.gguf")).source_record()["host"] == "[::1]:8080"


def test_receipt_ids_follow_the_machine_and_file_name():
    assert receipt_id("urn:srcos:agent-machine:machine:gpu-01", "Qwen2.5-Coder_7B.Q4.gguf") == \
        "urn:srcos:agent-machine:model-receipt:gpu-01-qwen2-5-coder-7b-q4-gguf"
    with pytest.raises(ValueError) as failure:
        check_machine_id("gpu-01")
    assert str(failure.value).startswith("machine_id: ")
