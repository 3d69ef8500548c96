/*  ktagd_curve.h - CURVE encryption and client allow-listing for ktagd's
    server sockets (docs/SECURITY.md).

    ktagd speaks plain ZeroMQ by default, which is fine on loopback and
    ipc://.  For a socket other hosts can reach, a ktagd_curve_t holds the
    server's CURVE key pair and the public keys of the clients allowed in,
    and answers ZeroMQ's authentication requests (ZAP, RFC 27) on
    inproc://zeromq.zap.01 from its own thread: a client whose public key is
    not in the allow-list never completes the handshake, so it can send
    nothing and receives nothing.

    Key files are Z85 text, as zmq_curve_keypair() writes them:
      - the secret key file (--curve-secret-key FILE): a line holding the
        40-character Z85 secret key, either bare or as czmq's
        `secret-key = "<z85>"`; the public key is derived from it;
      - the allow directory (--curve-allow DIR): one file per client (any
        name not starting with '.'), holding the client's 40-character
        public key, bare or as `public-key = "<z85>"` (czmq's zcert files
        work as they are).  Blank lines and `#` comments are skipped.
    A file that holds no key, or a malformed one, is an error naming the
    file, so that a typo never silently locks a client out or lets one in.

    Use (ktagd_server.c):
        ktagd_curve_t *curve = ktagd_curve_new(zmq_ctx, cfg->curve_secret_key,
                                               cfg->curve_allow, err, sizeof err);
        ...   // once per server socket, BEFORE zmq_bind():
        ktagd_curve_apply(curve, front);
        ...   // SIGHUP, after the lexicons:
        ktagd_curve_reload(curve, err, sizeof err);
        ...   // at exit, BEFORE zmq_ctx_term() (the ZAP socket is in it):
        ktagd_curve_destroy(&curve);
    Thread-safety: new/apply/reload/destroy are for the main thread; the ZAP
    thread reads the allow-list under a mutex, so reload may run while
    clients connect.
*/
#ifndef KTAGD_CURVE_H_INCLUDED
#define KTAGD_CURVE_H_INCLUDED

#include <stddef.h>

typedef struct ktagd_curve ktagd_curve_t;

/** @returns 1 when this libzmq was built with CURVE (libsodium or
 *  tweetnacl), else 0. */
int ktagd_curve_available(void);

/** Load the server secret key from `secret_key_file` and the allowed client
 *  keys from every file of `allow_dir`, bind the ZAP handler socket in
 *  `zmq_ctx` and start its thread.  `allow_dir` is required: a CURVE server
 *  that lets any key in would only encrypt, and ktagd's point in asking for
 *  keys is to refuse strangers.  An empty allow directory is accepted (and
 *  refuses everybody) but logged as a warning.
 *  @returns a new object (destroy with ktagd_curve_destroy()), or NULL with
 *  a message in `err` (`errlen` bytes) naming the file and the problem:
 *  CURVE not available, a file that cannot be read, no key or a malformed
 *  key in it, the ZAP endpoint already taken in this context. */
ktagd_curve_t *ktagd_curve_new(void *zmq_ctx, const char *secret_key_file, const char *allow_dir,
                               char *err, size_t errlen);

/** Make `socket` a CURVE server with this key pair, authenticated by the
 *  ZAP handler (domain "ktag").  Call before zmq_bind(): options set later
 *  do not apply to connections already accepted.
 *  @returns 0, or -1 (errno from zmq_setsockopt). */
int ktagd_curve_apply(ktagd_curve_t *self, void *socket);

/** Re-read the allow directory and swap the new list in atomically; on
 *  any error the old list stays and `err` says why.  Connections already
 *  admitted stay open (ZeroMQ authenticates at the handshake only).
 *  @returns the number of allowed keys, or -1. */
int ktagd_curve_reload(ktagd_curve_t *self, char *err, size_t errlen);

/** @returns the server's public key, Z85, 40 characters: what clients put
 *  in ZMQ_CURVE_SERVERKEY.  Borrowed. */
const char *ktagd_curve_public_key(const ktagd_curve_t *self);

/** @returns how many client keys are allowed now. */
size_t ktagd_curve_allowed_count(ktagd_curve_t *self);

/** @returns how many handshakes the ZAP handler refused so far. */
unsigned long ktagd_curve_denied_count(ktagd_curve_t *self);

/** Stop the ZAP thread, close its socket and free everything.  Sets
 *  *self_p to NULL; accepts NULL.  Must run before zmq_ctx_term() on the
 *  context given to ktagd_curve_new(), which would otherwise wait forever
 *  for the ZAP socket. */
void ktagd_curve_destroy(ktagd_curve_t **self_p);

/** Read one Z85 key from `path` into `z85` (41 bytes, NUL-terminated):
 *  the value of the line `<kind> = "..."` when the file has one (czmq's
 *  certificate format), else the file's first line that is not blank or a
 *  `#` comment, which must be exactly the 40-character key.  `kind` is
 *  "public-key" or "secret-key".
 *  @returns 0, or -1 with `err` naming the file and the problem. */
int ktagd_curve_read_key(const char *path, const char *kind, char z85[41], char *err,
                         size_t errlen);

#endif
