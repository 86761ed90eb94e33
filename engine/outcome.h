// Outcome: a convo_code plus a message naming the field and the rule. The core returns these
// instead of throwing (LevelDB's Status); only the C shim turns them into return codes.
#pragma once

#include <convo/convo.h>

#include <string>
#include <utility>

namespace convo {

class Outcome {
public:
    Outcome() = default;  // success

    static Outcome ok() { return {}; }
    static Outcome invalid(std::string m) { return {CONVO_EINVALID, std::move(m)}; }
    static Outcome precondition(std::string m) { return {CONVO_EPRECONDITION, std::move(m)}; }
    static Outcome forbidden(std::string m) { return {CONVO_EFORBIDDEN, std::move(m)}; }
    static Outcome not_found(std::string m) { return {CONVO_ENOTFOUND, std::move(m)}; }
    static Outcome conflict(std::string m) { return {CONVO_ECONFLICT, std::move(m)}; }
    static Outcome storage(std::string m) { return {CONVO_ESTORAGE, std::move(m)}; }
    static Outcome internal(std::string m) { return {CONVO_EINTERNAL, std::move(m)}; }
    static Outcome misuse(std::string m) { return {CONVO_EMISUSE, std::move(m)}; }

    bool is_ok() const { return code_ == CONVO_OK; }
    explicit operator bool() const { return is_ok(); }
    convo_code code() const { return code_; }
    const std::string &message() const { return message_; }

private:
    Outcome(convo_code c, std::string m) : code_(c), message_(std::move(m)) {}
    convo_code code_ = CONVO_OK;
    std::string message_;
};

// Returns early from the enclosing function when `expr` is not ok.
#define CONVO_TRY(expr)                          \
    do {                                         \
        ::convo::Outcome convo_try_o_ = (expr);  \
        if (!convo_try_o_) return convo_try_o_;  \
    } while (0)

}  // namespace convo
