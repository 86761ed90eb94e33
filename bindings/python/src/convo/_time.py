"""datetime <-> the C API's times (Unix milliseconds, RFC 3339 UTC strings)."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Mapping, Optional

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MS = _dt.timedelta(milliseconds=1)


def _aware(value: _dt.datetime) -> _dt.datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            f"naive datetime {value.isoformat()}: give a timezone-aware datetime "
            "(e.g. datetime.now(timezone.utc)); convo does not guess the local zone"
        )
    return value


def to_ms(value: _dt.datetime) -> int:
    """Unix milliseconds (floored, as the engine floors parsed times)."""
    return (_aware(value) - EPOCH) // _MS


def from_ms(ms: int) -> _dt.datetime:
    """A timezone-aware UTC datetime."""
    return EPOCH + ms * _MS


def delta_ms(value: _dt.timedelta) -> int:
    return value // _MS


def rfc3339(value: _dt.datetime) -> str:
    """The engine's own format: UTC, milliseconds, "Z"."""
    utc = from_ms(to_ms(value))
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _default(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return rfc3339(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(obj: Optional[Mapping[str, Any]]) -> bytes:
    """JSON for the C API; datetime values anywhere become RFC 3339 strings."""
    # A non-mapping goes through as is: the engine answers "must be a JSON object".
    body = {} if obj is None else dict(obj) if isinstance(obj, Mapping) else obj
    return json.dumps(body, default=_default, ensure_ascii=False, allow_nan=False).encode()
