/*
 * fuzz_config: config_parse on arbitrary bytes.
 *
 * Whatever the input, parsing either fails with HS_ERR_CONFIG and a message,
 * or yields a config whose documented invariants hold; nothing leaks either
 * way (AddressSanitizer's leak check runs at exit).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err;
    struct config *cfg;

    error_clear(&err);
    cfg = config_parse((const char *)data, size, &err);
    if (cfg == NULL) {
        assert(err.code == HS_ERR_CONFIG);
        assert(err.msg[0] != '\0');
        return 0;
    }
    assert(cfg->store.url != NULL);
    assert(cfg->max_backlog >= 1);
    assert(cfg->n_sources >= 1);
    assert(cfg->drain.n_schedule >= 1 && cfg->drain.n_schedule <= 100);
    assert(cfg->drain.concurrency >= 1 && cfg->drain.concurrency <= 1024);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct source_config *s = &cfg->sources[i];

        assert(key_source_valid(s->name));
        assert(s->path[0] == '/');
        assert(s->max_body >= 1 && s->max_body <= 64 * 1024 * 1024);
        assert(s->verify.scheme == VERIFY_NONE || s->verify.n_secrets >= 1);
        for (size_t j = 0; j < s->verify.n_secrets; j++)
            assert(s->verify.secrets[j].len > 0);
        assert(s->idempotency.n_headers > 0 || s->idempotency.json_pointer != NULL);
        assert(s->idempotency.json_pointer == NULL || s->require_json);
        for (size_t j = 0; j < s->n_destinations; j++) {
            const struct destination_config *d = &s->destinations[j];

            assert(d->connect_timeout_ms <= d->timeout_ms);
            assert(d->n_schedule >= 1 && d->schedule_s != NULL);
            assert(config_destination_by_name(s, d->name) == d);
        }
        assert(config_source_by_name(cfg, s->name) == s);
        assert(config_source_by_path(cfg, s->path) == s);
    }
    config_free(cfg);
    return 0;
}
