/*  zmq_driver.c - one client for ktagd and for the echo worker, so that the
    two are measured the same way.

    REQ mode keeps one request in flight: its latency is a round trip.
    DEALER mode pipelines up to WINDOW requests (an empty delimiter frame,
    then the request, as SPEC.md says), and matches replies to requests by
    `id`, since a multi-threaded ktagd may answer out of order.  Requests
    are packed before timing starts; each reply is decoded to read `id` and
    `ok`, and any reply that is not ok is counted and reported, never
    silently timed as a success.  With --batch N every request carries N
    documents (`docs`, SPEC.md "Batches"), and its reply must hold N
    results, each ok: documents/s counts documents, latency is per request.

    Prints one JSON object on stdout (see bench/README.md).
*/
#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bench_util.h"

typedef struct {
    char *data;             /* every request, packed back to back */
    size_t *offset;         /* request i is data[offset[i] .. offset[i+1]) */
    size_t count;
} s_requests_t;

static void
s_pack_no_sentiment(msgpack_packer *pk)
{
    msgpack_pack_str_with_body(pk, "options", 7);
    msgpack_pack_map(pk, 1);
    msgpack_pack_str_with_body(pk, "sentiment", 9);
    msgpack_pack_false(pk);
}

/* `count` requests of `batch` documents each (batch 0: one document per
   request, as `text`), documents taken in corpus order, cycling. */
static int
s_requests_pack(s_requests_t *self, const bench_corpus_t *corpus, size_t count, size_t batch,
                int sentiment)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    self->offset = malloc((count + 1) * sizeof *self->offset);
    if (!self->offset)
        return -1;
    size_t d = 0;
    for (size_t i = 0; i < count; i++) {
        self->offset[i] = sbuf.size;
        msgpack_pack_map(&pk, sentiment ? 2 : 3);
        msgpack_pack_str_with_body(&pk, "id", 2);
        msgpack_pack_uint64(&pk, i);
        if (batch) {
            msgpack_pack_str_with_body(&pk, "docs", 4);
            msgpack_pack_array(&pk, batch);
        } else {
            msgpack_pack_str_with_body(&pk, "text", 4);
        }
        for (size_t k = 0; k < (batch ? batch : 1); k++, d = (d + 1) % corpus->count) {
            if (batch) {
                msgpack_pack_map(&pk, 1);
                msgpack_pack_str_with_body(&pk, "text", 4);
            }
            msgpack_pack_str_with_body(&pk, corpus->docs[d], corpus->lens[d]);
        }
        if (!sentiment)
            s_pack_no_sentiment(&pk);
    }
    self->offset[count] = sbuf.size;
    self->count = count;
    self->data = msgpack_sbuffer_release(&sbuf);
    return 0;
}

typedef struct {
    unsigned long long errors;
    char first_error[256];
} s_check_t;

static void
s_first_error(s_check_t *check, const msgpack_object *error, const char *otherwise)
{
    if (check->errors++ > 0)
        return;
    FILE *f = fmemopen(check->first_error, sizeof check->first_error - 1, "w");
    if (f) {
        if (error)
            msgpack_object_print(f, *error);
        else
            fputs(otherwise, f);
        fclose(f);
    }
}

/* Decode a reply; @returns its id, or -1 when it has none we can use.
 * Counts replies that are not {ok: true}, and with `batch` > 0 those
 * without `batch` results each {ok: true}. */
static long long
s_reply_id(const char *data, size_t len, msgpack_unpacked *un, size_t batch, s_check_t *check)
{
    if (msgpack_unpack_next(un, data, len, NULL) != MSGPACK_UNPACK_SUCCESS
        || un->data.type != MSGPACK_OBJECT_MAP) {
        check->errors++;
        snprintf(check->first_error, sizeof check->first_error, "reply is not a msgpack map");
        return -1;
    }
    long long id = -1;
    int ok = 0;
    const msgpack_object *error = NULL, *results = NULL;
    const msgpack_object_map *map = &un->data.via.map;
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key, *v = &map->ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            continue;
        if (k->via.str.size == 2 && memcmp(k->via.str.ptr, "id", 2) == 0
            && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            id = (long long) v->via.u64;
        else if (k->via.str.size == 2 && memcmp(k->via.str.ptr, "ok", 2) == 0
                 && v->type == MSGPACK_OBJECT_BOOLEAN)
            ok = v->via.boolean;
        else if (k->via.str.size == 5 && memcmp(k->via.str.ptr, "error", 5) == 0)
            error = v;
        else if (k->via.str.size == 7 && memcmp(k->via.str.ptr, "results", 7) == 0)
            results = v;
    }
    if (!ok) {
        s_first_error(check, error, "reply without ok: true");
    } else if (batch) {
        if (!results || results->type != MSGPACK_OBJECT_ARRAY
            || results->via.array.size != batch) {
            s_first_error(check, NULL, "batch reply without one result per document");
            return id;
        }
        for (uint32_t i = 0; i < batch; i++) {
            const msgpack_object *r = &results->via.array.ptr[i];
            const msgpack_object *rok = NULL, *rerr = NULL;
            for (uint32_t j = 0; r->type == MSGPACK_OBJECT_MAP && j < r->via.map.size; j++) {
                const msgpack_object *k = &r->via.map.ptr[j].key;
                if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 2
                    && memcmp(k->via.str.ptr, "ok", 2) == 0)
                    rok = &r->via.map.ptr[j].val;
                else if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 5
                         && memcmp(k->via.str.ptr, "error", 5) == 0)
                    rerr = &r->via.map.ptr[j].val;
            }
            if (!rok || rok->type != MSGPACK_OBJECT_BOOLEAN || !rok->via.boolean) {
                s_first_error(check, rerr, "batch result without ok: true");
                break;
            }
        }
    }
    return id;
}

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: zmq_driver -e ENDPOINT [-m req|dealer] [-w WINDOW] [-n DOCUMENTS] [-W WARMUP]\n"
        "                  [-b BATCH] [-t TIMEOUT_MS] [--no-sentiment] CORPUS\n"
        "  -e, --endpoint EP     ktagd or echo_worker ROUTER endpoint\n"
        "  -m, --mode MODE       req (one in flight, default) or dealer (pipelined)\n"
        "  -w, --window N        requests in flight in dealer mode (default 64)\n"
        "  -n, --requests N      documents to time (default: one per document; cycles)\n"
        "  -W, --warmup N        untimed documents first (default 1000)\n"
        "  -b, --batch N         N documents per request (docs); 0 = text, one (default)\n"
        "  -t, --timeout MS      give up when no reply comes for MS (default 10000)\n"
        "      --no-sentiment    send options {sentiment: false}\n");
}

int
main(int argc, char **argv)
{
    const char *endpoint = NULL, *mode = "req";
    size_t window = 64, nreq = 0, warmup = 1000, batch = 0;
    int timeout_ms = 10000, sentiment = 1;
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"mode", required_argument, NULL, 'm'},
        {"window", required_argument, NULL, 'w'},
        {"requests", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'W'},
        {"timeout", required_argument, NULL, 't'},
        {"batch", required_argument, NULL, 'b'},
        {"no-sentiment", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "e:m:w:n:W:t:b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'm': mode = optarg; break;
        case 'w': window = strtoul(optarg, NULL, 10); break;
        case 'n': nreq = strtoul(optarg, NULL, 10); break;
        case 'W': warmup = strtoul(optarg, NULL, 10); break;
        case 't': timeout_ms = atoi(optarg); break;
        case 'b': batch = strtoul(optarg, NULL, 10); break;
        case 'S': sentiment = 0; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    int dealer = strcmp(mode, "dealer") == 0;
    if (!endpoint || optind != argc - 1 || (!dealer && strcmp(mode, "req") != 0)
        || window < 1) {
        s_usage(stderr);
        return 2;
    }
    if (!dealer)
        window = 1;

    bench_corpus_t *corpus = bench_corpus_load(argv[optind], 0);
    if (!corpus)
        return 1;
    if (nreq == 0)
        nreq = corpus->count;
    /* From here on nreq and warmup count requests: documents / batch. */
    size_t per = batch ? batch : 1;
    nreq = (nreq + per - 1) / per;
    warmup = (warmup + per - 1) / per;
    /* Warm-up requests come first in the array and are not timed. */
    size_t total = warmup + nreq;
    s_requests_t reqs = {0};
    if (s_requests_pack(&reqs, corpus, total, batch, sentiment) != 0)
        return 1;
    size_t text_bytes = 0;
    for (size_t i = warmup * per; i < total * per; i++)
        text_bytes += corpus->lens[i % corpus->count];

    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, dealer ? ZMQ_DEALER : ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    if (zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "zmq_driver: cannot connect %s: %s\n", endpoint, zmq_strerror(errno));
        return 1;
    }

    double *sent_at = malloc(total * sizeof *sent_at);
    double *latency = malloc(nreq * sizeof *latency);
    unsigned char *done = calloc(total, 1);
    if (!sent_at || !latency || !done)
        return 1;
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    s_check_t check = {0};
    size_t next = 0, received = 0, nlat = 0;
    unsigned long long stray = 0;
    double start = 0;
    zmq_msg_t reply;

    while (received < total) {
        while (next < total && next - received < window) {
            if (next == warmup && received == warmup)
                start = bench_now();
            else if (next == warmup)
                break;          /* drain the warm-up before the clock starts */
            if (dealer && zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0)
                goto io_fail;
            sent_at[next] = bench_now();
            if (zmq_send(sock, reqs.data + reqs.offset[next],
                         reqs.offset[next + 1] - reqs.offset[next], 0) < 0)
                goto io_fail;
            next++;
        }
        zmq_msg_init(&reply);
        if (zmq_msg_recv(&reply, sock, 0) < 0)
            goto io_fail;
        if (dealer) {
            /* the empty delimiter frame, then the reply */
            zmq_msg_close(&reply);
            zmq_msg_init(&reply);
            if (zmq_msg_recv(&reply, sock, 0) < 0)
                goto io_fail;
        }
        double now = bench_now();
        long long id = s_reply_id(zmq_msg_data(&reply), zmq_msg_size(&reply), &un, batch,
                                  &check);
        zmq_msg_close(&reply);
        if (id < 0 || (size_t) id >= next || done[id]) {
            stray++;            /* a reply we cannot attribute: counted, not timed */
            if (!dealer)
                received++;
            continue;
        }
        done[id] = 1;
        received++;
        if ((size_t) id >= warmup)
            latency[nlat++] = (now - sent_at[id]) * 1e6;
    }
    double wall = bench_now() - start;
    double p50 = bench_median(latency, nlat);   /* sorts: percentiles below are exact ranks */
    double p99 = latency[(size_t) ((double) (nlat - 1) * 0.99)];
    double p999 = latency[(size_t) ((double) (nlat - 1) * 0.999)];

    printf("{\"tool\":\"zmq_driver\",\"endpoint\":");
    bench_print_json_string(endpoint);
    printf(",\"mode\":\"%s\",\"window\":%zu,\"sentiment\":%s,\"batch\":%zu,"
           "\"requests\":%zu,\"docs\":%zu,\"warmup\":%zu,"
           "\"bytes\":%zu,\"wall_s\":%.6f,\"docs_per_s\":%.1f,\"requests_per_s\":%.1f,"
           "\"mb_per_s\":%.2f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
           "\"errors\":%llu,\"stray\":%llu,\"first_error\":",
           dealer ? "dealer" : "req", window, sentiment ? "true" : "false", batch, nreq,
           nreq * per, warmup, text_bytes, wall, nreq * per / wall, nreq / wall,
           text_bytes / wall / 1e6, p50, p99, p999, latency[nlat - 1], check.errors, stray);
    bench_print_json_string(check.first_error);
    printf("}\n");

    msgpack_unpacked_destroy(&un);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    free(sent_at);
    free(latency);
    free(done);
    free(reqs.data);
    free(reqs.offset);
    bench_corpus_destroy(&corpus);
    return check.errors || stray ? 1 : 0;

io_fail:
    fprintf(stderr, "zmq_driver: %s after %zu of %zu replies: %s%s%s\n", endpoint, received,
            total, errno == EAGAIN ? "timed out" : zmq_strerror(errno),
            check.errors ? "; first error reply: " : "", check.first_error);
    return 1;
}
