/*
 * test_config: the DESIGN.md example loads with the right values and every
 * default filled in; each kind of mistake is refused with HS_ERR_CONFIG and
 * the exact message naming the field; secrets resolve from env:, file: and
 * literals (several per source, for rotation), Standard Webhooks secrets
 * decoded; a JSON syntax error in a file names FILE:LINE:COL without quoting
 * the text there, which may be a literal secret.
 *
 * Config texts are written with single quotes, turned into double quotes
 * before parsing, and "@DIR@" becomes the test's temporary directory (where
 * the secret files live). One table row is one cmocka test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "sig.h"
#include "xmalloc.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The Standard Webhooks specification's example secret and its 24 decoded bytes. */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_BYTES                                                                                   \
    "\x31\xf2\x90\xf6\xbf\x06\x29\x8a\xab\x4f\x08\xd4\x3c\x3f\x08\x2c\xf6\x48\xa3\x62\xda\x2d"    \
    "\xa4\xb0"

static char g_dir[64];

/* ' -> " and @DIR@ -> the temporary directory. */
static char *render(const char *tmpl)
{
    size_t dir_len = strlen(g_dir);
    char *out = xmalloc(strlen(tmpl) * (dir_len + 1) + 1);
    size_t o = 0;

    for (const char *p = tmpl; *p != '\0'; p++) {
        if (strncmp(p, "@DIR@", 5) == 0) {
            memcpy(out + o, g_dir, dir_len);
            o += dir_len;
            p += 4;
        } else {
            out[o++] = *p == '\'' ? '"' : *p;
        }
    }
    out[o] = '\0';
    return out;
}

static struct config *parse(const char *tmpl, struct error *err)
{
    char *text = render(tmpl);
    struct config *cfg;

    error_clear(err);
    cfg = config_parse(text, strlen(text), err);
    free(text);
    return cfg;
}

static struct config *parse_ok(const char *tmpl)
{
    struct error err;
    struct config *cfg = parse(tmpl, &err);

    if (cfg == NULL)
        fail_msg("config refused: %s", err.msg);
    return cfg;
}

static void write_file(const char *name, const char *content)
{
    char *path = xasprintf("%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    free(path);
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(g_dir, "/tmp/hookspool-config.XXXXXX");
    if (mkdtemp(g_dir) == NULL)
        return -1;
    write_file("secret", "file-secret\n");
    write_file("secret-two-newlines", "x\n\n");
    write_file("empty", "");
    write_file("whsec", SW_SECRET "\n");
    setenv("S3_ACCESS_KEY", "minio-user", 1);
    setenv("S3_SECRET_KEY", "minio-password", 1);
    setenv("GITHUB_SECRET", "gh-secret", 1);
    setenv("OUT_SECRET", SW_SECRET, 1);
    setenv("HS_TEST_EMPTY", "", 1);
    unsetenv("HS_TEST_UNSET");
    return 0;
}

static int group_teardown(void **state)
{
    char *cmd = xasprintf("rm -rf '%s'", g_dir);
    int rc = system(cmd);

    (void)state;
    free(cmd);
    return rc == 0 ? 0 : -1;
}

/* DESIGN.md's example, verbatim. */
static const char DESIGN_EXAMPLE[] =
    "{\n"
    "  'store': { 'url': 's3://spool?endpoint=127.0.0.1:9000&tls=0',\n"
    "             'access_key': 'env:S3_ACCESS_KEY', 'secret_key': 'env:S3_SECRET_KEY',\n"
    "             'timeout_ms': 3000 },\n"
    "  'max_backlog': 100000,\n"
    "  'sources': [\n"
    "    { 'name': 'github', 'path': '/hooks/github', 'max_body': 1048576,\n"
    "      'verify': { 'scheme': 'github', 'secrets': ['env:GITHUB_SECRET'] },\n"
    "      'idempotency': { 'header': 'X-GitHub-Delivery' },\n"
    "      'destination': { 'url': 'http://127.0.0.1:8000/github', 'timeout_ms': 15000,\n"
    "                       'sign': { 'scheme': 'standard-webhooks', 'secret': 'env:OUT_SECRET' } "
    "} }\n"
    "  ],\n"
    "  'drain': { 'concurrency': 16, 'poll_ms': 1000,\n"
    "             'schedule_s': [0, 5, 300, 1800, 7200, 18000, 36000, 36000] }\n"
    "}\n";

static void test_design_example(void **state)
{
    static const long schedule[] = {0, 5, 300, 1800, 7200, 18000, 36000, 36000};
    struct config *cfg = parse_ok(DESIGN_EXAMPLE);
    const struct source_config *s;

    (void)state;
    assert_string_equal(cfg->store.url, "s3://spool?endpoint=127.0.0.1:9000&tls=0");
    assert_string_equal(cfg->store.access_key, "minio-user");
    assert_string_equal(cfg->store.secret_key, "minio-password");
    assert_int_equal(cfg->store.timeout_ms, 3000);
    assert_int_equal(cfg->max_backlog, 100000);
    assert_int_equal(cfg->n_sources, 1);
    s = &cfg->sources[0];
    assert_string_equal(s->name, "github");
    assert_string_equal(s->path, "/hooks/github");
    assert_int_equal(s->max_body, 1048576);
    assert_int_equal(s->require_json, 0);
    assert_int_equal(s->verify.scheme, VERIFY_GITHUB);
    assert_int_equal(s->verify.n_secrets, 1);
    assert_int_equal(s->verify.secrets[0].len, strlen("gh-secret"));
    assert_memory_equal(s->verify.secrets[0].bytes, "gh-secret", strlen("gh-secret") + 1);
    assert_int_equal(s->verify.tolerance_s, CONFIG_DEFAULT_TOLERANCE_S);
    assert_null(s->verify.header);
    assert_null(s->verify.prefix);
    assert_int_equal(s->idempotency.n_headers, 1);
    assert_string_equal(s->idempotency.headers[0], "X-GitHub-Delivery");
    assert_null(s->idempotency.json_pointer);
    assert_int_equal(s->idempotency.fallback, IDEMPOTENCY_REJECT);
    assert_int_equal(s->n_destinations, 1);
    assert_string_equal(s->destinations[0].url, "http://127.0.0.1:8000/github");
    assert_int_equal(s->destinations[0].timeout_ms, 15000);
    assert_int_equal(s->destinations[0].connect_timeout_ms, CONFIG_DEFAULT_CONNECT_TIMEOUT_MS);
    assert_int_equal(s->destinations[0].sign_secret.len, sizeof(SW_BYTES) - 1);
    assert_memory_equal(s->destinations[0].sign_secret.bytes, SW_BYTES, sizeof(SW_BYTES) - 1);
    assert_true(s->destinations[0].max_per_second == 0);
    assert_int_equal(s->destinations[0].breaker_failures, CONFIG_DEFAULT_BREAKER_FAILURES);
    assert_int_equal(s->destinations[0].breaker_pause_s, CONFIG_DEFAULT_BREAKER_PAUSE_S);
    assert_int_equal(cfg->drain.concurrency, 16);
    assert_int_equal(cfg->drain.poll_ms, 1000);
    assert_int_equal(cfg->drain.n_schedule, ARRAY_LEN(schedule));
    assert_memory_equal(cfg->drain.schedule_s, schedule, sizeof(schedule));
    assert_ptr_equal(config_source_by_path(cfg, "/hooks/github"), s);
    assert_ptr_equal(config_source_by_name(cfg, "github"), s);
    assert_null(config_source_by_path(cfg, "/hooks/github/"));
    assert_null(config_source_by_name(cfg, "gitlab"));
    config_free(cfg);
}

/* Everything optional left out: the defaults config.h documents. */
static void test_defaults(void **state)
{
    static const long schedule[] = {0, 5, 300, 1800, 7200, 18000, 36000, 36000};
    struct config *cfg = parse_ok("{'store': {'url': 'file:///var/spool/hookspool'},"
                                  " 'sources': [{'name': 'a', 'path': '/a',"
                                  "  'verify': {'scheme': 'none'},"
                                  "  'idempotency': {'header': 'X-Id'}}]}");
    const struct source_config *s = &cfg->sources[0];

    (void)state;
    assert_null(cfg->store.access_key);
    assert_null(cfg->store.secret_key);
    assert_int_equal(cfg->store.timeout_ms, CONFIG_DEFAULT_STORE_TIMEOUT_MS);
    assert_int_equal(cfg->max_backlog, CONFIG_DEFAULT_MAX_BACKLOG);
    assert_int_equal(cfg->backlog_stale_s, CONFIG_DEFAULT_BACKLOG_STALE_S);
    assert_int_equal(s->max_body, CONFIG_DEFAULT_MAX_BODY);
    assert_int_equal(s->verify.scheme, VERIFY_NONE);
    assert_int_equal(s->verify.n_secrets, 0);
    assert_int_equal(s->n_destinations, 0);
    assert_int_equal(s->idempotency.fallback, IDEMPOTENCY_REJECT);
    assert_int_equal(cfg->drain.concurrency, CONFIG_DEFAULT_CONCURRENCY);
    assert_int_equal(cfg->drain.poll_ms, CONFIG_DEFAULT_POLL_MS);
    assert_int_equal(cfg->handler.read_timeout_ms, CONFIG_DEFAULT_READ_TIMEOUT_MS);
    assert_int_equal(cfg->drain.n_schedule, ARRAY_LEN(schedule));
    assert_memory_equal(cfg->drain.schedule_s, schedule, sizeof(schedule));
    config_free(cfg);
}

/* An AWS user's store: a bucket, a region, and temporary credentials with their token. */
static void test_aws_store(void **state)
{
    struct config *cfg;

    (void)state;
    setenv("HS_TEST_TOKEN", "FwoGZXIvYXdzEXAMPLE", 1);
    cfg = parse_ok("{'store': {'url': 's3://spool?region=eu-central-1',"
                   "           'access_key': 'ASIAEXAMPLE', 'secret_key': 'sk',"
                   "           'session_token': 'env:HS_TEST_TOKEN'},"
                   " 'sources': [{'name': 'a', 'path': '/a', 'verify': {'scheme': 'none'},"
                   "  'idempotency': {'header': 'X-Id'}}]}");
    assert_string_equal(cfg->store.url, "s3://spool?region=eu-central-1");
    assert_string_equal(cfg->store.session_token, "FwoGZXIvYXdzEXAMPLE");
    config_free(cfg);
    unsetenv("HS_TEST_TOKEN");
}

/* The other schemes' settings, idempotency variants and destination limits. */
static void test_full_options(void **state)
{
    struct config *cfg = parse_ok(
        "{'store': {'url': 's3://my-bucket/spool/a?tls=1&endpoint=[::1]:9443',"
        "           'access_key': 'AK', 'secret_key': 'file:@DIR@/secret', 'timeout_ms': 1},"
        " 'max_backlog': 1, 'backlog_stale_s': 30,"
        " 'sources': ["
        "  {'name': 'h', 'path': '/h', 'max_body': 67108864, 'require_json': true,"
        "   'verify': {'scheme': 'hmac', 'secrets': ['k'], 'header': 'X-Sig',"
        "              'algorithm': 'sha512', 'encoding': 'base64', 'prefix': 'sha512='},"
        "   'idempotency': {'headers': ['X-A', 'X-B'], 'fallback': 'body_sha256'},"
        "   'destination': {'url': 'https://example.com/in', 'timeout_ms': 2000,"
        "                   'max_per_second': 2.5, 'breaker_failures': 1, 'breaker_pause_s': 1}},"
        "  {'name': 't', 'path': '/t', 'max_body': 1,"
        "   'verify': {'scheme': 'token', 'secrets': ['tok'], 'header': 'X-Gitlab-Token'},"
        "   'idempotency': {'json_pointer': '/object_attributes/id'},"
        "   'destination': {'url': 'http://h', 'timeout_ms': 9000, 'connect_timeout_ms': 9000}},"
        "  {'name': 's', 'path': '/s',"
        "   'verify': {'scheme': 'stripe', 'secrets': ['whsec_stripe'], 'tolerance_s': 60},"
        "   'idempotency': {'json_pointer': ''}},"
        "  {'name': 'w', 'path': '/w',"
        "   'verify': {'scheme': 'standard-webhooks',"
        "              'secrets': ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'file:@DIR@/whsec']},"
        "   'idempotency': {'header': 'webhook-id'}}],"
        " 'drain': {'concurrency': 1024, 'poll_ms': 1, 'schedule_s': [0]},"
        " 'handler': {'read_timeout_ms': 250}}");
    const struct source_config *h = &cfg->sources[0];
    const struct source_config *t = &cfg->sources[1];
    const struct source_config *s = &cfg->sources[2];
    const struct source_config *w = &cfg->sources[3];

    (void)state;
    assert_string_equal(cfg->store.secret_key, "file-secret");
    assert_int_equal(cfg->store.timeout_ms, 1);
    assert_int_equal(cfg->max_backlog, 1);
    assert_int_equal(cfg->backlog_stale_s, 30);
    assert_int_equal(h->max_body, 64 * 1024 * 1024);
    assert_int_equal(h->require_json, 1);
    assert_int_equal(h->verify.scheme, VERIFY_HMAC);
    assert_string_equal(h->verify.header, "X-Sig");
    assert_int_equal(h->verify.algorithm, DIGEST_SHA512);
    assert_int_equal(h->verify.encoding, VERIFY_BASE64);
    assert_string_equal(h->verify.prefix, "sha512=");
    assert_int_equal(h->idempotency.n_headers, 2);
    assert_string_equal(h->idempotency.headers[1], "X-B");
    assert_int_equal(h->idempotency.fallback, IDEMPOTENCY_BODY_SHA256);
    /* A total timeout under the default connect timeout caps it. */
    assert_int_equal(h->destinations[0].connect_timeout_ms, 2000);
    assert_true(h->destinations[0].max_per_second == 2.5);
    assert_int_equal(h->destinations[0].breaker_failures, 1);
    assert_int_equal(h->destinations[0].breaker_pause_s, 1);
    assert_int_equal(h->destinations[0].sign_secret.len, 0);

    assert_int_equal(t->verify.scheme, VERIFY_TOKEN);
    assert_string_equal(t->verify.header, "X-Gitlab-Token");
    assert_null(t->verify.prefix);
    /* A JSON pointer key implies require_json. */
    assert_string_equal(t->idempotency.json_pointer, "/object_attributes/id");
    assert_int_equal(t->idempotency.n_headers, 0);
    assert_int_equal(t->require_json, 1);
    assert_int_equal(t->destinations[0].connect_timeout_ms, 9000);

    /* Stripe secrets stay raw, whsec_ included. */
    assert_int_equal(s->verify.scheme, VERIFY_STRIPE);
    assert_string_equal((char *)s->verify.secrets[0].bytes, "whsec_stripe");
    assert_int_equal(s->verify.tolerance_s, 60);
    assert_string_equal(s->idempotency.json_pointer, "");

    /* Standard Webhooks secrets decode with or without the whsec_ prefix. */
    assert_int_equal(w->verify.n_secrets, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(w->verify.secrets[i].len, sizeof(SW_BYTES) - 1);
        assert_memory_equal(w->verify.secrets[i].bytes, SW_BYTES, sizeof(SW_BYTES) - 1);
    }
    assert_int_equal(cfg->drain.concurrency, 1024);
    assert_int_equal(cfg->drain.n_schedule, 1);
    assert_int_equal(cfg->handler.read_timeout_ms, 250);
    config_free(cfg);
}

/* env:, file: and literal secrets, several per source (rotation), in order. */
static void test_secret_sources(void **state)
{
    struct config *cfg = parse_ok(
        "{'store': {'url': 'file:///spool'},"
        " 'sources': [{'name': 'a', 'path': '/a',"
        "  'verify': {'scheme': 'github', 'secrets': ['env:GITHUB_SECRET', 'file:@DIR@/secret',"
        "             'literal-secret', 'file:@DIR@/secret-two-newlines', 'envy:x']},"
        "  'idempotency': {'header': 'X-Id'}}]}");
    const struct verify_config *v = &cfg->sources[0].verify;
    static const char *const expected[] = {"gh-secret", "file-secret", "literal-secret", "x\n",
                                           "envy:x"};

    (void)state;
    assert_int_equal(v->n_secrets, ARRAY_LEN(expected));
    for (size_t i = 0; i < ARRAY_LEN(expected); i++) {
        assert_int_equal(v->secrets[i].len, strlen(expected[i]));
        assert_memory_equal(v->secrets[i].bytes, expected[i], strlen(expected[i]) + 1);
    }
    config_free(cfg);
}

/* RFC 8032 test 1 public key, and a P-256 and a P-384 SubjectPublicKeyInfo (openssl ecparam). */
#define ED25519_HEX "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define P256_SPKI                                                                                  \
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEClPV3E8aizjw6Plhdki299PPS/KX26dxp74NidBeiL/lqvm4CbfTVI8u" \
    "1v4pAkesPve3IQwAkb/e4FZ/r3AIOA=="
#define P384_SPKI                                                                                  \
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEO+MElw6nfTgIseACFeTUSs7tXq+Nw+XRVnpgxcGF3NF3Q9DcITmbMskhMtjj" \
    "48JxXMy8WvfWyt1DKLc6rQ2JFl2W0TE47KARDtRmTI+KpCBP2SHZjQAA5hxfiV4pCVNv"

#define PSRC(name, verify) "{'name': '" name "', 'path': '/" name "', 'verify': " verify ", " \
    "'idempotency': {'header': 'X-Id'}}"

/* Provider schemes: their own fields, fixed headers, aliases and tolerances. */
static void test_provider_schemes(void **state)
{
    struct config *cfg = parse_ok(
        "{'store': {'url': 'file:///spool'}, 'sources': ["
        PSRC("discord", "{'scheme': 'discord', 'public_key': '" ED25519_HEX "'}") ", "
        PSRC("sendgrid",
             "{'scheme': 'sendgrid', 'public_key': '" P256_SPKI "', 'tolerance_s': 900}")
        ", "
        PSRC("twilio", "{'scheme': 'twilio', 'secrets': ['tok'], "
                       "'public_url': 'https://hooks.example.com/hooks/twilio'}") ", "
        PSRC("meta", "{'scheme': 'meta', 'secrets': ['app'], 'verify_token': 'env:GITHUB_SECRET'}")
        ", "
        PSRC("gitlab", "{'scheme': 'gitlab', 'secrets': ['t']}") ", "
        PSRC("svix", "{'scheme': 'svix', 'secrets': ['" SW_SECRET "']}") ", "
        PSRC("paddle", "{'scheme': 'paddle', 'secrets': ['p']}") ", "
        PSRC("twitch", "{'scheme': 'twitch', 'secrets': ['t']}") ", "
        PSRC("linear", "{'scheme': 'linear', 'secrets': ['l']}") ", "
        PSRC("mailchimp", "{'scheme': 'mailchimp', 'secrets': ['m'], "
                          "'public_url': 'http://127.0.0.1:8080/hooks/m'}") ", "
        PSRC("postmark", "{'scheme': 'postmark', 'secrets': ['user:pass']}") "]}");
    const struct source_config *s = cfg->sources;

    (void)state;
    assert_int_equal(s[0].verify.scheme, VERIFY_DISCORD);
    assert_int_equal(s[0].verify.public_key_len, 32);
    assert_int_equal(s[0].verify.n_secrets, 0);
    assert_int_equal(s[0].verify.tolerance_s, CONFIG_DEFAULT_TOLERANCE_S);
    assert_int_equal(s[1].verify.scheme, VERIFY_SENDGRID);
    assert_int_equal(s[1].verify.public_key_len, 91);
    assert_int_equal(s[1].verify.tolerance_s, 900);
    assert_int_equal(s[2].verify.scheme, VERIFY_TWILIO);
    assert_string_equal(s[2].verify.public_url, "https://hooks.example.com/hooks/twilio");
    assert_int_equal(s[3].verify.scheme, VERIFY_META);
    assert_string_equal((char *)s[3].verify.verify_token.bytes, "gh-secret");
    /* gitlab is the token scheme in its own header, so the drain drops that header too. */
    assert_int_equal(s[4].verify.scheme, VERIFY_TOKEN);
    assert_string_equal(s[4].verify.header, "X-Gitlab-Token");
    assert_int_equal(s[5].verify.scheme, VERIFY_STANDARD);
    assert_int_equal(s[5].verify.secrets[0].len, sizeof(SW_BYTES) - 1);
    assert_int_equal(s[6].verify.tolerance_s, 5);
    assert_int_equal(s[7].verify.tolerance_s, 600);
    assert_int_equal(s[8].verify.tolerance_s, 60);
    assert_int_equal(s[9].verify.scheme, VERIFY_MANDRILL);
    assert_int_equal(s[10].verify.scheme, VERIFY_POSTMARK);
    config_free(cfg);
}

/* Every name in the scheme table loads with what it needs. */
static void test_every_scheme_name(void **state)
{
    static const char *const NAMES[] = {
        "none", "hmac", "token", "gitlab", "postmark", "github", "gitea", "shopify",
        "bitbucket", "intercom", "typeform", "woocommerce", "meta", "twitter", "dropbox",
        "linear", "slack", "zoom", "twitch", "stripe", "paddle", "standard-webhooks", "svix",
        "hubspot", "square", "twilio", "mandrill", "mailchimp", "discord", "sendgrid",
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(NAMES); i++) {
        const struct sig_scheme_info *info = sig_scheme_find(NAMES[i]);
        char *text;
        struct config *cfg;

        assert_non_null(info);
        text = xasprintf(
            "{'store': {'url': 'file:///spool'}, 'sources': [{'name': 'a', 'path': '/a',"
            " 'verify': {'scheme': '%s'%s%s%s%s%s}, 'idempotency': {'header': 'X-Id'}}]}",
            NAMES[i],
            (info->needs & SIG_WHSEC_SECRETS)    ? ", 'secrets': ['" SW_SECRET "']"
            : (info->needs & SIG_NEEDS_SECRETS) ? ", 'secrets': ['u:p']"
                                                : "",
            (info->needs & SIG_NEEDS_HEADER) ? ", 'header': 'X-Sig'" : "",
            (info->needs & SIG_NEEDS_PUBLIC_URL) ? ", 'public_url': 'https://h.example/x'" : "",
            (info->needs & SIG_NEEDS_VERIFY_TOKEN) ? ", 'verify_token': 'vt'" : "",
            (info->needs & SIG_KEY_ED25519)
                ? ", 'public_key': '" ED25519_HEX "'"
                : (info->needs & SIG_KEY_P256) ? ", 'public_key': '" P256_SPKI "'" : "");
        cfg = parse_ok(text);
        assert_int_equal(cfg->sources[0].verify.scheme, info->scheme);
        config_free(cfg);
        free(text);
    }
    assert_null(sig_scheme_find("githib"));
}

static void test_config_path(void **state)
{
    (void)state;
    unsetenv("HOOKSPOOL_CONFIG");
    assert_string_equal(config_path(NULL), CONFIG_DEFAULT_PATH);
    setenv("HOOKSPOOL_CONFIG", "/etc/other.json", 1);
    assert_string_equal(config_path(NULL), "/etc/other.json");
    assert_string_equal(config_path("/x.json"), "/x.json");
    unsetenv("HOOKSPOOL_CONFIG");
    config_free(NULL);
}

static void test_load_file(void **state)
{
    char *path = xasprintf("%s/ok.json", g_dir);
    char *text = render(DESIGN_EXAMPLE);
    struct config *cfg;
    struct error err;

    (void)state;
    write_file("ok.json", text);
    error_clear(&err);
    cfg = config_load(path, &err);
    assert_non_null(cfg);
    assert_string_equal(cfg->sources[0].name, "github");
    config_free(cfg);
    free(text);
    free(path);
}

struct load_case {
    const char *name;
    const char *text;     /* written to @DIR@/bad.json as is; NULL: no file at all */
    const char *expected; /* after "FILE" */
};

static const struct load_case LOAD_CASES[] = {
    {"load: syntax error names file, line and column", "{\n  \"store\": {,\n}\n",
     ":2:13: string or '}' expected"},
    {"load: duplicate key", "{\"store\": {}, \"store\": {}}",
     ":1:21: duplicate object key"},
    {"load: empty file", "", ":1:0: '[' or '{' expected near end of file"},
    {"load: not an object", "[1]", ": must be a JSON object"},
    {"load: missing file", NULL, "\": No such file or directory"},
};

static void run_load_case(void **state)
{
    const struct load_case *c = *state;
    char *path = xasprintf("%s/%s", g_dir, c->text != NULL ? "bad.json" : "missing.json");
    char *expected;
    struct config *cfg;
    struct error err;

    if (c->text != NULL) {
        write_file("bad.json", c->text);
        expected = xasprintf("%s%s", path, c->expected);
    } else {
        expected = xasprintf("unable to read \"%s%s", path, c->expected);
    }
    error_clear(&err);
    cfg = config_load(path, &err);
    assert_null(cfg);
    assert_int_equal(err.code, HS_ERR_CONFIG);
    assert_string_equal(err.msg, expected);
    free(expected);
    free(path);
}

/* Pieces of configs for the table of mistakes. */
#define STORE "'store': {'url': 'file:///spool'}"
#define IDEM "'idempotency': {'header': 'X-Id'}"
#define NONE "'verify': {'scheme': 'none'}"
#define SRC(name, path) "{'name': '" name "', 'path': '" path "', " NONE ", " IDEM "}"
/* A whole config with one source whose body (after name and path) is given. */
#define ONE(body) "{" STORE ", 'sources': [{'name': 'a', 'path': '/a', " body "}]}"
#define VERIFY(v) ONE("'verify': " v ", " IDEM)
#define IDEMP(i) ONE(NONE ", 'idempotency': " i)
#define DEST(d) ONE(NONE ", " IDEM ", 'destination': " d)
#define DESTS(d) ONE(NONE ", " IDEM ", 'destinations': " d)
#define CI "{'name': 'ci', 'url': 'http://ci'}"
#define FILTERED(f) DESTS("[{'name': 'ci', 'url': 'http://ci', 'filter': " f "}]")
#define WITH_STORE(s) "{'store': " s ", 'sources': [" SRC("a", "/a") "]}"
#define NAME65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define WITH_TOP(t) "{" STORE ", 'sources': [" SRC("a", "/a") "], " t "}"

struct bad_case {
    const char *name;
    const char *text;
    const char *expected;
};

static const struct bad_case BAD_CASES[] = {
    {"unknown scheme",
     "{" STORE ", 'sources': [" SRC("a", "/a") ", " SRC("b", "/b") ", {'name': 'c', 'path': '/c',"
     " 'verify': {'scheme': 'githib', 'secrets': ['x']}, " IDEM "}]}",
     "sources[2].verify.scheme: unknown scheme \"githib\""},
    {"discord without public_key", VERIFY("{'scheme': 'discord'}"),
     "sources[0].verify.public_key: missing"},
    {"discord key not hex", VERIFY("{'scheme': 'discord', 'public_key': 'xyz'}"),
     "sources[0].verify.public_key: must be hex"},
    {"discord key too short", VERIFY("{'scheme': 'discord', 'public_key': 'd75a9801'}"),
     "sources[0].verify.public_key: not an Ed25519 public key (32 bytes)"},
    {"discord with secrets",
     VERIFY("{'scheme': 'discord', 'public_key': '" ED25519_HEX "', 'secrets': ['x']}"),
     "sources[0].verify.secrets: not used by scheme \"discord\""},
    {"sendgrid key not base64", VERIFY("{'scheme': 'sendgrid', 'public_key': '" ED25519_HEX "!'}"),
     "sources[0].verify.public_key: must be base64"},
    {"sendgrid key on another curve",
     VERIFY("{'scheme': 'sendgrid', 'public_key': '" P384_SPKI "'}"),
     "sources[0].verify.public_key: not a DER SubjectPublicKeyInfo of a P-256 (prime256v1) key"},
    {"sendgrid key with text after its padding",
     VERIFY("{'scheme': 'sendgrid', 'public_key': '" P256_SPKI "AAAA'}"),
     "sources[0].verify.public_key: must be base64"},
    {"public_key on github",
     VERIFY("{'scheme': 'github', 'secrets': ['x'], 'public_key': '" ED25519_HEX "'}"),
     "sources[0].verify.public_key: not used by scheme \"github\""},
    {"twilio without public_url", VERIFY("{'scheme': 'twilio', 'secrets': ['x']}"),
     "sources[0].verify.public_url: missing"},
    {"public_url not absolute",
     VERIFY("{'scheme': 'square', 'secrets': ['x'], 'public_url': '/hooks/square'}"),
     "sources[0].verify.public_url: must be an absolute http:// or https:// URL"},
    {"public_url with a query",
     VERIFY("{'scheme': 'hubspot', 'secrets': ['x'], 'public_url': 'https://h.example/x?a=1'}"),
     "sources[0].verify.public_url: must not hold a query or fragment: the request's own query "
     "is signed after it"},
    {"public_url with a space",
     VERIFY("{'scheme': 'mandrill', 'secrets': ['x'], 'public_url': 'https://h.example/a b'}"),
     "sources[0].verify.public_url: must not hold spaces or control characters"},
    {"public_url on github",
     VERIFY("{'scheme': 'github', 'secrets': ['x'], 'public_url': 'https://h.example/x'}"),
     "sources[0].verify.public_url: not used by scheme \"github\""},
    {"meta without verify_token", VERIFY("{'scheme': 'meta', 'secrets': ['x']}"),
     "sources[0].verify.verify_token: missing"},
    {"meta verify_token unset",
     VERIFY("{'scheme': 'meta', 'secrets': ['x'], 'verify_token': 'env:HS_TEST_UNSET'}"),
     "sources[0].verify.verify_token: environment variable HS_TEST_UNSET is not set"},
    {"verify_token on slack", VERIFY("{'scheme': 'slack', 'secrets': ['x'], 'verify_token': 'v'}"),
     "sources[0].verify.verify_token: not used by scheme \"slack\""},
    {"gitlab with a header", VERIFY("{'scheme': 'gitlab', 'secrets': ['x'], 'header': 'X-T'}"),
     "sources[0].verify.header: not used by scheme \"gitlab\""},
    {"postmark secret without a colon", VERIFY("{'scheme': 'postmark', 'secrets': ['nocolon']}"),
     "sources[0].verify.secrets[0]: must be user:password, as in the webhook URL given to "
     "Postmark"},
    {"tolerance_s on twilio",
     VERIFY("{'scheme': 'twilio', 'secrets': ['x'], 'public_url': 'https://h/x', "
            "'tolerance_s': 5}"),
     "sources[0].verify.tolerance_s: not used by scheme \"twilio\""},
    {"missing store.url", WITH_STORE("{}"), "store.url: missing"},
    {"missing store", "{'sources': [" SRC("a", "/a") "]}", "store: missing"},
    {"duplicate source name", "{" STORE ", 'sources': [" SRC("a", "/a") ", " SRC("a", "/b") "]}",
     "sources[1].name: duplicate source name \"a\""},
    {"duplicate path", "{" STORE ", 'sources': [" SRC("a", "/a") ", " SRC("b", "/a") "]}",
     "sources[1].path: duplicate path \"/a\""},
    {"bad source name", "{" STORE ", 'sources': [" SRC("GitHub", "/a") "]}",
     "sources[0].name: \"GitHub\" is not a valid source name ([a-z0-9_-]{1,64})"},
    {"source name too long", "{" STORE ", 'sources': [" SRC(NAME65, "/a") "]}",
     "sources[0].name: \"" NAME65 "\" is not a valid source name ([a-z0-9_-]{1,64})"},
    {"env var unset", VERIFY("{'scheme': 'github', 'secrets': ['x', 'env:HS_TEST_UNSET']}"),
     "sources[0].verify.secrets[1]: environment variable HS_TEST_UNSET is not set"},
    {"env var empty", VERIFY("{'scheme': 'github', 'secrets': ['env:HS_TEST_EMPTY']}"),
     "sources[0].verify.secrets[0]: environment variable HS_TEST_EMPTY is empty"},
    {"file secret missing", VERIFY("{'scheme': 'github', 'secrets': ['file:@DIR@/nope']}"),
     "sources[0].verify.secrets[0]: unable to read \"@DIR@/nope\": No such file or directory"},
    {"file secret empty", VERIFY("{'scheme': 'github', 'secrets': ['file:@DIR@/empty']}"),
     "sources[0].verify.secrets[0]: file \"@DIR@/empty\" is empty"},
    {"file secret not a regular file",
     VERIFY("{'scheme': 'github', 'secrets': ['file:/dev/null']}"),
     "sources[0].verify.secrets[0]: unable to read \"/dev/null\": not a regular file"},
    {"file secret relative", VERIFY("{'scheme': 'github', 'secrets': ['file:secret']}"),
     "sources[0].verify.secrets[0]: \"file:\" needs an absolute path"},
    {"empty literal secret", VERIFY("{'scheme': 'github', 'secrets': ['']}"),
     "sources[0].verify.secrets[0]: must not be empty"},
    {"secret not a string", VERIFY("{'scheme': 'github', 'secrets': [1]}"),
     "sources[0].verify.secrets[0]: must be a string"},
    {"whsec with bad base64", VERIFY("{'scheme': 'standard-webhooks', 'secrets': ['whsec_!!!']}"),
     "sources[0].verify.secrets[0]: not a Standard Webhooks secret (\"whsec_\" followed by "
     "base64)"},
    {"whsec with nothing after it",
     VERIFY("{'scheme': 'standard-webhooks', 'secrets': ['whsec_']}"),
     "sources[0].verify.secrets[0]: not a Standard Webhooks secret (\"whsec_\" followed by "
     "base64)"},
    {"secrets missing", VERIFY("{'scheme': 'github'}"), "sources[0].verify.secrets: missing"},
    {"secrets empty", VERIFY("{'scheme': 'slack', 'secrets': []}"),
     "sources[0].verify.secrets: must be a non-empty array of strings"},
    {"secrets not an array", VERIFY("{'scheme': 'slack', 'secrets': 'x'}"),
     "sources[0].verify.secrets: must be a non-empty array of strings"},
    {"secrets on none", VERIFY("{'scheme': 'none', 'secrets': ['x']}"),
     "sources[0].verify.secrets: not used by scheme \"none\""},
    {"hmac without header", VERIFY("{'scheme': 'hmac', 'secrets': ['x']}"),
     "sources[0].verify.header: missing"},
    {"token without header", VERIFY("{'scheme': 'token', 'secrets': ['x']}"),
     "sources[0].verify.header: missing"},
    {"bad header name", VERIFY("{'scheme': 'token', 'secrets': ['x'], 'header': 'X Token'}"),
     "sources[0].verify.header: \"X Token\" is not a valid header name"},
    {"hmac unknown algorithm",
     VERIFY("{'scheme': 'hmac', 'secrets': ['x'], 'header': 'X-S', 'algorithm': 'md5'}"),
     "sources[0].verify.algorithm: unknown algorithm \"md5\" (expected sha1, sha256, sha512)"},
    {"hmac unknown encoding",
     VERIFY("{'scheme': 'hmac', 'secrets': ['x'], 'header': 'X-S', 'encoding': 'b32'}"),
     "sources[0].verify.encoding: unknown encoding \"b32\" (expected hex, base64)"},
    {"header on github", VERIFY("{'scheme': 'github', 'secrets': ['x'], 'header': 'X-S'}"),
     "sources[0].verify.header: not used by scheme \"github\""},
    {"tolerance on shopify", VERIFY("{'scheme': 'shopify', 'secrets': ['x'], 'tolerance_s': 5}"),
     "sources[0].verify.tolerance_s: not used by scheme \"shopify\""},
    {"tolerance zero", VERIFY("{'scheme': 'slack', 'secrets': ['x'], 'tolerance_s': 0}"),
     "sources[0].verify.tolerance_s: must be between 1 and 86400"},
    {"scheme not a string", VERIFY("{'scheme': 1}"),
     "sources[0].verify.scheme: must be a string"},
    {"verify missing", ONE(IDEM), "sources[0].verify: missing"},
    {"verify not an object", VERIFY("[]"), "sources[0].verify: must be an object"},
    {"unknown verify key", VERIFY("{'scheme': 'none', 'secret': 'x'}"),
     "sources[0].verify.secret: unknown key (expected one of: scheme, secrets, tolerance_s, "
     "header, algorithm, encoding, prefix, public_key, public_url, verify_token)"},
    {"unknown key sourcs", "{" STORE ", 'sourcs': []}",
     "sourcs: unknown key (expected one of: store, max_backlog, backlog_stale_s, sources, "
     "drain, handler)"},
    {"unknown source key", ONE(NONE ", " IDEM ", 'max_bdy': 5"),
     "sources[0].max_bdy: unknown key (expected one of: name, path, max_body, require_json, "
     "verify, idempotency, destination, destinations, response)"},
    {"negative timeout", WITH_STORE("{'url': 'file:///spool', 'timeout_ms': -1}"),
     "store.timeout_ms: must be between 1 and 86400000"},
    {"timeout not an integer", WITH_STORE("{'url': 'file:///spool', 'timeout_ms': 1.5}"),
     "store.timeout_ms: must be an integer"},
    {"empty schedule", WITH_TOP("'drain': {'schedule_s': []}"),
     "drain.schedule_s: must be a non-empty array of delays in seconds"},
    {"negative delay", WITH_TOP("'drain': {'schedule_s': [0, -5]}"),
     "drain.schedule_s[1]: must be between 0 and 31622400"},
    {"delay not an integer", WITH_TOP("'drain': {'schedule_s': [0, '5']}"),
     "drain.schedule_s[1]: must be an integer"},
    {"schedule of 101",
     WITH_TOP("'drain': {'schedule_s': [0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,"
              "0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,"
              "0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,"
              "0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0, 0]}"),
     "drain.schedule_s: at most 100 attempts"},
    {"concurrency zero", WITH_TOP("'drain': {'concurrency': 0}"),
     "drain.concurrency: must be between 1 and 1024"},
    {"concurrency 1025", WITH_TOP("'drain': {'concurrency': 1025}"),
     "drain.concurrency: must be between 1 and 1024"},
    {"poll zero", WITH_TOP("'drain': {'poll_ms': 0}"),
     "drain.poll_ms: must be between 1 and 86400000"},
    {"unknown drain key", WITH_TOP("'drain': {'workers': 4}"),
     "drain.workers: unknown key (expected one of: concurrency, poll_ms, schedule_s)"},
    {"read timeout zero", WITH_TOP("'handler': {'read_timeout_ms': 0}"),
     "handler.read_timeout_ms: must be between 1 and 86400000"},
    {"unknown handler key", WITH_TOP("'handler': {'workers': 4}"),
     "handler.workers: unknown key (expected one of: read_timeout_ms)"},
    {"max_backlog zero", WITH_TOP("'max_backlog': 0"), "max_backlog: must be at least 1"},
    {"backlog_stale_s zero", WITH_TOP("'backlog_stale_s': 0"),
     "backlog_stale_s: must be between 1 and 31622400"},
    {"max_body zero", ONE("'max_body': 0, " NONE ", " IDEM),
     "sources[0].max_body: must be between 1 and 67108864"},
    {"max_body over 64 MiB", ONE("'max_body': 67108865, " NONE ", " IDEM),
     "sources[0].max_body: must be between 1 and 67108864"},
    {"require_json not a bool", ONE("'require_json': 1, " NONE ", " IDEM),
     "sources[0].require_json: must be true or false"},
    {"no sources", "{" STORE ", 'sources': []}", "sources: must be a non-empty array"},
    {"sources missing", "{" STORE "}", "sources: missing"},
    {"source not an object", "{" STORE ", 'sources': ['a']}", "sources[0]: must be an object"},
    {"name missing", "{" STORE ", 'sources': [{'path': '/a', " NONE ", " IDEM "}]}",
     "sources[0].name: missing"},
    {"relative path", "{" STORE ", 'sources': [" SRC("a", "hooks/a") "]}",
     "sources[0].path: \"hooks/a\" must start with \"/\""},
    {"path with a query", "{" STORE ", 'sources': [" SRC("a", "/a?x=1") "]}",
     "sources[0].path: \"/a?x=1\" may not contain spaces, '?', '#' or non-ASCII"},
    {"health path", "{" STORE ", 'sources': [" SRC("a", "/hooks/_health") "]}",
     "sources[0].path: \"/hooks/_health\" is reserved for the health check"},
    {"idempotency missing", ONE(NONE), "sources[0].idempotency: missing"},
    {"idempotency without a key", IDEMP("{'fallback': 'body_sha256'}"),
     "sources[0].idempotency: needs \"header\", \"headers\" or \"json_pointer\""},
    {"header and headers", IDEMP("{'header': 'X-A', 'headers': ['X-B']}"),
     "sources[0].idempotency: give \"header\" or \"headers\", not both"},
    {"headers empty", IDEMP("{'headers': []}"),
     "sources[0].idempotency.headers: must be a non-empty array of header names"},
    {"headers item not a string", IDEMP("{'headers': ['X-A', 2]}"),
     "sources[0].idempotency.headers[1]: must be a string"},
    {"headers item bad name", IDEMP("{'headers': ['X-A', 'X:B']}"),
     "sources[0].idempotency.headers[1]: \"X:B\" is not a valid header name"},
    {"json pointer without slash", IDEMP("{'json_pointer': 'id'}"),
     "sources[0].idempotency.json_pointer: \"id\" is not a JSON pointer (\"/id\", or \"\")"},
    {"json pointer bad escape", IDEMP("{'json_pointer': '/a~2'}"),
     "sources[0].idempotency.json_pointer: \"/a~2\" is not a JSON pointer (\"/id\", or \"\")"},
    {"unknown fallback", IDEMP("{'header': 'X-A', 'fallback': 'accept'}"),
     "sources[0].idempotency.fallback: unknown fallback \"accept\" (expected reject, "
     "body_sha256)"},
    {"unknown idempotency key", IDEMP("{'headr': 'X-A'}"),
     "sources[0].idempotency.headr: unknown key (expected one of: header, headers, "
     "json_pointer, fallback)"},
    {"destination url missing", DEST("{'timeout_ms': 5}"),
     "sources[0].destination.url: missing"},
    {"destination url not http", DEST("{'url': 'ftp://x/'}"),
     "sources[0].destination.url: must be an http:// or https:// URL"},
    {"destination url without host", DEST("{'url': 'http://'}"),
     "sources[0].destination.url: must be an http:// or https:// URL"},
    {"destination timeout zero", DEST("{'url': 'http://x', 'timeout_ms': 0}"),
     "sources[0].destination.timeout_ms: must be between 1 and 86400000"},
    {"connect timeout over total",
     DEST("{'url': 'http://x', 'timeout_ms': 1000, 'connect_timeout_ms': 1001}"),
     "sources[0].destination.connect_timeout_ms: must be between 1 and 1000"},
    {"negative rate", DEST("{'url': 'http://x', 'max_per_second': -1}"),
     "sources[0].destination.max_per_second: must be at least 0"},
    {"rate not a number", DEST("{'url': 'http://x', 'max_per_second': '5'}"),
     "sources[0].destination.max_per_second: must be a number"},
    {"breaker failures zero", DEST("{'url': 'http://x', 'breaker_failures': 0}"),
     "sources[0].destination.breaker_failures: must be between 1 and 1000000"},
    {"breaker pause zero", DEST("{'url': 'http://x', 'breaker_pause_s': 0}"),
     "sources[0].destination.breaker_pause_s: must be between 1 and 86400"},
    {"sign scheme unknown",
     DEST("{'url': 'http://x', 'sign': {'scheme': 'github', 'secret': 'whsec_AAAA'}}"),
     "sources[0].destination.sign.scheme: unknown scheme \"github\" (expected "
     "standard-webhooks)"},
    {"sign secret missing", DEST("{'url': 'http://x', 'sign': {'scheme': 'standard-webhooks'}}"),
     "sources[0].destination.sign.secret: missing"},
    {"sign secret bad base64",
     DEST("{'url': 'http://x', 'sign': {'scheme': 'standard-webhooks', 'secret': 'whsec_a'}}"),
     "sources[0].destination.sign.secret: not a Standard Webhooks secret (\"whsec_\" followed "
     "by base64)"},
    {"unknown destination key", DEST("{'url': 'http://x', 'timeout': 5}"),
     "sources[0].destination.timeout: unknown key (expected one of: url, timeout_ms, "
     "connect_timeout_ms, sign, max_per_second, breaker_failures, breaker_pause_s, schedule_s, "
     "filter)"},
    {"destinations empty", DESTS("[]"),
     "sources[0].destinations: must be a non-empty array of destinations"},
    {"destinations not an array", DESTS(CI),
     "sources[0].destinations: must be a non-empty array of destinations"},
    {"destination and destinations", ONE(NONE ", " IDEM ", 'destination': {'url': 'http://a'},"
                                         " 'destinations': [" CI "]"),
     "sources[0]: give \"destination\" or \"destinations\", not both"},
    {"destination name missing", DESTS("[{'url': 'http://ci'}]"),
     "sources[0].destinations[0].name: missing"},
    {"destination name invalid", DESTS("[{'name': 'CI', 'url': 'http://ci'}]"),
     "sources[0].destinations[0].name: \"CI\" is not a valid destination name "
     "([a-z0-9_-]{1,64})"},
    {"destination name duplicate", DESTS("[" CI ", " CI "]"),
     "sources[0].destinations[1].name: duplicate destination name \"ci\""},
    {"shorthand takes no name", DEST("{'name': 'ci', 'url': 'http://ci'}"),
     "sources[0].destination.name: unknown key (expected one of: url, timeout_ms, "
     "connect_timeout_ms, sign, max_per_second, breaker_failures, breaker_pause_s, schedule_s, "
     "filter)"},
    {"destination url in a list", DESTS("[" CI ", {'name': 'b', 'url': 'ftp://b'}]"),
     "sources[0].destinations[1].url: must be an http:// or https:// URL"},
    {"destination schedule empty", DESTS("[{'name': 'ci', 'url': 'http://ci', 'schedule_s': []}]"),
     "sources[0].destinations[0].schedule_s: must be a non-empty array of delays in seconds"},
    {"destination schedule negative",
     DESTS("[{'name': 'ci', 'url': 'http://ci', 'schedule_s': [0, -1]}]"),
     "sources[0].destinations[0].schedule_s[1]: must be between 0 and 31622400"},
    {"filter in empty",
     DESTS("[" CI ", {'name': 'b', 'url': 'http://b', 'filter': {'header': 'X-E', 'in': []}}]"),
     "sources[0].destinations[1].filter.in: must be a non-empty array"},
    {"filter not an object", FILTERED("'push'"),
     "sources[0].destinations[0].filter: must be an object"},
    {"filter without a field", FILTERED("{'equals': 'push'}"),
     "sources[0].destinations[0].filter: a condition names exactly one field: \"header\" or "
     "\"json_pointer\""},
    {"filter with two fields", FILTERED("{'header': 'X-E', 'json_pointer': '/a', 'exists': true}"),
     "sources[0].destinations[0].filter: a condition names exactly one field: \"header\" or "
     "\"json_pointer\""},
    {"filter without a test", FILTERED("{'header': 'X-E'}"),
     "sources[0].destinations[0].filter: a condition has exactly one test: equals, in, prefix "
     "or exists"},
    {"filter with two tests", FILTERED("{'header': 'X-E', 'equals': 'a', 'prefix': 'a'}"),
     "sources[0].destinations[0].filter: a condition has exactly one test: equals, in, prefix "
     "or exists"},
    {"filter unknown key", FILTERED("{'header': 'X-E', 'equal': 'a'}"),
     "sources[0].destinations[0].filter.equal: unknown key (expected one of: header, "
     "json_pointer, equals, in, prefix, exists, all, any, not)"},
    {"filter all empty", FILTERED("{'all': []}"),
     "sources[0].destinations[0].filter.all: must be a non-empty array of filters"},
    {"filter any not an array", FILTERED("{'any': {'header': 'X-E', 'exists': true}}"),
     "sources[0].destinations[0].filter.any: must be a non-empty array of filters"},
    {"filter combinator beside a condition", FILTERED("{'all': [], 'header': 'X-E'}"),
     "sources[0].destinations[0].filter.all: must be the only key of its object"},
    {"filter nested error",
     FILTERED("{'all': [{'header': 'X-E', 'exists': true}, {'not': {'json_pointer': '/a', "
              "'prefix': 1}}]}"),
     "sources[0].destinations[0].filter.all[1].not.prefix: must be a string"},
    {"filter header equals a number", FILTERED("{'header': 'X-E', 'equals': 1}"),
     "sources[0].destinations[0].filter.equals: must be a string (a header is compared as a "
     "string)"},
    {"filter header in a number", FILTERED("{'header': 'X-E', 'in': ['a', 2]}"),
     "sources[0].destinations[0].filter.in[1]: must be a string (a header is compared as a "
     "string)"},
    {"filter bad header name", FILTERED("{'header': 'X E', 'exists': true}"),
     "sources[0].destinations[0].filter.header: must be a valid header name"},
    {"filter bad pointer", FILTERED("{'json_pointer': 'action', 'exists': true}"),
     "sources[0].destinations[0].filter.json_pointer: must be a JSON pointer (\"/action\", or "
     "\"\")"},
    {"filter exists not a bool", FILTERED("{'json_pointer': '/a', 'exists': 1}"),
     "sources[0].destinations[0].filter.exists: must be true or false"},
    {"store url scheme", WITH_STORE("{'url': '/var/spool'}"),
     "store.url: must be s3://BUCKET[/PREFIX][?endpoint=HOST:PORT&region=R...] or "
     "file:///ABSOLUTE/DIR"},
    {"file url with host", WITH_STORE("{'url': 'file://host/dir'}"),
     "store.url: must be file:///ABSOLUTE/DIR"},
    {"file url root only", WITH_STORE("{'url': 'file:///'}"),
     "store.url: must be file:///ABSOLUTE/DIR"},
    {"file store with keys", WITH_STORE("{'url': 'file:///spool', 'access_key': 'a'}"),
     "store.access_key: not used by file:// stores"},
    {"s3 bad bucket", WITH_STORE("{'url': 's3://My_Bucket?endpoint=h:1'}"),
     "store.url: invalid bucket name \"My_Bucket\""},
    {"s3 bad prefix", WITH_STORE("{'url': 's3://bucket/a//b?endpoint=h:1'}"),
     "store.url: invalid prefix \"a//b\""},
    {"s3 dot-dot prefix", WITH_STORE("{'url': 's3://bucket/../b?endpoint=h:1'}"),
     "store.url: invalid prefix \"../b\""},
    {"s3 v2 without endpoint", WITH_STORE("{'url': 's3://bucket?sig=v2'}"),
     "store.url: sig=v2 needs endpoint=HOST:PORT (AWS itself takes sig=v4)"},
    {"s3 bad region", WITH_STORE("{'url': 's3://bucket?region=EU'}"),
     "store.url: region \"EU\" is not a region name ([a-z0-9_-]{1,64})"},
    {"s3 bad sig", WITH_STORE("{'url': 's3://bucket?sig=v3'}"),
     "store.url: sig must be v4 or v2, not \"v3\""},
    {"s3 bad style", WITH_STORE("{'url': 's3://bucket?style=dns'}"),
     "store.url: style must be path or virtual, not \"dns\""},
    {"s3 region twice", WITH_STORE("{'url': 's3://bucket?region=a&region=b'}"),
     "store.url: region given twice"},
    {"s3 relative ca_file", WITH_STORE("{'url': 's3://bucket?ca_file=ca.pem'}"),
     "store.url: ca_file \"ca.pem\" is not an absolute path"},
    {"session token on a file store",
     WITH_STORE("{'url': 'file:///spool', 'session_token': 't'}"),
     "store.session_token: not used by file:// stores"},
    {"s3 endpoint without port", WITH_STORE("{'url': 's3://bucket?endpoint=minio'}"),
     "store.url: endpoint \"minio\" is not HOST:PORT"},
    {"s3 endpoint port 0", WITH_STORE("{'url': 's3://bucket?endpoint=minio:0'}"),
     "store.url: endpoint \"minio:0\" is not HOST:PORT"},
    {"s3 bad tls", WITH_STORE("{'url': 's3://bucket?endpoint=h:1&tls=yes'}"),
     "store.url: tls must be 0 or 1"},
    {"s3 unknown parameter", WITH_STORE("{'url': 's3://bucket?endpoint=h:1&zone=x'}"),
     "store.url: unknown parameter \"zone=x\" (expected endpoint, region, sig, style, tls, "
     "ca_file)"},
    {"s3 missing access key", WITH_STORE("{'url': 's3://bucket?endpoint=h:1', 'secret_key': 'b'}"),
     "store.access_key: missing"},
    {"s3 secret key unset",
     WITH_STORE("{'url': 's3://bucket?endpoint=h:1', 'access_key': 'a', "
                "'secret_key': 'env:HS_TEST_UNSET'}"),
     "store.secret_key: environment variable HS_TEST_UNSET is not set"},
    {"unknown store key", WITH_STORE("{'url': 'file:///spool', 'bucket': 'x'}"),
     "store.bucket: unknown key (expected one of: url, access_key, secret_key, timeout_ms, "
     "session_token)"},
    {"response without status", ONE(NONE ", " IDEM ", 'response': {'body': 'ok'}"),
     "sources[0].response.status: missing"},
    {"response status not 2xx", ONE(NONE ", " IDEM ", 'response': {'status': 400}"),
     "sources[0].response.status: must be a success status, 200 to 299"},
    {"response status not a number", ONE(NONE ", " IDEM ", 'response': {'status': '200'}"),
     "sources[0].response.status: must be a success status, 200 to 299"},
    {"response 204 with a body",
     ONE(NONE ", " IDEM ", 'response': {'status': 204, 'body': 'x'}"),
     "sources[0].response.body: a 204 answer has no body"},
    {"response body not a string",
     ONE(NONE ", " IDEM ", 'response': {'status': 200, 'body': {}}"),
     "sources[0].response.body: must be a string"},
    {"response content_type without a body",
     ONE(NONE ", " IDEM ", 'response': {'status': 200, 'content_type': 'text/plain'}"),
     "sources[0].response.content_type: is only for an answer with a body"},
    {"response content_type with a line break",
     ONE(NONE ", " IDEM ", 'response': {'status': 200, 'body': 'ok',"
              " 'content_type': 'text/plain\\r\\nSet-Cookie: a=b'}"),
     "sources[0].response.content_type: must be printable ASCII on one line"},
    {"response unknown key", ONE(NONE ", " IDEM ", 'response': {'status': 200, 'code': 1}"),
     "sources[0].response.code: unknown key (expected one of: status, body, content_type)"},
    {"response not an object", ONE(NONE ", " IDEM ", 'response': 200"),
     "sources[0].response: must be an object"},
    {"syntax error in memory", "{'store': }", "config:1:11: unexpected token"},
    /* jansson quotes the token it stopped at: here a literal secret, which must not be
     * logged. */
    {"syntax error inside a literal secret",
     VERIFY("{'scheme': 'github', 'secrets': ['Tr0ub4dor\\q3']}"),
     "config:1:131: invalid escape"},
    {"literal secret without quotes",
     VERIFY("{'scheme': 'github', 'secrets': [Tr0ub4dor]}"), "config:1:121: invalid token"},
};

/* "response": a source's own answer to accepted webhooks, with its defaults. */
static void test_response(void **state)
{
    struct config *cfg = parse_ok(
        "{" STORE ", 'sources': ["
        "  {'name': 'a', 'path': '/a', " NONE ", " IDEM ","
        "   'response': {'status': 200, 'body': 'ok', 'content_type': 'application/xml'}},"
        "  {'name': 'b', 'path': '/b', " NONE ", " IDEM ", 'response': {'status': 200, 'body': ''}},"
        "  {'name': 'c', 'path': '/c', " NONE ", " IDEM ", 'response': {'status': 204}},"
        "  {'name': 'd', 'path': '/d', " NONE ", " IDEM "}]}");

    (void)state;
    assert_int_equal(cfg->sources[0].response.status, 200);
    assert_string_equal(cfg->sources[0].response.body, "ok");
    assert_int_equal(cfg->sources[0].response.body_len, 2);
    assert_string_equal(cfg->sources[0].response.content_type, "application/xml");
    assert_string_equal(cfg->sources[1].response.body, "");
    assert_string_equal(cfg->sources[1].response.content_type, "text/plain; charset=utf-8");
    assert_int_equal(cfg->sources[2].response.status, 204);
    assert_null(cfg->sources[2].response.body);
    assert_null(cfg->sources[2].response.content_type);
    assert_int_equal(cfg->sources[3].response.status, 0);
    config_free(cfg);
}

/* Several destinations: names, filters, per-destination limits and schedules; the
 * one-destination shorthand is "default". */
static void test_destinations(void **state)
{
    struct config *cfg = parse_ok(
        "{" STORE ", 'sources': ["
        "  {'name': 'gh', 'path': '/gh', " NONE ", " IDEM ","
        "   'destinations': ["
        "    {'name': 'ci', 'url': 'http://ci/hooks',"
        "     'filter': {'header': 'X-GitHub-Event', 'in': ['push', 'pull_request']}},"
        "    {'name': 'tracker', 'url': 'http://tracker/github', 'max_per_second': 5,"
        "     'schedule_s': [0, 60, 600],"
        "     'filter': {'all': [{'header': 'X-GitHub-Event', 'equals': 'issues'},"
        "                        {'json_pointer': '/action', 'in': ['opened', 'closed']}]}},"
        "    {'name': 'audit', 'url': 'https://audit/in'}]},"
        "  {'name': 'one', 'path': '/one', " NONE ", " IDEM ","
        "   'destination': {'url': 'http://one', 'schedule_s': [0, 1]}}],"
        " 'drain': {'schedule_s': [0, 5, 10, 20]}}");
    const struct source_config *gh = &cfg->sources[0];
    const struct source_config *one = &cfg->sources[1];

    (void)state;
    assert_int_equal(gh->n_destinations, 3);
    assert_string_equal(gh->destinations[0].name, "ci");
    assert_non_null(gh->destinations[0].filter);
    /* Without its own schedule, a destination takes the drain's. */
    assert_int_equal(gh->destinations[0].n_schedule, 4);
    assert_int_equal(gh->destinations[0].schedule_s[3], 20);
    assert_string_equal(gh->destinations[1].name, "tracker");
    assert_true(gh->destinations[1].max_per_second == 5);
    assert_int_equal(gh->destinations[1].n_schedule, 3);
    assert_int_equal(gh->destinations[1].schedule_s[2], 600);
    assert_null(gh->destinations[2].filter);
    assert_true(gh->destinations[2].max_per_second == 0);
    assert_ptr_equal(config_destination_by_name(gh, "audit"), &gh->destinations[2]);
    assert_null(config_destination_by_name(gh, "default"));
    assert_int_equal(one->n_destinations, 1);
    assert_string_equal(one->destinations[0].name, CONFIG_DEFAULT_DESTINATION);
    assert_int_equal(one->destinations[0].n_schedule, 2);
    config_free(cfg);
}

static void run_bad_case(void **state)
{
    const struct bad_case *c = *state;
    char *expected = render(c->expected);
    struct config *cfg;
    struct error err;

    /* render() turns ' into ", so expected messages avoid ' except in jansson's own text. */
    if (strchr(c->expected, '\'') != NULL) {
        free(expected);
        expected = xstrdup(c->expected);
    }
    cfg = parse(c->text, &err);
    if (cfg != NULL) {
        config_free(cfg);
        fail_msg("accepted, expected \"%s\"", expected);
    }
    assert_int_equal(err.code, HS_ERR_CONFIG);
    assert_string_equal(err.msg, expected);
    free(expected);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_design_example), cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_options),   cmocka_unit_test(test_secret_sources),
        cmocka_unit_test(test_aws_store),
        cmocka_unit_test(test_config_path),    cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_provider_schemes), cmocka_unit_test(test_every_scheme_name),
        cmocka_unit_test(test_destinations),
        cmocka_unit_test(test_response),
    };
    struct CMUnitTest tests[ARRAY_LEN(fixed) + ARRAY_LEN(LOAD_CASES) + ARRAY_LEN(BAD_CASES)];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < ARRAY_LEN(LOAD_CASES); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = LOAD_CASES[i].name,
            .test_func = run_load_case,
            .initial_state = (void *)&LOAD_CASES[i],
        };
    }
    for (size_t i = 0; i < ARRAY_LEN(BAD_CASES); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = BAD_CASES[i].name,
            .test_func = run_bad_case,
            .initial_state = (void *)&BAD_CASES[i],
        };
    }
    return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
