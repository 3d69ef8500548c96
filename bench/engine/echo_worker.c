/*  echo_worker.c - what ZeroMQ alone carries: a ROUTER socket that speaks
    ktagd's protocol but does no tagging.

    For each request it decodes the msgpack map (as ktagd must), takes the
    `id`, and replies a fixed small map {id, ok: true, entities: []} through
    the same envelope, so the REQ/DEALER driver cannot tell it from ktagd
    except by speed.  One thread: this is the cheapest possible worker, the
    ceiling ktagd's throughput is compared against.  SIGTERM/SIGINT stop it.
*/
#include <errno.h>
#include <getopt.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_FRAMES 16

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
    s_stop = 1;
}

/* Pack the reply for `request` (a msgpack map, or anything else). */
static void
s_pack_reply(msgpack_packer *pk, const char *request, size_t len, msgpack_unpacked *un)
{
    const msgpack_object *id = NULL;
    int ok = 0;
    if (msgpack_unpack_next(un, request, len, NULL) == MSGPACK_UNPACK_SUCCESS
        && un->data.type == MSGPACK_OBJECT_MAP) {
        ok = 1;
        const msgpack_object_map *map = &un->data.via.map;
        for (uint32_t i = 0; i < map->size; i++) {
            const msgpack_object *k = &map->ptr[i].key;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 2
                && memcmp(k->via.str.ptr, "id", 2) == 0)
                id = &map->ptr[i].val;
        }
    }
    msgpack_pack_map(pk, id ? 3 : 2);
    if (id) {
        msgpack_pack_str_with_body(pk, "id", 2);
        msgpack_pack_object(pk, *id);
    }
    msgpack_pack_str_with_body(pk, "ok", 2);
    if (ok) {
        msgpack_pack_true(pk);
        msgpack_pack_str_with_body(pk, "entities", 8);
        msgpack_pack_array(pk, 0);
    } else {
        msgpack_pack_false(pk);
        msgpack_pack_str_with_body(pk, "error", 5);
        msgpack_pack_map(pk, 2);
        msgpack_pack_str_with_body(pk, "code", 4);
        msgpack_pack_str_with_body(pk, "bad_request", 11);
        msgpack_pack_str_with_body(pk, "message", 7);
        msgpack_pack_str_with_body(pk, "request is not a msgpack map", 28);
    }
}

int
main(int argc, char **argv)
{
    const char *endpoint = "tcp://127.0.0.1:5599";
    static const struct option longopts[] = {
        {"bind", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': endpoint = optarg; break;
        case 'h':
            printf("usage: echo_worker [-b ENDPOINT]   (default tcp://127.0.0.1:5599)\n");
            return 0;
        default: return 2;
        }
    }
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    /* A SIGTERM that lands between the s_stop check and the blocking
       receive would otherwise go unnoticed until the next request. */
    int wake_ms = 200;
    zmq_setsockopt(sock, ZMQ_RCVTIMEO, &wake_ms, sizeof wake_ms);
    if (zmq_bind(sock, endpoint) != 0) {
        fprintf(stderr, "echo_worker: cannot bind %s: %s\n", endpoint, zmq_strerror(errno));
        return 1;
    }
    fprintf(stderr, "echo_worker: listening on %s\n", endpoint);

    zmq_msg_t frames[S_MAX_FRAMES];
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    unsigned long long served = 0;

    while (!s_stop) {
        /* Envelope (identity frames, empty delimiter), then the request. */
        int n = 0, more = 1, failed = 0;
        while (more && n < S_MAX_FRAMES) {
            zmq_msg_init(&frames[n]);
            if (zmq_msg_recv(&frames[n], sock, 0) < 0) {
                zmq_msg_close(&frames[n]);
                failed = 1;
                break;
            }
            more = zmq_msg_more(&frames[n]);
            n++;
        }
        if (failed || more) {
            int interrupted = failed && (errno == EINTR || errno == ETERM || errno == EAGAIN);
            for (int i = 0; i < n; i++)
                zmq_msg_close(&frames[i]);
            while (!failed && more) {   /* an envelope too deep to answer: drop it */
                zmq_msg_t m;
                zmq_msg_init(&m);
                failed = zmq_msg_recv(&m, sock, 0) < 0;
                more = !failed && zmq_msg_more(&m);
                zmq_msg_close(&m);
            }
            if (failed && !interrupted) {
                fprintf(stderr, "echo_worker: recv: %s\n", zmq_strerror(errno));
                break;
            }
            continue;
        }
        zmq_msg_t *body = &frames[n - 1];
        sbuf.size = 0;
        s_pack_reply(&pk, zmq_msg_data(body), zmq_msg_size(body), &un);
        for (int i = 0; i < n - 1; i++)
            zmq_msg_send(&frames[i], sock, ZMQ_SNDMORE);
        zmq_send(sock, sbuf.data, sbuf.size, 0);
        zmq_msg_close(body);
        served++;
    }
    fprintf(stderr, "echo_worker: served %llu requests\n", served);
    msgpack_unpacked_destroy(&un);
    msgpack_sbuffer_destroy(&sbuf);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}
