"""JSON from files a user or another process wrote (inputs, calibration, a compiled
model's header and sections): nesting is bounded before decoding.

`json.loads` recurses in C, and importing py_ecc (the verifier's curve library) raises
the interpreter's recursion limit to 100000, so a deeply nested document would overflow
the C stack and kill the process instead of raising RecursionError. The depth is counted
first without recursion (`zkml.verifier.encoding.json_nesting`).
"""

from __future__ import annotations

import json

from zkml.errors import ZkmlError

#: Deepest nesting of arrays and objects accepted in any JSON file zkml reads (an input
#: of shape (batch, C, D, H, W) nests 5 deep; headers and circuits less).
MAX_DEPTH = 64


def loads(data: bytes | str, what: str, error: type[ZkmlError]):
    """Decode JSON text, raising `error` ("... is not valid JSON" or "... nested deeper
    than 64") instead of any decoder exception."""
    from zkml.verifier.encoding import json_nesting

    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError:
        raise error(f"{what} is not valid JSON (not UTF-8)") from None
    if json_nesting(text) > MAX_DEPTH:
        raise error(f"{what} is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise error(f"{what} is not valid JSON") from None
