'use strict';
// One error class per convo_code. The classes are exported so hosts can `instanceof` them;
// `code`, `codeNumber` and `httpStatus` follow the C API (convo_code_name, the enum value,
// convo_http_status) and `detail` is convo_last_error() read right after the failing call.

const CODES = Object.freeze({
    CONVO_OK: 0,
    CONVO_EINVALID: 1,
    CONVO_EPRECONDITION: 2,
    CONVO_EFORBIDDEN: 3,
    CONVO_ENOTFOUND: 4,
    CONVO_ECONFLICT: 5,
    CONVO_ESTORAGE: 6,
    CONVO_EINTERNAL: 7,
    CONVO_EMISUSE: 8,
});

// The same table as convo_http_status(); kept here so errors made by the binding itself
// (a closed engine, say) carry a status without a call into the library.
const HTTP_STATUS = Object.freeze([200, 422, 400, 403, 404, 409, 503, 500, 500]);

const NAMES = Object.freeze(Object.keys(CODES));

class ConvoError extends Error {
    constructor(codeNumber, detail) {
        const code = NAMES[codeNumber] || 'CONVO_UNKNOWN';
        super(detail ? `${code}: ${detail}` : code);
        this.name = new.target.name;
        this.code = code;
        this.codeNumber = codeNumber;
        this.httpStatus = HTTP_STATUS[codeNumber] || 500;
        this.detail = detail || '';
    }
}

class InvalidRequestError extends ConvoError {}
class PreconditionFailedError extends ConvoError {}
class ForbiddenError extends ConvoError {}
class NotFoundError extends ConvoError {}
class ConflictError extends ConvoError {}
class StorageError extends ConvoError {}
class InternalError extends ConvoError {}
class MisuseError extends ConvoError {}

const CLASS_FOR_CODE = [
    null,
    InvalidRequestError,
    PreconditionFailedError,
    ForbiddenError,
    NotFoundError,
    ConflictError,
    StorageError,
    InternalError,
    MisuseError,
];

/** The error for a failed call: the subclass of the code (ConvoError for an unknown code). */
function errorFromCode(codeNumber, detail) {
    if (codeNumber === CODES.CONVO_OK) throw new RangeError('CONVO_OK is not an error');
    const Class = CLASS_FOR_CODE[codeNumber] || ConvoError;
    return new Class(codeNumber, detail);
}

/** An error the binding raises itself for a wrong use of the API (closed engine, ...). */
function misuse(detail) {
    return new MisuseError(CODES.CONVO_EMISUSE, detail);
}

module.exports = {
    CODES,
    ConvoError,
    InvalidRequestError,
    PreconditionFailedError,
    ForbiddenError,
    NotFoundError,
    ConflictError,
    StorageError,
    InternalError,
    MisuseError,
    errorFromCode,
    misuse,
};
