/*  remote.c - `ktag --connect`: tag through a running ktagd or broker.

    One DEALER socket, pipelined: up to `window` documents are in flight,
    in batches of up to --batch documents or 1 MiB (docs/PROTOCOL.md,
    "Batches"), each request sent as [empty delimiter, msgpack request] as
    REQ would, with the sequence number of its first document as the
    request id.  Replies may come back in any order; they are matched by
    that id, given back the documents' own ids, and written in input order
    through the same formatter as in-process results.  A batch refused as a
    whole (too large for the daemon, a daemon from before batches) is sent
    again one document at a time, so that only a document at fault fails.

    Lossless, the Lazy Pirate way (docs/PROTOCOL.md, "Broker and workers"):
    a request without a reply after --timeout seconds is charged a try, the
    socket is closed and rebuilt (dropping what was queued towards a dead
    peer and any late reply), and every unanswered request is sent again.
    Replies are keyed by sequence id, so a late duplicate is ignored and no
    result is written twice or out of order.  Only when a request has had
    --retries + 1 tries does the run give up, naming the documents.
*/
#include "ktag_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <zmq.h>

#include "ktag_msgpack.h"

typedef enum { S_FREE = 0, S_PENDING, S_DONE } s_state_t;

/* What the client knows about one slot of the window.  A request covers the
 * contiguous documents [head, head + count); its bookkeeping lives in the
 * slot of its head. */
typedef struct {
    s_state_t state;
    ktag_cli_doc_t doc;         /* borrowed from the slot, alive until its reset */
    uint64_t head;              /* sequence number of its request's first document */
    uint32_t count;             /* head slot: documents in the request */
    bool batch;                 /* head slot: sent as a batch (`docs`), not as one `text` */
    int attempts;               /* head slot: tries charged (timeouts), from 1 */
    int overloaded;             /* head slot: `overloaded` replies retried */
    double deadline;            /* head slot: its reply is late after this */
    double resend_at;           /* head slot: > 0 when an `overloaded` reply asks to wait */
} s_track_t;

#define S_MAX_OVERLOADED 8
#define S_BATCH_BYTES (1u << 20)    /* a batch ends before 1 MiB of documents */
#define S_BATCH_OVERHEAD 512        /* room for the batch's id and options */
/* A batch's id is its head's sequence number with this bit set, so that a
 * reply to a batch is never taken for the reply to its first document
 * alone (after a split) and the other way round. */
#define S_BATCH_ID (UINT64_C(1) << 62)

typedef struct {
    const ktag_cli_config_t *config;
    void *ctx, *sock;
    ktag_cli_slot_t *slots;
    s_track_t *track;
    size_t window;
    uint64_t produced, next_write;
    ktag_cli_buf_t request;
    ktag_wire_doc_t *docs;      /* a batch's documents, as packed */
    uint64_t max_size;          /* the daemon's message limit, 0 = unknown */
    int batch;                  /* documents per request: --batch, 1 after a refusal */
    uint64_t open_head;         /* the batch being filled: its first document, */
    uint32_t open_count;        /* its documents (0 = none open) */
    size_t open_bytes;          /* and their packed size, at most */
    uint64_t retried;           /* requests sent again after a timeout */
    bool failed;                /* a send failed: stop */
} s_remote_t;

static int
s_pack_cb(void *user, const char *data, size_t size)
{
    ktag_cli_buf_append(user, data, size);
    return 0;
}

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Close the socket (if any) and connect a new one: a new identity at the
 * daemon, so replies to what was sent on the old one never arrive. */
static int
s_open_socket(s_remote_t *r)
{
    if (r->sock)
        zmq_close(r->sock);
    r->sock = zmq_socket(r->ctx, ZMQ_DEALER);
    int linger = 0;
    /* Queues deep enough for the whole window: a ROUTER drops replies to a
     * peer whose receive queue is full rather than wait. */
    int hwm = (int) r->window * 2 + 16;
    if (!r->sock || zmq_setsockopt(r->sock, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_setsockopt(r->sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0
        || zmq_setsockopt(r->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0
        || zmq_connect(r->sock, r->config->connect) != 0) {
        fprintf(stderr, "ktag: cannot connect to %s: %s\n", r->config->connect,
                zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static int
s_send_buf(s_remote_t *r, const char *data, size_t len)
{
    if (zmq_send(r->sock, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(r->sock, data, len, 0) < 0) {
        fprintf(stderr, "ktag: cannot send to %s: %s\n", r->config->connect,
                zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static ktag_wire_doc_t
s_wire_doc(const ktag_cli_doc_t *doc)
{
    return (ktag_wire_doc_t) {.id = {.kind = KTAG_ID_NONE}, .text = doc->text,
                              .text_len = doc->text_len, .title = doc->title,
                              .title_len = doc->title_len};
}

/* Pack the request whose head document is `head` into r->request. */
static void
s_pack(s_remote_t *r, uint64_t head)
{
    const s_track_t *t = &r->track[head % r->window];
    r->request.len = 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &r->request, s_pack_cb);
    ktag_wire_id_t id = {.kind = KTAG_ID_UINT, .unum = t->batch ? head | S_BATCH_ID : head};
    if (!t->batch) {
        ktag_msgpack_pack_request(&pk, &id, t->doc.text, t->doc.text_len, t->doc.title,
                                  t->doc.title_len, &r->config->options);
        return;
    }
    /* The entries carry no id: results come back in the order of docs. */
    for (uint32_t i = 0; i < t->count; i++)
        r->docs[i] = s_wire_doc(&r->track[(head + i) % r->window].doc);
    ktag_msgpack_pack_batch_request(&pk, &id, r->docs, t->count, &r->config->options);
}

/* (Re)send the request of `head` as packed from its documents. */
static int
s_send(s_remote_t *r, uint64_t head)
{
    s_track_t *t = &r->track[head % r->window];
    s_pack(r, head);
    t->resend_at = 0;
    t->deadline = s_now() + r->config->timeout;
    return s_send_buf(r, r->request.data, r->request.len);
}

/* Ask the daemon for its limits before sending documents: a request over
 * its max_message_size would not be answered (libzmq drops the peer), so
 * such documents fail here instead, each at its place.  Doubles as the
 * check that something answers at all, with the same tries as documents.
 * @returns 0 and sets *max_size (0 = unknown), or -1 when nothing answered. */
static int
s_handshake(s_remote_t *r, uint64_t *max_size)
{
    const ktag_cli_config_t *config = r->config;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    ktag_msgpack_pack_cstr(&pk, "id");
    ktag_msgpack_pack_cstr(&pk, "ktag-info");
    ktag_msgpack_pack_cstr(&pk, "op");
    ktag_msgpack_pack_cstr(&pk, "info");
    *max_size = 0;
    int rc = -1;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (int attempt = 0; rc != 0 && attempt <= config->retries; attempt++) {
        if ((attempt > 0 && s_open_socket(r) != 0) || s_send_buf(r, sb.data, sb.size) != 0)
            break;
        double deadline = s_now() + config->timeout;
        while (rc != 0) {
            double left = deadline - s_now();
            zmq_pollitem_t item = {r->sock, 0, ZMQ_POLLIN, 0};
            if (left <= 0)
                break;
            if (zmq_poll(&item, 1, (long) (left * 1000) + 1) < 0) {
                if (zmq_errno() == EINTR)
                    continue;
                break;
            }
            while (rc != 0 && zmq_msg_recv(&msg, r->sock, ZMQ_DONTWAIT) >= 0) {
                if (zmq_msg_more(&msg))
                    continue;
                msgpack_unpacked up;
                msgpack_unpacked_init(&up);
                size_t off = 0;
                if (msgpack_unpack_next(&up, zmq_msg_data(&msg), zmq_msg_size(&msg), &off)
                    == MSGPACK_UNPACK_SUCCESS) {
                    const msgpack_object *id = ktag_msgpack_map_get(&up.data, "id");
                    const msgpack_object *max = ktag_msgpack_map_get(&up.data, "max_message_size");
                    if (id && id->type == MSGPACK_OBJECT_STR && id->via.str.size == 9
                        && memcmp(id->via.str.ptr, "ktag-info", 9) == 0) {
                        if (max && max->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                            *max_size = max->via.u64;
                        rc = 0;
                    }
                }
                msgpack_unpacked_destroy(&up);
            }
        }
    }
    zmq_msg_close(&msg);
    msgpack_sbuffer_destroy(&sb);
    if (rc != 0)
        fprintf(stderr, "ktag: no answer from %s after %d attempt%s of %g s (is ktagd running there?)\n",
                config->connect, config->retries + 1, config->retries ? "s" : "", config->timeout);
    return rc;
}

/* Turn the reply to `slot` into its output, with the document's own id. */
static void
s_reply(const ktag_cli_config_t *config, ktag_cli_slot_t *slot, const msgpack_object *reply,
        json_t *doc_id)
{
    const msgpack_object *ok = ktag_msgpack_map_get(reply, "ok");
    if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN || !ok->via.boolean) {
        const msgpack_object *err = ktag_msgpack_map_get(reply, "error");
        const msgpack_object *code = err ? ktag_msgpack_map_get(err, "code") : NULL;
        const msgpack_object *message = err ? ktag_msgpack_map_get(err, "message") : NULL;
        const char *c = "?", *m = "";
        int code_len = 1, msg_len = 0;
        if (code && code->type == MSGPACK_OBJECT_STR) {
            c = code->via.str.ptr;
            code_len = (int) code->via.str.size;
        }
        if (message && message->type == MSGPACK_OBJECT_STR) {
            m = message->via.str.ptr;
            msg_len = (int) message->via.str.size;
        }
        ktag_cli_slot_diag(slot, "%.*s: %.*s", code_len, c, msg_len, m);
    }
    ktag_cli_format_reply(config, reply, doc_id, &slot->out);
}

static bool
s_is_overloaded(const msgpack_object *reply)
{
    const msgpack_object *err = ktag_msgpack_map_get(reply, "error");
    const msgpack_object *code = err ? ktag_msgpack_map_get(err, "code") : NULL;
    return code && code->type == MSGPACK_OBJECT_STR && code->via.str.size == 10
           && memcmp(code->via.str.ptr, "overloaded", 10) == 0;
}

/* Send the batch being filled, if any.  @returns 0, or -1 when the send
 * failed. */
static int
s_flush(s_remote_t *r)
{
    if (r->open_count == 0)
        return 0;
    s_track_t *t = &r->track[r->open_head % r->window];
    t->count = r->open_count;
    t->batch = r->open_count > 1;
    t->attempts = 1;
    r->open_count = 0;
    return s_send(r, r->open_head);
}

/* The daemon refused the batch of `head` as a whole: send its documents
 * again one at a time, and no more batches in this run. */
static void
s_split(s_remote_t *r, uint64_t head)
{
    uint32_t count = r->track[head % r->window].count;
    if (r->batch > 1)
        fprintf(stderr, "ktag: %s refused a batch of %u documents; sending them one by one\n",
                r->config->connect, count);
    r->batch = 1;
    for (uint64_t seq = head; seq < head + count; seq++) {
        s_track_t *t = &r->track[seq % r->window];
        t->head = seq;
        t->count = 1;
        t->batch = false;
        t->attempts = 1;
        t->overloaded = 0;
        if (s_send(r, seq) != 0)
            r->failed = true;
    }
}

/* Take one reply: @returns the number of documents it answered (0 for a
 * duplicate, a stray message or an `overloaded` reply to retry later). */
static uint64_t
s_accept(s_remote_t *r, const msgpack_object *reply)
{
    const msgpack_object *rid = ktag_msgpack_map_get(reply, "id");
    if (!rid || rid->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return 0;       /* not one of ours (a late handshake reply) */
    bool batch = (rid->via.u64 & S_BATCH_ID) != 0;
    uint64_t head = rid->via.u64 & ~S_BATCH_ID;
    if (head < r->next_write || head >= r->produced)
        return 0;       /* long answered: a late duplicate */
    s_track_t *t = &r->track[head % r->window];
    if (t->state != S_PENDING || t->head != head || t->count == 0 || t->batch != batch)
        return 0;       /* answered already: a duplicate */
    if (s_is_overloaded(reply) && t->overloaded < S_MAX_OVERLOADED) {
        /* The daemon sheds load rather than queueing without bound; back
         * off a little and ask again. */
        t->resend_at = s_now() + 0.001 * (1 << t->overloaded);
        t->overloaded++;
        return 0;
    }
    /* A batch's reply holds one entry per document; a single document's
     * reply is its own. */
    const msgpack_object *results = NULL;
    if (t->batch) {
        results = ktag_msgpack_map_get(reply, "results");
        if (!results || results->type != MSGPACK_OBJECT_ARRAY
            || results->via.array.size != t->count) {
            s_split(r, head);
            return 0;
        }
    }
    for (uint32_t i = 0; i < t->count; i++) {
        size_t idx = (head + i) % r->window;
        s_reply(r->config, &r->slots[idx], results ? &results->via.array.ptr[i] : reply,
                r->track[idx].doc.id);
        r->track[idx].state = S_DONE;
    }
    return t->count;
}

/* Retries exhausted: every unanswered document becomes an error at its
 * place, named on stderr. */
static void
s_give_up(s_remote_t *r)
{
    const ktag_cli_config_t *config = r->config;
    fprintf(stderr, "ktag: no reply from %s after %d attempt%s of %g s: giving up\n",
            config->connect, config->retries + 1, config->retries ? "s" : "", config->timeout);
    for (uint64_t seq = r->next_write; seq < r->produced; seq++) {
        size_t idx = seq % r->window;
        if (r->track[idx].state != S_PENDING)
            continue;
        ktag_cli_doc_fail(&r->slots[idx], config, r->track[idx].doc.id, "timeout",
                          "no reply from %s after %d attempt%s of %g s", config->connect,
                          config->retries + 1, config->retries ? "s" : "", config->timeout);
        r->track[idx].state = S_DONE;
    }
}

/* Deal with the requests whose deadline or backoff passed.  Lazy Pirate: a
 * late request is charged a try; then a new socket, and every unanswered
 * request goes again (the others are not charged: they were not late).
 * @returns 0, 1 when a request is out of tries (the caller gives up), or
 * -1 when the socket could not be rebuilt. */
static int
s_expire(s_remote_t *r, double now)
{
    bool late = false, exhausted = false;
    for (uint64_t seq = r->next_write; seq < r->produced; seq++) {
        s_track_t *t = &r->track[seq % r->window];
        if (t->state != S_PENDING || t->head != seq || t->resend_at > 0 || t->deadline > now)
            continue;
        late = true;
        if (++t->attempts > r->config->retries + 1)
            exhausted = true;
    }
    if (exhausted)
        return 1;
    if (late) {
        if (s_open_socket(r) != 0)
            return -1;
        for (uint64_t seq = r->next_write; seq < r->produced; seq++) {
            s_track_t *t = &r->track[seq % r->window];
            if (t->state == S_PENDING && t->head == seq) {
                if (s_send(r, seq) != 0)
                    return -1;
                r->retried++;
            }
        }
        return 0;
    }
    for (uint64_t seq = r->next_write; seq < r->produced; seq++) {
        s_track_t *t = &r->track[seq % r->window];
        if (t->state == S_PENDING && t->head == seq && t->resend_at > 0 && t->resend_at <= now
            && s_send(r, seq) != 0)
            return -1;
    }
    return 0;
}

/* When the next request is due (its deadline or backoff), or +inf. */
static double
s_next_due(const s_remote_t *r)
{
    double due = 1e300;
    for (uint64_t seq = r->next_write; seq < r->produced; seq++) {
        const s_track_t *t = &r->track[seq % r->window];
        if (t->state != S_PENDING || t->head != seq)
            continue;
        double when = t->resend_at > 0 ? t->resend_at : t->deadline;
        if (when < due)
            due = when;
    }
    return due;
}

/* Read documents until the window is full or the input ends (*eof), and
 * send them in batches of consecutive documents; a document that cannot be
 * sent (unreadable, too large) is done at once, with its error.  Counts
 * the documents sent in *pending.  @returns 0, or -1 when a send failed. */
static int
s_fill(s_remote_t *r, ktag_cli_reader_t *reader, bool *eof, uint64_t *pending)
{
    const ktag_cli_config_t *config = r->config;
    size_t room = r->max_size && r->max_size < S_BATCH_BYTES ? r->max_size : S_BATCH_BYTES;
    while (r->produced - r->next_write < r->window) {
        /* Input that trickles in (a pipe) is tagged as it comes. */
        if (r->open_count && ktag_cli_reader_may_wait(reader) && s_flush(r) != 0)
            return -1;
        size_t idx = r->produced % r->window;
        ktag_cli_slot_t *slot = &r->slots[idx];
        s_track_t *t = &r->track[idx];
        if (!ktag_cli_reader_next(reader, slot)) {
            *eof = true;
            break;
        }
        memset(t, 0, sizeof *t);
        t->state = S_DONE;
        bool added = false;
        if (ktag_cli_doc_extract(slot, config, NULL, &t->doc) == 0) {
            ktag_wire_doc_t wire = s_wire_doc(&t->doc);
            size_t size = ktag_msgpack_batch_doc_size(&wire);
            bool too_large = false;
            if (r->max_size && size + S_BATCH_OVERHEAD > r->max_size) {
                /* Near the limit: measure it packed alone. */
                t->head = r->produced;
                t->count = 1;
                s_pack(r, r->produced);
                too_large = r->request.len > r->max_size;
            }
            if (too_large) {
                ktag_cli_doc_fail(slot, config, t->doc.id, "too_large",
                                  "document of %zu bytes exceeds the daemon's limit of %llu bytes",
                                  t->doc.text_len + t->doc.title_len,
                                  (unsigned long long) r->max_size);
            } else {
                if (r->open_count
                    && (r->open_count >= (uint32_t) r->batch
                        || r->open_bytes + size + S_BATCH_OVERHEAD > room)
                    && s_flush(r) != 0)
                    return -1;
                if (r->open_count == 0) {
                    r->open_head = r->produced;
                    r->open_bytes = 0;
                }
                t->head = r->open_head;
                t->state = S_PENDING;
                r->open_count++;
                r->open_bytes += size;
                (*pending)++;
                added = true;
            }
        }
        /* A batch is a run of consecutive documents. */
        if (!added && s_flush(r) != 0)
            return -1;
        r->produced++;
    }
    return s_flush(r);
}

int
ktag_cli_run_remote(const ktag_cli_config_t *config, ktag_cli_reader_t *reader, ktag_cli_sink_t *sink)
{
    s_remote_t r = {.config = config, .window = (size_t) config->window, .batch = config->batch};
    r.slots = calloc(r.window, sizeof *r.slots);
    r.track = calloc(r.window, sizeof *r.track);
    r.docs = calloc(r.window, sizeof *r.docs);
    if (!r.slots || !r.track || !r.docs) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    int rc = 0;
    msgpack_unpacked unpacked;
    msgpack_unpacked_init(&unpacked);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    r.ctx = zmq_ctx_new();
    if (!r.ctx || s_open_socket(&r) != 0 || s_handshake(&r, &r.max_size) != 0) {
        rc = -1;
        goto done;
    }

    uint64_t pending = 0;       /* documents sent and not answered */
    bool eof = false, gave_up = false;
    for (;;) {
        if (!eof && !gave_up && s_fill(&r, reader, &eof, &pending) != 0) {
            rc = -1;
            goto done;
        }
        while (r.next_write < r.produced && r.track[r.next_write % r.window].state == S_DONE) {
            size_t idx = r.next_write % r.window;
            ktag_cli_sink_write(sink, &r.slots[idx]);
            r.track[idx].state = S_FREE;
            r.next_write++;
        }
        if ((eof || gave_up) && r.next_write == r.produced)
            break;
        if (pending == 0)
            continue;

        double left = s_next_due(&r) - s_now();
        zmq_pollitem_t item = {r.sock, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, 1, left > 0 ? (long) (left * 1000) + 1 : 0);
        if (n < 0 && zmq_errno() != EINTR) {
            fprintf(stderr, "ktag: poll failed: %s\n", zmq_strerror(zmq_errno()));
            rc = -1;
            goto done;
        }
        /* A reply is [empty delimiter, msgpack]; take all that arrived. */
        while (n > 0 && zmq_msg_recv(&msg, r.sock, ZMQ_DONTWAIT) >= 0) {
            if (zmq_msg_more(&msg))
                continue;       /* the delimiter (or a stray envelope frame) */
            size_t off = 0;
            if (msgpack_unpack_next(&unpacked, zmq_msg_data(&msg), zmq_msg_size(&msg), &off)
                != MSGPACK_UNPACK_SUCCESS) {
                fprintf(stderr, "ktag: %s sent a reply that is not msgpack; ignored\n", config->connect);
                continue;
            }
            pending -= s_accept(&r, &unpacked.data);
        }
        if (r.failed) {
            rc = -1;
            goto done;
        }
        int expired = s_expire(&r, s_now());
        if (expired < 0) {
            rc = -1;
            goto done;
        }
        if (expired > 0) {
            s_give_up(&r);
            gave_up = true;
            pending = 0;
            rc = -1;
        }
    }
    if (gave_up && !eof)
        fprintf(stderr, "ktag: stopped after %llu documents; the rest of the input was not read\n",
                (unsigned long long) r.produced);
    if (r.retried)
        fprintf(stderr, "ktag: %llu request%s sent again after a timeout\n",
                (unsigned long long) r.retried, r.retried == 1 ? " was" : "s were");
done:
    msgpack_unpacked_destroy(&unpacked);
    zmq_msg_close(&msg);
    ktag_cli_buf_free(&r.request);
    if (r.sock)
        zmq_close(r.sock);
    if (r.ctx)
        zmq_ctx_term(r.ctx);
    for (size_t i = 0; i < r.window; i++)
        ktag_cli_slot_free(&r.slots[i]);
    free(r.slots);
    free(r.track);
    free(r.docs);
    return rc;
}
