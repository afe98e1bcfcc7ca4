# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health gate: N consecutive passing GETs of the provider's health URL within a window.

Checks run from the node itself, without proxies (the URL is the node's own
endpoint) and without following redirects (a redirect is an answer, compared
with the expected status like any other). A failing check resets the
count. When a check fails, ``crashed`` is asked whether the service already
died (exited, restarting, failed); if so the gate fails at once instead of
waiting out the window. Each check is recorded in RuntimeEvidence form
(``at``, ``status``, ``httpStatus``, ``latencySeconds``, ``error``);
response bodies are never recorded.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import socket
import time

try:
    from urllib.error import HTTPError, URLError
    from urllib.request import HTTPRedirectHandler, ProxyHandler, build_opener
except ImportError:  # pragma: no cover - Python 2 is not supported on nodes
    HTTPError = URLError = HTTPRedirectHandler = ProxyHandler = build_opener = None

MAX_RECORDED_CHECKS = 60
_BODY_LIMIT = 65536


def utc_now():
    """RFC 3339 UTC timestamp with milliseconds."""
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # pylint: disable=too-many-arguments
        return None


_OPENER = build_opener(ProxyHandler({}), _NoRedirect())


def _short(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_once(url, expect_status, timeout, clock=time.monotonic, now=utc_now):
    """One GET of ``url``: a check record with status ``pass`` when the answer is ``expect_status``."""
    at = now()
    started = clock()
    status, error = None, None
    try:
        response = _OPENER.open(url, timeout=timeout)
        try:
            status = response.getcode()
            response.read(_BODY_LIMIT)
        finally:
            response.close()
    except HTTPError as exc:
        status = exc.code
        exc.close()
    except URLError as exc:
        error = _short(exc.reason) or "connection failed"
    except (socket.timeout, OSError) as exc:
        error = _short(exc) or type(exc).__name__
    latency = round(max(clock() - started, 0.0), 6)
    if status is not None and status != expect_status:
        error = "expected HTTP %d, got %d" % (expect_status, status)
    return {"at": at, "status": "pass" if status == expect_status else "fail", "httpStatus": status,
            "latencySeconds": latency if status is not None else None, "error": error}


def run_gate(health, check=None, crashed=None, clock=time.monotonic, sleep=time.sleep, now=utc_now, started=None):
    """Run the gate; returns ``{"passed", "checks", "reason", "omitted"}``.

    ``health`` has url, expect_status, passes, interval, window and timeout
    (seconds). The window counts from ``started`` (a ``clock()`` value, by
    default now), so time spent starting the service is inside it.
    ``check(timeout)`` returns one check record (default: a GET of the URL);
    ``crashed()`` returns a reason when the service died, else None.
    """
    if check is None:
        def check(timeout):
            return check_once(health["url"], health["expect_status"], timeout, clock=clock, now=now)
    deadline = (clock() if started is None else started) + health["window"]
    checks, streak, reason = [], 0, None
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            reason = "health window of %g s elapsed" % health["window"]
            break
        record = check(min(health["timeout"], remaining))
        checks.append(record)
        if record["status"] == "pass":
            streak += 1
            if streak >= health["passes"]:
                break
        else:
            streak = 0
            reason = crashed() if crashed is not None else None
            if reason:
                break
        if clock() + health["interval"] >= deadline:
            reason = "health window of %g s elapsed" % health["window"]
            break
        sleep(health["interval"])
    passed = reason is None
    if not passed:
        checks.append({"at": now(), "status": "fail", "httpStatus": None, "latencySeconds": None,
                       "error": _short(reason)})
    omitted = max(len(checks) - MAX_RECORDED_CHECKS, 0)
    return {"passed": passed, "checks": checks[omitted:], "reason": reason, "omitted": omitted}
