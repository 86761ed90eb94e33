// Assertions on error details shared by the API tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace convo_test {

inline bool ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The error names `field` in the documented "<field>: <rule>" form (the field may be the
// tail of a path such as "versions[0].capabilities.supportsVideoInput").
inline ::testing::AssertionResult NamesField(const std::string &error, const std::string &field) {
    const std::string needle = field + ":";
    for (size_t pos = error.find(needle); pos != std::string::npos;
         pos = error.find(needle, pos + 1)) {
        if (pos == 0 || !ident_char(error[pos - 1])) return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "error \"" << error << "\" does not name field \"" << field << "\" as \"" << needle
           << " <rule>\"";
}

// The error mentions `word` as a whole identifier.
inline ::testing::AssertionResult Mentions(const std::string &error, const std::string &word) {
    for (size_t pos = error.find(word); pos != std::string::npos; pos = error.find(word, pos + 1)) {
        size_t end = pos + word.size();
        bool left = pos == 0 || !ident_char(error[pos - 1]);
        bool right = end >= error.size() || !ident_char(error[end]);
        if (left && right) return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "error \"" << error << "\" does not mention \"" << word << "\"";
}

}  // namespace convo_test
