"""Option checks (one error naming the field, before the node is touched) and the activation lock."""

import fcntl
import os

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.lock import ActivationLock, LockTimeout
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.request import (
    HEALTH_DEFAULTS, RequestError, parse_request, service_of,
)

from provider_fakes import DECISION, MACHINE, POD


def _provider(**changes):
    provider = {"name": "coder", "agent_pod_id": POD, "agent_machine_id": MACHINE, "activation_decision": DECISION,
                "units": [{"name": "coder.container", "text": "[Container]\nImage=x\n"}],
                "health": {"url": "http://127.0.0.1:18080/health"}}
    provider.update(changes)
    return provider


def _error(params):
    with pytest.raises(RequestError) as caught:
        parse_request(params)
    return str(caught.value)


def test_defaults():
    request = parse_request({"providers": [_provider()]})
    assert request["state"] == "started" and request["unit_dir"] == "/etc/containers/systemd"
    assert request["lock_path"] == "/run/agent-machine/activation.lock"
    health = request["providers"][0]["health"]
    assert {key: health[key] for key in HEALTH_DEFAULTS} == {"expect_status": 200, "passes": 3, "interval": 5.0,
                                                             "window": 120.0, "timeout": 5.0}
    assert request["providers"][0]["units"] == [{"name": "coder.container", "data": b"[Container]\nImage=x\n"}]


@pytest.mark.parametrize("changes,field", [
    ({"activation_decision": None}, "providers[0].activation_decision: is required with state started"),
    ({"units": []}, "providers[0].units: must list"),
    ({"units": [{"name": "coder.network", "text": "x"}]}, "providers[0].units: must include coder.container"),
    ({"units": [{"name": "other.container", "text": "x"}]}, "providers[0].units[0].name: must be one of"),
    ({"units": [{"name": "../coder.container", "text": "x"}]}, "providers[0].units[0].name"),
    ({"units": [{"name": "coder.container", "text": "x"}] * 2}, "providers[0].units[1].name: coder.container is listed twice"),
    ({"name": "a/b"}, "providers[0].name"),
    ({"agent_pod_id": "coder"}, "providers[0].agent_pod_id"),
    ({"health": None}, "providers[0].health: is required"),
    ({"health": {"url": "ftp://127.0.0.1/"}}, "providers[0].health.url"),
    ({"health": {"url": "http://user:pw@127.0.0.1/health"}}, "providers[0].health.url: must not carry credentials"),
    ({"health": {"url": "http://127.0.0.1/health", "passes": 0}}, "providers[0].health.passes"),
    ({"health": {"url": "http://127.0.0.1/health", "expect_status": 700}}, "providers[0].health.expect_status"),
    ({"health": {"url": "http://127.0.0.1/health", "window": 0}}, "providers[0].health.window"),
])
def test_bad_provider_is_one_error_naming_the_field(changes, field):
    assert _error({"providers": [_provider(**changes)]}).startswith(field)


def test_duplicate_provider_and_bad_paths():
    assert _error({"providers": [_provider(), _provider()]}).startswith("providers[1].name: coder is listed twice")
    assert _error({"providers": [], "unit_dir": "relative"}).startswith("unit_dir: must be an absolute path")
    assert _error({"providers": [], "state": "running"}).startswith("state: must be one of")


def test_absent_needs_no_decision_units_or_health():
    request = parse_request({"providers": [{"name": "coder", "agent_pod_id": POD, "agent_machine_id": MACHINE}],
                             "state": "absent"})
    assert request["providers"][0]["units"] == [] and request["providers"][0]["health"] is None


def test_rollback_needs_health():
    provider = {"name": "coder", "agent_pod_id": POD, "agent_machine_id": MACHINE}
    assert _error({"providers": [provider], "state": "rolled_back"}).startswith("providers[0].health")


def test_service_names():
    assert service_of("coder.container") == "coder.service"
    assert service_of("coder.network") == "coder-network.service"
    assert service_of("coder.volume") == "coder-volume.service"


def test_lock_contention_is_a_clear_error(tmp_path):
    path = str(tmp_path / "run" / "agent-machine" / "activation.lock")
    with ActivationLock(path, timeout=1):
        with pytest.raises(LockTimeout) as caught:
            with ActivationLock(path, timeout=0.3, poll=0.05):
                pass
    message = str(caught.value)
    assert message.startswith("lock_path: another provider activation holds %s" % path)
    assert "pid %d" % os.getpid() in message and "0.3 s" in message


def test_lock_is_released_and_reusable(tmp_path):
    path = str(tmp_path / "activation.lock")
    with ActivationLock(path, timeout=1):
        pass
    with ActivationLock(path, timeout=0):
        descriptor = os.open(path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(descriptor)
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(descriptor)
