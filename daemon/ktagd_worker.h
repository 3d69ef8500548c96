/*  ktagd_worker.h - a worker thread: takes requests from the main loop over
    an inproc DEALER, tags them with its own ktag_result_t and the current
    lexicon, and sends the reply back with the request's envelope.
*/
#ifndef KTAGD_WORKER_H_INCLUDED
#define KTAGD_WORKER_H_INCLUDED

#include <stdatomic.h>
#include <stdbool.h>

#include <msgpack.h>

#include "ktag_msgpack.h"
#include "ktagd_config.h"
#include "ktagd_frames.h"
#include "ktagd_lexholder.h"
#include "ktagd_stats.h"

/** What every thread of the daemon shares; owned by main. */
typedef struct {
    void *zmq;                      /**< the ZeroMQ context */
    const ktagd_config_t *config;
    ktagd_lexholder_t *lexicons;
    ktagd_stats_t *stats;
    bool curve;                     /**< the client-facing front uses CURVE */
} ktagd_shared_t;

typedef struct ktagd_worker ktagd_worker_t;

/** Requests a job carries at most. */
#define KTAGD_JOB_MAX 32

/** Several requests handed to a worker at once: the main loop moves the
 *  messages in, sends the job's address (a one-frame message holding the
 *  pointer) over inproc, the worker turns each message into its reply in
 *  place (ktagd_worker_serve) and sends the address back.  One hand-off
 *  per job instead of one per request: the thread wake-ups are what a
 *  request costs most beside tagging (docs/PERFORMANCE.md).  Whoever holds
 *  the address owns the job. */
typedef struct {
    size_t count;                           /**< messages in msg[] */
    ktagd_frames_t msg[KTAGD_JOB_MAX];      /**< each emptied if its reply failed */
    /** Set by the worker just before it sends the job back, so that the
     *  main loop reads the back socket only when a job is there (a receive
     *  that finds nothing costs ZeroMQ a system call); cleared by the main
     *  loop when the job is home. */
    atomic_bool done;
} ktagd_job_t;

/** The job whose address `frames` carries (the one-frame message the main
 *  loop sends a worker and the worker sends back).  The frames still need
 *  closing or sending; the job is not touched. */
ktagd_job_t *ktagd_job_from_frames(const ktagd_frames_t *frames);

/** Start a worker that connects a DEALER to `endpoint` (inproc).  With
 *  `envelope` the messages carry a ROUTER envelope (bind/connect modes),
 *  without it the whole message is the request (pipeline mode).  With
 *  `jobs` every message it receives is a ktagd_job_t address, not a
 *  request.  @returns the worker, or NULL when the thread or its socket
 *  could not be created (logged). */
ktagd_worker_t *ktagd_worker_start(ktagd_shared_t *shared, const char *endpoint,
                                   bool envelope, bool jobs, int index);

/** Wait for the worker to end and free it.  The worker ends when the
 *  context is shut down (zmq_ctx_shutdown), so call that first.  Accepts NULL. */
void ktagd_worker_join(ktagd_worker_t **self_p);

/** Write the reply to `op` ping, info or stats, echoing `id` (may be NULL).
 *  Used by the workers (data socket) and by the control socket.
 *  @returns 0 or the packer's error. */
int ktagd_pack_admin_reply(ktagd_shared_t *shared, msgpack_packer *pk, ktag_op_t op,
                           const ktag_wire_id_t *id);

/** Build the reply to one request body (`data`, `len` bytes, the only body
 *  frame unless `body_frames` says otherwise) into `out`, as a worker does:
 *  one document, or a batch (one reply with a result or error entry per
 *  document; the entries' errors are counted in the stats here).
 *  `result` is the worker's reusable result.  Sets *documents to the
 *  documents tagged, *code to the request's error code or -1 on success
 *  (a batch succeeds even when some of its documents fail).
 *  This function can't fail: every problem becomes an error reply. */
void ktagd_handle_request(ktagd_shared_t *shared, ktag_result_t *result,
                          const char *data, size_t len, size_t body_frames,
                          msgpack_sbuffer *out, int *documents, int *code);

/** Turn the request in `frames` (as received, with its envelope when
 *  `envelope`) into its reply, in place: the envelope frames stay, the body
 *  frames are replaced by the reply.  Counts the request in the stats.
 *  `out` is scratch space reused between calls.
 *  @returns 0, or -1 when the reply frame could not be allocated (the
 *  request is counted as dropped and `frames` is emptied). */
int ktagd_worker_serve(ktagd_shared_t *shared, ktag_result_t *result, msgpack_sbuffer *out,
                       ktagd_frames_t *frames, bool envelope);

#endif
