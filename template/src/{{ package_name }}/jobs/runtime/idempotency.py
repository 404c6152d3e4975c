"""The `Idempotency-Key` request header: a repeated request answers as the first one did.

As the IETF httpapi draft and payment APIs define it: the same key with the same body
schedules nothing and answers the first request's job; the same key with another body is
refused (422). The key is stored on the job record, whose unique index decides in the same
write that records the job, so two processes given one key at once still record one job.
Keys live as long as their job records.
"""

import json
from dataclasses import dataclass

from ...bodies import MAX_JSON_DEPTH, nests_deeper_than

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Idempotency:
    key: str
    fingerprint: str
    """What the request asked for (method, path, body): the same key must ask the same."""


class IdempotencyKeyReusedError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"the {HEADER} {key!r} was used before with a different request body")


def canonical(body: bytes) -> bytes:
    """The body with JSON's insignificant differences (spacing, key order) taken out.

    Whatever the body's media type: one that is not JSON, or nests too deep to parse
    safely, is its own canonical form.
    """
    if nests_deeper_than(MAX_JSON_DEPTH, body):
        return body
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
