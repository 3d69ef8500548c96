/*  ktagd_stats.h - the daemon's counters: requests, errors by code, bytes,
    documents/s, service latency percentiles, reloads.

    Counters are atomics updated by every thread without locks; a snapshot
    (ktagd_stats_pack) reads them without stopping anyone, so the figures
    of one snapshot may be a few requests apart from each other.
*/
#ifndef KTAGD_STATS_H_INCLUDED
#define KTAGD_STATS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "ktag_msgpack.h"
#include "ktagd_lexholder.h"

typedef struct ktagd_stats ktagd_stats_t;

/** @returns new zeroed stats whose uptime starts now; NULL when out of memory. */
ktagd_stats_t *ktagd_stats_new(void);

/** Free.  Accepts NULL. */
void ktagd_stats_destroy(ktagd_stats_t **self_p);

/** A message arrived on the front socket (`bytes`: all its frames). */
void ktagd_stats_received(ktagd_stats_t *self, size_t bytes);

/** A reply of `bytes` was sent; `service_us` is the time from the worker
 *  receiving the request to the reply being ready (UINT64_MAX: unknown,
 *  not counted in the latency figures); `documents` 1 when a document was
 *  tagged. */
void ktagd_stats_replied(ktagd_stats_t *self, size_t bytes, uint64_t service_us, int documents);

/** A request was answered with the error `code`. */
void ktagd_stats_error(ktagd_stats_t *self, ktag_wire_code_t code);

/** A message was dropped without a reply (no route back, a peer gone). */
void ktagd_stats_dropped(ktagd_stats_t *self);

/** Connection events on the front socket (from a ZeroMQ socket monitor):
 *  a peer connected, a peer went away (including peers libzmq dropped for
 *  an oversized message, where no reply is possible), a handshake failed
 *  (not ZMTP, or refused by CURVE). */
typedef enum { KTAGD_CONN_OPENED, KTAGD_CONN_CLOSED, KTAGD_CONN_FAILED } ktagd_conn_event_t;
void ktagd_stats_connection(ktagd_stats_t *self, ktagd_conn_event_t event);

/** The number of requests between the front and the workers right now. */
void ktagd_stats_set_in_flight(ktagd_stats_t *self, int64_t in_flight);

/** A reload ended; `error` is NULL on success, else why it failed (copied). */
void ktagd_stats_reloaded(ktagd_stats_t *self, const char *error);

/** Record the document count for the recent-rate window.  Called about
 *  once a second by the main loop. */
void ktagd_stats_tick(ktagd_stats_t *self);

/** Write the stats map: uptime_s, requests, replies, documents, errors
 *  (one key per wire code), dropped, bytes_in, bytes_out, docs_per_sec,
 *  docs_per_sec_10s, latency_us{p50, p99, max}, in_flight, connections{opened,
 *  closed, failed}, reloads,
 *  reload_failures, last_reload_error, and, when `lex` is not NULL,
 *  lexicon{version, dir, entities{type: n}}.
 *  @returns 0 or the packer's error. */
int ktagd_stats_pack(ktagd_stats_t *self, msgpack_packer *pk, const ktag_lexicon_t *lex);

/** Write the lexicon description {version, dir, sets[{dir, version}],
 *  load_ms, entities{type: n}, aliases{type: n}} of `lex` (nil when NULL);
 *  `sets` lists every merged set in load order.  @returns 0 or the packer's error. */
int ktagd_stats_pack_lexicon(msgpack_packer *pk, const ktag_lexicon_t *lex);

/** The upper bounds (`le`) of the latency histogram that ktagd_stats_snapshot()
 *  reports, in microseconds, ascending; a last, unbounded bucket follows. */
#define KTAGD_STATS_LE_COUNT 17
extern const uint64_t ktagd_stats_le_us[KTAGD_STATS_LE_COUNT];

/** Every counter at one moment, for the metrics endpoint (ktagd_metrics.h).
 *  Read without a lock, so two figures may be a few requests apart; the
 *  histogram's `latency_count` is the sum of its own buckets, so those agree. */
typedef struct {
    double uptime_s;
    uint64_t requests, replies, documents, dropped, bytes_in, bytes_out;
    uint64_t errors[KTAG_WIRE_CODE_COUNT];
    uint64_t latency_le[KTAGD_STATS_LE_COUNT + 1];  /**< per bucket, not cumulative */
    uint64_t latency_count, latency_sum_us;
    int64_t in_flight;
    uint64_t reloads, reload_failures;
    uint64_t connections[3];        /**< by ktagd_conn_event_t */
    uint64_t broker_forwarded;      /**< requests a broker passed to a worker */
    int64_t broker_workers;         /**< live workers of a broker */
} ktagd_stats_snapshot_t;

/** Fill `out` with the counters now.  This function can't fail. */
void ktagd_stats_snapshot(ktagd_stats_t *self, ktagd_stats_snapshot_t *out);

/** Broker mode: a request was passed on to a worker. */
void ktagd_stats_broker_forwarded(ktagd_stats_t *self);

/** Broker mode: how many live workers the broker has now. */
void ktagd_stats_broker_workers(ktagd_stats_t *self, int64_t workers);

/** @returns how many requests were received and how many replies sent. */
uint64_t ktagd_stats_requests(const ktagd_stats_t *self);
uint64_t ktagd_stats_replies(const ktagd_stats_t *self);

/** @returns seconds since ktagd_stats_new(). */
double ktagd_stats_uptime(const ktagd_stats_t *self);

#endif
