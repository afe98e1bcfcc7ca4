# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Download a URL into a partial file, resuming with HTTP Range after an interruption.

The partial file is kept when a download is cut off, so the next attempt
(or the next run) asks only for the rest: ``Range: bytes=<kept>-``.

* ``206`` continues the partial file (the range must start where it ends);
* ``200`` means the server ignored the range: the partial file is emptied
  and the whole file downloaded again;
* ``416`` means the partial file is already as long as the remote file
  (``Content-Range: bytes */<size>``), or that it cannot be a prefix of it:
  then it is emptied and the download starts over, once.

Connection errors, timeouts, short bodies and 408/429/5xx answers are
retried ``retries`` times, each retry resuming. Every message shows the URL
without user information, query or fragment, and never the authorization
header, which is also not sent again when the server redirects.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import http.client
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.request

from ansible_collections.sourceos.agent_machine.plugins.module_utils.models import digests, files
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.request import display_url

USER_AGENT = "sourceos.agent_machine-model_artifact"
TRANSIENT_STATUSES = (408, 429, 500, 502, 503, 504)
_CONTENT_RANGE = re.compile(r"^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)


class DownloadError(Exception):
    """The download failed and retrying will not help."""


class TransientError(DownloadError):
    """The download was cut off or refused for now; a retry resumes it."""


class _StartOver(Exception):
    """The partial file cannot be continued; download from the first byte."""


class Transfer:
    """What a download did."""

    def __init__(self):
        self.digest = None
        self.size_bytes = 0
        self.received_bytes = 0
        self.resumed_from = 0
        self.attempts = 0
        self.notes = []


class _Partial:
    """The partial file and a hasher that has seen exactly its bytes."""

    def __init__(self, path):
        self.path = path
        self.offset = None
        self.hasher = None

    def sync(self):
        """Re-read the partial file's length, re-seeding the hasher when it is not what was tracked."""
        length = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        if self.hasher is None or self.offset != length:
            self.hasher = digests.seeded_hasher(self.path, length)
            self.offset = length
        return length

    def truncate(self):
        with open(self.path, "wb") as handle:
            os.fsync(handle.fileno())
        self.offset = None
        self.sync()


def _opener(validate_certs):
    context = ssl.create_default_context()
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))


def _open(request, offset):
    """The response to GET (with a Range from ``offset``); error statuses are returned, not raised."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = "bytes=%d-" % offset
    http_request = urllib.request.Request(request.url, headers=headers)
    if request.auth_header:
        # Unredirected: a redirect to another host never receives the credential.
        http_request.add_unredirected_header("Authorization", request.auth_header)
    try:
        return _opener(request.validate_certs).open(http_request, timeout=request.timeout)
    except urllib.error.HTTPError as exc:
        return exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLError):
            raise DownloadError("%s: TLS failed (%s)" % (display_url(request.url), exc.reason))
        raise TransientError("%s: cannot connect (%s)" % (display_url(request.url), exc.reason))
    except (socket.timeout, ConnectionError, http.client.HTTPException) as exc:
        raise TransientError("%s: no answer (%s)" % (display_url(request.url), exc or type(exc).__name__))


def _content_range(response):
    """(first byte, total) from Content-Range; either may be None."""
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range") or "")
    if not match:
        return None, None
    first = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return first, total


def _content_length(response):
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.strip().isdigit() else None


def _status(response):
    return response.getcode()


def _total_to_expect(request, response, partial, transfer):
    """The remote file's size as the answer states it (None when unknown), continuing or restarting the partial file."""
    status = _status(response)
    url = display_url(request.url)
    if status == 416:
        _first, total = _content_range(response)
        if partial.offset and total == partial.offset:
            transfer.resumed_from = partial.offset
            return total
        raise _StartOver("%s answered 416 to a range from byte %d (remote size %s); downloading again from the start"
                         % (url, partial.offset, total if total is not None else "unknown"))
    if status == 206:
        first, total = _content_range(response)
        if first != partial.offset:
            raise DownloadError("%s answered a range starting at byte %s to a request from byte %d" % (url, first, partial.offset))
        transfer.resumed_from = partial.offset
        return total
    if status == 200:
        if partial.offset:
            transfer.notes.append("%s ignored the range request (200, not 206): the %d bytes kept were dropped "
                                  "and the whole file downloaded again" % (url, partial.offset))
            partial.truncate()
        return _content_length(response)
    reason = getattr(response, "reason", "") or ""
    message = "%s answered %d %s" % (url, status, reason)
    if status in TRANSIENT_STATUSES:
        raise TransientError(message.strip())
    if status in (401, 403):
        message += " (check auth_header)"
    raise DownloadError(message.strip())


def _check_size(request, total, partial, statvfs, transfer):
    if total is not None and request.size_bytes is not None and total != request.size_bytes:
        raise DownloadError("size_bytes: %d expected, but %s has %d bytes" % (request.size_bytes, display_url(request.url), total))
    expected = total if total is not None else request.size_bytes
    if expected is None:
        transfer.notes.append("the size is unknown (no size_bytes, no Content-Length): free space was not checked")
        return None
    files.require_space(os.path.dirname(partial.path), expected - partial.offset,
                        "the rest of %s" % request.name, statvfs)
    return expected


def _stream(request, response, partial, expected, transfer):
    url = display_url(request.url)
    with open(partial.path, "ab") as out:
        try:
            while True:
                try:
                    chunk = response.read(digests.CHUNK_BYTES)
                except (socket.timeout, ConnectionError, http.client.HTTPException) as exc:
                    raise TransientError("%s: the connection failed after %d bytes (%s)"
                                         % (url, partial.offset, exc or type(exc).__name__))
                if not chunk:
                    break
                if expected is not None and partial.offset + len(chunk) > expected:
                    raise DownloadError("%s sent more than the %d bytes expected" % (url, expected))
                out.write(chunk)
                partial.hasher.update(chunk)
                partial.offset += len(chunk)
                transfer.received_bytes += len(chunk)
        finally:
            out.flush()
            os.fsync(out.fileno())
    if expected is not None and partial.offset < expected:
        raise TransientError("%s: the connection closed after %d of %d bytes" % (url, partial.offset, expected))


def _attempt(request, partial, transfer, statvfs):
    partial.sync()
    response = _open(request, partial.offset)
    with contextlib.closing(response):
        total = _total_to_expect(request, response, partial, transfer)
        expected = _check_size(request, total, partial, statvfs, transfer)
        if _status(response) == 416:
            return
        _stream(request, response, partial, expected, transfer)


def fetch(request, partial_path, statvfs=os.statvfs, sleep=time.sleep):
    """Download ``request.url`` into ``partial_path`` (kept on failure) and return the Transfer."""
    partial = _Partial(partial_path)
    transfer = Transfer()
    started_over = False
    failures = 0
    while True:
        transfer.attempts += 1
        try:
            _attempt(request, partial, transfer, statvfs)
            break
        except _StartOver as exc:
            if started_over:
                raise DownloadError("%s answered 416 again after starting over" % display_url(request.url))
            started_over = True
            transfer.notes.append(str(exc))
            partial.truncate()
        except TransientError as exc:
            failures += 1
            if failures > request.retries:
                raise TransientError("%s; gave up after %d attempt(s). The %d bytes received are kept and the next run "
                                     "resumes from there" % (exc, transfer.attempts, partial.offset or 0))
            transfer.notes.append("%s; retrying (%d of %d)" % (exc, failures, request.retries))
            sleep(request.retry_delay)
    transfer.digest = digests.as_digest(partial.hasher)
    transfer.size_bytes = partial.offset
    return transfer
