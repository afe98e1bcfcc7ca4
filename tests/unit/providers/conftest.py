"""Fixtures of the provider lifecycle tests: a node in tmp_path with a fake systemd and a real health server."""

import pytest

from provider_fakes import HealthServer, LifecycleHarness


@pytest.fixture(name="health_server")
def health_server_fixture():
    server = HealthServer()
    yield server
    server.close()


@pytest.fixture(name="harness")
def harness_fixture(tmp_path, health_server):
    """Units marked "bad" never become healthy; "slow" answers 503 twice first; "crash" exits at once."""
    return LifecycleHarness(str(tmp_path), health_server, {
        "bad": {"steady": 503},
        "slow": {"script": [503, 503], "steady": 200},
        "crash": {"steady": 503, "crash": True},
    })
