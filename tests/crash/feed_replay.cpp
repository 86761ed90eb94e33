#include "feed_replay.h"

#include <algorithm>

namespace crash {

std::string short_id(const std::string &id) {
    return id.substr(0, 8);
}

std::string show_event(const json &e) {
    std::string s = "seq " + e.at("seq").dump() + " " + e.at("type").get<std::string>() + " of " +
                    short_id(e.at("conversation_id").get<std::string>());
    if (e.at("type") == "status_changed") {
        s += " " + e.at("from").get<std::string>() + "->" + e.at("to").get<std::string>() + " (" +
             e.at("data").dump() + ", reason " + e.at("reason").dump() + ")";
    } else if (e.at("type") != "message" && !e.at("data").is_null()) {
        s += " " + e.at("data").dump();
    }
    return s + " at " + e.at("at").get<std::string>();
}

void Replay::apply(const json &e) {
    const std::string id = e.at("conversation_id").get<std::string>();
    const std::string type = e.at("type").get<std::string>();
    const std::string at = e.at("at").get<std::string>();
    auto it = out_.find(id);
    if (type == "created") {
        if (it != out_.end()) {
            problem("conversation " + short_id(id) + " has a second created event", e);
            return;
        }
        created(id, e);
        return;
    }
    if (it == out_.end()) {
        problem("feed event before the conversation's created event", e);
        return;
    }
    Replayed &r = it->second;
    if (at < r.updated_at) problem("feed runs backwards in time", e);
    r.updated_at = at;
    if (e.at("organization_id") != r.org) problem("organization changed", e);
    if (type == "message") return message(r, e);
    r.opening = 0;  // a create's messages come right after its created event
    if (type == "status_changed") {
        status_changed(r, e);
    } else if (type == "takeover") {
        takeover(r, e);
    } else if (type == "handback") {
        handback(r, e);
    } else if (type == "finalized") {
        finalized(r, e);
    } else if (type != "annotated") {
        problem("unknown feed event type", e);
    }
}

void Replay::problem(const std::string &what, const json &e) {
    problems.push_back(what + ": " + show_event(e));
}

void Replay::created(const std::string &id, const json &e) {
    Replayed r;
    r.org = e.at("organization_id").get<std::string>();
    r.channel = e.at("data").at("channel").get<std::string>();
    r.status = e.at("to").get<std::string>();
    r.updated_at = e.at("at").get<std::string>();
    if (r.status == "in_progress") r.started_at = e.at("at");
    auto opening = context_.openers.find(id);
    if (opening != context_.openers.end()) r.opening = opening->second;
    auto contact = context_.contacts.find(id);
    if (r.channel == "whatsapp") {
        if (contact == context_.contacts.end())
            problem("a whatsapp conversation of no known contact", e);
        r.contact = contact != context_.contacts.end() ? contact->second : "";
    }
    out_[id] = std::move(r);
}

void Replay::status_changed(Replayed &r, const json &e) {
    const std::string from = e.at("from").get<std::string>(), to = e.at("to").get<std::string>();
    if (from != r.status) {
        problem("status_changed from " + from + " but the replayed status is " + r.status, e);
    }
    if (table_.is_terminal(r.status)) {
        problem("a closed conversation changed status again (fired twice?)", e);
    }
    const json &data = e.at("data");
    if (data.contains("timer")) {
        auto t = table_.timers.find(data.at("timer").get<std::string>());
        if (t == table_.timers.end() || t->second.effect != "status" ||
            t->second.fires.count(from) == 0 || t->second.fires.at(from) != to ||
            e.at("reason") != t->second.end_reason) {
            problem("timer firing not in the lifecycle table", e);
        }
    } else {
        auto m = table_.moves.find({data.value("event", ""), from, r.channel});
        if (m == table_.moves.end() || m->second != to) {
            problem("transition not in the lifecycle table for channel " + r.channel, e);
        }
    }
    r.status = to;
    if (to == "in_progress" && r.started_at.is_null()) r.started_at = e.at("at");
    if (table_.is_terminal(to)) {
        r.end_reason = e.at("reason");
        r.ended_at = e.at("at");
        ++r.terminal_changes;
        r.human_takeover = false;  // its timer is disarmed without a handback event
        r.human_takeover_until = nullptr;
        r.wrap_up = "pending";
    }
}

void Replay::message(Replayed &r, const json &e) {
    const bool opening = r.opening > 0;
    if (opening) --r.opening;
    const json &data = e.at("data");
    const std::string role = data.at("role").get<std::string>();
    const bool with_template = data.contains("template");
    const int64_t at = parse_time(e.at("at").get<std::string>());
    if (!opening && r.status != "in_progress") problem("message while " + r.status, e);
    if (!opening && role == "agent" && r.human_takeover) {
        problem("an agent message while a human has taken over", e);
    }
    if (with_template && r.channel != "whatsapp") problem("a template message on " + r.channel, e);
    if (r.channel == "whatsapp" && !opening && role == "user") {
        windows_[r.contact] = std::max(window(r.contact).value_or(at), at + kChatWindowMs);
    } else if (r.channel == "whatsapp" && !opening && !with_template &&
               !window_open(r.contact, at)) {
        problem("a free-form " + role + " message while the WhatsApp window is closed", e);
    }
    if (role == "user") ++r.user_turns;
    json m{{"role", role}, {"text", data.value("text", json())}, {"at", e.at("at")}};
    if (with_template) m["template"] = data.at("template");
    r.messages.push_back(std::move(m));
}

void Replay::takeover(Replayed &r, const json &e) {
    const json &data = e.at("data");
    if (r.status != "in_progress") problem("takeover while " + r.status, e);
    const json minutes = data.value("minutes", json());
    if (!minutes.is_number_integer() || minutes.get<int64_t>() < 1 ||
        data.value("until", json()) != format_time(parse_time(e.at("at").get<std::string>()) +
                                                   minutes.get<int64_t>() * 60000)) {
        problem("a takeover's data is not {minutes, until = at + minutes}", e);
    }
    r.human_takeover = true;
    r.human_takeover_until = data.value("until", json());
}

void Replay::handback(Replayed &r, const json &e) {
    const json &data = e.at("data");
    if (!r.human_takeover || r.status != "in_progress") {
        problem("handback while not taken over (" + r.status + ")", e);
    }
    if (data.contains("timer") &&
        (data != json{{"timer", "takeover"}} || e.at("at") != r.human_takeover_until)) {
        problem("the takeover timer fired off its deadline " + r.human_takeover_until.dump(), e);
    } else if (!data.contains("timer") && data != json{{"by", "handback"}}) {
        problem("a handback's data is neither the event's nor the timer's", e);
    }
    r.human_takeover = false;
    r.human_takeover_until = nullptr;
}

void Replay::finalized(Replayed &r, const json &e) {
    const json &data = e.at("data");
    if (!table_.is_terminal(r.status) || r.wrap_up != "pending") {
        problem("finalized while " + r.status + " with wrap_up " + r.wrap_up.dump(), e);
    }
    if (data.contains("timer") &&
        (data != json{{"timer", "wrap_up"}} || r.ended_at.is_null() ||
         e.at("at") != format_time(parse_time(r.ended_at.get<std::string>()) + kWrapUpMs))) {
        problem("the wrap-up timer fired off its deadline (ended " + r.ended_at.dump() + ")", e);
    }
    r.wrap_up = "done";
}

std::string replay_diff(const Replayed &r, const json &state, const std::string &what) {
    std::string diff;
    auto field = [&](const char *name, const json &replayed) {
        if (state.at(name) != replayed) {
            diff += std::string(diff.empty() ? "" : "; ") + name + ": " + what + " " +
                    state.at(name).dump() + ", feed replay " + replayed.dump();
        }
    };
    field("status", r.status);
    field("end_reason", r.end_reason);
    field("user_turn_count", r.user_turns);
    field("messages", r.messages.size());
    field("updated_at", r.updated_at);
    field("started_at", r.started_at);
    field("ended_at", r.ended_at);
    field("human_takeover", r.human_takeover);
    field("human_takeover_until", r.human_takeover_until);
    field("wrap_up", r.wrap_up);
    return diff;
}

std::string transcript_diff(const Replayed &r, const json &conversation) {
    json messages = json::array();
    for (const json &m : conversation.at("conversation").at("messages")) messages.push_back(m);
    if (messages == json(r.messages)) return "";
    return "transcript " + messages.dump() + " differs from the feed's messages " +
           json(r.messages).dump();
}

bool read_merged_feed(convo_session *const sessions[2], uint64_t after, std::vector<json> *out,
                      std::vector<std::string> *problems) {
    out->clear();
    const char *orgs[2] = {kOrgA, kOrgB};
    for (int i = 0; i < 2; ++i) {
        std::vector<json> part;
        std::string error;
        if (!read_feed(sessions[i], after, &part, &error)) {
            problems->push_back(error);
            return false;
        }
        for (json &e : part) {
            if (e.at("organization_id") != orgs[i]) {
                problems->push_back(std::string("organization ") + orgs[i] + "'s feed holds " +
                                    show_event(e) + " of " +
                                    e.at("organization_id").get<std::string>());
            }
            out->push_back(std::move(e));
        }
    }
    std::sort(out->begin(), out->end(), [](const json &a, const json &b) {
        return a.at("seq").get<uint64_t>() < b.at("seq").get<uint64_t>();
    });
    for (size_t i = 0; i < out->size(); ++i) {
        uint64_t want = after + i + 1;
        if ((*out)[i].at("seq").get<uint64_t>() != want) {
            problems->push_back("the feed is not gapless: expected seq " + std::to_string(want) +
                                ", found " + show_event((*out)[i]));
            return false;
        }
    }
    return true;
}

}  // namespace crash
