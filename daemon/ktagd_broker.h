/*  ktagd_broker.h - both ends of "ktagw/1", the protocol between
    `ktagd --broker` and its `ktagd --connect` workers: ZeroMQ's Paranoid
    Pirate with credit (docs/PROTOCOL.md, "Broker and workers").

    The broker side (ktagd_broker_t) keeps the list of live workers behind
    a ROUTER back socket, gives each request to the live worker with the
    most credit left, sends heartbeats and expires silent workers.  The
    worker side (ktagd_link_t) announces the worker, sends heartbeats,
    notices a silent broker and says when to rebuild the socket.

    Neither owns a socket or a clock: the server's loop passes them its
    sockets and the current time (seconds, CLOCK_MONOTONIC), and calls the
    tick functions when they ask to be called.  Neither does any I/O but on
    the socket it was given.
*/
#ifndef KTAGD_BROKER_H_INCLUDED
#define KTAGD_BROKER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "ktagd_frames.h"

/** Frame 1 of every control message. */
#define KTAGD_WORKER_PROTOCOL "ktagw/1"

/* ---------------------------------------------------------------- broker */

typedef struct ktagd_broker ktagd_broker_t;

/** A broker for the workers behind `back`, a bound ROUTER socket (the
 *  caller sets ZMQ_ROUTER_MANDATORY on it, so that a gone worker is an
 *  error rather than a silent drop).  `heartbeat_ms` is the interval of
 *  the broker's heartbeats, `liveness` how many of a worker's announced
 *  intervals it may stay silent.
 *  @returns a new broker; caller frees with ktagd_broker_destroy(), or NULL
 *  when out of memory. */
ktagd_broker_t *ktagd_broker_new(void *back, int heartbeat_ms, int liveness, double now);

/** Free the broker (not the socket).  Accepts NULL. */
void ktagd_broker_destroy(ktagd_broker_t **self_p);

/** @returns true when some live worker has credit left, i.e. when a
 *  request read from the front could be dispatched now. */
bool ktagd_broker_ready(const ktagd_broker_t *self);

/** Send `request` (as received on the front: envelope, delimiter, body) to
 *  the live worker with the most credit left.  Workers found gone on the
 *  way are dropped (logged).
 *  @returns 0 when sent (`request` is consumed and empty), -1 when no live
 *  worker has credit left (`request` is unchanged). */
int ktagd_broker_dispatch(ktagd_broker_t *self, ktagd_frames_t *request);

/** Receive one message from the back socket without waiting.  A control
 *  message (READY, HEARTBEAT, DISCONNECT) is handled here; a reply gives
 *  its worker one credit back and lands in `reply` (which must be empty),
 *  without the worker's identity, ready for the front.
 *  @returns 1 with a reply in `reply`, 0 when a control message or a
 *  malformed one was consumed, -1 when nothing was waiting (or on ETERM). */
int ktagd_broker_recv(ktagd_broker_t *self, ktagd_frames_t *reply, double now);

/** Send the heartbeats that are due and drop the workers that expired or
 *  whose connection is gone (logged, with the requests they held).
 *  @returns when to call it next. */
double ktagd_broker_tick(ktagd_broker_t *self, double now);

/** @returns the requests held by live workers (dispatched, not answered). */
size_t ktagd_broker_held(const ktagd_broker_t *self);

/** @returns the number of live workers. */
size_t ktagd_broker_workers(const ktagd_broker_t *self);

/* ---------------------------------------------------------------- worker */

typedef struct ktagd_link ktagd_link_t;

/** The worker's end: take up to `credit` requests at a time, heartbeat
 *  every `heartbeat_ms`, count the broker dead after `liveness` of its
 *  intervals without a word.
 *  @returns a new link; caller frees with ktagd_link_destroy(), or NULL
 *  when out of memory. */
ktagd_link_t *ktagd_link_new(int credit, int heartbeat_ms, int liveness);

/** Free the link (not its socket).  Accepts NULL. */
void ktagd_link_destroy(ktagd_link_t **self_p);

/** Use `socket` (a DEALER connecting to the broker's back, new) from now
 *  on, and announce the worker on it (READY).  This function can't fail:
 *  a READY that cannot be queued is followed by heartbeats, which a broker
 *  takes as READY. */
void ktagd_link_attach(ktagd_link_t *self, void *socket, double now);

/** Look at a message received from the broker: every message proves the
 *  broker alive; a control message (first frame empty) is consumed.
 *  @returns true when `msg` was a control message (it is closed and
 *  empty), false when it is a request for the caller. */
bool ktagd_link_filter(ktagd_link_t *self, ktagd_frames_t *msg, double now);

/** Send the heartbeat when due and watch the broker's silence (once it
 *  has been heard to speak ktagw/1: a plain ROUTER/DEALER proxy never
 *  sends heartbeats, and its silence means nothing).  Sets *reconnect when
 *  the broker has been silent too long and the backoff has passed: the
 *  caller closes the socket, connects a new one and calls
 *  ktagd_link_attach().
 *  @returns when to call it next. */
double ktagd_link_tick(ktagd_link_t *self, double now, bool *reconnect);

/** Tell the broker that this worker is stopping (DISCONNECT): it sends
 *  nothing more, and the worker answers what it holds.  Heartbeats go on
 *  until the worker exits.  This function can't fail. */
void ktagd_link_disconnect(ktagd_link_t *self);

#endif
