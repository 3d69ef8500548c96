/*  ktagd_broker.c - Paranoid Pirate with credit, both ends (ktagd_broker.h). */
#include "ktagd_broker.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <zmq.h>

#include "ktag_msgpack.h"
#include "ktagd_log.h"

#define S_PROTOCOL_LEN (sizeof KTAGD_WORKER_PROTOCOL - 1)
#define S_MAX_ID 255            /* ZeroMQ routing ids are 1..255 bytes */
#define S_BACKOFF_MAX 32        /* the worker's reconnect backoff, in intervals */

typedef enum { S_READY, S_HEARTBEAT, S_DISCONNECT, S_UNKNOWN } s_command_t;

static const char *const s_command_names[] = { "READY", "HEARTBEAT", "DISCONNECT" };

/* Send a control message: [empty, protocol, command, map?], after the
   routing id the caller may have sent (ZMQ_SNDMORE) on a ROUTER. */
static int
s_send_control(void *socket, s_command_t command, const msgpack_sbuffer *map)
{
    const char *name = s_command_names[command];
    if (zmq_send(socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    zmq_send(socket, KTAGD_WORKER_PROTOCOL, S_PROTOCOL_LEN, ZMQ_SNDMORE);
    if (map) {
        zmq_send(socket, name, strlen(name), ZMQ_SNDMORE);
        return zmq_send(socket, map->data, map->size, 0) < 0 ? -1 : 0;
    }
    return zmq_send(socket, name, strlen(name), 0) < 0 ? -1 : 0;
}

/* The command of a control message `msg` (frames after any routing id), and
   its map in *map (msgpack NIL when absent), unpacked into `up`. */
static s_command_t
s_parse_control(const ktagd_frames_t *msg, msgpack_unpacked *up, const msgpack_object **map)
{
    *map = NULL;
    if (msg->count < 3 || zmq_msg_size((zmq_msg_t *) &msg->part[1]) != S_PROTOCOL_LEN
        || memcmp(zmq_msg_data((zmq_msg_t *) &msg->part[1]), KTAGD_WORKER_PROTOCOL,
                  S_PROTOCOL_LEN) != 0)
        return S_UNKNOWN;
    const char *cmd = zmq_msg_data((zmq_msg_t *) &msg->part[2]);
    size_t len = zmq_msg_size((zmq_msg_t *) &msg->part[2]);
    s_command_t command = S_UNKNOWN;
    for (int c = S_READY; c < S_UNKNOWN; c++)
        if (len == strlen(s_command_names[c]) && memcmp(cmd, s_command_names[c], len) == 0)
            command = (s_command_t) c;
    if (command != S_UNKNOWN && msg->count >= 4) {
        size_t off = 0;
        if (msgpack_unpack_next(up, zmq_msg_data((zmq_msg_t *) &msg->part[3]),
                                zmq_msg_size((zmq_msg_t *) &msg->part[3]), &off)
                == MSGPACK_UNPACK_SUCCESS
            && up->data.type == MSGPACK_OBJECT_MAP)
            *map = &up->data;
    }
    return command;
}

/* A positive integer under `key` of `map`, or `fallback`. */
static int64_t
s_map_int(const msgpack_object *map, const char *key, int64_t fallback)
{
    const msgpack_object *v = map ? ktag_msgpack_map_get(map, key) : NULL;
    if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 > 0
        && v->via.u64 < (1u << 30))
        return (int64_t) v->via.u64;
    return fallback;
}

/* ================================================================ broker */

typedef struct {
    uint8_t id[S_MAX_ID];
    size_t id_len;
    char name[64];          /* "host/pid" as the worker says, for the logs */
    int credit;             /* 0 once it said DISCONNECT */
    int held;               /* requests given and not answered */
    double interval;        /* its heartbeat interval, seconds */
    double expiry;          /* dead if silent until then */
    uint64_t last_given;    /* dispatch order, to break ties */
} s_worker_t;

struct ktagd_broker {
    void *back;
    double interval;
    int liveness;
    double next_heartbeat;
    uint64_t dispatched;
    s_worker_t *workers;
    size_t count, cap;
};

ktagd_broker_t *
ktagd_broker_new(void *back, int heartbeat_ms, int liveness, double now)
{
    ktagd_broker_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->back = back;
    self->interval = heartbeat_ms / 1000.0;
    self->liveness = liveness;
    self->next_heartbeat = now + self->interval;
    return self;
}

void
ktagd_broker_destroy(ktagd_broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->workers);
    free(*self_p);
    *self_p = NULL;
}

static s_worker_t *
s_find(ktagd_broker_t *self, const zmq_msg_t *id)
{
    size_t len = zmq_msg_size((zmq_msg_t *) id);
    const void *data = zmq_msg_data((zmq_msg_t *) id);
    for (size_t i = 0; i < self->count; i++)
        if (self->workers[i].id_len == len && memcmp(self->workers[i].id, data, len) == 0)
            return &self->workers[i];
    return NULL;
}

static const char *
s_label(const s_worker_t *w, char *buf, size_t size)
{
    if (w->name[0]) {
        snprintf(buf, size, "%s", w->name);
        return buf;
    }
    size_t n = 0;
    for (size_t i = 0; i < w->id_len && n + 3 < size; i++)
        n += (size_t) snprintf(buf + n, size - n, "%02x", w->id[i]);
    buf[n] = '\0';
    return buf;
}

/* Forget worker `w`: its requests will never be answered through us. */
static void
s_remove(ktagd_broker_t *self, s_worker_t *w, const char *why)
{
    char label[80];
    if (w->held > 0)
        log_warning("worker %s %s: the %d requests it held are lost (clients retry them); "
                    "%zu workers left", s_label(w, label, sizeof label), why, w->held,
                    self->count - 1);
    else
        log_info("worker %s %s; %zu workers left", s_label(w, label, sizeof label), why,
                 self->count - 1);
    *w = self->workers[--self->count];
}

/* READY or HEARTBEAT: know the worker (again), with what it announces. */
static s_worker_t *
s_announce(ktagd_broker_t *self, const zmq_msg_t *id, s_worker_t *w, s_command_t command,
           const msgpack_object *map)
{
    size_t id_len = zmq_msg_size((zmq_msg_t *) id);
    if (!w) {
        if (id_len == 0 || id_len > S_MAX_ID)
            return NULL;
        if (self->count == self->cap) {
            size_t cap = self->cap ? self->cap * 2 : 8;
            s_worker_t *bigger = realloc(self->workers, cap * sizeof *bigger);
            if (!bigger) {
                log_error("out of memory: a worker is ignored");
                return NULL;
            }
            self->workers = bigger;
            self->cap = cap;
        }
        w = &self->workers[self->count++];
        memset(w, 0, sizeof *w);
        memcpy(w->id, zmq_msg_data((zmq_msg_t *) id), id_len);
        w->id_len = id_len;
        w->credit = 1;
    }
    bool fresh = w->interval == 0;
    if (w->credit > 0)      /* a worker that said DISCONNECT stays without work */
        w->credit = (int) s_map_int(map, "credit", w->credit);
    w->interval = (double) s_map_int(map, "heartbeat_ms", (int64_t) (self->interval * 1000))
                  / 1000.0;
    const msgpack_object *name = map ? ktag_msgpack_map_get(map, "name") : NULL;
    if (name && name->type == MSGPACK_OBJECT_STR)
        snprintf(w->name, sizeof w->name, "%.*s", (int) name->via.str.size, name->via.str.ptr);
    if (fresh) {
        char label[80];
        log_info("worker %s %s: credit %d, heartbeat %.0f ms; %zu workers",
                 s_label(w, label, sizeof label),
                 command == S_READY ? "ready" : "adopted from its heartbeat", w->credit,
                 w->interval * 1000, self->count);
    }
    return w;
}

int
ktagd_broker_recv(ktagd_broker_t *self, ktagd_frames_t *reply, double now)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, self->back, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        return -1;
    }
    if (!zmq_msg_more(&id) || ktagd_frames_recv(reply, self->back, 0) != 0) {
        zmq_msg_close(&id);
        return 0;
    }
    s_worker_t *w = s_find(self, &id);
    if (w)
        w->expiry = now + self->liveness * w->interval;
    if (reply->count > 0 && zmq_msg_size(&reply->part[0]) > 0) {
        /* A reply: the front's ROUTER put the client's identity first. */
        if (w && w->held > 0)
            w->held--;
        zmq_msg_close(&id);
        return 1;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    const msgpack_object *map;
    s_command_t command = s_parse_control(reply, &up, &map);
    char label[80];
    switch (command) {
    case S_READY:
    case S_HEARTBEAT:
        w = s_announce(self, &id, w, command, map);
        if (w)
            w->expiry = now + self->liveness * w->interval;
        break;
    case S_DISCONNECT:
        /* Repeated instead of heartbeats until the worker is gone. */
        if (w && w->credit > 0) {
            w->credit = 0;
            log_info("worker %s is stopping: no more work for it, %d requests to come back",
                     s_label(w, label, sizeof label), w->held);
        }
        break;
    case S_UNKNOWN:
        log_debug("a control message from a worker that is not %s; ignored",
                  KTAGD_WORKER_PROTOCOL);
        break;
    }
    msgpack_unpacked_destroy(&up);
    ktagd_frames_close(reply);
    zmq_msg_close(&id);
    return 0;
}

static s_worker_t *
s_pick(ktagd_broker_t *self)
{
    s_worker_t *best = NULL;
    for (size_t i = 0; i < self->count; i++) {
        s_worker_t *w = &self->workers[i];
        int room = w->credit - w->held;
        if (room <= 0)
            continue;
        int best_room = best ? best->credit - best->held : 0;
        if (!best || room > best_room || (room == best_room && w->last_given < best->last_given))
            best = w;
    }
    return best;
}

bool
ktagd_broker_ready(const ktagd_broker_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->workers[i].held < self->workers[i].credit)
            return true;
    return false;
}

int
ktagd_broker_dispatch(ktagd_broker_t *self, ktagd_frames_t *request)
{
    s_worker_t *w;
    while ((w = s_pick(self)) != NULL) {
        if (zmq_send(self->back, w->id, w->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
            /* EHOSTUNREACH: its connection closed (killed, crashed). */
            s_remove(self, w, "is gone (its connection closed)");
            continue;
        }
        if (ktagd_frames_send(request, self->back, 0) != 0) {
            /* Only when the context is going away: the request is lost. */
            ktagd_frames_close(request);
            return 0;
        }
        w->held++;
        w->last_given = ++self->dispatched;
        return 0;
    }
    return -1;
}

double
ktagd_broker_tick(ktagd_broker_t *self, double now)
{
    if (now >= self->next_heartbeat) {
        msgpack_sbuffer map;
        msgpack_sbuffer_init(&map);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &map, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        ktag_msgpack_pack_cstr(&pk, "heartbeat_ms");
        msgpack_pack_int64(&pk, (int64_t) (self->interval * 1000 + 0.5));
        for (size_t i = 0; i < self->count;) {
            s_worker_t *w = &self->workers[i];
            if (zmq_send(self->back, w->id, w->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
                || s_send_control(self->back, S_HEARTBEAT, &map) != 0) {
                s_remove(self, w, "is gone (its connection closed)");
                continue;
            }
            i++;
        }
        msgpack_sbuffer_destroy(&map);
        self->next_heartbeat = now + self->interval;
    }
    double next = self->next_heartbeat;
    for (size_t i = 0; i < self->count;) {
        s_worker_t *w = &self->workers[i];
        if (now >= w->expiry) {
            char why[80];
            snprintf(why, sizeof why, "expired: silent for %d heartbeats of %.0f ms",
                     self->liveness, w->interval * 1000);
            s_remove(self, w, why);
            continue;
        }
        if (w->expiry < next)
            next = w->expiry;
        i++;
    }
    return next;
}

size_t
ktagd_broker_held(const ktagd_broker_t *self)
{
    size_t held = 0;
    for (size_t i = 0; i < self->count; i++)
        held += (size_t) self->workers[i].held;
    return held;
}

size_t
ktagd_broker_workers(const ktagd_broker_t *self)
{
    return self->count;
}

/* ================================================================ worker */

struct ktagd_link {
    void *socket;
    int credit, liveness;
    double interval;        /* ours */
    double broker_interval; /* the broker's, as it announced (ours until then) */
    double last_heard;
    double next_heartbeat;
    double backoff;         /* wait before the next rebuild */
    double reconnect_at;    /* 0: none planned */
    bool speaks;            /* a broker heartbeat was heard: silence counts */
    bool leaving;
    msgpack_sbuffer announce;   /* the READY/HEARTBEAT map */
};

ktagd_link_t *
ktagd_link_new(int credit, int heartbeat_ms, int liveness)
{
    ktagd_link_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->credit = credit;
    self->liveness = liveness;
    self->interval = self->broker_interval = self->backoff = heartbeat_ms / 1000.0;
    char host[40] = "?";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    char name[64];
    snprintf(name, sizeof name, "%s/%d", host, (int) getpid());
    msgpack_sbuffer_init(&self->announce);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &self->announce, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    ktag_msgpack_pack_cstr(&pk, "credit");
    msgpack_pack_int64(&pk, credit);
    ktag_msgpack_pack_cstr(&pk, "heartbeat_ms");
    msgpack_pack_int64(&pk, heartbeat_ms);
    ktag_msgpack_pack_cstr(&pk, "name");
    ktag_msgpack_pack_cstr(&pk, name);
    return self;
}

void
ktagd_link_destroy(ktagd_link_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    msgpack_sbuffer_destroy(&(*self_p)->announce);
    free(*self_p);
    *self_p = NULL;
}

/* Say `command` (READY, HEARTBEAT) with our announcement; a stopping
   worker says DISCONNECT instead, so that a broker that restarts meanwhile
   does not adopt it. */
static void
s_link_say(ktagd_link_t *self, s_command_t command)
{
    if (self->leaving)
        s_send_control(self->socket, S_DISCONNECT, NULL);
    else
        s_send_control(self->socket, command, &self->announce);
}

void
ktagd_link_attach(ktagd_link_t *self, void *socket, double now)
{
    self->socket = socket;
    self->last_heard = now;
    self->reconnect_at = 0;
    self->next_heartbeat = now + self->interval;
    s_link_say(self, S_READY);
}

bool
ktagd_link_filter(ktagd_link_t *self, ktagd_frames_t *msg, double now)
{
    if (self->reconnect_at > 0)
        log_info("the broker is heard again");
    self->last_heard = now;
    self->reconnect_at = 0;
    self->backoff = self->interval;
    if (msg->count == 0 || zmq_msg_size(&msg->part[0]) > 0)
        return false;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    const msgpack_object *map;
    if (s_parse_control(msg, &up, &map) == S_HEARTBEAT) {
        self->broker_interval = (double) s_map_int(map, "heartbeat_ms",
                                                   (int64_t) (self->interval * 1000)) / 1000.0;
        if (!self->speaks)
            log_info("the broker speaks %s: heartbeats every %.0f ms", KTAGD_WORKER_PROTOCOL,
                     self->broker_interval * 1000);
        self->speaks = true;
    }
    msgpack_unpacked_destroy(&up);
    ktagd_frames_close(msg);
    return true;
}

double
ktagd_link_tick(ktagd_link_t *self, double now, bool *reconnect)
{
    *reconnect = false;
    if (now >= self->next_heartbeat) {
        s_link_say(self, S_HEARTBEAT);
        self->next_heartbeat = now + self->interval;
    }
    double silent_until = self->last_heard + self->liveness * self->broker_interval;
    /* Silence means nothing from a plain ROUTER/DEALER proxy, which never
       sends heartbeats, nor to a stopping worker, which no longer reads. */
    bool watch = self->speaks && !self->leaving;
    if (self->reconnect_at == 0 && watch && now >= silent_until) {
        log_warning("the broker has been silent for %.1f s: reconnecting in %.1f s",
                    now - self->last_heard, self->backoff);
        self->reconnect_at = now + self->backoff;
        self->backoff *= 2;
        if (self->backoff > S_BACKOFF_MAX * self->interval)
            self->backoff = S_BACKOFF_MAX * self->interval;
    }
    if (self->reconnect_at > 0 && now >= self->reconnect_at) {
        *reconnect = true;
        return now;
    }
    double next = self->next_heartbeat;
    if (self->reconnect_at > 0 && self->reconnect_at < next)
        next = self->reconnect_at;
    if (self->reconnect_at == 0 && watch && silent_until < next)
        next = silent_until;
    return next;
}

void
ktagd_link_disconnect(ktagd_link_t *self)
{
    self->leaving = true;
    s_link_say(self, S_DISCONNECT);
}
