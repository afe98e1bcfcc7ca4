"""Shared pieces of the model materialization tests: a served tiny model, a models root, requests.

The fixtures are registered by conftest.py; tests import the helpers from here.
"""

import os

import pytest

from support.model_server import ModelServer
from support.tiny_gguf import write_tiny_gguf
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models import digests
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.materialize import NodeIO
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.request import normalize_request

MACHINE = "urn:srcos:agent-machine:machine:unit-node"
MODEL_NAME = "tiny.gguf"
REF = "test://models/tiny.gguf"


class Served:
    """The tiny model on a running loopback server."""

    def __init__(self, folder, server, sha256_hex):
        self.folder = folder
        self.server = server
        self.digest = "sha256:" + sha256_hex
        self.path = os.path.join(folder, MODEL_NAME)
        with open(self.path, "rb") as handle:
            self.data = handle.read()
        self.url = server.url(MODEL_NAME)


@pytest.fixture(name="served")
def served_model(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    sha256_hex = write_tiny_gguf(folder / MODEL_NAME, seed=0)
    with ModelServer(folder) as server:
        yield Served(str(folder), server, sha256_hex)


@pytest.fixture(name="models_root")
def models_root_dir(tmp_path):
    return str(tmp_path / "models")


@pytest.fixture(name="make_request")
def request_factory(served, models_root):
    """A url request for the served model; keyword arguments override its parameters."""
    def make(**overrides):
        params = {"ref": REF, "digest": served.digest, "size_bytes": len(served.data), "format": "gguf",
                  "url": served.url, "models_root": models_root, "retries": 0, "retry_delay": 0, "timeout": 10}
        params.update(overrides)
        return normalize_request(dict((key, value) for key, value in params.items() if value is not None))
    return make


class CountingIO(NodeIO):
    """NodeIO that counts whole-file hashes and never sleeps."""

    def __init__(self, **kwargs):
        NodeIO.__init__(self, sleep=self._sleep, hash_file=self._hash, **kwargs)
        self.hashed = []
        self.slept = []

    def _hash(self, path):
        self.hashed.append(path)
        return digests.sha256_file(path)

    def _sleep(self, seconds):
        self.slept.append(seconds)


@pytest.fixture(name="io")
def counting_io():
    return CountingIO()


def tree_state(root):
    """Every path under ``root`` with its bytes and stat times: equal states mean nothing was touched."""
    state = {}
    if not os.path.exists(root):
        return state
    for folder, subdirs, names in os.walk(root):
        for name in subdirs + names:
            path = os.path.join(folder, name)
            stats = os.lstat(path)
            content = None
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    content = handle.read()
            state[os.path.relpath(path, root)] = (stats.st_mode, stats.st_size, stats.st_mtime_ns, stats.st_ctime_ns, content)
    return state
