/*  remote.c - `ktag --connect`: tag through a running ktagd.

    One DEALER socket, pipelined: up to `window` requests are in flight, each
    sent as [empty delimiter, msgpack request] as REQ would, with the slot's
    sequence number as the request id.  Replies may come back in any order;
    they are matched by that id, given back the document's own id, and
    written in input order through the same formatter as in-process results.
*/
#include "ktag_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <zmq.h>

#include "ktag_json.h"
#include "ktag_msgpack.h"

typedef enum { S_FREE = 0, S_PENDING, S_DONE } s_state_t;

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

static void
s_pack(const ktag_cli_config_t *config, uint64_t seq, const ktag_cli_doc_t *doc, ktag_cli_buf_t *buf)
{
    buf->len = 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, buf, s_pack_cb);
    ktag_wire_id_t id = {.kind = KTAG_ID_UINT, .unum = seq};
    ktag_msgpack_pack_request(&pk, &id, doc->text, doc->text_len, doc->title, doc->title_len,
                              &config->options);
}

static int
s_send(void *sock, const ktag_cli_config_t *config, ktag_cli_buf_t *buf)
{
    if (zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(sock, buf->data, buf->len, 0) < 0) {
        fprintf(stderr, "ktag: cannot send to %s: %s\n", config->connect, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* Ask the daemon for its limits before sending documents: a request over
 * its max_message_size would not be answered (libzmq drops the peer), so
 * such documents fail here instead, each at its place.  Doubles as the
 * check that something answers at all.
 * @returns 0 and sets *max_size (0 = unknown), or -1 on timeout. */
static int
s_handshake(void *sock, const ktag_cli_config_t *config, uint64_t *max_size)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    ktag_msgpack_pack_cstr(&pk, "id");
    ktag_msgpack_pack_cstr(&pk, "ktag-info");
    ktag_msgpack_pack_cstr(&pk, "op");
    ktag_msgpack_pack_cstr(&pk, "info");
    int rc = zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(sock, sb.data, sb.size, 0) < 0 ? -1 : 1;
    msgpack_sbuffer_destroy(&sb);
    *max_size = 0;
    double deadline = s_now() + config->timeout;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (rc > 0) {
        double left = deadline - s_now();
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (left <= 0 || zmq_poll(&item, 1, (long) (left * 1000) + 1) < 0) {
            if (left > 0 && zmq_errno() == EINTR)
                continue;
            rc = -1;
            break;
        }
        while (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) >= 0) {
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
            if (rc == 0)
                break;
        }
    }
    zmq_msg_close(&msg);
    if (rc != 0)
        fprintf(stderr, "ktag: no answer from %s within %g s (is ktagd running there?)\n",
                config->connect, config->timeout);
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
        const char *source = strcmp(slot->source, "-") == 0 ? "<stdin>" : slot->source;
        slot->failed = true;
        if (slot->line)
            ktag_cli_buf_printf(&slot->diag, "ktag: %s:%llu: ", source, (unsigned long long) slot->line);
        else
            ktag_cli_buf_printf(&slot->diag, "ktag: %s: ", source);
        ktag_cli_buf_printf(&slot->diag, "%.*s: %.*s\n", code_len, c, msg_len, m);
    }
    ktag_cli_format_reply(config, reply, doc_id, &slot->out);
}

/* What the client knows about one slot of the window. */
typedef struct {
    s_state_t state;
    ktag_cli_doc_t doc;         /* borrowed from the slot, alive until its reset */
    int retries;                /* times an `overloaded` reply was retried */
} s_track_t;

#define S_MAX_RETRIES 8

int
ktag_cli_run_remote(const ktag_cli_config_t *config, ktag_cli_reader_t *reader, ktag_cli_sink_t *sink)
{
    size_t window = (size_t) config->window;
    ktag_cli_slot_t *slots = calloc(window, sizeof *slots);
    s_track_t *track = calloc(window, sizeof *track);
    if (!slots || !track) {
        fprintf(stderr, "ktag: out of memory\n");
        exit(1);
    }
    int rc = 0;
    ktag_cli_buf_t request = {0};
    msgpack_unpacked unpacked;
    msgpack_unpacked_init(&unpacked);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    int linger = 0;
    /* Queues deep enough for the whole window: a ROUTER drops replies to a
     * peer whose receive queue is full rather than wait. */
    int hwm = (int) window * 2 + 16;
    if (!sock || zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0
        || zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0
        || zmq_connect(sock, config->connect) != 0) {
        fprintf(stderr, "ktag: cannot connect to %s: %s\n", config->connect, zmq_strerror(zmq_errno()));
        rc = -1;
        goto done;
    }
    uint64_t max_size;
    if (s_handshake(sock, config, &max_size) != 0) {
        rc = -1;
        goto done;
    }

    uint64_t produced = 0, next_write = 0, pending = 0;
    bool eof = false;
    double last_reply = s_now();

    for (;;) {
        while (!eof && produced - next_write < window) {
            size_t idx = produced % window;
            ktag_cli_slot_t *slot = &slots[idx];
            s_track_t *t = &track[idx];
            if (!ktag_cli_reader_next(reader, slot)) {
                eof = true;
                break;
            }
            t->retries = 0;
            t->state = S_DONE;
            if (ktag_cli_doc_extract(slot, config, &t->doc) == 0) {
                s_pack(config, produced, &t->doc, &request);
                if (max_size && request.len > max_size) {
                    ktag_cli_doc_fail(slot, config, t->doc.id, "too_large",
                                      "document of %zu bytes exceeds the daemon's limit of %llu bytes",
                                      t->doc.text_len + t->doc.title_len, (unsigned long long) max_size);
                } else {
                    if (s_send(sock, config, &request) != 0) {
                        rc = -1;
                        goto done;
                    }
                    t->state = S_PENDING;
                    if (pending++ == 0)
                        last_reply = s_now();
                }
            }
            produced++;
        }
        while (next_write < produced && track[next_write % window].state == S_DONE) {
            size_t idx = next_write % window;
            ktag_cli_sink_write(sink, &slots[idx]);
            track[idx].state = S_FREE;
            next_write++;
        }
        if (eof && next_write == produced)
            break;
        if (pending == 0)
            continue;

        double left = config->timeout - (s_now() - last_reply);
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        int n = left > 0 ? zmq_poll(&item, 1, (long) (left * 1000) + 1) : 0;
        if (n < 0 && zmq_errno() == EINTR)
            continue;
        if (n <= 0) {
            if (s_now() - last_reply < config->timeout)
                continue;
            fprintf(stderr, "ktag: no reply from %s within %g s; %llu documents unanswered\n",
                    config->connect, config->timeout, (unsigned long long) pending);
            rc = -1;
            goto done;
        }
        /* A reply is [empty delimiter, msgpack]; drain all that arrived. */
        while (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) >= 0) {
            if (zmq_msg_more(&msg))
                continue;       /* the delimiter (or a stray envelope frame) */
            last_reply = s_now();
            size_t off = 0;
            if (msgpack_unpack_next(&unpacked, zmq_msg_data(&msg), zmq_msg_size(&msg), &off)
                != MSGPACK_UNPACK_SUCCESS) {
                fprintf(stderr, "ktag: %s sent a reply that is not msgpack; ignored\n", config->connect);
                continue;
            }
            const msgpack_object *rid = ktag_msgpack_map_get(&unpacked.data, "id");
            if (!rid || rid->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                continue;       /* not one of ours (a late handshake reply) */
            uint64_t seq = rid->via.u64;
            size_t idx = seq % window;
            s_track_t *t = &track[idx];
            if (seq < next_write || seq >= produced || t->state != S_PENDING)
                continue;       /* a duplicate */
            const msgpack_object *err = ktag_msgpack_map_get(&unpacked.data, "error");
            const msgpack_object *code = err ? ktag_msgpack_map_get(err, "code") : NULL;
            if (code && code->type == MSGPACK_OBJECT_STR && code->via.str.size == 10
                && memcmp(code->via.str.ptr, "overloaded", 10) == 0 && t->retries < S_MAX_RETRIES) {
                /* The daemon sheds load rather than queueing without bound;
                 * back off a little and ask again. */
                struct timespec ts = {0, (long) (1000000L << t->retries)};
                nanosleep(&ts, NULL);
                t->retries++;
                s_pack(config, seq, &t->doc, &request);
                if (s_send(sock, config, &request) != 0) {
                    rc = -1;
                    goto done;
                }
                continue;
            }
            s_reply(config, &slots[idx], &unpacked.data, t->doc.id);
            t->state = S_DONE;
            pending--;
        }
    }
done:
    msgpack_unpacked_destroy(&unpacked);
    zmq_msg_close(&msg);
    ktag_cli_buf_free(&request);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    for (size_t i = 0; i < window; i++)
        ktag_cli_slot_free(&slots[i]);
    free(slots);
    free(track);
    return rc;
}
