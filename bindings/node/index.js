'use strict';
// convo for Node: the engine's C API (libconvo.so) through koffi, in JavaScript idiom.
// See index.d.ts for the whole surface and README.md for a first example.

const { Engine, LogLevel } = require('./lib/engine');
const { Session, Scope } = require('./lib/session');
const errors = require('./lib/errors');

module.exports = {
    Engine,
    Session,
    Scope,
    LogLevel,
    ConvoError: errors.ConvoError,
    InvalidRequestError: errors.InvalidRequestError,
    PreconditionFailedError: errors.PreconditionFailedError,
    ForbiddenError: errors.ForbiddenError,
    NotFoundError: errors.NotFoundError,
    ConflictError: errors.ConflictError,
    StorageError: errors.StorageError,
    InternalError: errors.InternalError,
    MisuseError: errors.MisuseError,
    errorFromCode: errors.errorFromCode,
};
