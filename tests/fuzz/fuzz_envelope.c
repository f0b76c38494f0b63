/*
 * fuzz_envelope: envelope_parse on arbitrary bytes and, when it parses, every
 * accessor, an added attempt and outcome, and a dump that must parse again
 * to the same text, also after a replay's reset. The same bytes also go through envelope_build (split into
 * key, header value and body) and must come back byte for byte.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "headers.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_side(const uint8_t *data, size_t size)
{
    struct envelope *e;
    struct envelope *again;
    struct headers h;
    struct error err;
    unsigned char *body = NULL;
    size_t body_len;
    char *text;
    char *text2;
    size_t len;
    size_t len2;

    error_clear(&err);
    e = envelope_parse((const char *)data, size, &err);
    if (e == NULL) {
        assert(err.code == HS_ERR_INPUT);
        return;
    }
    assert(envelope_source(e) != NULL);
    assert(envelope_key(e) != NULL);
    if (envelope_body(e, &body, &body_len, &err) == 0)
        free(body);
    else
        assert(body == NULL && err.code == HS_ERR_INPUT);
    headers_init(&h);
    envelope_headers(e, &h);
    headers_free(&h);
    envelope_add_attempt(e, "default", 1795316645123LL, 500, "error \xff", 12);
    envelope_set_outcome(e, "default", "dead", 1795316645123LL, 0, "reason");
    envelope_set_outcome(e, NULL, "dead", 1795316645123LL, 0, "reason");
    assert(envelope_attempt_count(e, "default") >= 1);
    assert(envelope_routed(e));

    text = envelope_dump(e, 0, &len);
    again = envelope_parse(text, len, &err);
    assert(again != NULL);
    text2 = envelope_dump(again, 0, &len2);
    assert(len == len2 && memcmp(text, text2, len) == 0);
    free(text2);
    free(text);
    envelope_free(again);
    free(envelope_dump(e, 1, &len));

    assert(envelope_reset_delivery(e, 1795316646123LL, ENVELOPE_REPLAY_GAVE_UP, NULL) >= 1);
    assert(envelope_attempt_count(e, "default") == 0);
    text = envelope_dump(e, 0, &len);
    again = envelope_parse(text, len, &err);
    assert(again != NULL);
    envelope_free(again);
    free(text);
    envelope_free(e);
}

static void build_side(const uint8_t *data, size_t size)
{
    size_t key_len = size > 0 ? data[0] % 32 : 0;
    size_t value_len;
    char *value;
    struct headers h;
    struct envelope_request req = {"POST", "/hooks/fuzz", "", "", &h};
    struct envelope *e;
    struct error err;
    unsigned char *body;
    size_t body_len;
    char *text;
    size_t len;

    if (key_len > size)
        key_len = size;
    value_len = (size - key_len) / 4;
    /* Header values are C strings: they end at the first NUL. */
    value = xstrndup((const char *)data + key_len, value_len);
    headers_init(&h);
    headers_add(&h, "X-Fuzz", value);
    text = envelope_build("fuzz", data, key_len, 0, &req, NULL, data + key_len + value_len,
                          size - key_len - value_len, &len);
    error_clear(&err);
    e = envelope_parse(text, len, &err);
    assert(e != NULL);
    assert(envelope_body(e, &body, &body_len, &err) == 0);
    assert(body_len == size - key_len - value_len);
    assert(memcmp(body, data + key_len + value_len, body_len) == 0);
    free(body);
    envelope_free(e);
    free(text);
    headers_free(&h);
    free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_side(data, size);
    build_side(data, size);
    return 0;
}
