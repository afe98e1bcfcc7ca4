# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send spooled receipts to an evidence endpoint, at most once each.

Every receipt is spooled before any delivery is tried, so an endpoint that
is down loses nothing: the spool is sent on a later run. Each POST carries
``Idempotency-Key: <receipt digest>``; a file leaves the spool only after
the endpoint answered 2xx (or 409, "already have it").
"""

from __future__ import annotations

import os
import time
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import store
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import sha256_digest

RETRYABLE_STATUS = (408, 425, 429, 500, 502, 503, 504)
ACCEPTED_STATUS = (409,)


def spooled_files(artifacts_dir):
    folder = store.spool_dir(artifacts_dir)
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".json") and not name.startswith("."))


def deliver_spool(artifacts_dir, endpoint, headers=None, timeout=10, attempts=3, backoff_seconds=0.5,
                  validate_certs=True, sleep=time.sleep):
    """POST every spooled receipt; returns delivered digests, what remains and why."""
    delivered, errors = [], []
    files = spooled_files(artifacts_dir)
    for index, path in enumerate(files):
        data = store.read_bytes(path)
        digest = sha256_digest(data)
        if os.path.basename(path) != digest.split(":", 1)[1] + ".json":
            errors.append("%s: content does not match its name (digest %s); left in the spool" % (path, digest))
            continue
        outcome = _post_with_retries(endpoint, data, digest, headers or {}, timeout, attempts, backoff_seconds, validate_certs, sleep)
        if outcome is None:
            os.unlink(path)
            delivered.append(digest)
            continue
        errors.append("%s: %s" % (digest, outcome))
        if outcome.startswith("unreachable"):
            errors.append("endpoint unreachable: %d receipt(s) stay spooled for the next run" % (len(files) - index))
            break
    return {"delivered": delivered, "remaining": len(spooled_files(artifacts_dir)), "errors": errors}


def _post_with_retries(endpoint, data, digest, headers, timeout, attempts, backoff_seconds, validate_certs, sleep):
    """None when accepted, else the last failure as text."""
    request_headers = dict(headers)
    request_headers.update({"Content-Type": "application/json", "Idempotency-Key": digest})
    failure = None
    for attempt in range(attempts):
        if attempt:
            sleep(backoff_seconds * (2 ** (attempt - 1)))
        try:
            response = open_url(endpoint, data=data, headers=request_headers, method="POST", timeout=timeout,
                                validate_certs=validate_certs, follow_redirects="none")
            response.read()
            return None
        except HTTPError as exc:
            if exc.code in ACCEPTED_STATUS:
                return None
            failure = "HTTP %s" % exc.code
            if exc.code not in RETRYABLE_STATUS:
                return failure + " (not retried)"
        except (URLError, OSError) as exc:
            failure = "unreachable: %s" % getattr(exc, "reason", exc)
    return failure
