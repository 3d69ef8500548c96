/*  ktagd_server.h - the main loop: sockets of the chosen mode, the worker
    threads, the control socket, signals, reloads and the drain on exit.

    One thread (the caller's) owns every front socket and relays messages
    between them and the workers; it never tags.  Signals arrive through a
    signalfd polled with the sockets, so no work runs in a signal handler.
    Lexicon reloads run in their own thread so the relay never stalls.
*/
#ifndef KTAGD_SERVER_H_INCLUDED
#define KTAGD_SERVER_H_INCLUDED

#include "ktagd_config.h"
#include "ktagd_lexholder.h"

/** Run the daemon until SIGTERM/SIGINT, with `lexicons` already loaded
 *  (NULL in broker mode).  SIGHUP, SIGTERM and SIGINT must be blocked in
 *  the calling thread before the call (the caller does it before any
 *  thread starts, so every thread inherits the mask).
 *  @returns the process exit code: 0 after a clean drain, 1 when a socket
 *  could not be set up (logged). */
int ktagd_server_run(const ktagd_config_t *config, ktagd_lexholder_t *lexicons);

/** Log a warning for each endpoint of `config` that ktagd would bind where
 *  other hosts can reach it without CURVE (used by `ktagd --check`; the
 *  server does the same as it binds).  This function can't fail. */
void ktagd_server_check_exposure(const ktagd_config_t *config);

#endif
