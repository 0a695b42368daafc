"""Our client order id <-> the Fyers ``orderTag``.

Fyers keeps no client order id of ours; the only free field an order carries back in the
orderbook, the tradebook and the order socket is ``orderTag``. We write the client id there
and find the order again by it (``query_order`` scans the orderbook for the tag).

Fyers documents the tag as alphanumeric, so the dashes and underscores of our ids
(``tdm-<ms36>-<session>-<n>``, see ``app.engine.domain.ids``) are written as ``Z`` and ``Y``,
letters our generated ids never contain (they are lower-case base36 / hex, and a bot id with
an upper-case Z or Y is refused here rather than mangled). The orderbook may show the tag
with a ``<n>:`` prefix (``"1:Ordertag"`` in Fyers' own sample), which is dropped on reading.
"""

from __future__ import annotations

import re

from app.engine.domain.errors import ValidationError

MAX_TAG = 30  # the longest tag we send; Fyers does not document a hard limit we could cite
_PREFIX_RE = re.compile(r"^\d+:")
_ALNUM_RE = re.compile(r"^[A-Za-z0-9]+$")


def tag_for(client_id: str) -> str:
    if "Z" in client_id or "Y" in client_id:
        raise ValidationError(
            "client_id", "must not contain 'Z' or 'Y' (Fyers orderTag)", client_id
        )
    tag = client_id.replace("-", "Z").replace("_", "Y")
    if not _ALNUM_RE.match(tag) or len(tag) > MAX_TAG:
        raise ValidationError(
            "client_id",
            f"must be letters, digits, '-' or '_' and at most {MAX_TAG} characters for Fyers",
            client_id,
        )
    return tag


def client_id_from_tag(tag: object) -> str:
    """Our client id for a tag we wrote; a foreign tag as it is; "" when there is none."""
    if not isinstance(tag, str) or not tag:
        return ""
    bare = _PREFIX_RE.sub("", tag)
    if bare.startswith("td"):
        return bare.replace("Z", "-").replace("Y", "_")
    return bare


def is_ours(client_id: str) -> bool:
    """Whether a client id read from a tag was made by us (not typed on Fyers' website)."""
    return client_id.startswith("td")


def tag_matches(raw_tag: object, client_id: str) -> bool:
    return isinstance(raw_tag, str) and _PREFIX_RE.sub("", raw_tag) == tag_for(client_id)
