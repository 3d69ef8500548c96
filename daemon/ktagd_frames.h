/*  ktagd_frames.h - one ZeroMQ message as its frames, received and sent
    whole.  Requests travel with the envelope the front socket gave them
    (ROUTER identities up to the empty delimiter); the reply reuses the
    envelope frames as they are, so routing works through any number of
    brokers without ktagd knowing their topology.
*/
#ifndef KTAGD_FRAMES_H_INCLUDED
#define KTAGD_FRAMES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include <zmq.h>

/** Frames kept per message; more are received, counted and discarded. */
#define KTAGD_MAX_FRAMES 32

typedef struct {
    zmq_msg_t part[KTAGD_MAX_FRAMES];
    size_t count;       /**< frames held in part[] */
    size_t total;       /**< frames the message had, including discarded ones */
    size_t bytes;       /**< bytes of all its frames */
} ktagd_frames_t;

/** Make `self` empty.  This function can't fail. */
void ktagd_frames_init(ktagd_frames_t *self);

/** Close every frame held and make `self` empty. */
void ktagd_frames_close(ktagd_frames_t *self);

/** Receive one whole message from `socket` into an empty `self`.  `flags`
 *  is 0 or ZMQ_DONTWAIT and applies to the first frame only (ZeroMQ
 *  delivers the others with it).  @returns 0, or -1 with errno (EAGAIN,
 *  ETERM, EINTR) and `self` empty. */
int ktagd_frames_recv(ktagd_frames_t *self, void *socket, int flags);

/** Send the frames held as one message.  On success they are consumed and
 *  `self` is empty.  When the first frame is refused (EAGAIN,
 *  EHOSTUNREACH) nothing is consumed and `self` is unchanged, so the caller
 *  may retry or close it.  @returns 0, or -1 with errno. */
int ktagd_frames_send(ktagd_frames_t *self, void *socket, int flags);

/** Move the frames of `src` into `dst` (which must be empty); `src` ends
 *  empty.  This function can't fail. */
void ktagd_frames_move(ktagd_frames_t *dst, ktagd_frames_t *src);

/** @returns the index of the first body frame of a message received from a
 *  ROUTER-like socket: just after the first empty frame at index 1 or
 *  later, or 1 when there is none (a DEALER client that sends no delimiter
 *  frame).  The frames before it are the envelope. */
size_t ktagd_frames_body_start(const ktagd_frames_t *self);

/** Close the frames from index `n` on.  This function can't fail. */
void ktagd_frames_truncate(ktagd_frames_t *self, size_t n);

/** Append a copy of `len` bytes as a new last frame.  @returns 0, or -1
 *  when `self` is full or out of memory. */
int ktagd_frames_append(ktagd_frames_t *self, const void *data, size_t len);

#endif
