"""The authorization header and URL credentials never reach results, receipts, errors or files."""

import json
import os

import pytest

from support.model_server import ModelServer
from models_cases import MACHINE, MODEL_NAME, CountingIO
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.materialize import MaterializeError, materialize
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.request import RequestError

TOKEN = "hf_Zq8vN3kLmP2xR7tY5wB1cD9eF4gH6jK0"
HEADER = "Bearer " + TOKEN
QUERY_SECRET = "X-Amz-Signature=9f86d081884c7d659a2feaa0c55ad015"


def all_text_under(root):
    chunks = []
    for folder, _subdirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                chunks.append(handle.read().decode("latin-1"))
    return "\n".join(chunks)


def assert_secret_free(*texts):
    for text in texts:
        assert TOKEN not in text and HEADER not in text


def test_the_header_is_sent_and_never_kept(served, make_request, models_root):
    served.server.auth = HEADER
    result = materialize(make_request(auth_header=HEADER), MACHINE, io=CountingIO())
    assert result["verified"] is True
    assert [entry["authorization"] for entry in served.server.requests] == ["matched"]
    assert_secret_free(json.dumps(result), json.dumps(result["model_receipt"]), all_text_under(models_root))
    assert result["model_receipt"]["source"] == {"kind": "url", "scheme": "http", "host": "127.0.0.1:%d" % served.server.port}


def test_a_refused_header_fails_without_showing_it(served, make_request, models_root):
    served.server.auth = "Bearer the-right-one"
    with pytest.raises(MaterializeError) as failure:
        materialize(make_request(auth_header=HEADER), MACHINE, io=CountingIO())
    assert "401" in str(failure.value) and "auth_header" in str(failure.value)
    assert_secret_free(str(failure.value), json.dumps(failure.value.result), all_text_under(models_root))


def test_a_resumed_download_sends_the_header_again(served, make_request):
    served.server.auth = HEADER
    served.server.drop_after = 2048
    result = materialize(make_request(auth_header=HEADER, retries=1), MACHINE, io=CountingIO())
    assert result["outcome"] == "resumed"
    assert [entry["authorization"] for entry in served.server.requests] == ["matched", "matched"]
    assert_secret_free(json.dumps(result))


def test_a_redirect_never_carries_the_header(served, make_request, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / MODEL_NAME).write_bytes(served.data)
    with ModelServer(other) as mirror:
        served.server.redirects = {MODEL_NAME: mirror.url(MODEL_NAME)}
        result = materialize(make_request(auth_header=HEADER), MACHINE, io=CountingIO())
        assert result["verified"] is True
        assert [entry["status"] for entry in served.server.requests] == [302]
        assert [entry["authorization"] for entry in mirror.requests] == ["absent"]


def test_the_digest_mismatch_error_shows_no_secret(served, make_request, models_root):
    served.server.corrupt = True
    with pytest.raises(MaterializeError) as failure:
        materialize(make_request(auth_header=HEADER), MACHINE, io=CountingIO())
    assert_secret_free(str(failure.value), json.dumps(failure.value.result), all_text_under(models_root))


def test_a_query_string_stays_out_of_errors_and_receipts(served, make_request):
    url = served.url + "?" + QUERY_SECRET
    result = materialize(make_request(url=url), MACHINE, io=CountingIO())
    assert QUERY_SECRET not in json.dumps(result)
    with pytest.raises(MaterializeError) as failure:
        materialize(make_request(url=served.server.url("absent.gguf") + "?" + QUERY_SECRET, name="other.gguf"),
                    MACHINE, io=CountingIO())
    assert "404" in str(failure.value) and QUERY_SECRET not in str(failure.value)
    assert "/absent.gguf" in str(failure.value)


def test_credentials_in_the_url_are_refused_without_echoing_them(make_request):
    with pytest.raises(RequestError) as failure:
        make_request(url="https://user:%s@models.example/tiny.gguf" % TOKEN)
    assert str(failure.value).startswith("url: ") and TOKEN not in str(failure.value)


def test_a_multi_line_header_is_refused_without_echoing_it(make_request):
    with pytest.raises(RequestError) as failure:
        make_request(auth_header=HEADER + "\r\nX-Injected: 1")
    assert str(failure.value).startswith("auth_header: ") and TOKEN not in str(failure.value)
