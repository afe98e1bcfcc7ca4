"""Redaction: planted secrets never reach the canonical bytes of a receipt."""

import copy
import hashlib
import hmac
import json
import re
import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import canonical_json
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.redaction import (
    MARKER_PATTERN,
    RAW_CONTENT_MARKER,
    contains_secret_patterns,
    is_secret_key,
    redact,
    redaction_marker,
)

HMAC_KEY = b"\x01" * 32
OTHER_KEY = b"\x02" * 32
DIGEST = "sha256:" + "ab" * 32
IMAGE = "registry.example.com/agents/llama-server@sha256:" + "cd" * 32


def _pem(key, fmt=serialization.PrivateFormat.PKCS8):
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode("ascii")


@pytest.fixture(scope="module")
def rsa_pem():
    return _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                serialization.PrivateFormat.TraditionalOpenSSL)


def _pem_fragments(pem):
    """The whole PEM, every body line, and every 16-character slice of the body."""
    body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
    fragments = [pem] + [line for line in pem.splitlines() if line and not line.startswith("-----")]
    fragments += [body[i:i + 16] for i in range(0, len(body) - 16, 16)]
    return fragments


def _planted(pem, bearer):
    return {
        "id": "urn:srcos:agent-machine:deployment-receipt:n1-llama",
        "digest": DIGEST,
        "runtime": {
            "image": IMAGE,
            "env": {"DB_PASSWORD": "correct-horse-battery", "MODEL_PATH": "/models/llama-3.1-8b/model.gguf"},
            "args": ["--model", "/models/llama-3.1-8b/model.gguf", "--max-tokens", "512"],
        },
        "containers": [{"name": "server", "env": ["HOME=/root", "DB_PASSWORD=list-form-Passw0rd", "LOG_LEVEL=info"]}],
        "provider": {"api_key": "plain-api-key-value-1234", "endpoint": "http://127.0.0.1:8080/v1"},
        "tls": {"material": pem},
        "lastRequest": {"header": "sent " + bearer + " upstream"},
        "limits": {"maxTokens": 512, "cachedTokens": 0},
        "secretRef": "vault://kv/agents/db",
        "model": {"ref": "hf://meta-llama/Llama-3.1-8B-Instruct", "digest": DIGEST, "path": "/models/llama-3.1-8b"},
    }


def test_planted_secrets_never_reach_the_canonical_bytes(rsa_pem):
    ed_pem = _pem(ed25519.Ed25519PrivateKey.generate())
    bearer = "Bearer " + secrets.token_urlsafe(32)
    document = _planted(rsa_pem + "\n" + ed_pem, bearer)
    before = canonical_json(document).decode("utf-8")
    redacted, findings = redact(document, HMAC_KEY)
    text = canonical_json(redacted).decode("utf-8")

    planted = ["correct-horse-battery", "list-form-Passw0rd", "plain-api-key-value-1234", bearer.split()[1]]
    planted += _pem_fragments(rsa_pem) + _pem_fragments(ed_pem)
    for secret in planted:
        escaped = json.dumps(secret)[1:-1]
        assert escaped in before
        assert secret not in text and escaped not in text
    assert "PRIVATE KEY" not in text

    paths = {(f["path"], f["reason"]) for f in findings}
    assert ("$.runtime.env.DB_PASSWORD", "key-name") in paths
    assert ("$.containers[0].env[1]", "key-name") in paths
    assert ("$.provider.api_key", "key-name") in paths
    assert ("$.tls.material", "pem-private-key") in paths
    assert ("$.lastRequest.header", "bearer-token") in paths
    assert len(paths) == 5
    assert not any(secret in json.dumps(findings) for secret in planted)

    assert contains_secret_patterns(text) == []
    assert set(contains_secret_patterns(before)) == {"key-name", "pem-private-key", "bearer-token"}


def test_non_secrets_survive_unchanged(rsa_pem):
    document = _planted(rsa_pem, "Bearer " + secrets.token_urlsafe(32))
    redacted = redact(document, HMAC_KEY)[0]
    for key in ("id", "digest", "secretRef", "limits", "model"):
        assert redacted[key] == document[key]
    assert redacted["runtime"]["image"] == IMAGE
    assert redacted["runtime"]["args"] == document["runtime"]["args"]
    assert redacted["runtime"]["env"]["MODEL_PATH"] == "/models/llama-3.1-8b/model.gguf"
    assert redacted["containers"][0]["env"][0] == "HOME=/root"
    assert redacted["containers"][0]["env"][2] == "LOG_LEVEL=info"
    assert redacted["containers"][0]["env"][1].startswith("DB_PASSWORD=[redacted hmac-sha256:")
    assert redacted["provider"]["endpoint"] == "http://127.0.0.1:8080/v1"
    assert redacted["lastRequest"]["header"].startswith("sent Bearer [redacted hmac-sha256:")
    assert redacted["lastRequest"]["header"].endswith("] upstream")


def test_input_is_not_mutated(rsa_pem):
    document = _planted(rsa_pem, "Bearer " + secrets.token_urlsafe(32))
    snapshot = copy.deepcopy(document)
    redact(document, HMAC_KEY)
    assert document == snapshot


def test_marker_is_keyed_hmac_prefix():
    redacted = redact({"password": "hunter2"}, HMAC_KEY)[0]
    expected = hmac.new(HMAC_KEY, b"hunter2", hashlib.sha256).hexdigest()[:16]
    assert redacted == {"password": "[redacted hmac-sha256:%s]" % expected}
    assert MARKER_PATTERN.fullmatch(redacted["password"])
    assert redaction_marker("hunter2", HMAC_KEY) == redacted["password"]
    assert hashlib.sha256(b"hunter2").hexdigest()[:16] not in redacted["password"]


def test_equal_secrets_equal_markers_and_keys_differ():
    document = {"a": {"password": "s3cret-value"}, "b": {"env": ["API_TOKEN=s3cret-value"]}, "c": {"password": "other"}}
    first = redact(document, HMAC_KEY)[0]
    marker = first["a"]["password"]
    assert first["b"]["env"][0] == "API_TOKEN=" + marker
    assert first["c"]["password"] != marker
    second = redact(document, OTHER_KEY)[0]
    assert second["a"]["password"] != marker
    again = redact(document, HMAC_KEY)[0]
    assert again == first


@pytest.mark.parametrize("name", [
    "password", "dbPassword", "DB_PASSWORD", "passwd", "pwd", "db_pwd", "secret", "client_secret", "clientSecret",
    "token", "accessToken", "GITHUB_TOKEN", "HF_TOKEN", "refresh-token", "api_key", "apiKey", "apikey", "x-api-key",
    "X-API-Key", "Authorization", "proxy-authorization", "private_key", "privateKey", "privatekey", "cookie",
    "Set-Cookie", "credential", "credentials", "awsCredentials", "session_key", "sessionKey", "access_key",
    "AWS_SECRET_ACCESS_KEY", "passphrase", "keyPassphrase", "auth", "basicAuth",
])
def test_secret_key_names(name):
    assert is_secret_key(name, "value-123")
    redacted, findings = redact({name: "value-123"}, HMAC_KEY)
    assert MARKER_PATTERN.fullmatch(redacted[name])
    assert [f["reason"] for f in findings] == ["key-name"]


@pytest.mark.parametrize("name,value", [
    ("secretRef", "vault://kv/db"), ("passwordRef", "vault://kv/db"), ("private_key_ref", "file:///etc/key"),
    ("credentialRefs", ["vault://a", "vault://b"]), ("tokenDigest", DIGEST), ("secret_digest", DIGEST),
    ("secretName", "db-credentials"), ("maxTokens", 512), ("cachedTokens", 1024), ("tokens", 42),
    ("tokenCount", 7), ("promptTokens", 12), ("MAX_TOKENS", "512"), ("allowSecretInSpec", False),
    ("authorizationGranted", True), ("tokenizer", "/models/llama/tokenizer.json"), ("authMode", "webhook"),
    ("keyid", "sha256:" + "0" * 64), ("passwordFile", "/run/secrets/db"), ("PWD", "/srv/app"),
    ("includeRawContent", False), ("secretsAllowed", None), ("eos_token", "</s>"), ("bosToken", "<s>"),
    ("stopTokens", ["<|eot_id|>", "</s>"]), ("added_tokens", [{"content": "<pad>", "id": 0}]),
    ("max_new_tokens", "unlimited"), ("reasoningTokens", 64),
])
def test_references_digests_and_counts_are_kept(name, value):
    redacted, findings = redact({name: value}, HMAC_KEY)
    assert redacted == {name: value}
    assert findings == []


def test_secret_key_with_structured_value_redacts_every_string_leaf():
    document = {"credentials": {"user": "bob", "password": "pw-1", "port": 5432, "hosts": ["a", "b"],
                                "passwordRef": "vault://kv/x", "enabled": True}}
    redacted, findings = redact(document, HMAC_KEY)
    creds = redacted["credentials"]
    for key in ("user", "password"):
        assert MARKER_PATTERN.fullmatch(creds[key])
    assert all(MARKER_PATTERN.fullmatch(h) for h in creds["hosts"])
    assert creds["port"] == 5432 and creds["enabled"] is True
    assert creds["passwordRef"] == "vault://kv/x"
    assert {f["path"] for f in findings} == {
        "$.credentials.user", "$.credentials.password", "$.credentials.hosts[0]", "$.credentials.hosts[1]"}


def test_env_dict_and_env_list():
    document = {"runtime": {"env": {"DB_PASSWORD": "hunter2!x", "LOG_LEVEL": "debug"}},
                "containers": [{"env": ["LOG_LEVEL=debug", "DB_PASSWORD=hunter2!x"]}]}
    redacted, findings = redact(document, HMAC_KEY)
    marker = redacted["runtime"]["env"]["DB_PASSWORD"]
    assert MARKER_PATTERN.fullmatch(marker)
    assert redacted["containers"][0]["env"] == ["LOG_LEVEL=debug", "DB_PASSWORD=" + marker]
    assert findings == [{"path": "$.runtime.env.DB_PASSWORD", "reason": "key-name"},
                        {"path": "$.containers[0].env[1]", "reason": "key-name"}]


def test_kubernetes_env_items():
    document = {"env": [{"name": "API_TOKEN", "value": "tok-value-1"}, {"name": "MODE", "value": "serve"},
                        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}
    redacted, findings = redact(document, HMAC_KEY)
    assert MARKER_PATTERN.fullmatch(redacted["env"][0]["value"])
    assert redacted["env"][0]["name"] == "API_TOKEN"
    assert redacted["env"][1:] == document["env"][1:]
    assert findings == [{"path": "$.env[0].value", "reason": "key-name"}]


@pytest.mark.parametrize("item,kept", [
    ("--api-key=abc123def", "--api-key="),
    ("--password=p@ss word", "--password="),
    ("DB_PASSWORD=p@ss word", "DB_PASSWORD="),
    ("client_secret=xyz", "client_secret="),
])
def test_assignment_items_keep_the_name(item, kept):
    redacted, findings = redact({"args": [item]}, HMAC_KEY)
    value = redacted["args"][0]
    assert value.startswith(kept)
    assert MARKER_PATTERN.fullmatch(value[len(kept):])
    assert findings == [{"path": "$.args[0]", "reason": "key-name"}]


def test_flag_followed_by_value_item():
    args = ["serve", "--password", "p4ss", "--port", "8080", "--max-tokens", "512", "--token", "--verbose"]
    redacted, findings = redact({"args": args}, HMAC_KEY)
    out = redacted["args"]
    assert MARKER_PATTERN.fullmatch(out[2])
    assert out[:2] + out[3:] == args[:2] + args[3:]
    assert findings == [{"path": "$.args[2]", "reason": "key-name"}]


def test_command_line_string():
    command = "llama-server --api-key=k3y-value --model /models/m.gguf --token t0k-value Environment=DB_PASSWORD=pw1 A=b"
    redacted, findings = redact({"command": command}, HMAC_KEY)
    text = redacted["command"]
    for secret in ("k3y-value", "t0k-value", "pw1"):
        assert secret not in text
    assert "--model /models/m.gguf" in text and text.endswith(" A=b")
    assert "Environment=DB_PASSWORD=[redacted" in text
    assert findings == [{"path": "$.command", "reason": "key-name"}]


def test_header_and_config_lines():
    text = "GET /v1/models\nX-Api-Key: abc-123-key\nAccept: */*\npassword = ini-pass\n"
    redacted = redact({"raw": text}, HMAC_KEY)[0]
    assert "abc-123-key" not in redacted["raw"] and "ini-pass" not in redacted["raw"]
    assert "Accept: */*" in redacted["raw"] and redacted["raw"].startswith("GET /v1/models\nX-Api-Key: [redacted")


@pytest.mark.parametrize("fmt,key", [
    (serialization.PrivateFormat.PKCS8, "ed25519"),
    (serialization.PrivateFormat.PKCS8, "ec"),
    (serialization.PrivateFormat.TraditionalOpenSSL, "ec"),
    (serialization.PrivateFormat.OpenSSH, "ed25519"),
])
def test_pem_private_keys_of_every_kind(fmt, key):
    private = ed25519.Ed25519PrivateKey.generate() if key == "ed25519" else ec.generate_private_key(ec.SECP256R1())
    pem = _pem(private, fmt)
    redacted, findings = redact({"notes": "key follows\n" + pem + "end"}, HMAC_KEY)
    for fragment in _pem_fragments(pem):
        assert fragment not in redacted["notes"]
    assert redacted["notes"].startswith("key follows\n[redacted hmac-sha256:") and redacted["notes"].endswith("]\nend")
    assert findings == [{"path": "$.notes", "reason": "pem-private-key"}]


def test_encrypted_and_truncated_pem():
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(b"pw")).decode("ascii")
    assert "ENCRYPTED PRIVATE KEY" in pem
    truncated = pem[:-40]
    for text in (pem, truncated):
        redacted, findings = redact([text], HMAC_KEY)
        assert "PRIVATE KEY" not in redacted[0]
        assert findings == [{"path": "$[0]", "reason": "pem-private-key"}]


def test_public_keys_and_certificates_are_not_secret():
    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    redacted, findings = redact({"publicKey": public}, HMAC_KEY)
    assert redacted == {"publicKey": public} and findings == []


@pytest.mark.parametrize("text,secret,reason", [
    ("curl -H 'X-Upstream: bearer abcDEF123456ghi'", "abcDEF123456ghi", "bearer-token"),
    ("BEARER eyJhbGciOiJIUzI1NiJ9.e30.sig-part_1", "eyJhbGciOiJIUzI1NiJ9.e30.sig-part_1", "bearer-token"),
    ("proxy said Basic dXNlcjpwYXNzd29yZA== ok", "dXNlcjpwYXNzd29yZA==", "basic-auth"),
    ("clone with ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6", "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6", "known-token"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
     "known-token"),
    ("slack xoxb-123456789012-abcdefGHIJKL", "xoxb-123456789012-abcdefGHIJKL", "known-token"),
    ("openai sk-proj-Ab3De6Gh9Jk2Mn5Pq8St1Vw4", "sk-proj-Ab3De6Gh9Jk2Mn5Pq8St1Vw4", "known-token"),
    ("aws AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE", "known-token"),
    ("hf hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "known-token"),
    ("jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXZhbHVl",
     "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXZhbHVl", "known-token"),
])
def test_value_patterns_anywhere(text, secret, reason):
    redacted, findings = redact({"notes": [text]}, HMAC_KEY)
    assert secret not in redacted["notes"][0]
    assert MARKER_PATTERN.search(redacted["notes"][0])
    assert findings == [{"path": "$.notes[0]", "reason": reason}]
    assert reason in contains_secret_patterns(text)


def test_url_userinfo_redacts_only_the_userinfo():
    url = "postgres://agent:Sup3r-Pass@db.example.internal:5432/evidence"
    redacted, findings = redact({"databaseUrl": url, "plain": "https://git@example.com/repo.git"}, HMAC_KEY)
    value = redacted["databaseUrl"]
    assert "Sup3r-Pass" not in value and "agent:" not in value
    assert re.fullmatch(r"postgres://\[redacted hmac-sha256:[0-9a-f]{16}\]@db\.example\.internal:5432/evidence", value)
    assert redacted["plain"] == "https://git@example.com/repo.git"
    assert findings == [{"path": "$.databaseUrl", "reason": "url-userinfo"}]


def test_prose_mentioning_schemes_is_kept():
    document = {"note": "Bearer authentication and Basic auth are disabled; see the token docs"}
    assert redact(document, HMAC_KEY) == (document, [])


def test_high_entropy_env_values():
    random_value = "q8ZfT2mX9vL4pR7kW1nB6cY3"
    document = {
        "env": {
            "UPSTREAM_SIGNATURE": random_value,
            "MODEL_ID": "meta-llama/Llama-3.1-8B-Instruct",
            "IMAGE": IMAGE,
            "CONTRACT": "urn:srcos:agent-machine:agent-pod:llama-chat-01",
            "WEIGHTS_DIGEST": DIGEST,
            "MODEL_PATH": "/var/lib/agent-models/llama-3.1-8b-instruct-q4_k_m.gguf",
            "ENDPOINT": "http://127.0.0.1:8080/v1/chat/completions",
            "NVIDIA_DRIVER_CAPABILITIES": "compute,utility,video,graphics",
            "LD_PRELOAD": "",
        },
        "containers": [{"env": ["SIG=" + random_value, "RUNTIME=podman"]}],
        "nonce": random_value,
    }
    redacted, findings = redact(document, HMAC_KEY)
    marker = redaction_marker(random_value, HMAC_KEY)
    assert redacted["env"]["UPSTREAM_SIGNATURE"] == marker
    assert redacted["containers"][0]["env"] == ["SIG=" + marker, "RUNTIME=podman"]
    for name, value in document["env"].items():
        if name != "UPSTREAM_SIGNATURE":
            assert redacted["env"][name] == value
    assert redacted["nonce"] == random_value  # entropy is judged in environment values only
    assert findings == [{"path": "$.env.UPSTREAM_SIGNATURE", "reason": "high-entropy"},
                        {"path": "$.containers[0].env[0]", "reason": "high-entropy"}]


@pytest.mark.parametrize("key", ["prompt", "prompts", "messages", "completion", "kvCache", "kv_cache", "kvContent",
                                 "rawContent", "raw_content"])
def test_raw_content_is_omitted(key):
    raw = [{"role": "user", "content": "my private question about payroll"}] if key == "messages" else "the raw text"
    document = {"request": {key: raw, "promptTokens": 12, "model": "llama"}, "receipts": {"includeRawContent": False}}
    redacted, findings = redact(document, HMAC_KEY)
    assert redacted["request"][key] == RAW_CONTENT_MARKER
    assert redacted["request"]["promptTokens"] == 12 and redacted["receipts"] == {"includeRawContent": False}
    assert "payroll" not in canonical_json(redacted).decode() and "raw text" not in canonical_json(redacted).decode()
    assert findings == [{"path": "$.request.%s" % key, "reason": "raw-content"}]


def test_redacting_twice_changes_nothing(rsa_pem):
    document = _planted(rsa_pem, "Bearer " + secrets.token_urlsafe(32))
    document["runtime"]["env"]["SIGNATURE"] = "q8ZfT2mX9vL4pR7kW1nB6cY3"
    document["prompt"] = "hello"
    once = redact(document, HMAC_KEY)[0]
    twice, findings = redact(once, HMAC_KEY)
    assert twice == once and findings == []


def test_marker_cannot_hide_a_secret():
    smuggled = redaction_marker("x", HMAC_KEY) + " hunter2"
    redacted, findings = redact({"password": smuggled}, HMAC_KEY)
    assert "hunter2" not in redacted["password"]
    assert findings == [{"path": "$.password", "reason": "key-name"}]


def test_paths_quote_unusual_keys_and_tuples_become_lists():
    redacted, findings = redact({"headers": {"x-api-key": "k1"}, "items": ("a", {"token": "t"})}, HMAC_KEY)
    assert isinstance(redacted["items"], list)
    assert [f["path"] for f in findings] == ["$.headers['x-api-key']", "$.items[1].token"]


def test_contains_secret_patterns_on_plain_text(rsa_pem):
    assert contains_secret_patterns("nothing to see: " + DIGEST) == []
    assert contains_secret_patterns(rsa_pem.encode("ascii")) == ["pem-private-key"]
    assert contains_secret_patterns("curl -H 'X: Bearer abcdef123456789'") == ["bearer-token"]
    assert contains_secret_patterns("export DB_PASSWORD=hunter2") == ["key-name"]
    assert contains_secret_patterns(b'{"password": "hunter2"}') == ["key-name"]
    assert contains_secret_patterns(b'{"passwordRef": "vault://x", "maxTokens": 5}') == []


@pytest.mark.parametrize("key,error", [(b"", ValueError), (None, TypeError), (7, TypeError)])
def test_hmac_key_must_be_non_empty_bytes(key, error):
    with pytest.raises(error):
        redact({"password": "x"}, key)
