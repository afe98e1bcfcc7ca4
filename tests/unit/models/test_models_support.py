"""The test helpers other suites build on: the tiny GGUF model and the model server."""

import hashlib
import http.client
import urllib.error
import urllib.request

import gguf
import pytest

from support.model_server import ModelServer
from support.tiny_gguf import BLOCKS, CONTEXT, EMBEDDING, write_tiny_gguf


def sha256_of(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


class TestTinyGguf:
    def test_the_same_seed_gives_the_same_bytes(self, tmp_path):
        first = write_tiny_gguf(tmp_path / "a.gguf", seed=7)
        second = write_tiny_gguf(tmp_path / "b.gguf", seed=7)
        assert first == second == sha256_of(tmp_path / "a.gguf") == sha256_of(tmp_path / "b.gguf")
        assert (tmp_path / "a.gguf").read_bytes() == (tmp_path / "b.gguf").read_bytes()

    def test_another_seed_gives_another_model(self, tmp_path):
        assert write_tiny_gguf(tmp_path / "a.gguf", seed=0) != write_tiny_gguf(tmp_path / "b.gguf", seed=1)

    def test_it_is_the_llama_model_the_provider_tests_need(self, tmp_path):
        path = tmp_path / "tiny.gguf"
        write_tiny_gguf(path)
        assert 400_000 < path.stat().st_size < 550_000
        reader = gguf.GGUFReader(str(path))

        def value(key):
            field = reader.fields[key]
            return field.contents()

        assert value("general.architecture") == "llama"
        assert value("llama.block_count") == BLOCKS
        assert value("llama.embedding_length") == EMBEDDING
        assert value("llama.context_length") == CONTEXT
        assert value("llama.attention.head_count") == 4
        assert value("llama.feed_forward_length") == 128
        assert value("tokenizer.ggml.model") == "llama"
        tokens = value("tokenizer.ggml.tokens")
        types = value("tokenizer.ggml.token_type")
        assert tokens[:3] == ["<unk>", "<s>", "</s>"]
        assert tokens[3:259] == ["<0x%02X>" % byte for byte in range(256)]
        assert set(types[3:259]) == {6}
        names = {tensor.name for tensor in reader.tensors}
        assert {"token_embd.weight", "output_norm.weight", "output.weight", "blk.1.ffn_down.weight"} <= names
        assert len(names) == 3 + BLOCKS * 9


class TestModelServer:
    @pytest.fixture(name="server")
    def running_server(self, tmp_path):
        (tmp_path / "m.bin").write_bytes(bytes(range(256)) * 4)
        with ModelServer(tmp_path) as server:
            yield server

    @staticmethod
    def get(url, headers=None):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def test_whole_file_and_ranges(self, server):
        status, headers, body = self.get(server.url("m.bin"))
        assert (status, len(body), headers["Content-Length"]) == (200, 1024, "1024")
        status, headers, body = self.get(server.url("m.bin"), {"Range": "bytes=1000-"})
        assert (status, headers["Content-Range"], body) == (206, "bytes 1000-1023/1024", (bytes(range(256)) * 4)[1000:])
        status, headers, body = self.get(server.url("m.bin"), {"Range": "bytes=10-19"})
        assert (status, body) == (206, bytes(range(10, 20)))
        status, headers, _body = self.get(server.url("m.bin"), {"Range": "bytes=1024-"})
        assert (status, headers["Content-Range"]) == (416, "bytes */1024")
        assert [entry["status"] for entry in server.requests] == [200, 206, 206, 416]
        assert self.get(server.url("absent"))[0] == 404

    def test_auth_is_checked_and_the_value_never_logged(self, server):
        server.auth = "Bearer right"
        assert self.get(server.url("m.bin"))[0] == 401
        assert self.get(server.url("m.bin"), {"Authorization": "Bearer wrong"})[0] == 401
        assert self.get(server.url("m.bin"), {"Authorization": "Bearer right"})[0] == 200
        assert [entry["authorization"] for entry in server.requests] == ["absent", "wrong", "matched"]
        assert "Bearer" not in repr(server.requests)

    def test_drop_once_then_serve(self, server):
        server.drop_after = 100
        with urllib.request.urlopen(server.url("m.bin"), timeout=5) as response:
            try:
                body = response.read()
            except http.client.IncompleteRead as short:
                body = short.partial
        assert len(body) == 100
        assert len(self.get(server.url("m.bin"))[2]) == 1024
        assert [entry["dropped"] for entry in server.requests] == [True, False]

    def test_corrupt_keeps_the_length_and_changes_the_bytes(self, server):
        server.corrupt = True
        body = self.get(server.url("m.bin"))[2]
        assert len(body) == 1024 and body != bytes(range(256)) * 4

    def test_paths_outside_the_root_are_not_served(self, server):
        assert self.get(server.url("../m.bin").replace("..", "%2E%2E"))[0] == 404
