/*  ktagd_stats.c - lock-free counters and a log-scale latency histogram. */
#include "ktagd_stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Latency buckets: exact below 8 us, then 8 sub-buckets per power of two,
   so a percentile is within 12.5% of the true value up to ~2^40 us. */
#define S_SUB 8
#define S_EXPONENTS 40
#define S_BUCKETS (S_SUB + S_EXPONENTS * S_SUB)
#define S_WINDOW 11     /* one sample a second: a 10 s rate needs 11 */

struct ktagd_stats {
    struct timespec started;
    atomic_uint_fast64_t requests, replies, documents, dropped;
    atomic_uint_fast64_t bytes_in, bytes_out;
    atomic_uint_fast64_t errors[KTAG_WIRE_CODE_COUNT];
    atomic_uint_fast64_t latency[S_BUCKETS];
    atomic_uint_fast64_t latency_max;
    atomic_uint_fast64_t latency_le[KTAGD_STATS_LE_COUNT + 1], latency_sum_us;
    atomic_uint_fast64_t broker_forwarded;
    atomic_int_fast64_t broker_workers;
    atomic_int_fast64_t in_flight;
    atomic_uint_fast64_t reloads, reload_failures;
    atomic_uint_fast64_t connections[3];

    pthread_mutex_t lock;       /* guards the rate window and the last error */
    double sample_t[S_WINDOW];
    uint64_t sample_docs[S_WINDOW];
    size_t samples, next;
    char last_reload_error[512];
};

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

ktagd_stats_t *
ktagd_stats_new(void)
{
    ktagd_stats_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &self->started);
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
ktagd_stats_destroy(ktagd_stats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

double
ktagd_stats_uptime(const ktagd_stats_t *self)
{
    return s_now() - (self->started.tv_sec + self->started.tv_nsec / 1e9);
}

uint64_t
ktagd_stats_requests(const ktagd_stats_t *self)
{
    return atomic_load(&((ktagd_stats_t *) self)->requests);
}

uint64_t
ktagd_stats_replies(const ktagd_stats_t *self)
{
    return atomic_load(&((ktagd_stats_t *) self)->replies);
}

/* Prometheus' histogram buckets, from a headline (tens of us) to a 4 MiB
   article on a loaded machine. */
const uint64_t ktagd_stats_le_us[KTAGD_STATS_LE_COUNT] = {
    25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 10000000,
};

static size_t
s_le_bucket(uint64_t us)
{
    size_t b = 0;
    while (b < KTAGD_STATS_LE_COUNT && us > ktagd_stats_le_us[b])
        b++;
    return b;
}

static size_t
s_bucket(uint64_t us)
{
    if (us < S_SUB)
        return (size_t) us;
    int e = 63 - __builtin_clzll(us);          /* us in [2^e, 2^(e+1)), e >= 3 */
    size_t sub = (size_t) (us >> (e - 3)) & (S_SUB - 1);
    size_t b = S_SUB + (size_t) (e - 3) * S_SUB + sub;
    return b < S_BUCKETS ? b : S_BUCKETS - 1;
}

/* The smallest value that falls in bucket `b`. */
static uint64_t
s_bucket_floor(size_t b)
{
    if (b < S_SUB)
        return b;
    size_t e = (b - S_SUB) / S_SUB + 3;
    uint64_t sub = (b - S_SUB) % S_SUB;
    return (1ull << e) + (sub << (e - 3));
}

void
ktagd_stats_received(ktagd_stats_t *self, size_t bytes)
{
    atomic_fetch_add_explicit(&self->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&self->bytes_in, bytes, memory_order_relaxed);
}

void
ktagd_stats_replied(ktagd_stats_t *self, size_t bytes, uint64_t service_us, int documents)
{
    atomic_fetch_add_explicit(&self->replies, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&self->bytes_out, bytes, memory_order_relaxed);
    if (documents)
        atomic_fetch_add_explicit(&self->documents, (uint64_t) documents, memory_order_relaxed);
    if (service_us == UINT64_MAX)
        return;     /* relayed or refused by the main loop: no service time */
    atomic_fetch_add_explicit(&self->latency[s_bucket(service_us)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&self->latency_le[s_le_bucket(service_us)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&self->latency_sum_us, service_us, memory_order_relaxed);
    uint64_t max = atomic_load_explicit(&self->latency_max, memory_order_relaxed);
    while (service_us > max
           && !atomic_compare_exchange_weak_explicit(&self->latency_max, &max, service_us,
                                                     memory_order_relaxed, memory_order_relaxed))
        ;
}

void
ktagd_stats_error(ktagd_stats_t *self, ktag_wire_code_t code)
{
    if ((unsigned) code >= KTAG_WIRE_CODE_COUNT)
        code = KTAG_WIRE_INTERNAL;
    atomic_fetch_add_explicit(&self->errors[code], 1, memory_order_relaxed);
}

void
ktagd_stats_dropped(ktagd_stats_t *self)
{
    atomic_fetch_add_explicit(&self->dropped, 1, memory_order_relaxed);
}

void
ktagd_stats_connection(ktagd_stats_t *self, ktagd_conn_event_t event)
{
    if ((unsigned) event < 3)
        atomic_fetch_add_explicit(&self->connections[event], 1, memory_order_relaxed);
}

void
ktagd_stats_set_in_flight(ktagd_stats_t *self, int64_t in_flight)
{
    atomic_store_explicit(&self->in_flight, in_flight, memory_order_relaxed);
}

void
ktagd_stats_broker_forwarded(ktagd_stats_t *self)
{
    atomic_fetch_add_explicit(&self->broker_forwarded, 1, memory_order_relaxed);
}

void
ktagd_stats_broker_workers(ktagd_stats_t *self, int64_t workers)
{
    atomic_store_explicit(&self->broker_workers, workers, memory_order_relaxed);
}

void
ktagd_stats_snapshot(ktagd_stats_t *self, ktagd_stats_snapshot_t *out)
{
    memset(out, 0, sizeof *out);
    out->uptime_s = ktagd_stats_uptime(self);
    out->requests = atomic_load_explicit(&self->requests, memory_order_relaxed);
    out->replies = atomic_load_explicit(&self->replies, memory_order_relaxed);
    out->documents = atomic_load_explicit(&self->documents, memory_order_relaxed);
    out->dropped = atomic_load_explicit(&self->dropped, memory_order_relaxed);
    out->bytes_in = atomic_load_explicit(&self->bytes_in, memory_order_relaxed);
    out->bytes_out = atomic_load_explicit(&self->bytes_out, memory_order_relaxed);
    for (int c = 0; c < KTAG_WIRE_CODE_COUNT; c++)
        out->errors[c] = atomic_load_explicit(&self->errors[c], memory_order_relaxed);
    for (size_t b = 0; b <= KTAGD_STATS_LE_COUNT; b++) {
        out->latency_le[b] = atomic_load_explicit(&self->latency_le[b], memory_order_relaxed);
        out->latency_count += out->latency_le[b];
    }
    out->latency_sum_us = atomic_load_explicit(&self->latency_sum_us, memory_order_relaxed);
    out->in_flight = atomic_load_explicit(&self->in_flight, memory_order_relaxed);
    out->reloads = atomic_load_explicit(&self->reloads, memory_order_relaxed);
    out->reload_failures = atomic_load_explicit(&self->reload_failures, memory_order_relaxed);
    for (int e = 0; e < 3; e++)
        out->connections[e] = atomic_load_explicit(&self->connections[e], memory_order_relaxed);
    out->broker_forwarded = atomic_load_explicit(&self->broker_forwarded, memory_order_relaxed);
    out->broker_workers = atomic_load_explicit(&self->broker_workers, memory_order_relaxed);
}

void
ktagd_stats_reloaded(ktagd_stats_t *self, const char *error)
{
    pthread_mutex_lock(&self->lock);
    if (error) {
        atomic_fetch_add(&self->reload_failures, 1);
        snprintf(self->last_reload_error, sizeof self->last_reload_error, "%s", error);
    } else {
        atomic_fetch_add(&self->reloads, 1);
    }
    pthread_mutex_unlock(&self->lock);
}

void
ktagd_stats_tick(ktagd_stats_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->sample_t[self->next] = s_now();
    self->sample_docs[self->next] = atomic_load(&self->documents);
    self->next = (self->next + 1) % S_WINDOW;
    if (self->samples < S_WINDOW)
        self->samples++;
    pthread_mutex_unlock(&self->lock);
}

static uint64_t
s_percentile(const uint64_t *counts, uint64_t total, double q)
{
    if (total == 0)
        return 0;
    uint64_t rank = (uint64_t) (q * (double) total);
    if (rank >= total)
        rank = total - 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < S_BUCKETS; b++) {
        seen += counts[b];
        if (seen > rank)
            return s_bucket_floor(b);
    }
    return s_bucket_floor(S_BUCKETS - 1);
}

static int
s_key(msgpack_packer *pk, const char *key)
{
    return ktag_msgpack_pack_cstr(pk, key);
}

/* A msgpack str must be UTF-8, and a directory need not be (a Latin-1
   name), nor a reload error cut to 511 bytes inside a character: each
   invalid byte goes out as U+FFFD. */
static int
s_pack_text(msgpack_packer *pk, const char *text)
{
    ktag_msgpack_emitter_t e = ktag_msgpack_emitter(pk);
    return ktag_schema_text(&e.base, text, strlen(text));
}

int
ktagd_stats_pack_lexicon(msgpack_packer *pk, const ktag_lexicon_t *lex)
{
    if (!lex)
        return msgpack_pack_nil(pk);
    int rc = msgpack_pack_map(pk, 6);
    rc |= s_key(pk, "version");
    rc |= ktag_msgpack_pack_cstr(pk, ktag_lexicon_version(lex));
    rc |= s_key(pk, "dir");
    rc |= s_pack_text(pk, ktag_lexicon_dir(lex));
    rc |= s_key(pk, "sets");
    size_t sets = ktag_lexicon_set_count(lex);
    rc |= msgpack_pack_array(pk, sets);
    for (size_t i = 0; i < sets; i++) {
        rc |= msgpack_pack_map(pk, 2);
        rc |= s_key(pk, "dir");
        rc |= s_pack_text(pk, ktag_lexicon_set_dir(lex, i));
        rc |= s_key(pk, "version");
        rc |= ktag_msgpack_pack_cstr(pk, ktag_lexicon_set_version(lex, i));
    }
    rc |= s_key(pk, "load_ms");
    rc |= msgpack_pack_double(pk, ktag_schema_round3(ktag_lexicon_load_ms(lex)));
    rc |= s_key(pk, "entities");
    rc |= msgpack_pack_map(pk, KTAG_TYPE_COUNT);
    for (int t = 0; t < KTAG_TYPE_COUNT; t++) {
        rc |= s_key(pk, ktag_type_name((ktag_type_t) t));
        rc |= msgpack_pack_uint64(pk, ktag_lexicon_entity_count(lex, (ktag_type_t) t));
    }
    rc |= s_key(pk, "aliases");
    rc |= msgpack_pack_map(pk, KTAG_TYPE_COUNT);
    for (int t = 0; t < KTAG_TYPE_COUNT; t++) {
        rc |= s_key(pk, ktag_type_name((ktag_type_t) t));
        rc |= msgpack_pack_uint64(pk, ktag_lexicon_alias_count(lex, (ktag_type_t) t));
    }
    return rc;
}

int
ktagd_stats_pack(ktagd_stats_t *self, msgpack_packer *pk, const ktag_lexicon_t *lex)
{
    uint64_t counts[S_BUCKETS], total = 0;
    for (size_t b = 0; b < S_BUCKETS; b++) {
        counts[b] = atomic_load_explicit(&self->latency[b], memory_order_relaxed);
        total += counts[b];
    }
    double uptime = ktagd_stats_uptime(self);
    uint64_t documents = atomic_load(&self->documents);

    double recent = 0;
    char last_error[512];
    pthread_mutex_lock(&self->lock);
    if (self->samples >= 2) {
        size_t newest = (self->next + S_WINDOW - 1) % S_WINDOW;
        size_t oldest = self->samples < S_WINDOW ? 0 : self->next;
        double dt = self->sample_t[newest] - self->sample_t[oldest];
        if (dt > 0)
            recent = (double) (self->sample_docs[newest] - self->sample_docs[oldest]) / dt;
    }
    memcpy(last_error, self->last_reload_error, sizeof last_error);
    pthread_mutex_unlock(&self->lock);

    int rc = msgpack_pack_map(pk, 16 + (lex != NULL));
    rc |= s_key(pk, "uptime_s");
    rc |= msgpack_pack_double(pk, ktag_schema_round3(uptime));
    rc |= s_key(pk, "requests");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->requests));
    rc |= s_key(pk, "replies");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->replies));
    rc |= s_key(pk, "documents");
    rc |= msgpack_pack_uint64(pk, documents);
    rc |= s_key(pk, "errors");
    rc |= msgpack_pack_map(pk, KTAG_WIRE_CODE_COUNT);
    for (int c = 0; c < KTAG_WIRE_CODE_COUNT; c++) {
        rc |= s_key(pk, ktag_wire_code_name((ktag_wire_code_t) c));
        rc |= msgpack_pack_uint64(pk, atomic_load(&self->errors[c]));
    }
    rc |= s_key(pk, "dropped");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->dropped));
    rc |= s_key(pk, "bytes_in");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->bytes_in));
    rc |= s_key(pk, "bytes_out");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->bytes_out));
    rc |= s_key(pk, "docs_per_sec");
    rc |= msgpack_pack_double(pk, ktag_schema_round3(uptime > 0 ? documents / uptime : 0));
    rc |= s_key(pk, "docs_per_sec_10s");
    rc |= msgpack_pack_double(pk, ktag_schema_round3(recent));
    rc |= s_key(pk, "latency_us");
    rc |= msgpack_pack_map(pk, 4);
    rc |= s_key(pk, "p50");
    rc |= msgpack_pack_uint64(pk, s_percentile(counts, total, 0.50));
    rc |= s_key(pk, "p99");
    rc |= msgpack_pack_uint64(pk, s_percentile(counts, total, 0.99));
    rc |= s_key(pk, "max");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->latency_max));
    rc |= s_key(pk, "count");
    rc |= msgpack_pack_uint64(pk, total);
    rc |= s_key(pk, "in_flight");
    rc |= msgpack_pack_int64(pk, atomic_load(&self->in_flight));
    rc |= s_key(pk, "connections");
    rc |= msgpack_pack_map(pk, 3);
    rc |= s_key(pk, "opened");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->connections[KTAGD_CONN_OPENED]));
    rc |= s_key(pk, "closed");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->connections[KTAGD_CONN_CLOSED]));
    rc |= s_key(pk, "failed");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->connections[KTAGD_CONN_FAILED]));
    rc |= s_key(pk, "reloads");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->reloads));
    rc |= s_key(pk, "reload_failures");
    rc |= msgpack_pack_uint64(pk, atomic_load(&self->reload_failures));
    rc |= s_key(pk, "last_reload_error");
    if (last_error[0])
        rc |= s_pack_text(pk, last_error);
    else
        rc |= msgpack_pack_nil(pk);
    if (lex) {
        rc |= s_key(pk, "lexicon");
        rc |= ktagd_stats_pack_lexicon(pk, lex);
    }
    return rc;
}
