/*  test_units.c - self-tests of ktagd's modules that the end-to-end tests
    only see from outside: the latency histogram and counters (ktagd_stats),
    the config file and flag precedence (ktagd_config), the lexicon holder's
    swap and failed reload (ktagd_lexholder), and the envelope split
    (ktagd_frames).

    usage: test_units LEXICON_DIR   (the fixture tests/daemon/lexicons)
*/
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "ktagd_broker.h"
#include "ktagd_config.h"
#include "ktagd_frames.h"
#include "ktagd_lexholder.h"
#include "ktagd_log.h"
#include "ktagd_metrics.h"
#include "ktagd_stats.h"
#include "ktag_schema.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static int s_failures;

#define CHECK(cond) \
    do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
                        s_failures++; } } while (0)

/* The stats map, unpacked, and one unsigned value from it by path. */
static uint64_t
s_stat(const msgpack_object *map, const char *key, const char *sub)
{
    const msgpack_object *v = ktag_msgpack_map_get(map, key);
    if (v && sub)
        v = ktag_msgpack_map_get(v, sub);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (uint64_t) -1;
    return v->via.u64;
}

static void
test_stats(void)
{
    ktagd_stats_t *st = ktagd_stats_new();
    /* 98 fast requests (10 us), 2 slow ones (5000 us): p50 ~10, p99 ~5000. */
    for (int i = 0; i < 100; i++) {
        ktagd_stats_received(st, 100);
        ktagd_stats_replied(st, 300, i < 98 ? 10 : 5000, 1);
    }
    ktagd_stats_received(st, 7);
    ktagd_stats_error(st, KTAG_WIRE_BAD_UTF8);
    ktagd_stats_replied(st, 50, UINT64_MAX, 0);     /* not in the histogram */
    ktagd_stats_dropped(st);
    ktagd_stats_reloaded(st, NULL);
    ktagd_stats_reloaded(st, "x.tsv:3: broken");
    ktagd_stats_set_in_flight(st, 4);

    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    CHECK(ktagd_stats_pack(st, &pk, NULL) == 0);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    CHECK(msgpack_unpack_next(&up, buf.data, buf.size, &off) == MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *m = &up.data;
    CHECK(s_stat(m, "requests", NULL) == 101);
    CHECK(s_stat(m, "replies", NULL) == 101);
    CHECK(s_stat(m, "documents", NULL) == 100);
    CHECK(s_stat(m, "bytes_in", NULL) == 10007);
    CHECK(s_stat(m, "bytes_out", NULL) == 30050);
    CHECK(s_stat(m, "errors", "bad_utf8") == 1 && s_stat(m, "errors", "internal") == 0);
    CHECK(s_stat(m, "dropped", NULL) == 1);
    CHECK(s_stat(m, "latency_us", "count") == 100);
    uint64_t p50 = s_stat(m, "latency_us", "p50"), p99 = s_stat(m, "latency_us", "p99");
    CHECK(p50 >= 9 && p50 <= 10);                   /* within a bucket (12.5%) */
    CHECK(p99 >= 4375 && p99 <= 5000);
    CHECK(s_stat(m, "latency_us", "max") == 5000);
    CHECK(s_stat(m, "reloads", NULL) == 1 && s_stat(m, "reload_failures", NULL) == 1);
    const msgpack_object *last = ktag_msgpack_map_get(m, "last_reload_error");
    CHECK(last && last->type == MSGPACK_OBJECT_STR && last->via.str.size == 15);
    const msgpack_object *fl = ktag_msgpack_map_get(m, "in_flight");
    CHECK(fl && fl->via.i64 == 4);
    CHECK(ktagd_stats_requests(st) == 101 && ktagd_stats_replies(st) == 101);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&buf);

    /* A reload error is kept to 511 bytes: one quoting Korean lexicon
       lines is cut inside a character, and must still go out as UTF-8. */
    char korean[1200] = "entities.tsv:3: alias '";
    while (strlen(korean) + 3 < sizeof korean)
        strcat(korean, "\xEC\x82\xBC");   /* 삼 */
    ktagd_stats_reloaded(st, korean);
    msgpack_sbuffer_init(&buf);
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    CHECK(ktagd_stats_pack(st, &pk, NULL) == 0);
    msgpack_unpacked_init(&up);
    CHECK(msgpack_unpack_next(&up, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS);
    last = ktag_msgpack_map_get(&up.data, "last_reload_error");
    CHECK(last && last->type == MSGPACK_OBJECT_STR && last->via.str.size > 500
          && ktag_schema_utf8_prefix(last->via.str.ptr, last->via.str.size) == last->via.str.size);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&buf);
    ktagd_stats_destroy(&st);
    CHECK(st == NULL);
}

/* The exposition text of known counters: buckets are cumulative with
   inclusive upper bounds, +Inf equals _count, _sum is exact in seconds. */
static void
test_metrics_render(void)
{
    ktagd_stats_t *st = ktagd_stats_new();
    uint64_t latencies[] = { 25, 26, 10000001 };
    for (size_t i = 0; i < 3; i++) {
        ktagd_stats_received(st, 10);
        ktagd_stats_replied(st, 10, latencies[i], 1);
    }
    ktagd_stats_error(st, KTAG_WIRE_TOO_LARGE);
    ktagd_stats_broker_forwarded(st);
    ktagd_stats_broker_forwarded(st);
    size_t len = 0;
    char *text = ktagd_metrics_render(st, NULL, false, &len);
    CHECK(text && strlen(text) == len && len > 0 && text[len - 1] == '\n');
    const char *want[] = {
        "# TYPE ktagd_requests_total counter\nktagd_requests_total 3\n",
        "ktagd_documents_total 3\n",
        "ktagd_errors_total{code=\"too_large\"} 1\n",
        "ktagd_errors_total{code=\"internal\"} 0\n",
        "ktagd_reloads_total{result=\"failed\"} 0\n",
        "# TYPE ktagd_request_duration_seconds histogram\n",
        "ktagd_request_duration_seconds_bucket{le=\"0.000025\"} 1\n"
        "ktagd_request_duration_seconds_bucket{le=\"0.00005\"} 2\n",
        "ktagd_request_duration_seconds_bucket{le=\"10\"} 2\n"
        "ktagd_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"
        "ktagd_request_duration_seconds_sum 10.000052\n"
        "ktagd_request_duration_seconds_count 3\n",
        "ktagd_build_info{version=\"",
    };
    for (size_t i = 0; text && i < sizeof want / sizeof want[0]; i++) {
        bool found = strstr(text, want[i]) != NULL;
        CHECK(found);
        if (!found)
            fprintf(stderr, "  missing: %s\n", want[i]);
    }
    CHECK(text && !strstr(text, "ktagd_broker_") && !strstr(text, "ktagd_lexicon_"));
    free(text);

    /* A broker: its counters and its live workers. */
    text = ktagd_metrics_render(st, NULL, true, &len);
    CHECK(text && strstr(text, "ktagd_broker_forwarded_total 2\n")
          && strstr(text, "ktagd_broker_replies_total 3\n")
          && strstr(text, "ktagd_broker_workers 0\n"));
    free(text);
    ktagd_stats_broker_workers(st, 5);
    text = ktagd_metrics_render(st, NULL, true, &len);
    CHECK(text && strstr(text, "# TYPE ktagd_broker_workers gauge\nktagd_broker_workers 5\n"));
    free(text);
    ktagd_stats_destroy(&st);
}

static void
test_metrics_address(void)
{
    struct sockaddr_storage addr;
    socklen_t len;
    char err[300];
    CHECK(ktagd_metrics_parse_address("9464", &addr, &len, err, sizeof err) == 0);
    const struct sockaddr_in *in = (const struct sockaddr_in *) &addr;
    CHECK(addr.ss_family == AF_INET && ntohs(in->sin_port) == 9464
          && ntohl(in->sin_addr.s_addr) == 0x7f000001);
    CHECK(ktagd_metrics_is_loopback(&addr));
    CHECK(ktagd_metrics_parse_address("127.0.0.2:0", &addr, &len, err, sizeof err) == 0
          && ktagd_metrics_is_loopback(&addr));
    CHECK(ktagd_metrics_parse_address("[::1]:9464", &addr, &len, err, sizeof err) == 0
          && addr.ss_family == AF_INET6 && ktagd_metrics_is_loopback(&addr));
    CHECK(ktagd_metrics_parse_address("0.0.0.0:9464", &addr, &len, err, sizeof err) == 0
          && !ktagd_metrics_is_loopback(&addr));
    CHECK(ktagd_metrics_parse_address("10.1.2.3:1", &addr, &len, err, sizeof err) == 0
          && !ktagd_metrics_is_loopback(&addr));
    const char *bad[] = { "", "x", "65536", "-1", "127.0.0.1:", ":80", "[::1]", "1.2.3.4:9x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK(ktagd_metrics_parse_address(bad[i], &addr, &len, err, sizeof err) == -1);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        CHECK(strstr(err, quoted) != NULL);
    }
}

static void
test_config(void)
{
    char path[] = "/tmp/ktagd-test-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# comment\n\nbind = ipc:///tmp/a\nthreads 3\nmax-message-size = 64K\n"
                       "broker = tcp://127.0.0.1:1 tcp://127.0.0.1:2\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
    close(fd);

    /* The file says broker and bind: a conflict, exit 2. */
    ktagd_config_t c;
    ktagd_config_init(&c);
    char *argv1[] = { "ktagd", "--config", path, NULL };
    int code = -1;
    CHECK(ktagd_config_parse(&c, 3, argv1, &code) == 1 && code == 2);
    ktagd_config_fini(&c);

    fd = open(path, O_WRONLY | O_TRUNC);
    text = "bind = ipc:///tmp/a\nthreads 3\nmax-message-size = 64K\nlog-level = debug\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
    close(fd);
    ktagd_config_init(&c);
    char *argv2[] = { "ktagd", "-t", "2", "--config", path, "--max-message-size", "1M", NULL };
    CHECK(ktagd_config_parse(&c, 7, argv2, &code) == 0 && code == 0);
    CHECK(c.mode == KTAGD_MODE_BIND && strcmp(c.bind, "ipc:///tmp/a") == 0);
    CHECK(c.threads == 2);                          /* flag beats file, wherever it stands */
    CHECK(c.max_message_size == 1u << 20);
    CHECK(c.log_level == KTAG_LOG_DEBUG);
    ktagd_config_fini(&c);

    ktagd_config_init(&c);
    char *argv3[] = { "ktagd", "--broker", "ipc:///tmp/f", "ipc:///tmp/b", "--threads", "4", NULL };
    CHECK(ktagd_config_parse(&c, 6, argv3, &code) == 0);
    CHECK(c.mode == KTAGD_MODE_BROKER && strcmp(c.broker_back, "ipc:///tmp/b") == 0);
    CHECK(c.threads == 4);
    ktagd_config_fini(&c);

    /* `lexicons` repeats, in the file and as flags: the sets merge in order,
       and flags replace the file's list. */
    fd = open(path, O_WRONLY | O_TRUNC);
    text = "lexicons = /srv/bundled\nthreads = 1\nlexicons = /srv/watchlist\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
    close(fd);
    ktagd_config_init(&c);
    char *argv5[] = { "ktagd", "--config", path, NULL };
    CHECK(ktagd_config_parse(&c, 3, argv5, &code) == 0);
    CHECK(c.lexicon_count == 2 && strcmp(c.lexicons[0], "/srv/bundled") == 0
          && strcmp(c.lexicons[1], "/srv/watchlist") == 0);
    ktagd_config_fini(&c);
    CHECK(c.lexicon_count == 0 && c.lexicons == NULL);
    ktagd_config_init(&c);
    char *argv6[] = { "ktagd", "-L", "/a", "--config", path, "--lexicons", "/b", NULL };
    CHECK(ktagd_config_parse(&c, 7, argv6, &code) == 0);
    CHECK(c.lexicon_count == 2 && strcmp(c.lexicons[0], "/a") == 0 && strcmp(c.lexicons[1], "/b") == 0);
    ktagd_config_fini(&c);

    /* "nan" passes neither bound: a drain that never times out. */
    const char *bad_timeouts[] = { "nan", "-nan", "NAN(1)", "inf", "-1" };
    for (size_t i = 0; i < sizeof bad_timeouts / sizeof bad_timeouts[0]; i++) {
        ktagd_config_init(&c);
        char *argv7[] = { "ktagd", "--drain-timeout", (char *) bad_timeouts[i], NULL };
        code = -1;
        int rc = ktagd_config_parse(&c, 3, argv7, &code);
        if (rc != 1 || code != 2)
            fprintf(stderr, "--drain-timeout %s was accepted\n", bad_timeouts[i]);
        CHECK(rc == 1 && code == 2);
        ktagd_config_fini(&c);
    }

    ktagd_config_init(&c);
    char *argv4[] = { "ktagd", NULL };
    CHECK(ktagd_config_parse(&c, 1, argv4, &code) == 0);
    CHECK(c.mode == KTAGD_MODE_BIND && strcmp(c.bind, "tcp://127.0.0.1:5555") == 0);
    CHECK(c.max_message_size == 4u << 20 && c.max_pending == 1024);
    ktagd_config_fini(&c);
    unlink(path);
}

static void
test_lexholder(const char *dir)
{
    ktagd_lexholder_t *h = ktagd_lexholder_new(&dir, 1);
    CHECK(ktagd_lexholder_get(h) == NULL);
    ktag_error_t err;
    CHECK(ktagd_lexholder_reload(h, &err) == 0);
    ktag_lexicon_t *a = ktagd_lexholder_get(h);
    CHECK(a != NULL && ktagd_lexholder_generation(h) == 1);
    /* A reload swaps in a new object; the old one lives while referenced. */
    CHECK(ktagd_lexholder_reload(h, &err) == 0);
    ktag_lexicon_t *b = ktagd_lexholder_get(h);
    CHECK(b != NULL && b != a && ktagd_lexholder_generation(h) == 2);
    CHECK(strcmp(ktag_lexicon_version(a), ktag_lexicon_version(b)) == 0);
    ktag_lexicon_destroy(&a);
    ktag_lexicon_destroy(&b);
    ktagd_lexholder_destroy(&h);

    const char *missing = "/nonexistent/lexicons";
    h = ktagd_lexholder_new(&missing, 1);
    CHECK(ktagd_lexholder_reload(h, &err) < 0 && err.message[0]);
    CHECK(ktagd_lexholder_get(h) == NULL && ktagd_lexholder_generation(h) == 0);
    ktagd_lexholder_destroy(&h);
    CHECK(h == NULL);
}

/* Prometheus refuses a label value that is not UTF-8: a lexicon directory
   whose name is Latin-1 (caf\xe9) must not put its byte in the
   ktagd_lexicon_set_info label, or the whole scrape is rejected; nor in
   the info and stats replies. */
static void
test_a_latin1_lexicon_dir_is_written_as_utf8(const char *dir)
{
    char tmpl[] = "/tmp/ktag-lex-caf\xe9-XXXXXX";
    char *latin1 = mkdtemp(tmpl);
    CHECK(latin1 != NULL);
    if (!latin1)
        return;
    static const char *const files[] = { "VERSION", "context.tsv", "entities.tsv", "josa.tsv", "sentiment.tsv" };
    char from[4096], to[4096];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(from, sizeof from, "%s/%s", dir, files[i]);
        snprintf(to, sizeof to, "%s/%s", latin1, files[i]);
        CHECK(symlink(from, to) == 0);   /* `dir` is absolute (meson) */
    }
    const char *dirs[] = { latin1 };
    ktagd_lexholder_t *h = ktagd_lexholder_new(dirs, 1);
    ktag_error_t err;
    CHECK(ktagd_lexholder_reload(h, &err) == 0);
    ktagd_stats_t *st = ktagd_stats_new();
    size_t len = 0;
    char *text = ktagd_metrics_render(st, h, false, &len);
    CHECK(text && strstr(text, "ktagd_lexicon_set_info{index=\"0\",dir=\""));
    CHECK(text && ktag_schema_utf8_prefix(text, len) == len);
    CHECK(text && strstr(text, "caf\xEF\xBF\xBD-"));   /* the byte as U+FFFD */
    free(text);
    /* So must the info and stats replies, which name the directory too: a
       client decoding strings (msgpack raw=False) fails on the whole reply. */
    ktag_lexicon_t *lex = ktagd_lexholder_get(h);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init(&buf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &buf, msgpack_sbuffer_write);
    CHECK(ktagd_stats_pack_lexicon(&pk, lex) == 0);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    CHECK(msgpack_unpack_next(&up, buf.data, buf.size, NULL) == MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *sets = ktag_msgpack_map_get(&up.data, "sets");
    const msgpack_object *dirs_seen[2] = { ktag_msgpack_map_get(&up.data, "dir"),
                                           sets && sets->type == MSGPACK_OBJECT_ARRAY && sets->via.array.size == 1
                                               ? ktag_msgpack_map_get(&sets->via.array.ptr[0], "dir") : NULL };
    for (int i = 0; i < 2; i++)
        CHECK(dirs_seen[i] && dirs_seen[i]->type == MSGPACK_OBJECT_STR
              && ktag_schema_utf8_prefix(dirs_seen[i]->via.str.ptr, dirs_seen[i]->via.str.size)
                     == dirs_seen[i]->via.str.size);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&buf);
    ktag_lexicon_destroy(&lex);
    ktagd_stats_destroy(&st);
    ktagd_lexholder_destroy(&h);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(to, sizeof to, "%s/%s", latin1, files[i]);
        unlink(to);
    }
    rmdir(latin1);
}

static void
test_frames(void)
{
    void *ctx = zmq_ctx_new();
    void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(zmq_bind(a, "inproc://frames") == 0 && zmq_connect(b, "inproc://frames") == 0);
    /* [identity, "", body] -> body at 2; [identity, body] -> 1; 40 frames kept as 32. */
    zmq_send(a, "id", 2, ZMQ_SNDMORE);
    zmq_send(a, "", 0, ZMQ_SNDMORE);
    zmq_send(a, "body", 4, 0);
    ktagd_frames_t f;
    CHECK(ktagd_frames_recv(&f, b, 0) == 0);
    CHECK(f.count == 3 && f.total == 3 && f.bytes == 6 && ktagd_frames_body_start(&f) == 2);
    ktagd_frames_truncate(&f, 2);
    CHECK(ktagd_frames_append(&f, "reply", 5) == 0);
    CHECK(ktagd_frames_send(&f, b, 0) == 0 && f.count == 0);
    char buf[16];
    CHECK(zmq_recv(a, buf, sizeof buf, 0) == 2 && zmq_recv(a, buf, sizeof buf, 0) == 0);
    CHECK(zmq_recv(a, buf, sizeof buf, 0) == 5 && memcmp(buf, "reply", 5) == 0);

    zmq_send(a, "id", 2, ZMQ_SNDMORE);
    zmq_send(a, "body", 4, 0);
    CHECK(ktagd_frames_recv(&f, b, 0) == 0 && ktagd_frames_body_start(&f) == 1);
    ktagd_frames_close(&f);

    for (int i = 0; i < 40; i++)
        zmq_send(a, "x", 1, i < 39 ? ZMQ_SNDMORE : 0);
    CHECK(ktagd_frames_recv(&f, b, 0) == 0);
    CHECK(f.count == KTAGD_MAX_FRAMES && f.total == 40 && f.bytes == 40);
    ktagd_frames_close(&f);
    CHECK(ktagd_frames_recv(&f, b, ZMQ_DONTWAIT) == -1 && errno == EAGAIN);
    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(ctx);
}

/* Receive a whole message from `sock` (waiting up to 1 s) as frames. */
static int
s_recv_wait(ktagd_frames_t *f, void *sock)
{
    zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&item, 1, 1000) != 1)
        return -1;
    return ktagd_frames_recv(f, sock, 0);
}

static bool
s_frame_is(ktagd_frames_t *f, size_t i, const char *s)
{
    return i < f->count && zmq_msg_size(&f->part[i]) == strlen(s)
           && memcmp(zmq_msg_data(&f->part[i]), s, strlen(s)) == 0;
}

/* The broker side of ktagw/1 on inproc, with a clock of our own: READY,
   credit, the choice of worker, replies, heartbeats, DISCONNECT, expiry. */
static void
test_broker(void)
{
    void *ctx = zmq_ctx_new();
    void *back = zmq_socket(ctx, ZMQ_ROUTER);
    int one = 1;
    zmq_setsockopt(back, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    CHECK(zmq_bind(back, "inproc://back") == 0);
    void *w[2];
    for (int i = 0; i < 2; i++) {
        w[i] = zmq_socket(ctx, ZMQ_DEALER);
        zmq_setsockopt(w[i], ZMQ_ROUTING_ID, i ? "w2" : "w1", 2);
        CHECK(zmq_connect(w[i], "inproc://back") == 0);
    }
    double now = 100.0;
    ktagd_broker_t *b = ktagd_broker_new(back, 100, 3, now);
    CHECK(!ktagd_broker_ready(b) && ktagd_broker_workers(b) == 0);

    /* Both announce themselves: w1 takes 1 request at a time, w2 takes 2. */
    ktagd_link_t *l1 = ktagd_link_new(1, 100, 3), *l2 = ktagd_link_new(2, 100, 3);
    ktagd_link_attach(l1, w[0], now);
    ktagd_link_attach(l2, w[1], now);
    ktagd_frames_t f;
    for (int got = 0; got < 2;) {
        zmq_pollitem_t item = { back, 0, ZMQ_POLLIN, 0 };
        CHECK(zmq_poll(&item, 1, 1000) == 1);
        if (ktagd_broker_recv(b, &f, now) == 0)
            got++;
    }
    CHECK(ktagd_broker_workers(b) == 2 && ktagd_broker_ready(b));

    /* Three requests: as much as their credit, w2 two, w1 one; then none. */
    for (int i = 0; i < 3; i++) {
        ktagd_frames_init(&f);
        CHECK(ktagd_frames_append(&f, "client", 6) == 0 && ktagd_frames_append(&f, "", 0) == 0
              && ktagd_frames_append(&f, "req", 3) == 0);
        CHECK(ktagd_broker_dispatch(b, &f) == 0 && f.count == 0);
    }
    CHECK(!ktagd_broker_ready(b) && ktagd_broker_held(b) == 3);
    ktagd_frames_init(&f);
    ktagd_frames_append(&f, "client", 6);
    CHECK(ktagd_broker_dispatch(b, &f) == -1 && f.count == 1);
    ktagd_frames_close(&f);
    CHECK(s_recv_wait(&f, w[1]) == 0 && s_frame_is(&f, 0, "client") && s_frame_is(&f, 2, "req"));
    CHECK(!ktagd_link_filter(l2, &f, now) && f.count == 3);   /* a request: for the caller */
    /* Its reply gives w2 a credit back and comes out without w2's id. */
    CHECK(ktagd_frames_send(&f, w[1], 0) == 0);
    zmq_pollitem_t item = { back, 0, ZMQ_POLLIN, 0 };
    CHECK(zmq_poll(&item, 1, 1000) == 1);
    CHECK(ktagd_broker_recv(b, &f, now) == 1 && s_frame_is(&f, 0, "client") && f.count == 3);
    ktagd_frames_close(&f);
    CHECK(ktagd_broker_held(b) == 2 && ktagd_broker_ready(b));

    /* Heartbeats go out each interval; the workers hear them. */
    double next = ktagd_broker_tick(b, now + 0.1);
    CHECK(next > now + 0.1 && next <= now + 0.2 + 1e-9);
    for (int i = 0; i < 2; i++) {
        int requests = 0;
        for (;;) {
            CHECK(s_recv_wait(&f, w[i]) == 0);
            if (f.count == 0 || zmq_msg_size(&f.part[0]) == 0)
                break;
            ktagd_frames_close(&f);     /* w1's and w2's requests */
            requests++;
        }
        CHECK(requests == 1);           /* w2's other one was answered above */
        CHECK(s_frame_is(&f, 1, KTAGD_WORKER_PROTOCOL) && s_frame_is(&f, 2, "HEARTBEAT"));
        CHECK(ktagd_link_filter(i ? l2 : l1, &f, now + 0.1) && f.count == 0);
    }

    /* w1 stops: DISCONNECT takes its credit away. */
    ktagd_link_disconnect(l1);
    CHECK(zmq_poll(&item, 1, 1000) == 1);
    CHECK(ktagd_broker_recv(b, &f, now + 0.1) == 0);
    ktagd_frames_init(&f);
    ktagd_frames_append(&f, "client", 6);
    CHECK(ktagd_broker_dispatch(b, &f) == 0);     /* to w2, its last credit */
    CHECK(!ktagd_broker_ready(b) && ktagd_broker_held(b) == 3);

    /* Nobody speaks for 3 intervals: both expire, and what they held with
       them, so a draining broker has nothing left to wait for. */
    ktagd_broker_tick(b, now + 0.45);
    CHECK(ktagd_broker_workers(b) == 0 && ktagd_broker_held(b) == 0);

    /* A heartbeat from a worker the broker does not know adopts it. */
    bool reconnect;
    ktagd_link_tick(l2, now + 1.0, &reconnect);
    CHECK(zmq_poll(&item, 1, 1000) == 1);
    CHECK(ktagd_broker_recv(b, &f, now + 1.0) == 0);
    CHECK(ktagd_broker_workers(b) == 1 && ktagd_broker_ready(b));

    /* The worker side: w2 heard the broker last at +0.1, so at +1.0 (above)
       it planned a new connection one interval later; then the backoff
       doubles; a word from the broker cancels a planned one. */
    CHECK(!reconnect);
    ktagd_link_tick(l2, now + 1.1, &reconnect);
    CHECK(reconnect);
    ktagd_link_attach(l2, w[1], now + 1.1);
    next = ktagd_link_tick(l2, now + 1.41, &reconnect);
    CHECK(!reconnect && next <= now + 1.61 + 1e-9);    /* planned in 0.2 s */
    ktagd_link_tick(l2, now + 1.62, &reconnect);
    CHECK(reconnect);
    ktagd_link_attach(l2, w[1], now + 1.62);
    ktagd_link_tick(l2, now + 1.93, &reconnect);      /* planned in 0.4 s */
    ktagd_frames_init(&f);
    ktagd_frames_append(&f, "client", 6);
    CHECK(!ktagd_link_filter(l2, &f, now + 2.0));      /* a request from the broker */
    ktagd_frames_close(&f);
    ktagd_link_tick(l2, now + 2.34, &reconnect);
    CHECK(!reconnect);

    ktagd_link_destroy(&l1);
    ktagd_link_destroy(&l2);
    ktagd_broker_destroy(&b);
    CHECK(b == NULL && l1 == NULL);
    ktagd_broker_destroy(&b);
    for (int i = 0; i < 2; i++)
        zmq_close(w[i]);
    zmq_close(back);
    zmq_ctx_term(ctx);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_units LEXICON_DIR\n");
        return 2;
    }
    ktagd_log_init(KTAG_LOG_ERROR);
    test_stats();
    test_metrics_render();
    test_metrics_address();
    test_config();
    test_lexholder(argv[1]);
    test_a_latin1_lexicon_dir_is_written_as_utf8(argv[1]);
    test_frames();
    test_broker();
    if (s_failures)
        fprintf(stderr, "%d checks failed\n", s_failures);
    else
        printf("ktagd modules: all checks passed\n");
    return s_failures ? 1 : 0;
}
