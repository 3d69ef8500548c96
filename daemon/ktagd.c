/*  ktagd.c - the ktag daemon: settings, lexicons, signals, then the server.

    See docs/OPERATIONS.md for how to run it and docs/PROTOCOL.md for what
    it speaks.
*/
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ktag/ktag.h>

#include <zmq.h>

#include "ktag_lexdir.h"
#include "ktagd_config.h"
#include "ktagd_curve.h"
#include "ktagd_lexholder.h"
#include "ktagd_log.h"
#include "ktagd_server.h"

int
main(int argc, char **argv)
{
    ktagd_config_t config;
    ktagd_config_init(&config);
    int exit_code;
    if (ktagd_config_parse(&config, argc, argv, &exit_code) != 0) {
        ktagd_config_fini(&config);
        return exit_code;
    }
    ktagd_log_init(config.log_level);
    ktag_set_log_handler(ktagd_log_lib, NULL);
    if (config.threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        config.threads = cpus > 0 ? (int) cpus : 1;
    }

    /* Block the signals before any thread starts, so that every thread
       inherits the mask and they are only ever read from the signalfd. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    ktagd_lexholder_t *lexicons = NULL;
    int rc = 1;
    if (config.mode != KTAGD_MODE_BROKER) {
        const char *dirs[KTAG_LEXDIR_MAX];
        size_t count = ktag_lexdir_resolve_many((const char *const *) config.lexicons,
                                                config.lexicon_count, dirs);
        const char *origin = ktag_lexdir_origin(config.lexicon_count ? config.lexicons[0] : NULL);
        if (count == 0) {
            log_error("too many lexicon sets in $KTAG_LEXICONS (at most %d)", KTAG_LEXDIR_MAX);
            goto done;
        }
        lexicons = ktagd_lexholder_new(dirs, count);
        ktag_error_t err = { 0 };
        if (!lexicons || ktagd_lexholder_reload(lexicons, &err) != 0) {
            log_error("cannot load lexicons from %s (%s): %s",
                      lexicons ? ktagd_lexholder_dir(lexicons) : dirs[0], origin,
                      err.message[0] ? err.message : ktag_strerror(err.code));
            goto done;
        }
        ktag_lexicon_t *lex = ktagd_lexholder_get(lexicons);
        log_info("lexicons %s from %s (%s): %zu companies, %zu orgs, %zu chips, %zu funding, "
                 "loaded in %.1f ms", ktag_lexicon_version(lex), ktagd_lexholder_dir(lexicons), origin,
                 ktag_lexicon_entity_count(lex, KTAG_TYPE_COMPANY),
                 ktag_lexicon_entity_count(lex, KTAG_TYPE_ORG),
                 ktag_lexicon_entity_count(lex, KTAG_TYPE_CHIP),
                 ktag_lexicon_entity_count(lex, KTAG_TYPE_FUNDING), ktag_lexicon_load_ms(lex));
        ktag_lexicon_destroy(&lex);
    }
    if (config.check) {
        if (config.curve_secret_key) {
            /* Load the keys as the server would, in a scratch context. */
            char err[512];
            void *zmq = zmq_ctx_new();
            ktagd_curve_t *curve = ktagd_curve_new(zmq, config.curve_secret_key,
                                                   config.curve_allow, err, sizeof err);
            bool ok = curve != NULL;
            if (!ok)
                log_error("%s", err);
            else
                log_info("CURVE keys are fine: %zu clients allowed",
                         ktagd_curve_allowed_count(curve));
            ktagd_curve_destroy(&curve);
            zmq_ctx_term(zmq);
            if (!ok)
                goto done;
        }
        ktagd_server_check_exposure(&config);
        log_info("configuration and lexicons are fine");
        rc = 0;
        goto done;
    }
    rc = ktagd_server_run(&config, lexicons);
done:
    ktagd_lexholder_destroy(&lexicons);
    ktagd_config_fini(&config);
    return rc;
}
