"""convo's exceptions: one class per ``convo_code``, all under :class:`convo.Error`."""

from __future__ import annotations

import enum
from typing import Any, Dict, Optional, Tuple, Type

__all__ = [
    "Code",
    "Error",
    "InvalidRequest",
    "PreconditionFailed",
    "Forbidden",
    "NotFound",
    "Conflict",
    "StorageError",
    "InternalError",
    "Misuse",
]


class Code(enum.IntEnum):
    """The C API's result codes (``convo_code``); frozen, new ones only appended."""

    OK = 0
    EINVALID = 1
    EPRECONDITION = 2
    EFORBIDDEN = 3
    ENOTFOUND = 4
    ECONFLICT = 5
    ESTORAGE = 6
    EINTERNAL = 7
    EMISUSE = 8


class Error(Exception):
    """A failed convo call.

    Attributes:
        code: the ``convo_code`` (a :class:`Code`, which is an ``int``).
        name: the code's name from ``convo_code_name()``, e.g. ``"CONVO_EINVALID"``.
        http_status: the status a REST host answers with, from ``convo_http_status()``.
        detail: ``convo_last_error()`` right after the call: names the field and the rule.
    """

    code: int
    name: str
    http_status: int
    detail: str

    def __init__(self, code: int, name: str, http_status: int, detail: str) -> None:
        super().__init__(f"{name}: {detail}" if detail else name)
        self.code = Code(code) if code in Code._value2member_map_ else code
        self.name = name
        self.http_status = http_status
        self.detail = detail

    def __reduce__(self) -> Tuple[Any, ...]:  # picklable (multiprocessing, concurrent.futures)
        return (type(self), (self.code, self.name, self.http_status, self.detail))


class InvalidRequest(Error):
    """CONVO_EINVALID (422): the request body or parameters failed validation."""


class PreconditionFailed(Error):
    """CONVO_EPRECONDITION (400): unknown agent, unpublished version, usage limit, a WhatsApp
    message or outbound conversation outside the contact's 24-hour window without a template."""


class Forbidden(Error):
    """CONVO_EFORBIDDEN (403): the session's scopes do not allow it."""


class NotFound(Error):
    """CONVO_ENOTFOUND (404): no such conversation or agent in this organization."""


class Conflict(Error):
    """CONVO_ECONFLICT (409): event not allowed in the current status; an agent message while a
    human has taken over; id owned by another organization; database in use."""


class StorageError(Error):
    """CONVO_ESTORAGE (503): database error; nothing was changed."""


class InternalError(Error):
    """CONVO_EINTERNAL (500): a bug in the engine or out of memory."""


class Misuse(Error):
    """CONVO_EMISUSE (500): a NULL handle or argument, a manual-clock call on a system clock.
    The binding raises it too for a closed engine or session, for an engine closed from its
    own subscriber, and for a convo call made from inside a log handler."""


_CLASSES: Dict[int, Type[Error]] = {
    Code.EINVALID: InvalidRequest,
    Code.EPRECONDITION: PreconditionFailed,
    Code.EFORBIDDEN: Forbidden,
    Code.ENOTFOUND: NotFound,
    Code.ECONFLICT: Conflict,
    Code.ESTORAGE: StorageError,
    Code.EINTERNAL: InternalError,
    Code.EMISUSE: Misuse,
}


def error_class(code: int) -> Type[Error]:
    """The exception class for a code (:class:`Error` itself for a code this binding does not
    know yet)."""
    return _CLASSES.get(code, Error)


def _make(code: int, detail: str, name: Optional[str] = None, http_status: Optional[int] = None) -> Error:
    from ._library import library

    lib = library()
    if name is None:
        name = lib.convo_code_name(code).decode()
    if http_status is None:
        http_status = lib.convo_http_status(code)
    return error_class(code)(code, name, http_status, detail)
