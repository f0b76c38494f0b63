/*
 * envelope: building, parsing and updating the stored webhook document
 * (see envelope.h).
 *
 * envelope_build() writes the text directly (jsonout), in the bytes jansson's
 * compact dump gives, since it runs for every webhook the handler accepts.
 * A parsed envelope is its jansson tree, checked once by envelope_parse() so
 * the accessors can trust the types they read. Fields this version does not
 * know are kept and written back unchanged, so an older drain does not strip
 * what a newer handler stored. Dumps use JSON_PRESERVE_ORDER: objects come
 * out in the order DESIGN.md shows, which keeps stored objects readable.
 */
#include "envelope.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "jsonout.h"
#include "log.h"
#include "xmalloc.h"

#define ENVELOPE_VERSION 1

struct envelope {
    json_t *root;
};

/* jansson returns NULL only when it cannot allocate (every string is made valid
 * UTF-8 before it gets here): out of memory, which aborts as in xmalloc. */
static json_t *must(json_t *v)
{
    if (v == NULL) {
        log_error("out_of_memory", "jansson allocation failed");
        abort();
    }
    return v;
}

static void set(json_t *obj, const char *key, json_t *value)
{
    if (json_object_set_new(obj, key, must(value)) != 0) {
        log_error("out_of_memory", "jansson allocation failed");
        abort();
    }
}

static void append(json_t *arr, json_t *value)
{
    if (json_array_append_new(arr, must(value)) != 0) {
        log_error("out_of_memory", "jansson allocation failed");
        abort();
    }
}

/*
 * A JSON string for text from the outside world (paths, header values, error
 * texts): as is when it is UTF-8, else read as Latin-1, where every byte is a
 * character, so nothing is dropped and the JSON stays valid.
 */
static json_t *text_string(const char *s)
{
    size_t n;
    size_t o = 0;
    char *utf8;
    json_t *v;

    if (s == NULL)
        s = "";
    n = strlen(s);
    if (codec_utf8_valid(s, n))
        return must(json_stringn(s, n));
    utf8 = xmalloc(n * 2 + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x80) {
            utf8[o++] = (char)c;
        } else {
            utf8[o++] = (char)(0xc0 | c >> 6);
            utf8[o++] = (char)(0x80 | (c & 0x3f));
        }
    }
    v = must(json_stringn(utf8, o));
    free(utf8);
    return v;
}

static json_t *iso_time(int64_t ms)
{
    char iso[CLOCK_ISO_MAX];

    clock_iso8601(ms, iso);
    return json_string(iso);
}

/* The text of root; jansson fails here only when out of memory. */
static char *dump(const json_t *root, size_t flags, size_t *len)
{
    size_t need = json_dumpb(root, NULL, 0, flags);
    char *text;

    if (need == 0) {
        log_error("out_of_memory", "jansson allocation failed");
        abort();
    }
    text = xmalloc(need + 1);
    json_dumpb(root, text, need, flags);
    text[need] = '\0';
    if (len != NULL)
        *len = need;
    return text;
}

/* The most bytes JSON text takes per input byte: a control character is "\u00XX", and
 * base64 (4 per 3) and the Latin-1 reading of a header (2 per byte) take less. */
#define ENVELOPE_ESCAPE_MAX JSONOUT_ESCAPE_MAX
/* Names, punctuation, "v", the source name, received_at and the encoding tags. */
#define ENVELOPE_FIXED_MAX 4096

size_t envelope_max_len(size_t max_body)
{
    size_t key_max = max_body > ENVELOPE_HEAD_MAX ? max_body : ENVELOPE_HEAD_MAX;

    return ENVELOPE_ESCAPE_MAX * (max_body + key_max + ENVELOPE_HEAD_MAX) + ENVELOPE_FIXED_MAX +
           ENVELOPE_DELIVERY_ROOM;
}

/* "name": data as UTF-8 text when it is, else its base64 and "enc_name": "base64";
 * with always_tag, "enc_name": "utf8" for text too. name and enc_name are JSON already. */
static void write_bytes(struct jsonout *o, const char *name, const char *enc_name,
                        const void *data, size_t len, int always_tag)
{
    char *b64;

    jsonout_raw(o, name, strlen(name));
    if (codec_utf8_valid(data, len)) {
        jsonout_string(o, data, len);
        if (always_tag) {
            jsonout_raw(o, enc_name, strlen(enc_name));
            jsonout_lit(o, "\"utf8\"");
        }
        return;
    }
    b64 = codec_base64_encode(data, len);
    jsonout_string(o, b64, strlen(b64));
    free(b64);
    jsonout_raw(o, enc_name, strlen(enc_name));
    jsonout_lit(o, "\"base64\"");
}

/*
 * Written directly (jsonout), not built as a jansson tree and dumped: this runs once
 * per webhook and was most of the handler's instructions. The bytes are those the
 * tree's compact, order-preserving dump gave, field for field (test_envelope checks
 * that a parse and dump gives them back unchanged).
 */
char *envelope_build(const char *source, const void *raw_key, size_t raw_key_len,
                     int64_t received_ms, const struct envelope_request *req,
                     const char *secret_header, const void *body, size_t body_len, size_t *len)
{
    char iso[CLOCK_ISO_MAX];
    struct jsonout o;
    size_t head = 0;
    int first = 1;

    for (size_t i = 0; req->headers != NULL && i < req->headers->n; i++)
        head += strlen(req->headers->items[i].name) + strlen(req->headers->items[i].value) + 8;
    /* Room for a body and head that need no escapes, the usual case: one allocation. */
    jsonout_init(&o, body_len + raw_key_len + head + 512);
    jsonout_lit(&o, "{\"v\":");
    jsonout_int(&o, ENVELOPE_VERSION);
    jsonout_lit(&o, ",\"source\":");
    jsonout_text(&o, source);
    /* An empty key or body may come as a NULL pointer. */
    write_bytes(&o, ",\"key\":", ",\"key_encoding\":", raw_key_len != 0 ? raw_key : "",
                raw_key_len, 0);
    clock_iso8601(received_ms, iso);
    jsonout_lit(&o, ",\"received_at\":");
    jsonout_text(&o, iso);
    jsonout_lit(&o, ",\"request\":{\"method\":");
    jsonout_text(&o, req->method);
    jsonout_lit(&o, ",\"path\":");
    jsonout_text(&o, req->path);
    jsonout_lit(&o, ",\"query\":");
    jsonout_text(&o, req->query);
    jsonout_lit(&o, ",\"remote_addr\":");
    jsonout_text(&o, req->remote_addr);
    jsonout_lit(&o, ",\"headers\":[");
    for (size_t i = 0; req->headers != NULL && i < req->headers->n; i++) {
        if (headers_is_credential(req->headers->items[i].name, secret_header))
            continue;
        if (!first)
            jsonout_lit(&o, ",");
        first = 0;
        jsonout_lit(&o, "[");
        jsonout_text(&o, req->headers->items[i].name);
        jsonout_lit(&o, ",");
        jsonout_text(&o, req->headers->items[i].value);
        jsonout_lit(&o, "]");
    }
    jsonout_lit(&o, "]}");
    write_bytes(&o, ",\"body\":", ",\"body_encoding\":", body_len != 0 ? body : "", body_len,
                1);
    jsonout_lit(&o, "}");
    return jsonout_take(&o, len);
}

/* Checks that obj[key] is a string (or absent, when optional); sets err otherwise. */
static int check_string(const json_t *obj, const char *where, const char *key, int required,
                        struct error *err)
{
    const json_t *v = json_object_get(obj, key);

    if (v == NULL && !required)
        return 0;
    if (v == NULL) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: %s\"%s\" missing", where, key);
        return -1;
    }
    if (!json_is_string(v)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: %s\"%s\" must be a string",
                  where, key);
        return -1;
    }
    return 0;
}

/* obj[key], when present, is one of the two encodings. */
static int check_encoding(const json_t *obj, const char *key, struct error *err)
{
    const char *enc = json_string_value(json_object_get(obj, key));

    if (json_object_get(obj, key) == NULL)
        return 0;
    if (enc == NULL || (strcmp(enc, "utf8") != 0 && strcmp(enc, "base64") != 0)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope",
                  "envelope: \"%s\" must be \"utf8\" or \"base64\"", key);
        return -1;
    }
    return 0;
}

static int check_request(const json_t *root, struct error *err)
{
    const json_t *request = json_object_get(root, "request");
    const json_t *headers;
    static const char *const fields[] = {"method", "path", "query", "remote_addr"};

    if (!json_is_object(request)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope",
                  "envelope: \"request\" missing or not an object");
        return -1;
    }
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (check_string(request, "request ", fields[i], 0, err) != 0)
            return -1;
    }
    headers = json_object_get(request, "headers");
    if (!json_is_array(headers)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope",
                  "envelope: \"request.headers\" missing or not an array");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(headers); i++) {
        const json_t *pair = json_array_get(headers, i);

        if (!json_is_array(pair) || json_array_size(pair) != 2 ||
            !json_is_string(json_array_get(pair, 0)) ||
            !json_is_string(json_array_get(pair, 1))) {
            error_set(err, HS_ERR_INPUT, "bad_envelope",
                      "envelope: \"request.headers[%zu]\" must be [name, value] strings", i);
            return -1;
        }
    }
    return 0;
}

/* obj's "attempts" (an array of objects), "outcome" (an object with a string "state")
 * and "due" (an integer), each optional, have their types. */
static int check_record(const json_t *obj, const char *where, struct error *err)
{
    const json_t *attempts = json_object_get(obj, "attempts");
    const json_t *outcome = json_object_get(obj, "outcome");
    const json_t *due = json_object_get(obj, "due");

    if (attempts != NULL && !json_is_array(attempts)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: %s\"attempts\" must be an array",
                  where);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(attempts); i++) {
        if (!json_is_object(json_array_get(attempts, i))) {
            error_set(err, HS_ERR_INPUT, "bad_envelope",
                      "envelope: %s\"attempts[%zu]\" must be an object", where, i);
            return -1;
        }
    }
    if (outcome != NULL &&
        (!json_is_object(outcome) || !json_is_string(json_object_get(outcome, "state")))) {
        error_set(err, HS_ERR_INPUT, "bad_envelope",
                  "envelope: %s\"outcome\" must be an object with a \"state\"", where);
        return -1;
    }
    if (due != NULL && !json_is_integer(due)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: %s\"due\" must be an integer",
                  where);
        return -1;
    }
    return 0;
}

/* "deliveries", when present, maps destination names to records. */
static int check_deliveries(const json_t *root, struct error *err)
{
    const json_t *d = json_object_get(root, "deliveries");
    const char *name;
    json_t *rec;

    if (d == NULL)
        return 0;
    if (!json_is_object(d)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: \"deliveries\" must be an object");
        return -1;
    }
    if (json_object_size(d) > ENVELOPE_DESTINATIONS_MAX) {
        error_set(err, HS_ERR_INPUT, "bad_envelope",
                  "envelope: \"deliveries\" has more than %d destinations",
                  ENVELOPE_DESTINATIONS_MAX);
        return -1;
    }
    json_object_foreach((json_t *)d, name, rec) {
        if (!json_is_object(rec)) {
            error_set(err, HS_ERR_INPUT, "bad_envelope",
                      "envelope: \"deliveries\" members must be objects");
            return -1;
        }
        if (check_record(rec, "deliveries member ", err) != 0)
            return -1;
    }
    return 0;
}

/*
 * The one-destination format (top-level "attempts" and "outcome", no
 * "deliveries") becomes destination "default": its attempts and outcome are
 * that destination's, so a spool written before fan-out keeps its retries
 * and dead letters.
 */
static void upgrade(json_t *root)
{
    json_t *attempts = json_object_get(root, "attempts");
    json_t *outcome = json_object_get(root, "outcome");
    json_t *deliveries;
    json_t *rec;

    if (json_object_get(root, "deliveries") != NULL || (attempts == NULL && outcome == NULL))
        return;
    deliveries = must(json_object());
    rec = must(json_object());
    set(rec, "attempts", attempts != NULL ? json_incref(attempts) : json_array());
    if (outcome != NULL)
        set(rec, "outcome", json_incref(outcome));
    set(deliveries, ENVELOPE_LEGACY_DESTINATION, rec);
    json_object_del(root, "attempts");
    set(root, "deliveries", deliveries);
    /* The webhook's own outcome, when it had one, is the destination's. */
    if (outcome != NULL) {
        json_t *own = must(json_object());

        set(own, "state", json_incref(json_object_get(outcome, "state")));
        if (json_object_get(outcome, "at") != NULL)
            set(own, "at", json_incref(json_object_get(outcome, "at")));
        set(root, "outcome", own);
    }
}

struct envelope *envelope_parse(const char *text, size_t len, struct error *err)
{
    struct envelope *e = NULL;
    json_t *root = NULL;
    json_t *v;
    json_error_t jerr;

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: %d:%d: %s", jerr.line,
                  jerr.column, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: not a JSON object");
        goto out;
    }
    v = json_object_get(root, "v");
    if (!json_is_integer(v) || json_integer_value(v) != ENVELOPE_VERSION) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: \"v\" must be %d",
                  ENVELOPE_VERSION);
        goto out;
    }
    if (check_string(root, "", "source", 1, err) != 0 ||
        check_string(root, "", "key", 1, err) != 0 ||
        check_encoding(root, "key_encoding", err) != 0 ||
        check_string(root, "", "received_at", 0, err) != 0 || check_request(root, err) != 0 ||
        check_string(root, "", "body", 1, err) != 0)
        goto out;
    if (json_object_get(root, "body_encoding") == NULL) {
        error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: \"body_encoding\" missing");
        goto out;
    }
    if (check_encoding(root, "body_encoding", err) != 0)
        goto out;
    if (check_record(root, "", err) != 0 || check_deliveries(root, err) != 0)
        goto out;
    upgrade(root);
    e = xmalloc(sizeof(*e));
    e->root = root;
    root = NULL;
out:
    json_decref(root);
    return e;
}

const char *envelope_source(const struct envelope *e)
{
    return json_string_value(json_object_get(e->root, "source"));
}

int envelope_received_ms(const struct envelope *e, int64_t *ms)
{
    const char *at = json_string_value(json_object_get(e->root, "received_at"));

    return at != NULL ? clock_parse_iso8601(at, ms) : -1;
}

const char *envelope_key(const struct envelope *e)
{
    return json_string_value(json_object_get(e->root, "key"));
}

int envelope_body(const struct envelope *e, unsigned char **body, size_t *len, struct error *err)
{
    const json_t *b = json_object_get(e->root, "body");
    const char *enc = json_string_value(json_object_get(e->root, "body_encoding"));
    size_t n = json_string_length(b);

    *body = NULL;
    *len = 0;
    if (strcmp(enc, "base64") == 0) {
        *body = codec_base64_decode(json_string_value(b), n, len);
        if (*body == NULL) {
            error_set(err, HS_ERR_INPUT, "bad_envelope", "envelope: \"body\" is not valid base64");
            return -1;
        }
        return 0;
    }
    *body = xmalloc(n + 1);
    memcpy(*body, json_string_value(b), n);
    (*body)[n] = '\0';
    *len = n;
    return 0;
}

void envelope_headers(const struct envelope *e, struct headers *out)
{
    const json_t *headers = json_object_get(json_object_get(e->root, "request"), "headers");

    for (size_t i = 0; i < json_array_size(headers); i++) {
        const json_t *pair = json_array_get(headers, i);

        headers_add(out, json_string_value(json_array_get(pair, 0)),
                    json_string_value(json_array_get(pair, 1)));
    }
}

size_t envelope_drop_credentials(struct envelope *e, const char *secret_header)
{
    json_t *headers = json_object_get(json_object_get(e->root, "request"), "headers");
    size_t dropped = 0;

    for (size_t i = json_array_size(headers); i-- > 0;) {
        const char *name = json_string_value(json_array_get(json_array_get(headers, i), 0));

        if (name != NULL && headers_is_credential(name, secret_header) &&
            json_array_remove(headers, i) == 0)
            dropped++;
    }
    return dropped;
}

int envelope_routed(const struct envelope *e)
{
    return json_object_get(e->root, "deliveries") != NULL;
}

void envelope_route(struct envelope *e, const char *const *names, size_t n)
{
    json_t *deliveries = must(json_object());

    for (size_t i = 0; i < n; i++) {
        json_t *rec = must(json_object());

        set(rec, "attempts", json_array());
        set(deliveries, names[i], rec);
    }
    set(e->root, "deliveries", deliveries);
}

size_t envelope_destinations(const struct envelope *e, const char **names, size_t cap)
{
    const char *name;
    json_t *rec;
    size_t n = 0;

    json_object_foreach(json_object_get(e->root, "deliveries"), name, rec) {
        (void)rec;
        if (n == cap)
            break;
        names[n++] = name;
    }
    return n;
}

size_t envelope_destination_count(const struct envelope *e)
{
    return json_object_size(json_object_get(e->root, "deliveries"));
}

/* dest's record, or NULL. */
static json_t *record(const struct envelope *e, const char *dest)
{
    return json_object_get(json_object_get(e->root, "deliveries"), dest);
}

/* dest's record, made when missing (a destination a replay or the drain names). */
static json_t *record_made(struct envelope *e, const char *dest)
{
    json_t *deliveries = json_object_get(e->root, "deliveries");
    json_t *rec;

    if (deliveries == NULL) {
        deliveries = must(json_object());
        set(e->root, "deliveries", deliveries);
    }
    rec = json_object_get(deliveries, dest);
    if (rec == NULL) {
        rec = must(json_object());
        set(deliveries, dest, rec);
    }
    return rec;
}

int envelope_has_destination(const struct envelope *e, const char *dest)
{
    return record(e, dest) != NULL;
}

size_t envelope_attempt_count(const struct envelope *e, const char *dest)
{
    return json_array_size(json_object_get(record(e, dest), "attempts"));
}

int envelope_last_status(const struct envelope *e, const char *dest)
{
    const json_t *attempts = json_object_get(record(e, dest), "attempts");
    size_t n = json_array_size(attempts);

    if (n == 0)
        return 0;
    return (int)json_integer_value(json_object_get(json_array_get(attempts, n - 1), "status"));
}

void envelope_add_attempt(struct envelope *e, const char *dest, int64_t at_ms, int status,
                          const char *error, int64_t duration_ms)
{
    json_t *rec = record_made(e, dest);
    json_t *attempts = json_object_get(rec, "attempts");
    json_t *attempt = must(json_object());

    if (attempts == NULL) {
        attempts = must(json_array());
        set(rec, "attempts", attempts);
    }
    set(attempt, "at", iso_time(at_ms));
    if (status != 0)
        set(attempt, "status", json_integer(status));
    if (error != NULL)
        set(attempt, "error", text_string(error));
    set(attempt, "ms", json_integer(duration_ms));
    append(attempts, attempt);
}

const char *envelope_outcome_state(const struct envelope *e, const char *dest)
{
    return json_string_value(json_object_get(json_object_get(record(e, dest), "outcome"), "state"));
}

int64_t envelope_due(const struct envelope *e, const char *dest)
{
    return (int64_t)json_integer_value(json_object_get(record(e, dest), "due"));
}

void envelope_set_due(struct envelope *e, const char *dest, int64_t due_s)
{
    set(record_made(e, dest), "due", json_integer(due_s));
}

void envelope_set_outcome(struct envelope *e, const char *dest, const char *state, int64_t at_ms,
                          int status, const char *reason)
{
    json_t *outcome = must(json_object());

    set(outcome, "state", text_string(state));
    set(outcome, "at", iso_time(at_ms));
    if (status != 0)
        set(outcome, "status", json_integer(status));
    if (reason != NULL)
        set(outcome, "reason", text_string(reason));
    if (dest == NULL) {
        if (json_object_get(e->root, "deliveries") == NULL)
            set(e->root, "deliveries", json_object());
        set(e->root, "outcome", outcome);
        return;
    }
    set(record_made(e, dest), "outcome", outcome);
    json_object_del(record(e, dest), "due");
}

const char *envelope_final_state(const struct envelope *e)
{
    return json_string_value(json_object_get(json_object_get(e->root, "outcome"), "state"));
}

char *envelope_dump(const struct envelope *e, int pretty, size_t *len)
{
    return dump(e->root, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER, len);
}

void envelope_free(struct envelope *e)
{
    if (e == NULL)
        return;
    json_decref(e->root);
    free(e);
}

/* 1 when a replay of `which` (or of dest alone) starts destination name again. */
static int chosen(const json_t *rec, const char *name, enum envelope_replay which,
                  const char *dest)
{
    const char *state = json_string_value(json_object_get(json_object_get(rec, "outcome"),
                                                          "state"));

    if (dest != NULL)
        return strcmp(name, dest) == 0;
    return which == ENVELOPE_REPLAY_ALL || (state != NULL && strcmp(state, "dead") == 0);
}

int envelope_reset_delivery(struct envelope *e, int64_t at_ms, enum envelope_replay which,
                            const char *dest)
{
    json_t *deliveries = json_object_get(e->root, "deliveries");
    json_t *outcome = json_object_get(e->root, "outcome");
    json_t *history = json_object_get(e->root, "history");
    json_t *moved = NULL;
    json_t *entry;
    json_t *rec;
    const char *name;
    int n = 0;

    if (json_object_size(deliveries) > 0) {
        json_object_foreach(deliveries, name, rec) {
            if (chosen(rec, name, which, dest))
                n++;
        }
        if (n == 0)
            return -1;
    } else if (dest != NULL) {
        return -1;
    }
    set(e->root, "replayed_at", iso_time(at_ms));
    /* Earlier rounds stay readable for operators; a non-array "history" is not ours. */
    if (!json_is_array(history)) {
        history = must(json_array());
        set(e->root, "history", history);
    }
    entry = must(json_object());
    set(entry, "replayed_at", iso_time(at_ms));
    if (n > 0) {
        moved = must(json_object());
        json_object_foreach(deliveries, name, rec) {
            json_t *fresh;

            if (!chosen(rec, name, which, dest))
                continue;
            set(moved, name, json_incref(rec));
            fresh = must(json_object());
            set(fresh, "attempts", json_array());
            /* Replacing the value of an existing key keeps the iteration valid. */
            set(deliveries, name, fresh);
        }
        set(entry, "deliveries", moved);
    }
    if (outcome != NULL)
        set(entry, "outcome", json_incref(outcome));
    append(history, entry);
    json_object_del(e->root, "outcome");
    /* Nothing was matched: route it afresh, by the filters of today's config. */
    if (json_object_size(deliveries) == 0)
        json_object_del(e->root, "deliveries");
    return n;
}

const char *envelope_replayed_at(const struct envelope *e)
{
    return json_string_value(json_object_get(e->root, "replayed_at"));
}
