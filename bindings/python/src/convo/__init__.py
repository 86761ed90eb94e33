"""convo: the Python binding of the convo conversation-orchestration engine.

A pure-Python package over the C API (``include/convo/convo.h``) with ctypes. The library is
found through ``$CONVO_LIBRARY``, else ``libconvo.so`` next to this package, else the system's
library search.

    import convo
    with convo.Engine(path=":memory:", clock="manual") as engine:
        s = engine.session("acme")
        chat = s.create(channel="text", user_id="u1", agent_config={"greeting": "Hi!"})
        s.dispatch(chat["conversation"]["id"], "message", role="user", text="hello")

Requests and results are dicts of the JSON shapes in ``docs/c-api.md``: datetime values may be
given anywhere in a request; times in results stay RFC 3339 strings. Failures raise a
subclass of :class:`convo.Error` per code.
"""

from ._library import LibraryNotFoundError, library, library_path
from ._version import __version__
from .engine import JSON, TRACE, Engine, Scope, Session, Subscription
from .errors import (
    Code,
    Conflict,
    Error,
    Forbidden,
    InternalError,
    InvalidRequest,
    Misuse,
    NotFound,
    PreconditionFailed,
    StorageError,
)

__all__ = [
    "__version__",
    "library_version",
    "library_path",
    "LibraryNotFoundError",
    "Engine",
    "Session",
    "Subscription",
    "Scope",
    "TRACE",
    "JSON",
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


def library_version() -> str:
    """The loaded library's ``convo_version()``, "x.y.z" (it should equal ``__version__``)."""
    version: bytes = library().convo_version()
    return version.decode()


# Report the public classes as convo.X (tracebacks, reprs, pickling), not convo.errors.X.
for _cls in (Engine, Session, Subscription, Scope, Code, LibraryNotFoundError, Error, InvalidRequest,
             PreconditionFailed, Forbidden, NotFound, Conflict, StorageError, InternalError, Misuse):
    _cls.__module__ = __name__
del _cls
