/* The smallest useful host of an installed libconvo: open, create a chat, read it back. */
#include <convo/convo.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, convo_code code) {
    fprintf(stderr, "consumer: %s: %s: %s\n", what, convo_code_name(code), convo_last_error());
    return 1;
}

int main(void) {
    convo_engine *engine = NULL;
    convo_session *session = NULL;
    char *out = NULL;
    convo_code code;
    int rc = 1;

    if (strcmp(convo_version(), CONVO_VERSION) != 0) {
        fprintf(stderr, "consumer: header %s, library %s\n", CONVO_VERSION, convo_version());
        return 1;
    }
    code = convo_engine_open("{\"path\":\":memory:\"}", &engine);
    if (code != CONVO_OK) return fail("open", code);
    code = convo_session_open(engine, "consumer", CONVO_SCOPE_READ | CONVO_SCOPE_WRITE, &session);
    if (code != CONVO_OK) {
        rc = fail("session", code);
        goto done;
    }
    code = convo_create(session,
                        "{\"channel\":\"text\",\"user_id\":\"u1\","
                        "\"agent_config\":{\"name\":\"Inline\",\"greeting\":\"Hi!\"}}",
                        &out, NULL);
    if (code != CONVO_OK) {
        rc = fail("create", code);
        goto done;
    }
    if (strstr(out, "in_progress") == NULL) {
        fprintf(stderr, "consumer: unexpected response %s\n", out);
        goto done;
    }
    printf("consumer: convo %s ok\n", convo_version());
    rc = 0;
done:
    convo_free(out);
    convo_session_close(session);
    convo_engine_close(engine);
    return rc;
}
