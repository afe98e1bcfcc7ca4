"""The health gate against a real loopback HTTP server."""

import socket

from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.health import (
    MAX_RECORDED_CHECKS, check_once, run_gate,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.systemd import crash_reason


def _health(url, **changes):
    health = {"url": url, "expect_status": 200, "passes": 3, "interval": 0.01, "window": 2.0, "timeout": 0.5}
    health.update(changes)
    return health


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_passes_after_503s_then_200s(health_server):
    health_server.behave([503, 503, 503], steady=200)
    gate = run_gate(_health(health_server.url))
    assert gate["passed"] and gate["reason"] is None
    assert [check["httpStatus"] for check in gate["checks"]] == [503, 503, 503, 200, 200, 200]
    assert gate["checks"][0]["error"] == "expected HTTP 200, got 503"
    assert all(check["latencySeconds"] is not None for check in gate["checks"])


def test_a_failure_resets_the_consecutive_count(health_server):
    health_server.behave([200, 200, 503, 200, 200], steady=200)
    gate = run_gate(_health(health_server.url))
    assert gate["passed"]
    assert [check["status"] for check in gate["checks"]] == ["pass", "pass", "fail", "pass", "pass", "pass"]


def test_never_healthy_fails_when_the_window_elapses(health_server):
    health_server.behave([], steady=503)
    gate = run_gate(_health(health_server.url, window=0.3, interval=0.05))
    assert not gate["passed"]
    assert gate["reason"] == "health window of 0.3 s elapsed"
    assert gate["checks"][-1] == dict(gate["checks"][-1], status="fail", httpStatus=None, error=gate["reason"])
    assert 3 <= len(gate["checks"]) <= 9


def test_too_few_passes_left_in_the_window_fails(health_server):
    health_server.behave([], steady=200)
    gate = run_gate(_health(health_server.url, passes=5, interval=0.2, window=0.5))
    assert not gate["passed"] and "window" in gate["reason"]


def test_connection_refused_is_recorded_without_a_status():
    record = check_once("http://127.0.0.1:%d/health" % _closed_port(), 200, 0.5)
    assert record["status"] == "fail" and record["httpStatus"] is None and record["latencySeconds"] is None
    assert "refused" in record["error"].lower()


def test_a_redirect_is_an_answer_not_followed(health_server):
    health_server.behave([302], steady=200)
    record = check_once(health_server.url, 200, 0.5)
    assert record["httpStatus"] == 302 and record["status"] == "fail"
    assert health_server.requests == 1


def test_expected_status_other_than_200(health_server):
    health_server.behave([], steady=503)
    assert check_once(health_server.url, 503, 0.5)["status"] == "pass"


def test_a_dead_service_stops_the_gate_at_once(health_server):
    health_server.behave([], steady=503)
    states = iter([{"ActiveState": "activating", "SubState": "start", "NRestarts": 0},
                   {"ActiveState": "failed", "SubState": "failed", "NRestarts": 0, "Result": "exit-code"}])
    gate = run_gate(_health(health_server.url, window=30), crashed=lambda: crash_reason(next(states), 0))
    assert not gate["passed"]
    assert gate["reason"] == "service failed (failed, result exit-code)"
    assert len(gate["checks"]) == 3


def test_many_checks_are_capped(health_server):
    health_server.behave([], steady=503)
    gate = run_gate(_health(health_server.url, interval=0.001, window=1.0, passes=1))
    assert len(gate["checks"]) == MAX_RECORDED_CHECKS
    assert gate["omitted"] > 0


def test_crash_reason():
    assert crash_reason({"ActiveState": "active", "SubState": "running", "NRestarts": 2}, 2) is None
    assert crash_reason({"ActiveState": "activating", "SubState": "start", "NRestarts": 3}, 2)
    assert crash_reason({"ActiveState": "activating", "SubState": "auto-restart", "NRestarts": 0}, 0)
    assert crash_reason({"ActiveState": "inactive", "SubState": "dead", "NRestarts": 0}, 0)
