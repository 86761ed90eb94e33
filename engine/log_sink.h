// The engine's log sink: its own spdlog logger writes here, never to spdlog's default logger.
// Messages go to the host's handler when one is set (convo_engine_set_log_handler), else to
// stderr. (spdlog 1.10, Debian 12's, predates spdlog's callback_sink; this is that sink.)
#pragma once

#include <convo/convo.h>

#include <memory>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

namespace convo {

class LogSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    LogSink();
    // NULL restores stderr.
    void set_handler(convo_log_fn fn, void *user_data);

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override;
    void flush_() override;

private:
    convo_log_fn fn_ = nullptr;
    void *user_data_ = nullptr;
    std::unique_ptr<spdlog::sinks::sink> fallback_;
};

}  // namespace convo
