#include "engine.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <queue>
#include <tuple>

#include <spdlog/spdlog.h>

#include "describe.h"
#include "lifecycle.h"
#include "render.h"

namespace convo {
namespace {

constexpr int kTickBatch = 256;  // timers fired per transaction

// A session that speaks another API's shape (convo_session_set_format): `call` runs the native
// call with the native session, `shape` writes its result in the session's shape, and the
// native call's errors are renamed into the format's field names.
template <typename Call, typename Shape>
Outcome in_format(const Session &s, std::string *out, Call call, Shape shape) {
    Session native = s;
    native.format = Format::anyreach;
    std::string body;
    CONVO_TRY(outcome_in_format(s.format, call(native, &body)));
    *out = shape(Json::parse(body)).dump();
    return Outcome::ok();
}

Outcome need(const Session &s, unsigned scope, const char *name, const char *what) {
    if (s.can(scope)) return Outcome::ok();
    return Outcome::forbidden(std::string("scope: ") + what + " needs the " + name +
                              " scope, which this session does not have");
}

// Folds a step into the change that records it.
void absorb(Change &ch, Step &&step) {
    ch.conversation = std::move(step.next);
    for (Message &m : step.messages) ch.messages.push_back(std::move(m));
    for (FeedEvent &e : step.events) ch.events.push_back(std::move(e));
}

std::string not_found(const std::string &id) { return "conversation '" + id + "' not found"; }

// Conversation ids are stored in lower case; a UUID given in upper case names the same one.
std::string normalize_id(std::string id) {
    if (is_uuid(id)) {
        for (char &c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return id;
}

}  // namespace

Outcome Engine::open(const char *options_json, std::unique_ptr<Engine> *out) {
    Options options;
    CONVO_TRY(parse_options(options_json, &options));
    auto sink = std::make_shared<LogSink>();
    std::unique_ptr<Clock> clock =
        options.manual_clock ? make_manual_clock(options.start.value_or(make_system_clock()->now()))
                             : make_system_clock();
    std::unique_ptr<Store> store;
    CONVO_TRY(open_sqlite_store(StoreSettings{options.path, options.synchronous_full}, &store));
    out->reset(new Engine(std::move(options), std::move(clock), std::move(store), std::move(sink)));
    return Outcome::ok();
}

Engine::Engine(Options options, std::unique_ptr<Clock> clock, std::unique_ptr<Store> store,
               std::shared_ptr<LogSink> log_sink)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      log_sink_(std::move(log_sink)),
      log_(std::make_shared<spdlog::logger>("convo", log_sink_)),
      store_(std::move(store)),
      ids_(options_.seed, store_->history_at_open()),
      subscribers_([this](const std::string &m) { log_->error("{}", m); }) {
    log_->set_level(spdlog::level::from_str(options_.log_level));
    log_->info("opened {} (last seq {})", options_.path, store_->last_seq());
    if (options_.timer_thread && !clock_->is_manual()) {
        timer_thread_ = std::thread([this] { timer_loop(); });
    }
}

Engine::~Engine() {
    {
        std::lock_guard<std::mutex> lk(timer_mu_);
        stopping_ = true;
    }
    timer_cv_.notify_all();
    if (timer_thread_.joinable()) timer_thread_.join();
    log_->info("closed {}", options_.path);
}

Outcome Engine::open_session(const char *organization_id, unsigned scopes, Session *out) {
    if (!is_simple_id(organization_id)) {
        return Outcome::invalid("organization_id: must be 1-128 characters of A-Z a-z 0-9 _ . : -");
    }
    unsigned known = CONVO_SCOPE_READ | CONVO_SCOPE_WRITE | CONVO_SCOPE_SENSITIVE | CONVO_SCOPE_ADMIN;
    if ((scopes & ~known) != 0) {
        return Outcome::invalid("scopes: unknown bits; use CONVO_SCOPE_READ, _WRITE, _SENSITIVE, _ADMIN");
    }
    *out = Session{this, organization_id, scopes};
    return Outcome::ok();
}

// ---- agents ------------------------------------------------------------------------------

Outcome Engine::agent_put(const Session &s, std::string_view json, std::string *out) {
    CONVO_TRY(need(s, CONVO_SCOPE_ADMIN, "ADMIN", "putting an agent"));
    Agent a;
    CONVO_TRY(parse_agent(json, options_.limits, &a));
    std::unique_lock<std::mutex> lk = settled();
    const std::string &org = s.organization_id;
    std::map<int, std::string> known;
    CONVO_TRY(store_->version_ids(org, a.id, &known));
    for (size_t i = 0; i < a.versions.size(); ++i) {
        AgentVersion &v = a.versions[i];
        auto it = known.find(v.version);
        if (!v.id.empty() && (it == known.end() || it->second != v.id)) {
            return Outcome::invalid("versions[" + std::to_string(i) + "].id: does not match version " +
                                    std::to_string(v.version) + "'s id; omit it to keep the stored one");
        }
        v.id = it != known.end() ? it->second : ids_.uuid_v7(clock_->now());
    }
    if (a.phone_number) {
        std::optional<Agent> owner;
        CONVO_TRY(store_->agent_by_number(org, *a.phone_number, &owner));
        if (owner && owner->id != a.id) {
            return Outcome::conflict("phone_number: " + *a.phone_number + " already belongs to agent '" +
                                     owner->id + "'");
        }
    }
    std::optional<Agent> existing;
    CONVO_TRY(store_->agent(org, a.id, &existing));
    a.updated_at = clock_->now();
    a.created_at = existing ? existing->created_at : a.updated_at;
    CONVO_TRY(store_->put_agent(org, a));
    *out = agent_to_json(a).dump();
    return Outcome::ok();
}

Outcome Engine::agent_get(const Session &s, const std::string &id, std::string *out) {
    CONVO_TRY(need(s, CONVO_SCOPE_READ, "READ", "reading an agent"));
    std::unique_lock<std::mutex> lk = settled();
    std::optional<Agent> a;
    CONVO_TRY(store_->agent(s.organization_id, id, &a));
    if (!a) return Outcome::not_found("agent '" + id + "' not found");
    *out = agent_to_json(*a).dump();
    return Outcome::ok();
}

// ---- create --------------------------------------------------------------------------------

Outcome Engine::resolve_agent(const Session &s, const CreateRequest &r, std::optional<Agent> *agent,
                              AgentVersion *version) {
    const std::string &org = s.organization_id;
    const AgentVersion *v = nullptr;
    if (r.agent_config) {
        *version = *r.agent_config;
        return Outcome::ok();
    }
    if (r.agent_id) {
        CONVO_TRY(store_->agent(org, *r.agent_id, agent));
        if (!*agent) return Outcome::precondition("agent_id: unknown agent '" + *r.agent_id + "'");
        if (r.version) {
            v = (*agent)->find_version(*r.version);
            if (v == nullptr) {
                return Outcome::precondition("version: agent '" + *r.agent_id + "' has no version " +
                                             std::to_string(*r.version));
            }
        }
    } else if (r.agent_version_id) {
        CONVO_TRY(store_->agent_by_version_id(org, *r.agent_version_id, agent));
        if (*agent) v = (*agent)->find_version_id(*r.agent_version_id);
        if (v == nullptr) {
            return Outcome::precondition("agent_version_id: unknown agent version '" +
                                         *r.agent_version_id + "'");
        }
    } else {
        CONVO_TRY(store_->agent_by_number(org, *r.agent_number, agent));
        if (!*agent) {
            return Outcome::precondition("agent_number: no agent has the phone number " + *r.agent_number);
        }
    }
    if (v == nullptr) {
        v = (*agent)->latest_published();
        if (v == nullptr) {
            return Outcome::precondition("agent_id: agent '" + (*agent)->id + "' has no published version");
        }
    }
    if (!v->published) {
        // Name the field the request chose the version with.
        const char *field = r.agent_version_id ? "agent_version_id" : r.version ? "version" : "agent_id";
        return Outcome::precondition(std::string(field) + ": version " + std::to_string(v->version) +
                                     " of agent '" + (*agent)->id + "' is not published");
    }
    *version = *v;
    return Outcome::ok();
}

Outcome Engine::create(const Session &s, std::string_view json, std::string *out,
                       int *http_status) {
    CONVO_TRY(need(s, CONVO_SCOPE_WRITE, "WRITE", "creating a conversation"));
    if (s.format != Format::anyreach) {
        Json in, native;
        CONVO_TRY(parse_object(json, "request", options_.limits.max_request_bytes, &in));
        CONVO_TRY(create_to_native(s.format, in, &native));
        const std::string request = native.dump();
        return in_format(
            s, out, [&](const Session &n, std::string *body) { return create(n, request, body, http_status); },
            [&](const Json &j) { return create_response_from_native(s.format, j, http_status); });
    }
    CreateRequest r;
    CONVO_TRY(parse_create(json, options_.limits, &r));
    const bool sensitive = s.can(CONVO_SCOPE_SENSITIVE);
    const std::string &org = s.organization_id;
    uint64_t ticket = 0;
    CONVO_TRY(write_op([&]() -> Outcome {
        if (r.id) {
            std::optional<std::string> owner;
            std::optional<StoredResponse> stored;
            CONVO_TRY(store_->find_owner(*r.id, &owner, &stored));
            if (owner && *owner != org) {
                return Outcome::conflict("id: conversation " + *r.id + " belongs to another organization");
            }
            if (owner) {
                if (!stored) return Outcome::conflict("id: conversation " + *r.id + " already exists");
                *out = sensitive ? std::move(stored->body)
                                 : redact_response(Json::parse(stored->body), false).dump();
                *http_status = stored->http_status;
                return Outcome::ok();
            }
        }
        std::optional<Agent> agent;
        AgentVersion version;
        CONVO_TRY(resolve_agent(s, r, &agent, &version));
        if (options_.max_open_per_organization) {
            int64_t open = 0;
            CONVO_TRY(store_->count_open(org, &open));
            if (open >= *options_.max_open_per_organization) {
                return Outcome::precondition(
                    "usage limit reached: the organization has " + std::to_string(open) +
                    " open conversations (max_open_per_organization " +
                    std::to_string(*options_.max_open_per_organization) + ")");
            }
        }

        const TimeMs now = clock_->now();
        const int platform_max = options_.policy.platform_max_open_minutes;
        Conversation c;
        c.id = r.id ? *r.id : ids_.uuid_v7(now);
        c.organization_id = org;
        c.channel = r.channel;
        c.direction = r.direction;
        c.user_id = r.user_id;
        if (agent) {
            c.agent_id = agent->id;
            c.agent_version_id = version.id;
            c.agent_name = agent->name;
        } else {
            c.agent_name = r.agent_config_name;
        }
        c.agent_number = r.agent_number;
        if (!c.agent_number && r.channel == Channel::telephone && agent) c.agent_number = agent->phone_number;
        c.web_widget_id = r.web_widget_id;
        c.to_address = r.to_address;
        c.from_address = r.from_address;
        c.subject = r.subject;
        if (!c.subject && r.channel == Channel::email) c.subject = version.default_subject;
        c.initial_context = r.initial_context;
        c.custom_metadata = r.custom_metadata;
        c.tags = r.tags;
        if (r.channel == Channel::sms || r.channel == Channel::whatsapp) {
            c.from_number = r.from_number;
            if (!c.from_number && agent) c.from_number = agent->phone_number;
        }
        if (r.idle_timeout_minutes) c.idle_timeout_minutes = std::min(*r.idle_timeout_minutes, platform_max);
        c.max_open_minutes = std::min(r.max_open_minutes.value_or(platform_max), platform_max);
        c.created_at = now;

        if (c.channel == Channel::whatsapp) {
            CONVO_TRY(store_->chat_window(org, c.from_number.value_or(""), c.user_id,
                                          &c.chat_window_expires_at));
            const bool open = c.chat_window_expires_at && *c.chat_window_expires_at > now;
            if (!open && c.direction == Direction::outbound && r.template_.is_null()) {
                return Outcome::precondition(
                    "message: the WhatsApp 24-hour window with " + c.user_id +
                    " is closed; an outbound WhatsApp conversation must start with "
                    "{\"type\":\"template\",\"template\":{...}}");
            }
        }

        // Seed messages, then the opener: a template, or the greeting of an agent that speaks
        // first on a chat channel.
        std::vector<Message> opening = r.seed_messages;
        std::optional<std::string> greeting;
        const bool chat = r.channel == Channel::text || r.channel == Channel::sms ||
                          r.channel == Channel::whatsapp;
        if (!r.template_.is_null()) {
            opening.push_back(Message{Role::agent, "", now, r.template_});
        } else if (chat && version.speaks_first && version.greeting && !version.greeting->empty()) {
            greeting = version.greeting;
            opening.push_back(Message{Role::agent, *greeting, now});
        }
        Change ch;
        ch.insert = true;
        absorb(ch, start(std::move(c), opening, options_.policy));

        const Conversation &made = ch.conversation;
        const int status = made.channel == Channel::telephone ? 202 : 200;
        const std::string token = made.channel == Channel::webrtc ? ids_.join_token() : "";
        // The answer: stored as a session with every scope sees it, and as this one does.
        auto answer = [&](bool all) {
            JsonOut w;
            w.begin_object();
            if (made.channel == Channel::telephone) {
                w.key("contact_id").str(made.id);
            } else {
                w.key("conversation");
                conversation_json(w, made, ch.messages, all, now);
                if (made.channel == Channel::webrtc) {
                    w.key("connection_details").begin_object();
                    w.key("url").str(options_.webrtc_url).key("token").str(token).end_object();
                    w.key("capabilities").json(capabilities_json(version));
                } else {
                    w.key("starting_message").str(greeting);
                }
            }
            return w.end_object().take();
        };
        ch.response = StoredResponse{answer(true), status};
        std::string shown = sensitive ? ch.response->body : answer(false);
        std::vector<Change> batch{std::move(ch)};
        CONVO_TRY(stage(batch));
        log_->debug("created {} {} in {}", channel_name(made.channel), batch[0].conversation.id,
                    status_name(batch[0].conversation.status));
        *out = std::move(shown);
        *http_status = status;
        return Outcome::ok();
    }, &ticket));
    wake_timer_thread();
    subscribers_.deliver(ticket);
    return Outcome::ok();
}

// ---- read ----------------------------------------------------------------------------------

Outcome Engine::show(const Session &s, Conversation c, Shown *out) {
    out->sensitive = s.can(CONVO_SCOPE_SENSITIVE);
    out->transcript.clear();
    if (out->sensitive) CONVO_TRY(store_->transcript(c, &out->transcript));
    out->conversation = std::move(c);
    out->now = clock_->now();
    return Outcome::ok();
}

void Engine::Shown::render(JsonOut &w) const {
    conversation_json(w, conversation, transcript, sensitive, now);
}

std::string Engine::Shown::render() const {
    JsonOut w;
    render(w);
    return w.take();
}

Outcome Engine::get(const Session &s, const std::string &id, std::string *out) {
    CONVO_TRY(need(s, CONVO_SCOPE_READ, "READ", "reading a conversation"));
    if (s.format != Format::anyreach) {
        return in_format(
            s, out, [&](const Session &n, std::string *body) { return get(n, id, body); },
            [&](const Json &j) { return conversation_from_native(s.format, j); });
    }
    Shown shown;
    {
        std::unique_lock<std::mutex> lk = settled();
        std::optional<Conversation> c;
        CONVO_TRY(store_->load(s.organization_id, normalize_id(id), &c));
        if (!c) return Outcome::not_found(not_found(id));
        CONVO_TRY(show(s, std::move(*c), &shown));
    }
    *out = shown.render();
    return Outcome::ok();
}

Outcome Engine::list(const Session &s, const char *query, std::string *out) {
    CONVO_TRY(need(s, CONVO_SCOPE_READ, "READ", "listing conversations"));
    if (s.format != Format::anyreach) {
        return in_format(
            s, out, [&](const Session &n, std::string *body) { return list(n, query, body); },
            [&](const Json &j) { return conversation_list_from_native(s.format, j); });
    }
    ListQuery q;
    CONVO_TRY(parse_list_query(query, options_.limits, &q));
    std::vector<Shown> page;  // read under the lock, rendered after it
    std::optional<std::string> next;
    {
        std::unique_lock<std::mutex> lk = settled();
        std::vector<Conversation> found;
        CONVO_TRY(store_->list(s.organization_id, q, &found, &next));
        page.resize(found.size());
        for (size_t i = 0; i < found.size(); ++i) CONVO_TRY(show(s, std::move(found[i]), &page[i]));
    }
    JsonOut w;
    w.begin_object().key("items").begin_array();
    for (const Shown &shown : page) shown.render(w);
    *out = w.end_array().key("next_cursor").str(next).end_object().take();
    return Outcome::ok();
}

Outcome Engine::events(const Session &s, uint64_t after, unsigned limit, std::string *out) {
    CONVO_TRY(need(s, CONVO_SCOPE_READ, "READ", "reading the feed"));
    if (s.format != Format::anyreach) {
        return in_format(
            s, out, [&](const Session &n, std::string *body) { return events(n, after, limit, body); },
            [&](const Json &j) { return event_page_from_native(s.format, j); });
    }
    if (limit == 0) limit = 100;
    if (limit > 1000) return Outcome::invalid("limit: must be from 1 to 1000 (0 means 100)");
    std::vector<FeedEvent> found;
    {
        std::unique_lock<std::mutex> lk = settled();
        CONVO_TRY(store_->read_events(s.organization_id, after, limit, &found));
    }
    const bool sensitive = s.can(CONVO_SCOPE_SENSITIVE);
    JsonOut w;
    w.begin_object().key("events").begin_array();
    for (const FeedEvent &e : found) event_json(w, e, sensitive);
    const uint64_t next = found.empty() ? after : found.back().seq;
    *out = w.end_array().key("next_seq").unsigned_num(next).end_object().take();
    return Outcome::ok();
}

// ---- dispatch ------------------------------------------------------------------------------

Outcome Engine::dispatch(const Session &s, const std::string &id, std::string_view json,
                         std::string *out) {
    CONVO_TRY(need(s, CONVO_SCOPE_WRITE, "WRITE", "dispatching an event"));
    if (s.format != Format::anyreach) {
        Json in, native;
        CONVO_TRY(parse_object(json, "event", options_.limits.max_request_bytes, &in));
        CONVO_TRY(event_to_native(s.format, in, &native));
        const std::string event = native.dump();
        return in_format(
            s, out, [&](const Session &n, std::string *body) { return dispatch(n, id, event, body); },
            [&](const Json &j) { return conversation_from_native(s.format, j); });
    }
    Event e;
    CONVO_TRY(parse_event(json, options_.limits, &e));
    uint64_t ticket = 0;
    Shown shown;  // read under the lock, rendered after it
    Outcome o = write_op([&]() -> Outcome {
        std::optional<Conversation> loaded;
        CONVO_TRY(store_->load(s.organization_id, normalize_id(id), &loaded));
        if (!loaded) return Outcome::not_found(not_found(id));
        if (e.event_id) {
            bool seen = false;
            CONVO_TRY(store_->event_seen(*loaded, *e.event_id, &seen));
            if (seen) return show(s, std::move(*loaded), &shown);
        }
        const TimeMs now = clock_->now();
        // Deadlines that passed before the event happened take effect first, each at its own
        // time, exactly as convo_tick would have fired them.
        Change ch;
        ch.conversation = *loaded;
        const TimeMs at = event_time(*loaded, e, now);
        for (auto t = ch.conversation.next_timer(); t && t->first <= at; t = ch.conversation.next_timer()) {
            absorb(ch, fire(ch.conversation, t->second, options_.policy));
        }
        Step step;
        Outcome result = apply(ch.conversation, e, options_.policy, now, &step);
        if (result) {
            absorb(ch, std::move(step));
            ch.event_id = e.event_id;
        }
        // An accepted event that changed nothing (a second close, a handback with no takeover)
        // still records its event_id, so a retry stays a no-op whatever happened since.
        if (!ch.events.empty() || ch.event_id) {
            std::vector<Change> batch{std::move(ch)};
            CONVO_TRY(stage(batch));
            ch = std::move(batch[0]);
        }
        if (result) CONVO_TRY(show(s, std::move(ch.conversation), &shown));
        return result;
    }, &ticket);
    if (o) *out = shown.render();
    wake_timer_thread();
    subscribers_.deliver(ticket);
    return o;
}

// ---- timers --------------------------------------------------------------------------------

Outcome Engine::fire_due(TimeMs now, unsigned *fired, bool *more) {
    std::vector<DueTimer> due;
    CONVO_TRY(store_->due(now, kTickBatch, &due));
    *more = static_cast<int>(due.size()) == kTickBatch;
    std::vector<Conversation> loaded;
    for (const DueTimer &d : due) {
        std::optional<Conversation> c;
        CONVO_TRY(store_->load(d.organization_id, d.conversation_id, &c));
        if (c) loaded.push_back(std::move(*c));
    }
    // Timers fire in deadline order across the batch, one change each, so the feed follows
    // deadline order too (a conversation's wrap-up comes after other conversations' earlier
    // deadlines). When more rows are due than one batch holds, only deadlines up to the
    // batch's last are fired now; the later ones come back in the next batch.
    TimeMs cutoff = now;
    if (*more && !loaded.empty()) {
        if (auto last = loaded.back().next_timer()) cutoff = std::min(cutoff, last->first);
    }
    // A heap of (deadline, index, timer): the earliest first, ties in load order. Each
    // conversation is in it at most once, with its next timer.
    using Due = std::tuple<TimeMs, size_t, Timer>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> order;
    auto push_next = [&](size_t i) {
        auto t = loaded[i].next_timer();
        if (t && t->first <= cutoff) order.emplace(t->first, i, t->second);
    };
    for (size_t i = 0; i < loaded.size(); ++i) push_next(i);
    std::vector<Change> batch;
    std::vector<bool> changed(loaded.size(), false);
    while (!order.empty()) {
        const auto [at, next, timer] = order.top();
        order.pop();
        Change ch;
        absorb(ch, fire(loaded[next], timer, options_.policy));
        loaded[next] = ch.conversation;
        changed[next] = true;
        batch.push_back(std::move(ch));
        push_next(next);
    }
    const unsigned count = static_cast<unsigned>(batch.size());
    // A loaded row with nothing to fire is written anyway: that re-derives a stale
    // next_deadline column, so the same row cannot come back as due forever.
    for (size_t i = 0; i < loaded.size(); ++i) {
        if (changed[i]) continue;
        Change ch;
        ch.conversation = std::move(loaded[i]);
        batch.push_back(std::move(ch));
    }
    if (!batch.empty()) CONVO_TRY(stage(batch));
    *fired += count;
    return Outcome::ok();
}

Outcome Engine::tick(unsigned *fired) {
    const TimeMs now = clock_->now();
    unsigned total = 0;
    bool more = true;
    // Nothing due, the common case: one indexed read, no transaction.
    std::optional<TimeMs> next;
    Outcome o = next_deadline(&next);
    if (o && (!next || *next > now)) more = false;
    while (more && o) {
        uint64_t ticket = 0;
        unsigned batch = 0;  // counted only once its group committed
        o = write_op([&] { return fire_due(now, &batch, &more); }, &ticket);
        if (o) total += batch;
        subscribers_.deliver(ticket);
    }
    if (total > 0) log_->debug("tick at {} fired {} timers", format_time(now), total);
    *fired = total;
    return o;
}

Outcome Engine::next_deadline(std::optional<TimeMs> *out) {
    std::unique_lock<std::mutex> lk = settled();
    return store_->next_deadline(out);
}

Outcome Engine::set_clock(TimeMs ms) {
    CONVO_TRY(clock_->set(ms));
    wake_timer_thread();
    return Outcome::ok();
}

void Engine::wake_timer_thread() {
    if (!timer_thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lk(timer_mu_);
        timer_dirty_ = true;
    }
    timer_cv_.notify_all();
}

void Engine::timer_loop() {
    using namespace std::chrono;
    std::unique_lock<std::mutex> lk(timer_mu_);
    while (!stopping_) {
        timer_dirty_ = false;
        lk.unlock();
        unsigned fired = 0;
        Outcome o = tick(&fired);
        if (!o) log_->error("timer thread: {}", o.message());
        std::optional<TimeMs> next;
        if (o) o = next_deadline(&next);
        lk.lock();
        if (stopping_ || timer_dirty_) continue;
        // Sleep until the next deadline (or a change that may have moved it); retry in a
        // second after a storage error.
        milliseconds wait = next ? milliseconds(std::max<TimeMs>(0, *next - clock_->now()))
                                 : milliseconds(o ? 60000 : 1000);
        timer_cv_.wait_for(lk, std::min(wait, milliseconds(60000)),
                           [&] { return stopping_ || timer_dirty_; });
    }
}

Outcome Engine::subscribe(convo_event_fn fn, void *user_data, uint64_t *out) {
    *out = subscribers_.add(fn, user_data);
    return Outcome::ok();
}

Outcome Engine::unsubscribe(uint64_t id) {
    if (!subscribers_.remove(id)) return Outcome::not_found("subscription " + std::to_string(id) + " not found");
    return Outcome::ok();
}

std::string Engine::describe() const { return describe_lifecycle().dump(); }

}  // namespace convo
