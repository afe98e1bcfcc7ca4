# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluate one Rego query over a bundle with regopy (rego-cpp), in a child process; never raises.

The evaluation runs in its own process (``rego_process.py``) because the
native library must not share the controller's process: it aborts the
whole process when another native library (numpy's, for one) was loaded
before it, and a runaway operator policy could otherwise stall Ansible.
The child gets a time limit; a crash, a timeout or an unreadable answer
is an engine error, which the admission turns into a fail-closed
decision. Query an object, not a bare boolean: a ``false`` value reads as
undefined in rego-cpp. Data is merged before it is added: adding two data
documents with the same top-level key keeps only the first.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys

REGOPY_IMPORT_ERROR = None if importlib.util.find_spec("regopy") else ImportError("No module named 'regopy'")
# A path, not an import: regopy must never be loaded in this process.
PROCESS_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rego_process.py")
DEFAULT_TIMEOUT = 30

__all__ = ["EngineResult", "compile_errors", "evaluate"]

_MAX_ERRORS = 10
_MAX_TEXT = 300
# rego-cpp error terms: "(error <n>:<file>|<offset>|<length>" and "(errormsg <n>:<text>)",
# where <n> is the length of what follows the colon.
_ERROR_AT = re.compile(r"\(error (\d+):")
_ERROR_MESSAGE = re.compile(r"\(errormsg (\d+):")
_POSITION = re.compile(r"\|(\d+)\|(\d+)")


class EngineResult:
    """What a query gave: ``value`` when ``defined``, else ``errors`` (sentences) or nothing (undefined)."""

    def __init__(self, value=None, defined=False, errors=()):
        self.value = value
        self.defined = defined
        self.errors = list(errors)


def _short(text):
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 3] + "..."


def _counted(text, start, count):
    return text[start:start + count], start + count


def _line_of(modules, name, offset):
    source = modules.get(name)
    if source is None:
        return None
    return source.count("\n", 0, min(offset, len(source))) + 1


def compile_errors(message, modules):
    """Readable sentences from a rego-cpp error term: ``<module> line <n>: <message>``."""
    sentences = []
    for match in _ERROR_AT.finditer(message):
        name, after = _counted(message, match.end(), int(match.group(1)))
        position = _POSITION.match(message, after)
        text = _ERROR_MESSAGE.search(message, after)
        if text is None:
            continue
        what = _counted(message, text.end(), int(text.group(1)))[0]
        line = _line_of(modules, name, int(position.group(1))) if position else None
        where = "%s line %d" % (name, line) if line else name
        sentences.append(_short("%s: %s" % (where, what)))
    return sentences[:_MAX_ERRORS] or [_short(message.splitlines()[0] if message.strip() else "unknown error")]


def _died(returncode, stderr):
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "signal %d" % -returncode
        return "the policy engine process died (%s)" % name
    last = stderr.strip().splitlines()[-1:] or ["no message"]
    return "the policy engine process failed (exit %d): %s" % (returncode, _short(last[0]))


def _run(request, timeout):
    try:
        proc = subprocess.run([sys.executable, PROCESS_SCRIPT], input=json.dumps(request, allow_nan=False),
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, "the policy did not finish within %d s" % timeout
    if proc.returncode != 0:
        return None, _died(proc.returncode, proc.stderr)
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        return None, "the policy engine process gave an answer that is not JSON"
    return answer, None


def evaluate(bundle, input_document, query, timeout=DEFAULT_TIMEOUT):
    """The value of ``query`` over ``bundle`` with ``input_document``, as an EngineResult."""
    try:
        return _evaluate(bundle, input_document, query, timeout)
    except Exception as exc:  # pylint: disable=broad-except
        return EngineResult(errors=["the policy engine failed (%s): %s" % (type(exc).__name__, _short(exc))])


def _evaluate(bundle, input_document, query, timeout):
    if REGOPY_IMPORT_ERROR is not None:
        return EngineResult(errors=["the Python package regopy is missing on the controller (pip install -r "
                                    "requirements.txt from the collection): %s" % REGOPY_IMPORT_ERROR])
    try:
        request = json.dumps({"modules": bundle.modules, "data": bundle.data, "input": input_document, "query": query},
                             allow_nan=False)
    except (TypeError, ValueError) as exc:
        return EngineResult(errors=["the input or data cannot be given to the policy as JSON: %s" % _short(exc)])
    answer, problem = _run(json.loads(request), timeout)
    if problem:
        return EngineResult(errors=[problem])
    if "compileError" in answer:
        return EngineResult(errors=compile_errors(answer["compileError"], bundle.modules))
    if answer.get("errors"):
        return EngineResult(errors=[_short(error) for error in answer["errors"]])
    if answer.get("defined"):
        return EngineResult(value=answer.get("value"), defined=True)
    return EngineResult()
