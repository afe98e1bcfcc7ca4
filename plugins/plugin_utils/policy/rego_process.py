# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Rego evaluation itself, run as a child process by ``engine.evaluate``.

Reads ``{"modules": {name: text}, "data": ..., "input": ..., "query": ...}``
as JSON on standard input and writes one JSON object on standard output:
``{"defined": bool, "value": ..., "errors": [...]}`` or
``{"compileError": "<rego-cpp error term>"}``. Imports nothing from the
collection, so it runs as a plain script.

How regopy is driven, and why:

* The input goes in as JSON text: a Python value handed to ``set_input``
  loses the escaping of quotes in strings that come back in the output.
* Logging is off: otherwise the library prints compile errors on standard
  output, in the middle of the JSON answer.
* Built-in errors (a division by zero, a bad argument) are errors, not a
  silently undefined value.
"""

from __future__ import annotations

import json
import sys

try:
    from regopy import Interpreter, LogLevel, RegoError
except ImportError:  # pragma: no cover - the parent checks for regopy before starting this
    Interpreter = LogLevel = None

    class RegoError(Exception):
        """Stands in for regopy's error class when regopy is missing."""

__all__ = ["evaluate_request"]


def _interpreter(request):
    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    interpreter.strict_built_in_errors = True
    for name in sorted(request["modules"]):
        interpreter.add_module(name, request["modules"][name])
    interpreter.add_data_json(json.dumps(request["data"], allow_nan=False))
    interpreter.set_input_term(json.dumps(request["input"], allow_nan=False))
    return interpreter


def _answer(output):
    if not output.ok():
        return {"errors": ["the policy failed while evaluating (conflicting rule values, a failing built-in or a "
                           "type error); rego-cpp gives no detail"]}
    results = output.results
    if len(results) != 1:
        return {"errors": ["the query gave %d results; one was expected" % len(results)]}
    expressions = results[0].expressions
    if not expressions:
        return {"defined": False}
    if len(expressions) != 1:
        return {"errors": ["the query gave %d values; one was expected" % len(expressions)]}
    return {"defined": True, "value": expressions[0]}


def evaluate_request(request):
    """The answer (dict) for one request (dict)."""
    try:
        interpreter = _interpreter(request)
        output = interpreter.query(request["query"])
    except RegoError as exc:
        return {"compileError": str(exc)}
    except (TypeError, ValueError) as exc:
        # Also raised when the library cannot parse its own output (an error term inside a value).
        return {"errors": ["the policy's input, data or output is not JSON: %s" % " ".join(str(exc).split())[:300]]}
    return _answer(output)


def main():
    request = json.load(sys.stdin)
    json.dump(evaluate_request(request), sys.stdout)


if __name__ == "__main__":
    main()
