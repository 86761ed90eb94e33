#include "log_sink.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace convo {

LogSink::LogSink() : fallback_(std::make_unique<spdlog::sinks::stderr_color_sink_st>()) {}

void LogSink::set_handler(convo_log_fn fn, void *user_data) {
    std::lock_guard<std::mutex> lk(mutex_);
    fn_ = fn;
    user_data_ = user_data;
}

void LogSink::sink_it_(const spdlog::details::log_msg &msg) {
    if (fn_ == nullptr) {
        fallback_->log(msg);
        return;
    }
    std::string text(msg.payload.data(), msg.payload.size());
    fn_(user_data_, static_cast<int>(msg.level), text.c_str());
}

void LogSink::flush_() {
    if (fn_ == nullptr) fallback_->flush();
}

}  // namespace convo
