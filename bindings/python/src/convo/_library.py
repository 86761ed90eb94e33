"""Finding libconvo.so and declaring the C API's prototypes for ctypes.

The library is loaded once, on first use (not at import, so ``import convo`` works even where
the library is missing and the error can name what was tried).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path
from typing import List, Optional

__all__ = ["LibraryNotFoundError", "library", "library_path"]

_ENV = "CONVO_LIBRARY"
_NAMES = ("libconvo.so", "libconvo.so.0")


class LibraryNotFoundError(OSError):
    """libconvo.so could not be found or loaded; the message lists every place tried."""


# Callback types, as declared in convo.h. ctypes keeps the GIL handling: a call from a thread
# Python did not start (the engine's timer thread) acquires the GIL for the callback.
EVENT_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)
LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)

_c_code = ctypes.c_int
_p = ctypes.c_void_p  # opaque handles and char* results (freed with convo_free)
_pp = ctypes.POINTER(ctypes.c_void_p)

# name: (restype, argtypes)
_PROTOTYPES = {
    "convo_version": (ctypes.c_char_p, []),
    "convo_code_name": (ctypes.c_char_p, [ctypes.c_int]),
    "convo_http_status": (ctypes.c_int, [ctypes.c_int]),
    "convo_last_error": (ctypes.c_char_p, []),
    "convo_free": (None, [_p]),
    "convo_engine_open": (_c_code, [ctypes.c_char_p, _pp]),
    "convo_engine_set_log_handler": (_c_code, [_p, LOG_FN, _p]),
    "convo_engine_close": (None, [_p]),
    "convo_session_open": (_c_code, [_p, ctypes.c_char_p, ctypes.c_uint, _pp]),
    "convo_session_close": (None, [_p]),
    "convo_agent_put": (_c_code, [_p, ctypes.c_char_p, _pp]),
    "convo_agent_get": (_c_code, [_p, ctypes.c_char_p, _pp]),
    "convo_create": (_c_code, [_p, ctypes.c_char_p, _pp, ctypes.POINTER(ctypes.c_int)]),
    "convo_get": (_c_code, [_p, ctypes.c_char_p, _pp]),
    "convo_list": (_c_code, [_p, ctypes.c_char_p, _pp]),
    "convo_dispatch": (_c_code, [_p, ctypes.c_char_p, ctypes.c_char_p, _pp]),
    "convo_events": (_c_code, [_p, ctypes.c_uint64, ctypes.c_uint, _pp]),
    "convo_subscribe": (_c_code, [_p, EVENT_FN, _p, ctypes.POINTER(ctypes.c_uint64)]),
    "convo_unsubscribe": (_c_code, [_p, ctypes.c_uint64]),
    "convo_tick": (_c_code, [_p, ctypes.POINTER(ctypes.c_uint)]),
    "convo_next_deadline": (_c_code, [_p, ctypes.POINTER(ctypes.c_int64)]),
    "convo_clock_now": (_c_code, [_p, ctypes.POINTER(ctypes.c_int64)]),
    "convo_clock_set": (_c_code, [_p, ctypes.c_int64]),
    "convo_describe": (_c_code, [_p, _pp]),
}

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_path: Optional[str] = None


def _candidates() -> List[str]:
    """Where to look, in order: $CONVO_LIBRARY alone if set; else next to the package, then the
    system's library search (ldconfig cache, LD_LIBRARY_PATH)."""
    env = os.environ.get(_ENV)
    if env:
        return [env]  # an explicit choice is never silently replaced by another library
    here = Path(__file__).resolve().parent
    found: List[str] = []
    for folder in (here, here.parent):
        found += [str(folder / name) for name in _NAMES if (folder / name).exists()]
    system = ctypes.util.find_library("convo")
    if system:
        found.append(system)
    found.append("libconvo.so.0")  # dlopen's own search: LD_LIBRARY_PATH, ld.so.cache, rpath
    return found


def _declare(lib: ctypes.CDLL, path: str) -> None:
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise LibraryNotFoundError(
                f"{path} does not export {name}; it is older than this binding "
                f"(convo_version() says {_version_of(lib)})"
            ) from None
        fn.restype = restype
        fn.argtypes = argtypes


def _version_of(lib: ctypes.CDLL) -> str:
    try:
        fn = lib.convo_version
        fn.restype = ctypes.c_char_p
        version: bytes = fn()
        return version.decode()
    except AttributeError:
        return "unknown"


def library() -> ctypes.CDLL:
    """The loaded libconvo, loading it on first call. Raises LibraryNotFoundError."""
    global _lib, _path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried: List[str] = []
        for candidate in _candidates():
            try:
                lib = ctypes.CDLL(candidate)
            except OSError as e:
                tried.append(f"  {candidate}: {e}")
                continue
            _declare(lib, candidate)
            _path = candidate
            _lib = lib
            return lib
        how = (
            f"{_ENV} is set"
            if os.environ.get(_ENV)
            else f"set {_ENV}=/path/to/libconvo.so, put libconvo.so next to the convo package, "
            "or install it system-wide (cmake --install build && ldconfig)"
        )
        raise LibraryNotFoundError("cannot load libconvo (" + how + "); tried:\n" + "\n".join(tried))


def library_path() -> str:
    """The path (or soname) libconvo was loaded from, loading it if needed."""
    library()
    assert _path is not None
    return _path
