/*  ktagd_config.h - ktagd's settings: defaults, then the config file, then
    the command line (flags override the file).

    The config file has one `key = value` per line (the `=` is optional),
    `#` comments and blank lines; its keys are the long flag names without
    the dashes (`threads = 4`, `broker = tcp://0.0.0.0:5555 tcp://0.0.0.0:5556`), listed
    in docs/OPERATIONS.md.  `lexicons` may be given several times, in the
    file or as flags: the sets merge in order; flags replace the file's list.  An unknown key or a bad value is an error that
    names file:line.
*/
#ifndef KTAGD_CONFIG_H_INCLUDED
#define KTAGD_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    KTAGD_MODE_BIND = 0,    /**< ROUTER front bound, worker threads (the default) */
    KTAGD_MODE_CONNECT,     /**< worker threads behind a broker's backend */
    KTAGD_MODE_BROKER,      /**< ROUTER front / DEALER back proxy, no tagging */
    KTAGD_MODE_PIPELINE,    /**< PULL in, PUSH out, worker threads */
} ktagd_mode_t;

typedef struct {
    char *bind;             /**< --bind EP */
    char *connect;          /**< --connect EP */
    char *broker_front;     /**< --broker FRONT BACK */
    char *broker_back;
    char *pull;             /**< --pull EP (@EP binds, >EP or EP connects) */
    char *push;             /**< --push EP (same syntax) */
    char *control;          /**< --control EP, NULL = none */
    char *metrics;          /**< --metrics [HOST:]PORT, NULL = none (ktagd_metrics.h) */
    char **lexicons;        /**< --lexicons DIR, repeatable: sets merged in order */
    size_t lexicon_count;   /**< 0 = ktag_lexdir_resolve_many() ($KTAG_LEXICONS, else the default) */
    char *config;           /**< --config FILE, NULL = none */
    char *curve_secret_key; /**< --curve-secret-key FILE: CURVE server secret key */
    char *curve_allow;      /**< --curve-allow DIR: allowed client public keys */
    int threads;            /**< --threads N, 0 = one per online CPU */
    size_t max_message_size;/**< --max-message-size BYTES (4 MiB) */
    int log_level;          /**< --log-level error|warning|info|debug */
    double drain_timeout;   /**< --drain-timeout SECONDS (30) */
    int max_pending;        /**< --max-pending N (1024): requests queued to workers */
    int heartbeat_ms;       /**< --heartbeat MS (1000): broker/worker heartbeat interval */
    int liveness;           /**< --liveness N (3): missed heartbeats before a peer is dead */
    int credit;             /**< --credit N: worker's requests at once, 0 = 64 x threads */
    bool check;             /**< --check: load config and lexicons, then exit */
    ktagd_mode_t mode;      /**< derived by ktagd_config_finish() */
} ktagd_config_t;

/** Fill `self` with the defaults.  This function can't fail. */
void ktagd_config_init(ktagd_config_t *self);

/** Free the strings of `self`. */
void ktagd_config_fini(ktagd_config_t *self);

/** Read the command line: first the config file it names (if any), then
 *  every flag.  --help and --version print and set *exit_code to 0.
 *  @returns 0 to run; 1 when the program should exit with *exit_code
 *  (0 after --help/--version, 2 after a usage error, which was printed). */
int ktagd_config_parse(ktagd_config_t *self, int argc, char **argv, int *exit_code);

/** Print the usage text on `fp`. */
void ktagd_config_usage(void *fp);

#endif
