/*  ktagd_server.c - the relay loop, control socket, signals, reloads, drain. */
#include "ktagd_server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "ktag_msgpack.h"
#include "ktagd_broker.h"
#include "ktagd_curve.h"
#include "ktagd_frames.h"
#include "ktagd_log.h"
#include "ktagd_metrics.h"
#include "ktagd_stats.h"
#include "ktagd_worker.h"

#define S_BACKEND "inproc://ktagd-workers"
#define S_RELOADER "inproc://ktagd-reloader"
#define S_MONITOR "inproc://ktagd-monitor-%u"
#define S_BATCH 256             /* messages relayed per socket per poll round */
#define S_MAX_WAITERS 16        /* control clients waiting for one reload */
#define S_FRONT_LINGER_MS 1000  /* how long replies may take to flush at exit */
#define S_CONTROL_MAX 65536     /* bytes of a control request */
/* A round whose request bodies add up to less than this is tagged by the
   main loop alone: handing a share to a worker wakes two threads, and on
   two CPUs shared with the client one tagging thread carries more
   headlines than two (interleaved runs, load ~1, 200,000 headlines, DEALER
   w=64: never splitting 249,276/s, 6 KiB 238,915/s, 2 KiB 219,460/s, 512
   bytes 226,587/s).  8 KiB is more than a window of 64 headlines holds,
   and less than three articles or two batches of 64 headlines: the
   workers join in when the work waiting is large, as when the main loop
   falls behind. */
#define S_HANDOFF_BYTES 8192

/* A control client waiting for the outcome of a reload.  The request frame
   is closed once the envelope is kept, so a str id lives in its own copy
   (`idcopy`, freed by s_waiter_done). */
typedef struct {
    ktagd_frames_t envelope;
    ktag_wire_id_t id;
    char *idcopy;
} s_waiter_t;

typedef struct {
    const ktagd_config_t *config;
    ktagd_shared_t shared;
    void *front_in, *front_out, *back, *control, *reloader, *monitor;
    bool front_is_router;   /* replies to a gone peer are dropped, not queued */
    bool envelope;          /* front messages carry a ROUTER envelope */
    bool overload_reply;    /* over max-pending: reply 'overloaded' (else stop reading) */
    bool limit_pending;     /* false for the broker: lost workers never answer */
    int64_t in_flight;
    bool draining;
    double drain_deadline;
    ktagd_frames_t pending_back, pending_front;
    ktagd_broker_t *broker;     /* --broker: the workers behind the back */
    ktagd_link_t *link;         /* --connect: our end towards the broker */
    double next_beat;           /* when broker or link wants its tick */
    unsigned monitors;          /* front sockets monitored so far (names) */
    int sigfd;
    ktagd_curve_t *curve;   /* NULL: no CURVE */
    ktagd_metrics_t *metrics;   /* NULL: no --metrics */
    bool reload_running, reload_again;
    s_waiter_t waiting[S_MAX_WAITERS];
    size_t n_waiting;
    s_waiter_t next[S_MAX_WAITERS];
    size_t n_next;
    pthread_t reload_thread;
    bool reload_thread_started;
    ktagd_worker_t **workers;
    int n_workers;
    /* --bind: the main loop reads a round of requests (one when it tags
       alone) and tags them itself; when the round is worth it and the
       workers are idle, each of
       the --threads - 1 workers gets an equal share in a job
       (ktagd_worker.h), one job per worker.  Rounds save the thread
       hand-offs that cost more than a headline's tagging (see
       docs/OPERATIONS.md). */
    bool rounds;
    ktagd_frames_t *round;      /* the requests read this round */
    size_t round_count;         /* requests in round[] */
    size_t round_next;          /* round[round_next..round_count) wait for the main loop */
    size_t round_bytes;         /* bytes of their bodies */
    ktagd_job_t **jobs;         /* every job (n_jobs, one per worker), freed at exit */
    ktagd_job_t **free_jobs;    /* those the main loop holds, empty */
    size_t n_jobs, n_free;
    /* The main loop tags (--bind, or --threads 1 in the other modes). */
    bool inline_mode;
    ktag_result_t *inline_result;
    msgpack_sbuffer inline_out;
    /* --bind: the main loop's replies, held so that they go out together
       (s_rounds_run says when): the I/O thread and the client wake once
       for many. */
    ktagd_job_t *inline_replies;
    double flushed;             /* when they were last sent */
} s_server_t;

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- sockets */

static void *
s_socket(s_server_t *s, int type, int linger)
{
    void *sock = zmq_socket(s->shared.zmq, type);
    if (sock)
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    return sock;
}

/* The protocol itself authenticates nobody: without CURVE, warn about
   binds other hosts could reach, so the defaults (loopback) stay the norm. */
static void
s_check_exposure(const char *endpoint, bool curve)
{
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return;
    const char *host = endpoint + 6;
    if (strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost:", 10) == 0
        || strncmp(host, "[::1]:", 6) == 0)
        return;
    if (curve)
        log_info("%s: CURVE on, only allow-listed clients", endpoint);
    else
        log_warning("%s is reachable from other hosts without encryption or authentication: "
                    "use --curve-secret-key and --curve-allow (docs/SECURITY.md), or a firewall",
                    endpoint);
}

void
ktagd_server_check_exposure(const ktagd_config_t *config)
{
    bool curve = config->curve_secret_key != NULL;
    struct { const char *ep; bool bind_default, curve; } eps[] = {
        { config->bind, true, curve }, { config->broker_front, true, curve },
        { config->broker_back, true, false }, { config->pull, false, false },
        { config->push, false, false }, { config->control, true, false },
    };
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        const char *ep = eps[i].ep;
        if (!ep)
            continue;
        bool bind = eps[i].bind_default;
        if (ep[0] == '@' || ep[0] == '>') {
            bind = ep[0] == '@';
            ep++;
        }
        if (bind)
            s_check_exposure(ep, eps[i].curve);
    }
    if (config->metrics)
        ktagd_metrics_check_exposure(config->metrics);
}

/* Bind or connect `sock`.  "@ep" binds and ">ep" connects whatever
   `bind_default` says; a bare endpoint follows `bind_default`.  With CURVE
   configured, a `secure` socket (the client-facing fronts) becomes a CURVE
   server authenticated against the allow-list. */
static int
s_attach(s_server_t *s, void *sock, const char *what, const char *endpoint, bool bind_default,
         bool secure)
{
    bool bind = bind_default;
    if (endpoint[0] == '@' || endpoint[0] == '>') {
        bind = endpoint[0] == '@';
        endpoint++;
    }
    secure = secure && s->curve && bind;
    if (secure && ktagd_curve_apply(s->curve, sock) != 0) {
        log_error("cannot set up CURVE on the %s socket: %s", what, zmq_strerror(errno));
        return -1;
    }
    int rc = bind ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint);
    if (rc != 0) {
        log_error("cannot %s %s socket to %s: %s", bind ? "bind" : "connect", what, endpoint,
                  zmq_strerror(errno));
        return -1;
    }
    if (bind) {
        char last[256];
        size_t size = sizeof last;
        if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, last, &size) != 0)
            snprintf(last, sizeof last, "%s", endpoint);
        s_check_exposure(last, secure);
        log_info("%s bound to %s%s", what, last, secure ? " (CURVE)" : "");
    } else {
        log_info("%s connecting to %s", what, endpoint);
    }
    return 0;
}

static void
s_set_max_size(void *sock, size_t max)
{
    /* Accept up to twice the limit so that a request a little too big gets
       a too_large reply; libzmq disconnects a peer sending more than this,
       which is the only defence that never buffers the whole message. */
    int64_t hard = (int64_t) max * 2;
    if (hard < (int64_t) max + 65536)
        hard = (int64_t) max + 65536;
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &hard, sizeof hard);
}

static void
s_set_heartbeat(void *sock, const ktagd_config_t *cfg)
{
    /* ZMTP heartbeats under ours (docs/PROTOCOL.md): libzmq closes a TCP
       connection whose other end vanished without a FIN or RST, instead of
       keeping it (and what is queued on it) forever. */
    int ivl = cfg->heartbeat_ms, timeout = cfg->heartbeat_ms * cfg->liveness;
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout);
}

/* Count the front's connections and the peers libzmq drops (an oversized
   message, a failed handshake), which get no reply.  Each front socket
   gets a monitor endpoint of its own: a worker rebuilds its socket when
   the broker goes silent. */
static void
s_monitor_front(s_server_t *s)
{
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, S_MONITOR, s->monitors++);
    if (zmq_socket_monitor(s->front_in, endpoint,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED
                           | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        return;
    s->monitor = s_socket(s, ZMQ_PAIR, 0);
    if (s->monitor && zmq_connect(s->monitor, endpoint) != 0) {
        zmq_close(s->monitor);
        s->monitor = NULL;
    }
}

/* --connect: the DEALER towards the broker's back. */
static int
s_open_worker_front(s_server_t *s)
{
    s->front_in = s->front_out = s_socket(s, ZMQ_DEALER, S_FRONT_LINGER_MS);
    if (!s->front_in)
        return -1;
    s_set_max_size(s->front_in, s->config->max_message_size);
    s_set_heartbeat(s->front_in, s->config);
    /* A connection attempt into a cut link would wait for TCP's own SYN
       retries (seconds, then minutes); give up as soon as a heartbeat
       would have, and let libzmq try again. */
    int connect_timeout = s->config->heartbeat_ms * s->config->liveness;
    zmq_setsockopt(s->front_in, ZMQ_CONNECT_TIMEOUT, &connect_timeout, sizeof connect_timeout);
    return s_attach(s, s->front_in, "worker (DEALER)", s->config->connect, false, false);
}

/* --connect: the broker went silent; start over on a new socket (a new
   connection, a new identity), as Paranoid Pirate's worker does.  Replies
   still to come from our threads go out on the new socket. */
static int
s_reconnect(s_server_t *s, double now)
{
    if (s->monitor) {
        zmq_socket_monitor(s->front_in, NULL, 0);
        zmq_close(s->monitor);
        s->monitor = NULL;
    }
    zmq_close(s->front_in);
    s->front_in = s->front_out = NULL;
    if (s_open_worker_front(s) != 0)
        return -1;
    s_monitor_front(s);
    ktagd_link_attach(s->link, s->front_in, now);
    return 0;
}

/* A ROUTER drops a reply when its peer's queue is full (ZeroMQ's
   high-water mark, 1000 by default), and a pipelining client that sends
   more than that before reading would lose replies.  Room for four times
   --max-pending replies per client (and never less than 4096, so that a
   small --max-pending does not drop the 'overloaded' replies it causes)
   keeps every reasonable window safe, and bounds what a client that never
   reads can make the daemon hold. */
static void
s_set_reply_room(void *sock, const ktagd_config_t *cfg)
{
    int hwm = 4096;
    if (cfg->max_pending > 1024 && cfg->max_pending < (1 << 28))
        hwm = cfg->max_pending * 4;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
}

static int
s_open_sockets(s_server_t *s)
{
    const ktagd_config_t *cfg = s->config;
    int one = 1, zero = 0;
    switch (cfg->mode) {
    case KTAGD_MODE_BIND:
        s->front_in = s->front_out = s_socket(s, ZMQ_ROUTER, S_FRONT_LINGER_MS);
        zmq_setsockopt(s->front_in, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        s_set_reply_room(s->front_in, cfg);
        s_set_max_size(s->front_in, cfg->max_message_size);
        if (s_attach(s, s->front_in, "front (ROUTER)", cfg->bind, true, true) != 0)
            return -1;
        s->front_is_router = s->envelope = s->overload_reply = s->limit_pending = true;
        break;
    case KTAGD_MODE_CONNECT: {
        if (s_open_worker_front(s) != 0)
            return -1;
        int credit = cfg->credit ? cfg->credit : 64 * cfg->threads;
        /* Below --max-pending, so that a full worker still reads (and
           hears the broker's heartbeats). */
        if (credit >= cfg->max_pending)
            credit = cfg->max_pending > 1 ? cfg->max_pending - 1 : 1;
        s->link = ktagd_link_new(credit, cfg->heartbeat_ms, cfg->liveness);
        if (!s->link)
            return -1;
        ktagd_link_attach(s->link, s->front_in, s_now());
        s->envelope = s->limit_pending = true;
        break;
    }
    case KTAGD_MODE_BROKER:
        s->front_in = s->front_out = s_socket(s, ZMQ_ROUTER, S_FRONT_LINGER_MS);
        zmq_setsockopt(s->front_in, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        s_set_reply_room(s->front_in, cfg);
        s_set_max_size(s->front_in, cfg->max_message_size);
        if (s_attach(s, s->front_in, "broker front (ROUTER)", cfg->broker_front, true, true) != 0)
            return -1;
        /* A ROUTER, to choose the worker; mandatory, so that a worker
           whose connection closed is an error, not a silent drop.  No
           high-water mark: the workers' credit bounds what is queued. */
        s->back = s_socket(s, ZMQ_ROUTER, S_FRONT_LINGER_MS);
        zmq_setsockopt(s->back, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
        zmq_setsockopt(s->back, ZMQ_SNDHWM, &zero, sizeof zero);
        s_set_heartbeat(s->back, cfg);
        if (s_attach(s, s->back, "broker back (ROUTER)", cfg->broker_back, true, false) != 0)
            return -1;
        s->broker = ktagd_broker_new(s->back, cfg->heartbeat_ms, cfg->liveness, s_now());
        if (!s->broker)
            return -1;
        s->front_is_router = s->envelope = true;
        break;
    case KTAGD_MODE_PIPELINE:
        s->front_in = s_socket(s, ZMQ_PULL, 0);
        s->front_out = s_socket(s, ZMQ_PUSH, S_FRONT_LINGER_MS);
        s_set_max_size(s->front_in, cfg->max_message_size);
        /* A PULL socket prefetches up to its high-water mark: keep that
           near --max-pending, so that the ventilator balances work across
           stages and a stage that stops strands few requests. */
        zmq_setsockopt(s->front_in, ZMQ_RCVHWM, &cfg->max_pending, sizeof cfg->max_pending);
        if (s_attach(s, s->front_in, "pipeline in (PULL)", cfg->pull, false, false) != 0
            || s_attach(s, s->front_out, "pipeline out (PUSH)", cfg->push, false, false) != 0)
            return -1;
        s->limit_pending = true;
        break;
    }
    if (!s->back) {
        s->back = s_socket(s, ZMQ_DEALER, 0);
        zmq_setsockopt(s->back, ZMQ_SNDHWM, &zero, sizeof zero);
        zmq_setsockopt(s->back, ZMQ_RCVHWM, &zero, sizeof zero);
        if (zmq_bind(s->back, S_BACKEND) != 0) {
            log_error("cannot bind %s: %s", S_BACKEND, zmq_strerror(errno));
            return -1;
        }
    }
    s_monitor_front(s);
    if (cfg->control) {
        s->control = s_socket(s, ZMQ_ROUTER, 0);
        s_set_max_size(s->control, S_CONTROL_MAX);
        if (s_attach(s, s->control, "control (ROUTER)", cfg->control, true, false) != 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- reloads */

static void *
s_reloader_run(void *arg)
{
    s_server_t *s = arg;
    void *pair = zmq_socket(s->shared.zmq, ZMQ_PAIR);
    int zero = 0;
    zmq_setsockopt(pair, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(pair, S_RELOADER) != 0) {
        log_error("reloader cannot connect: %s", zmq_strerror(errno));
        zmq_close(pair);
        return NULL;
    }
    char buf[16];
    while (zmq_recv(pair, buf, sizeof buf, 0) >= 0) {
        ktag_error_t err = { 0 };
        ktag_lexicon_t *old = ktagd_lexholder_get(s->shared.lexicons);
        char old_version[128];
        snprintf(old_version, sizeof old_version, "%s", old ? ktag_lexicon_version(old) : "none");
        ktag_lexicon_destroy(&old);
        char reply[700];
        if (ktagd_lexholder_reload(s->shared.lexicons, &err) == 0) {
            ktag_lexicon_t *lex = ktagd_lexholder_get(s->shared.lexicons);
            log_info("reloaded lexicons from %s: %s -> %s (%.1f ms)",
                     ktagd_lexholder_dir(s->shared.lexicons), old_version,
                     ktag_lexicon_version(lex), ktag_lexicon_load_ms(lex));
            snprintf(reply, sizeof reply, "ok");
            ktag_lexicon_destroy(&lex);
            ktagd_stats_reloaded(s->shared.stats, NULL);
        } else {
            log_error("reload of %s failed, still serving %s: %s",
                      ktagd_lexholder_dir(s->shared.lexicons), old_version,
                      err.message[0] ? err.message : ktag_strerror(err.code));
            snprintf(reply, sizeof reply, "reload failed, still serving %s: %s", old_version,
                     err.message[0] ? err.message : ktag_strerror(err.code));
            ktagd_stats_reloaded(s->shared.stats, reply);
        }
        if (zmq_send(pair, reply, strlen(reply), 0) < 0)
            break;
    }
    zmq_close(pair);
    return NULL;
}

static void
s_start_reload(s_server_t *s)
{
    if (!s->shared.lexicons) {
        log_info("nothing to reload in broker mode");
        return;
    }
    if (s->reload_running) {
        s->reload_again = true;
        return;
    }
    log_info("reloading lexicons from %s", ktagd_lexholder_dir(s->shared.lexicons));
    if (zmq_send(s->reloader, "reload", 6, ZMQ_DONTWAIT) == 6)
        s->reload_running = true;
    else
        log_error("cannot reach the reloader: %s", zmq_strerror(errno));
}

static void
s_send_control(s_server_t *s, ktagd_frames_t *envelope, const msgpack_sbuffer *body)
{
    if (ktagd_frames_append(envelope, body->data, body->size) != 0
        || ktagd_frames_send(envelope, s->control, ZMQ_DONTWAIT) != 0)
        ktagd_frames_close(envelope);
}

static void
s_waiter_done(s_waiter_t *w)
{
    ktagd_frames_close(&w->envelope);
    free(w->idcopy);
    w->idcopy = NULL;
}

static void
s_reload_done(s_server_t *s)
{
    char reply[700];
    int n = zmq_recv(s->reloader, reply, sizeof reply - 1, ZMQ_DONTWAIT);
    if (n < 0)
        return;
    if (n > (int) sizeof reply - 1)
        n = sizeof reply - 1;
    reply[n] = '\0';
    s->reload_running = false;
    bool ok = strcmp(reply, "ok") == 0;

    msgpack_sbuffer body;
    msgpack_sbuffer_init(&body);
    for (size_t i = 0; i < s->n_waiting; i++) {
        s_waiter_t *w = &s->waiting[i];
        msgpack_packer pk;
        msgpack_sbuffer_clear(&body);
        msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
        if (ok) {
            ktag_lexicon_t *lex = ktagd_lexholder_get(s->shared.lexicons);
            ktag_msgpack_pack_map_id(&pk, 2, &w->id);
            ktag_msgpack_pack_cstr(&pk, "ok");
            msgpack_pack_true(&pk);
            ktag_msgpack_pack_cstr(&pk, "lexicon");
            ktagd_stats_pack_lexicon(&pk, lex);
            ktag_lexicon_destroy(&lex);
        } else {
            ktag_msgpack_pack_error(&pk, &w->id, KTAG_WIRE_INTERNAL, reply);
        }
        s_send_control(s, &w->envelope, &body);
        s_waiter_done(w);
    }
    msgpack_sbuffer_destroy(&body);

    /* Those who asked during this reload get the next one, which reads the
       files as they are now. */
    for (size_t i = 0; i < s->n_next; i++) {
        s->waiting[i] = s->next[i];
        ktagd_frames_init(&s->waiting[i].envelope);
        ktagd_frames_move(&s->waiting[i].envelope, &s->next[i].envelope);
        s->next[i].idcopy = NULL;
    }
    s->n_waiting = s->n_next;
    s->n_next = 0;
    if (s->reload_again || s->n_waiting > 0) {
        s->reload_again = false;
        s_start_reload(s);
    }
}

/* ---------------------------------------------------------------- control */

static void
s_control_readable(s_server_t *s)
{
    for (int i = 0; i < 64; i++) {
        ktagd_frames_t f;
        if (ktagd_frames_recv(&f, s->control, ZMQ_DONTWAIT) != 0)
            return;
        size_t body = ktagd_frames_body_start(&f);
        const char *data = body < f.count ? zmq_msg_data(&f.part[body]) : NULL;
        size_t len = body < f.count ? zmq_msg_size(&f.part[body]) : 0;
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        ktag_request_t req;
        ktag_wire_error_t werr;
        int rc = ktag_msgpack_decode_request(&req, &up, data, len, NULL, &werr);
        msgpack_sbuffer out;
        msgpack_sbuffer_init(&out);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
        bool replied = true;
        char *idcopy = NULL;
        if (f.total != body + 1) {
            ktag_msgpack_pack_error(&pk, &req.id, KTAG_WIRE_BAD_REQUEST,
                                    "a control request is exactly one frame after the envelope");
        } else if (len > S_CONTROL_MAX) {
            char message[128];
            snprintf(message, sizeof message,
                     "control request of %zu bytes exceeds the limit of %d bytes", len,
                     S_CONTROL_MAX);
            ktag_msgpack_pack_error(&pk, &req.id, KTAG_WIRE_TOO_LARGE, message);
        } else if (rc != 0 && !(werr.code == KTAG_WIRE_BAD_REQUEST && req.op == KTAG_OP_TAG
                                && strncmp(werr.message, "missing text", 12) == 0)) {
            ktag_msgpack_pack_error(&pk, &req.id, werr.code, werr.message);
        } else if (req.op == KTAG_OP_RELOAD) {
            bool running = s->reload_running;
            s_waiter_t *list = running ? s->next : s->waiting;
            size_t *n = running ? &s->n_next : &s->n_waiting;
            if (!s->shared.lexicons) {
                ktag_msgpack_pack_error(&pk, &req.id, KTAG_WIRE_UNSUPPORTED,
                                        "a broker has no lexicons to reload");
            } else if (*n >= S_MAX_WAITERS) {
                ktag_msgpack_pack_error(&pk, &req.id, KTAG_WIRE_OVERLOADED,
                                        "too many reloads waiting");
            } else if (req.id.kind == KTAG_ID_STR && !(idcopy = malloc(req.id.str_len + 1))) {
                ktag_msgpack_pack_error(&pk, &req.id, KTAG_WIRE_INTERNAL,
                                        "out of memory keeping the request id");
            } else {
                /* Copy the id before the request frame it points into is
                   closed: the reply is sent when the reload is over. */
                s_waiter_t *w = &list[(*n)++];
                w->id = req.id;
                w->idcopy = idcopy;
                if (idcopy) {
                    memcpy(idcopy, req.id.str, req.id.str_len);
                    w->id.str = idcopy;
                }
                ktagd_frames_init(&w->envelope);
                ktagd_frames_truncate(&f, body);
                ktagd_frames_move(&w->envelope, &f);
                replied = false;
                if (!running)
                    s_start_reload(s);
                else
                    s->reload_again = true;
            }
        } else if (req.op == KTAG_OP_TAG) {
            ktag_msgpack_pack_error(&pk, &req.id, KTAG_WIRE_UNSUPPORTED,
                                    "the control socket serves ping, info, stats and reload");
        } else {
            ktagd_pack_admin_reply(&s->shared, &pk, req.op, &req.id);
        }
        msgpack_unpacked_destroy(&up);
        if (replied) {
            ktagd_frames_truncate(&f, body);
            s_send_control(s, &f, &out);
        }
        msgpack_sbuffer_destroy(&out);
    }
}

/* ---------------------------------------------------------------- relay */

/* Send a reply to the front.  A ROUTER drops what it cannot route (the
   client is gone): count it.  A DEALER or PUSH that is full keeps the
   message as pending and stops the relay of replies until it drains. */
static void
s_send_front(s_server_t *s, ktagd_frames_t *f)
{
    if (ktagd_frames_send(f, s->front_out, ZMQ_DONTWAIT) == 0)
        return;
    if (errno == EAGAIN && !s->front_is_router && f->count > 0) {
        ktagd_frames_move(&s->pending_front, f);
        return;
    }
    log_debug("reply dropped: %s", zmq_strerror(errno));
    ktagd_stats_dropped(s->shared.stats);
    ktagd_frames_close(f);
}

/* Answer a request from the main loop itself, without queueing it to a
   worker: `overloaded`, or `too_large` (so that an oversized request never
   waits in a queue, holding its memory). */
static void
s_reply_error(s_server_t *s, ktagd_frames_t *f, ktag_wire_code_t code, const char *message)
{
    size_t body = s->envelope ? ktagd_frames_body_start(f) : 0;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    ktag_request_t req;
    ktag_wire_error_t werr;
    if (body < f->count)
        ktag_msgpack_decode_request(&req, &up, zmq_msg_data(&f->part[body]),
                                    zmq_msg_size(&f->part[body]), NULL, &werr);
    else
        memset(&req, 0, sizeof req);
    msgpack_sbuffer out;
    msgpack_sbuffer_init(&out);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
    ktag_msgpack_pack_error(&pk, &req.id, code, message);
    msgpack_unpacked_destroy(&up);
    ktagd_frames_truncate(f, body);
    ktagd_stats_error(s->shared.stats, code);
    ktagd_stats_replied(s->shared.stats, out.size, UINT64_MAX, 0);
    log_debug("request refused: %s: %s", ktag_wire_code_name(code), message);
    if (ktagd_frames_append(f, out.data, out.size) == 0)
        s_send_front(s, f);
    else
        ktagd_frames_close(f);
    msgpack_sbuffer_destroy(&out);
}

/* The bytes of the request body (the frames after the envelope). */
static size_t
s_body_bytes(const s_server_t *s, ktagd_frames_t *f)
{
    size_t body = s->envelope ? ktagd_frames_body_start(f) : 0;
    size_t bytes = f->bytes;
    for (size_t i = 0; i < body && i < f->count; i++)
        bytes -= zmq_msg_size(&f->part[i]);
    return bytes;
}

/* Give a request to a worker (broker mode), counted for --metrics.
   @returns as ktagd_broker_dispatch(). */
static int
s_dispatch(s_server_t *s, ktagd_frames_t *request)
{
    if (ktagd_broker_dispatch(s->broker, request) != 0)
        return -1;
    ktagd_stats_broker_forwarded(s->shared.stats);
    return 0;
}

static bool
s_accepting(const s_server_t *s)
{
    if (s->draining || s->pending_back.count)
        return false;
    if (s->broker && !ktagd_broker_ready(s->broker))
        return false;       /* no live worker has room: let clients queue */
    if (s->inline_mode && s->pending_front.count)
        return false;       /* the reply of the last one is still waiting */
    if (s->round_next > 0)
        return false;       /* the main loop has not tagged all its share yet */
    if (s->limit_pending && !s->overload_reply && s->in_flight >= s->config->max_pending)
        return false;       /* backpressure: let the upstream queue fill */
    return true;
}

/* Hand `job` to a worker (the back DEALER's round robin picks it; they are
   all idle when the main loop hands out jobs, so each gets one). */
static void
s_job_send(s_server_t *s, ktagd_job_t *job)
{
    /* inproc without a high-water mark: only a stopping context fails */
    if (zmq_send(s->back, &job, sizeof job, ZMQ_DONTWAIT) == (int) sizeof job)
        return;
    log_error("cannot hand a job to the workers: %s", zmq_strerror(errno));
    for (size_t k = 0; k < job->count; k++) {
        ktagd_frames_close(&job->msg[k]);
        ktagd_stats_dropped(s->shared.stats);
    }
    s->in_flight -= (int64_t) job->count;
    job->count = 0;
    s->free_jobs[s->n_free++] = job;
}

/* @returns how many requests a round may hold: a share for the main loop
   and one for each worker when they are idle, else one.  Tagging alone, the
   main loop reads a request, tags it and reads the next, which finds more
   waiting than reading all there is first (that read ends on an empty
   queue, a system call in ZeroMQ). */
static size_t
s_round_room(const s_server_t *s)
{
    return s->n_jobs > 0 && s->n_free == s->n_jobs ? KTAGD_JOB_MAX * (s->n_jobs + 1) : 1;
}

/* When every worker is idle and the round is big enough to be worth the
   hand-offs, give each worker an equal share of it (the main loop keeps
   the first share and the remainder). */
static void
s_round_split(s_server_t *s)
{
    size_t n = s->round_count - s->round_next;
    if (s->n_jobs == 0 || s->n_free < s->n_jobs || n < 2 || s->round_bytes < S_HANDOFF_BYTES)
        return;
    size_t helpers = s->n_jobs < n - 1 ? s->n_jobs : n - 1;
    size_t share = n / (helpers + 1);
    if (share > KTAGD_JOB_MAX)
        share = KTAGD_JOB_MAX;
    for (size_t h = 0; h < helpers; h++) {
        ktagd_job_t *job = s->free_jobs[--s->n_free];
        for (size_t k = 0; k < share; k++) {
            s->round_bytes -= s_body_bytes(s, &s->round[s->round_count - 1]);
            ktagd_frames_init(&job->msg[job->count]);
            ktagd_frames_move(&job->msg[job->count++], &s->round[--s->round_count]);
        }
        s_job_send(s, job);
    }
}

/* Send the replies held in `job` and empty it. */
static void
s_send_job(s_server_t *s, ktagd_job_t *job)
{
    for (size_t i = 0; i < job->count; i++)
        if (job->msg[i].count)      /* else the worker could not build its reply */
            s_send_front(s, &job->msg[i]);
    job->count = 0;
}

/* The main loop tagged a request: send its reply now, or (--bind) hold it
   with the others until s_flush_replies() or until KTAGD_JOB_MAX wait. */
static void
s_reply_inline(s_server_t *s, ktagd_frames_t *f)
{
    ktagd_job_t *held = s->inline_replies;
    if (!held) {
        s_send_front(s, f);
        return;
    }
    ktagd_frames_move(&held->msg[held->count++], f);
    if (held->count == KTAGD_JOB_MAX)
        s_send_job(s, held);
}

/* A job came back from a worker: send its replies. */
static void
s_job_done(s_server_t *s, ktagd_frames_t *f)
{
    ktagd_job_t *job = ktagd_job_from_frames(f);
    ktagd_frames_close(f);
    atomic_store_explicit(&job->done, false, memory_order_relaxed);
    s->in_flight -= (int64_t) job->count;
    s_send_job(s, job);
    s->free_jobs[s->n_free++] = job;
}

/* Read one request from the front and answer it if it needs no tagging:
   a broker's heartbeat, a request a broker passes on, one too large, one
   beyond --max-pending.  @returns 1 when `f` holds a request to serve, 0
   when it was dealt with, -1 when there was none to read. */
static int
s_front_take(s_server_t *s, ktagd_frames_t *f)
{
    if (ktagd_frames_recv(f, s->front_in, ZMQ_DONTWAIT) != 0)
        return -1;
    if (s->link && ktagd_link_filter(s->link, f, s_now()))
        return 0;       /* the broker's heartbeat */
    ktagd_stats_received(s->shared.stats, f->bytes);
    if (s->broker) {
        if (s_dispatch(s, f) != 0)
            ktagd_frames_move(&s->pending_back, f);     /* its worker vanished */
        return 0;
    }
    size_t body_bytes = s_body_bytes(s, f);
    if (body_bytes > s->config->max_message_size) {
        char message[160];
        snprintf(message, sizeof message, "request of %zu bytes exceeds the limit of %zu bytes",
                 body_bytes, s->config->max_message_size);
        s_reply_error(s, f, KTAG_WIRE_TOO_LARGE, message);
        return 0;
    }
    if (s->limit_pending && s->overload_reply && s->in_flight >= s->config->max_pending) {
        char message[128];
        snprintf(message, sizeof message, "%lld requests are already queued (--max-pending)",
                 (long long) s->in_flight);
        s_reply_error(s, f, KTAG_WIRE_OVERLOADED, message);
        return 0;
    }
    return 1;
}

static void s_back_readable(s_server_t *s);

/* @returns whether a worker has sent a job back that the main loop has
   not received yet. */
static bool
s_jobs_done(const s_server_t *s)
{
    for (size_t i = 0; i < s->n_jobs; i++)
        if (atomic_load_explicit(&s->jobs[i]->done, memory_order_acquire))
            return true;
    return false;
}

/* --bind: send the replies the main loop holds. */
static void
s_flush_replies(s_server_t *s, double now)
{
    s_send_job(s, s->inline_replies);
    s->flushed = now;
}

/* --bind: tag the main loop's share of the round.  A worker that finishes
   its job meanwhile gets its replies sent and a share of what is left (so
   that long documents and batches keep both busy); the main loop's own
   replies wait for the caller's s_flush_replies(), or for a millisecond,
   or for a job's worth (KTAGD_JOB_MAX).  Signals and the
   control socket wait meanwhile: 10 ms after `started` the rest waits for
   the next turn of the loop. */
static void
s_round_tag(s_server_t *s, double started)
{
    while (s->round_next < s->round_count) {
        ktagd_frames_t *f = &s->round[s->round_next++];
        s->round_bytes -= s_body_bytes(s, f);
        if (ktagd_worker_serve(&s->shared, s->inline_result, &s->inline_out, f, true) == 0)
            s_reply_inline(s, f);
        s->in_flight--;
        if (s_jobs_done(s)) {
            s_back_readable(s);
            s_round_split(s);
        }
        double now = s_now();
        if (now - s->flushed > 0.001)
            s_flush_replies(s, now);
        if (now - started > 0.01)
            break;
    }
    if (s->round_next == s->round_count)
        s->round_next = s->round_count = s->round_bytes = 0;
}

/* --bind: rounds, one after the other while requests keep coming (without
   polling between them: a poll is a system call, and requests trickle in
   as the replies go out), for at most 10 ms.  The replies are held until
   the front has no more requests (or KTAGD_JOB_MAX of them, or 1 ms): the
   client and the I/O thread then wake once for many. */
static void
s_rounds_run(s_server_t *s)
{
    double started = s_now();
    int reads = 0;
    while (reads < S_BATCH && s_accepting(s)) {
        size_t room = s_round_room(s);
        while (s->round_count < room && reads++ < S_BATCH) {
            ktagd_frames_t *f = &s->round[s->round_count];
            int rc = s_front_take(s, f);
            if (rc < 0)
                break;
            if (rc > 0) {
                s->in_flight++;
                s->round_count++;
                s->round_bytes += s_body_bytes(s, f);
            }
        }
        if (s->round_count == 0)
            return;
        s_round_split(s);
        s_round_tag(s, started);
        if (s_jobs_done(s))
            s_back_readable(s);     /* the replies of workers done meanwhile */
        if (s->round_next > 0 || s_now() - started > 0.01)
            return;
    }
}

static void
s_front_readable(s_server_t *s)
{
    if (s->rounds) {
        s_rounds_run(s);
        s_flush_replies(s, s_now());
        return;
    }
    double started = s->inline_mode ? s_now() : 0;
    for (int i = 0; i < S_BATCH && s_accepting(s); i++) {
        ktagd_frames_t f;
        int rc = s_front_take(s, &f);
        if (rc < 0)
            break;
        if (rc == 0)
            continue;
        if (s->inline_mode) {
            if (ktagd_worker_serve(&s->shared, s->inline_result, &s->inline_out, &f,
                                   s->envelope) == 0)
                s_reply_inline(s, &f);
            /* Signals and the control socket wait while we tag: bound it. */
            if (s_now() - started > 0.01)
                break;
            continue;
        }
        s->in_flight++;
        if (ktagd_frames_send(&f, s->back, ZMQ_DONTWAIT) != 0) {
            if (errno == EAGAIN && f.count > 0) {
                ktagd_frames_move(&s->pending_back, &f);
                break;
            }
            s->in_flight--;
            ktagd_stats_dropped(s->shared.stats);
            ktagd_frames_close(&f);
        }
    }
}

static void
s_back_readable(s_server_t *s)
{
    for (int i = 0; i < S_BATCH && !s->pending_front.count; i++) {
        ktagd_frames_t f;
        if (s->broker) {
            int rc = ktagd_broker_recv(s->broker, &f, s_now());
            if (rc < 0)
                return;
            if (rc == 0)
                continue;   /* a worker's READY or heartbeat */
            ktagd_stats_replied(s->shared.stats, f.bytes, UINT64_MAX, 0);
            s_send_front(s, &f);
            continue;
        }
        if (ktagd_frames_recv(&f, s->back, ZMQ_DONTWAIT) != 0)
            return;
        if (s->rounds) {
            s_job_done(s, &f);
            continue;
        }
        if (s->in_flight > 0)
            s->in_flight--;
        s_send_front(s, &f);
    }
}

static void
s_monitor_readable(s_server_t *s)
{
    for (int i = 0; i < 64; i++) {
        ktagd_frames_t f;
        if (ktagd_frames_recv(&f, s->monitor, ZMQ_DONTWAIT) != 0)
            return;
        if (f.count >= 1 && zmq_msg_size(&f.part[0]) >= 2) {
            uint16_t event;
            memcpy(&event, zmq_msg_data(&f.part[0]), sizeof event);
            if (event == ZMQ_EVENT_ACCEPTED || event == ZMQ_EVENT_CONNECTED)
                ktagd_stats_connection(s->shared.stats, KTAGD_CONN_OPENED);
            else if (event == ZMQ_EVENT_DISCONNECTED)
                ktagd_stats_connection(s->shared.stats, KTAGD_CONN_CLOSED);
            else
                ktagd_stats_connection(s->shared.stats, KTAGD_CONN_FAILED);
        }
        ktagd_frames_close(&f);
    }
}

/* ---------------------------------------------------------------- signals */

static int
s_open_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* @returns true when the loop must stop at once (a second stop signal). */
static bool
s_signal_readable(s_server_t *s)
{
    struct signalfd_siginfo si;
    while (read(s->sigfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGHUP) {
            log_info("SIGHUP: reload requested");
            s_start_reload(s);
            char err[512];
            int n = s->curve ? ktagd_curve_reload(s->curve, err, sizeof err) : 0;
            if (n < 0)
                log_error("CURVE allow-list reload failed, keeping the old list: %s", err);
            else if (s->curve)
                log_info("CURVE allow-list reloaded: %d clients allowed", n);
        } else if (!s->draining) {
            s->draining = true;
            if (s->link)
                ktagd_link_disconnect(s->link);
            if (s->broker)
                s->in_flight = (int64_t) ktagd_broker_held(s->broker);
            s->drain_deadline = s_now() + s->config->drain_timeout;
            log_info("%s: draining %lld in-flight requests (at most %.0f s), "
                     "taking no new ones", strsignal((int) si.ssi_signo),
                     (long long) s->in_flight, s->config->drain_timeout);
        } else {
            log_warning("%s again: stopping now with %lld requests in flight",
                        strsignal((int) si.ssi_signo), (long long) s->in_flight);
            return true;
        }
    }
    return false;
}

/* ---------------------------------------------------------------- run */

static int
s_start_threads(s_server_t *s)
{
    s->reloader = s_socket(s, ZMQ_PAIR, 0);
    if (zmq_bind(s->reloader, S_RELOADER) != 0)
        return -1;
    if (s->shared.lexicons) {
        if (pthread_create(&s->reload_thread, NULL, s_reloader_run, s) != 0)
            return -1;
        s->reload_thread_started = true;
    }
    if (s->config->mode == KTAGD_MODE_BROKER)
        return 0;
    bool bind = s->config->mode == KTAGD_MODE_BIND;
    int workers = bind ? s->config->threads - 1 : s->config->threads;
    if (bind || s->config->threads == 1) {
        /* The main loop tags: with --bind its share of every round (and
           threads - 1 workers help), else with --threads 1 everything. */
        s->inline_mode = true;
        if (!bind)
            workers = 0;
        s->inline_result = ktag_result_new();
        msgpack_sbuffer_init(&s->inline_out);
        if (!s->inline_result)
            return -1;
    }
    if (bind) {
        size_t n = (size_t) workers;
        s->round = calloc(KTAGD_JOB_MAX * (n + 1), sizeof *s->round);
        s->inline_replies = calloc(1, sizeof *s->inline_replies);
        s->jobs = calloc(n + 1, sizeof *s->jobs);      /* + 1: never calloc(0) */
        s->free_jobs = calloc(n + 1, sizeof *s->free_jobs);
        if (!s->round || !s->inline_replies || !s->jobs || !s->free_jobs)
            return -1;
        for (; s->n_jobs < n; s->n_jobs++) {
            if (!(s->jobs[s->n_jobs] = calloc(1, sizeof **s->jobs)))
                return -1;
            s->free_jobs[s->n_free++] = s->jobs[s->n_jobs];
        }
        s->rounds = true;
    }
    if (workers == 0)
        return 0;
    s->workers = calloc((size_t) workers, sizeof *s->workers);
    if (!s->workers)
        return -1;
    for (int i = 0; i < workers; i++) {
        s->workers[i] = ktagd_worker_start(&s->shared, S_BACKEND, s->envelope, s->rounds, i);
        if (!s->workers[i])
            return -1;
        s->n_workers++;
    }
    return 0;
}

static int
s_loop(s_server_t *s)
{
    double next_tick = s_now() + 1.0;
    for (;;) {
        zmq_pollitem_t items[7];
        int n = 0, i_front = -1, i_out = -1, i_back = -1, i_control = -1, i_reload = -1;
        int i_monitor = -1;
        items[n] = (zmq_pollitem_t) { s->front_in, 0, s_accepting(s) ? ZMQ_POLLIN : 0, 0 };
        if (s->front_out == s->front_in && s->pending_front.count)
            items[n].events |= ZMQ_POLLOUT;
        i_front = n++;
        if (s->front_out != s->front_in) {
            items[n] = (zmq_pollitem_t) { s->front_out, 0,
                                          s->pending_front.count ? ZMQ_POLLOUT : 0, 0 };
            i_out = n++;
        } else {
            i_out = i_front;
        }
        items[n] = (zmq_pollitem_t) { s->back, 0,
            (short) ((s->pending_front.count ? 0 : ZMQ_POLLIN)
                     | (s->pending_back.count && !s->broker ? ZMQ_POLLOUT : 0)), 0 };
        i_back = n++;
        if (s->control) {
            items[n] = (zmq_pollitem_t) { s->control, 0, ZMQ_POLLIN, 0 };
            i_control = n++;
        }
        items[n] = (zmq_pollitem_t) { s->reloader, 0, ZMQ_POLLIN, 0 };
        i_reload = n++;
        if (s->monitor) {
            items[n] = (zmq_pollitem_t) { s->monitor, 0, ZMQ_POLLIN, 0 };
            i_monitor = n++;
        }
        items[n] = (zmq_pollitem_t) { NULL, s->sigfd, ZMQ_POLLIN, 0 };
        int i_sig = n++;

        double now = s_now();
        double wait = next_tick - now;
        if (s->draining && s->drain_deadline - now < wait)
            wait = s->drain_deadline - now;
        if ((s->broker || s->link) && s->next_beat - now < wait)
            wait = s->next_beat - now;
        long timeout = wait > 0 ? (long) (wait * 1000) + 1 : 0;
        if (s->round_next < s->round_count)
            timeout = 0;    /* the rest of a round to tag */
        if (zmq_poll(items, n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll failed: %s", zmq_strerror(errno));
            return 1;
        }
        now = s_now();
        if (now >= next_tick) {
            ktagd_stats_tick(s->shared.stats);
            next_tick = now + 1.0;
        }
        if ((items[i_sig].revents & ZMQ_POLLIN) && s_signal_readable(s))
            return 0;
        if (s->broker && now >= s->next_beat)
            s->next_beat = ktagd_broker_tick(s->broker, now);
        if (s->link && now >= s->next_beat) {
            bool reconnect;
            s->next_beat = ktagd_link_tick(s->link, now, &reconnect);
            if (reconnect) {
                if (s_reconnect(s, now) != 0)
                    return 1;
                continue;   /* the poll items name the old socket */
            }
        }
        if (i_control >= 0 && (items[i_control].revents & ZMQ_POLLIN))
            s_control_readable(s);
        if (items[i_reload].revents & ZMQ_POLLIN)
            s_reload_done(s);
        if (i_monitor >= 0 && (items[i_monitor].revents & ZMQ_POLLIN))
            s_monitor_readable(s);
        if (s->broker && s->pending_back.count
            && s_dispatch(s, &s->pending_back) != 0 && s->draining)
            ktagd_frames_close(&s->pending_back);   /* never given to a worker */
        if (!s->broker && s->pending_back.count && (items[i_back].revents & ZMQ_POLLOUT)) {
            if (ktagd_frames_send(&s->pending_back, s->back, ZMQ_DONTWAIT) != 0
                && errno != EAGAIN) {
                s->in_flight--;
                ktagd_stats_dropped(s->shared.stats);
                ktagd_frames_close(&s->pending_back);
            }
        }
        if (s->pending_front.count && (items[i_out].revents & ZMQ_POLLOUT)) {
            if (ktagd_frames_send(&s->pending_front, s->front_out, ZMQ_DONTWAIT) != 0
                && errno != EAGAIN) {
                ktagd_stats_dropped(s->shared.stats);
                ktagd_frames_close(&s->pending_front);
            }
        }
        if (items[i_back].revents & ZMQ_POLLIN)
            s_back_readable(s);
        if (s->round_next < s->round_count) {
            s_round_tag(s, now);
            s_flush_replies(s, s_now());
        } else if (items[i_front].revents & ZMQ_POLLIN) {
            s_front_readable(s);
        }
        if (s->broker) {
            s->in_flight = (int64_t) ktagd_broker_held(s->broker);
            ktagd_stats_broker_workers(s->shared.stats, (int64_t) ktagd_broker_workers(s->broker));
        }
        ktagd_stats_set_in_flight(s->shared.stats, s->in_flight);

        if (s->draining) {
            /* A broker's count drops as its workers answer, expire or go:
               it stops as soon as nothing it holds can still be answered. */
            if (s->in_flight == 0 && !s->pending_front.count) {
                log_info(s->broker ? "drained: no live worker holds a request"
                                   : "drained: every accepted request was answered");
                return 0;
            }
            if (now >= s->drain_deadline) {
                log_warning("drain timeout: stopping with %lld requests unanswered",
                            (long long) s->in_flight);
                return 0;
            }
        }
    }
}

/* The loop ends with replies handed to ZeroMQ but perhaps not delivered
   (a large reply, a slow reader).  After a drain they are promised: they
   may flush until the drain's deadline, as the requests could have run.
   Any other stop gives them S_FRONT_LINGER_MS. */
static void
s_let_replies_flush(s_server_t *s)
{
    if (!s->draining || !s->front_out)
        return;
    double left_ms = (s->drain_deadline - s_now()) * 1000.0;
    int linger = left_ms > S_FRONT_LINGER_MS ? (int) left_ms : S_FRONT_LINGER_MS;
    zmq_setsockopt(s->front_out, ZMQ_LINGER, &linger, sizeof linger);
}

int
ktagd_server_run(const ktagd_config_t *config, ktagd_lexholder_t *lexicons)
{
    s_server_t s;
    memset(&s, 0, sizeof s);
    s.config = config;
    s.shared.config = config;
    s.shared.lexicons = lexicons;
    s.shared.stats = ktagd_stats_new();
    s.shared.zmq = zmq_ctx_new();
    ktagd_frames_init(&s.pending_back);
    ktagd_frames_init(&s.pending_front);
    s.sigfd = s_open_signals();
    int rc = 1;
    if (!s.shared.stats || !s.shared.zmq || s.sigfd < 0) {
        log_error("cannot start: %s", strerror(errno));
        goto done;
    }
    if (config->curve_secret_key) {
        char err[512];
        s.curve = ktagd_curve_new(s.shared.zmq, config->curve_secret_key, config->curve_allow,
                                  err, sizeof err);
        if (!s.curve) {
            log_error("%s", err);
            goto done;
        }
        s.shared.curve = true;
        log_info("CURVE: server public key %s, %zu clients allowed",
                 ktagd_curve_public_key(s.curve), ktagd_curve_allowed_count(s.curve));
    }
    if (s_open_sockets(&s) != 0)
        goto done;
    if (config->metrics) {
        char err[512];
        s.metrics = ktagd_metrics_start(config->metrics, s.shared.stats, lexicons,
                                        config->mode == KTAGD_MODE_BROKER, err, sizeof err);
        if (!s.metrics) {
            log_error("%s", err);
            goto done;
        }
        log_info("metrics at %s", ktagd_metrics_url(s.metrics));
    }
    if (s_start_threads(&s) != 0) {
        log_error("cannot start the worker threads");
        goto done;
    }
    char how[64] = "";
    if (s.inline_mode && s.n_workers == 0)
        snprintf(how, sizeof how, " (inline)");
    else if (s.inline_mode)
        snprintf(how, sizeof how, " (the main loop and %d worker%s)", s.n_workers,
                 s.n_workers == 1 ? "" : "s");
    log_info("ready: %s mode, %d tagging threads%s, max message %zu bytes, pid %d",
             config->mode == KTAGD_MODE_BIND ? "bind"
             : config->mode == KTAGD_MODE_CONNECT ? "connect"
             : config->mode == KTAGD_MODE_BROKER ? "broker" : "pipeline",
             s.n_workers + (s.inline_mode ? 1 : 0), how, config->max_message_size,
             (int) getpid());
    rc = s_loop(&s);
done:
    ktagd_metrics_stop(&s.metrics);
    ktagd_frames_close(&s.pending_back);
    ktagd_frames_close(&s.pending_front);
    for (size_t i = 0; i < s.n_waiting; i++)
        s_waiter_done(&s.waiting[i]);
    for (size_t i = 0; i < s.n_next; i++)
        s_waiter_done(&s.next[i]);
    if (s.monitor && s.front_in)
        zmq_socket_monitor(s.front_in, NULL, 0);
    s_let_replies_flush(&s);
    void *sockets[] = { s.front_in, s.front_out != s.front_in ? s.front_out : NULL, s.back,
                        s.control, s.reloader, s.monitor };
    for (size_t i = 0; i < sizeof sockets / sizeof sockets[0]; i++)
        if (sockets[i])
            zmq_close(sockets[i]);
    if (s.shared.zmq) {
        /* Wakes the workers and the reloader out of their blocking receive. */
        zmq_ctx_shutdown(s.shared.zmq);
        for (int i = 0; i < s.n_workers; i++)
            ktagd_worker_join(&s.workers[i]);
        if (s.reload_thread_started)
            pthread_join(s.reload_thread, NULL);
        ktagd_curve_destroy(&s.curve);
        zmq_ctx_term(s.shared.zmq);
    }
    free(s.workers);
    /* The workers are gone: what the jobs still hold is ours to close. */
    for (size_t i = 0; i < s.n_jobs; i++) {
        for (size_t k = 0; k < s.jobs[i]->count; k++)
            ktagd_frames_close(&s.jobs[i]->msg[k]);
        free(s.jobs[i]);
    }
    free(s.jobs);
    free(s.free_jobs);
    for (size_t i = s.round_next; i < s.round_count; i++)
        ktagd_frames_close(&s.round[i]);
    free(s.round);
    ktagd_broker_destroy(&s.broker);
    ktagd_link_destroy(&s.link);
    if (s.inline_mode) {
        ktag_result_destroy(&s.inline_result);
        msgpack_sbuffer_destroy(&s.inline_out);
        free(s.inline_replies);     /* empty: sent at the end of every round */
    }
    if (s.sigfd >= 0)
        close(s.sigfd);
    if (s.shared.stats)
        log_info("stopped after %.1f s: %llu requests received, %llu replies sent",
                 ktagd_stats_uptime(s.shared.stats),
                 (unsigned long long) ktagd_stats_requests(s.shared.stats),
                 (unsigned long long) ktagd_stats_replies(s.shared.stats));
    ktagd_stats_destroy(&s.shared.stats);
    return rc;
}
