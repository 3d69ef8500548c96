/*  ktagd_frames.c - whole-message receive and send (see ktagd_frames.h). */
#include "ktagd_frames.h"

#include <errno.h>
#include <string.h>

void
ktagd_frames_init(ktagd_frames_t *self)
{
    self->count = self->total = self->bytes = 0;
}

void
ktagd_frames_close(ktagd_frames_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        zmq_msg_close(&self->part[i]);
    ktagd_frames_init(self);
}

int
ktagd_frames_recv(ktagd_frames_t *self, void *socket, int flags)
{
    ktagd_frames_init(self);
    for (;;) {
        zmq_msg_t tmp, *msg = self->count < KTAGD_MAX_FRAMES ? &self->part[self->count] : &tmp;
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, socket, self->total == 0 ? flags : 0) < 0) {
            int e = errno;
            zmq_msg_close(msg);
            ktagd_frames_close(self);
            errno = e;
            return -1;
        }
        self->total++;
        self->bytes += zmq_msg_size(msg);
        int more = zmq_msg_more(msg);
        if (msg == &tmp)
            zmq_msg_close(msg);
        else
            self->count++;
        if (!more)
            return 0;
    }
}

int
ktagd_frames_send(ktagd_frames_t *self, void *socket, int flags)
{
    for (size_t i = 0; i < self->count; i++) {
        int f = (i + 1 < self->count ? ZMQ_SNDMORE : 0) | (i == 0 ? flags : 0);
        if (zmq_msg_send(&self->part[i], socket, f) < 0) {
            if (i == 0)
                return -1;
            /* ZeroMQ takes the rest of a message once it took the first
               frame; failing here means the context is going away. */
            int e = errno;
            for (size_t j = i; j < self->count; j++)
                zmq_msg_close(&self->part[j]);
            ktagd_frames_init(self);
            errno = e;
            return -1;
        }
    }
    ktagd_frames_init(self);
    return 0;
}

void
ktagd_frames_move(ktagd_frames_t *dst, ktagd_frames_t *src)
{
    for (size_t i = 0; i < src->count; i++) {
        zmq_msg_init(&dst->part[i]);
        zmq_msg_move(&dst->part[i], &src->part[i]);
        zmq_msg_close(&src->part[i]);
    }
    dst->count = src->count;
    dst->total = src->total;
    dst->bytes = src->bytes;
    ktagd_frames_init(src);
}

size_t
ktagd_frames_body_start(const ktagd_frames_t *self)
{
    for (size_t i = 1; i < self->count; i++)
        if (zmq_msg_size((zmq_msg_t *) &self->part[i]) == 0)
            return i + 1;
    return self->count > 0 ? 1 : 0;
}

void
ktagd_frames_truncate(ktagd_frames_t *self, size_t n)
{
    for (size_t i = n; i < self->count; i++)
        zmq_msg_close(&self->part[i]);
    if (n < self->count)
        self->count = n;
}

int
ktagd_frames_append(ktagd_frames_t *self, const void *data, size_t len)
{
    if (self->count >= KTAGD_MAX_FRAMES)
        return -1;
    zmq_msg_t *msg = &self->part[self->count];
    if (zmq_msg_init_size(msg, len) != 0)
        return -1;
    if (len)
        memcpy(zmq_msg_data(msg), data, len);
    self->count++;
    return 0;
}
