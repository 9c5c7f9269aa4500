#!/usr/bin/python3
"""Runs an AWS Lambda Python handler unchanged as a Meridian trigger command.

    [[trigger]]
    command = "/usr/bin/python3 tools/lambda_runner.py /path/to/handler.py:handler"

Reads the event (a Lambda DynamoDB Streams event, {"Records": [...]}) from stdin, calls
handler(event, context) and exits 0 when it returns; an exception is printed and exits 1,
so the trigger retries the batch (and dead-letters it after its last retry), as Lambda's
event source mapping does."""
from __future__ import annotations

import importlib.util
import json
import sys
import time
import traceback
import uuid


class Context:
    """The parts of Lambda's context object handlers commonly use."""

    def __init__(self, name: str, timeout_s: float = 300.0):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{name}"
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "meridian"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or ":" not in argv[1]:
        print("usage: lambda_runner.py /path/to/module.py:function", file=sys.stderr)
        return 2
    path, function = argv[1].rsplit(":", 1)
    spec = importlib.util.spec_from_file_location("handler_module", path)
    if spec is None or spec.loader is None:
        print(f"cannot load {path}", file=sys.stderr)
        return 2
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, function)
    event = json.load(sys.stdin)
    try:
        handler(event, Context(function))
    except Exception:  # the batch failed: the trigger retries it
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
