/*  ktagd_config.c - settings from the config file and the command line. */
#include "ktagd_config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ktag/ktag.h>
#include <msgpack.h>
#include <zmq.h>

#include "ktag_lexdir.h"
#include "ktagd_log.h"
#include "ktagd_metrics.h"

enum {
    OPT_BIND = 'b', OPT_CONNECT = 'C', OPT_CONFIG = 'c', OPT_HELP = 'h',
    OPT_LEXICONS = 'L', OPT_THREADS = 't', OPT_VERSION = 'V',
    OPT_BROKER = 256, OPT_PULL, OPT_PUSH, OPT_CONTROL, OPT_MAX_MESSAGE_SIZE,
    OPT_LOG_LEVEL, OPT_DRAIN_TIMEOUT, OPT_MAX_PENDING, OPT_CHECK,
    OPT_CURVE_SECRET_KEY, OPT_CURVE_ALLOW, OPT_HEARTBEAT, OPT_LIVENESS, OPT_CREDIT,
    OPT_METRICS,
};

static const struct option s_options[] = {
    { "bind", required_argument, NULL, OPT_BIND },
    { "connect", required_argument, NULL, OPT_CONNECT },
    { "broker", required_argument, NULL, OPT_BROKER },
    { "pull", required_argument, NULL, OPT_PULL },
    { "push", required_argument, NULL, OPT_PUSH },
    { "control", required_argument, NULL, OPT_CONTROL },
    { "metrics", required_argument, NULL, OPT_METRICS },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "lexicons", required_argument, NULL, OPT_LEXICONS },
    { "max-message-size", required_argument, NULL, OPT_MAX_MESSAGE_SIZE },
    { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
    { "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
    { "max-pending", required_argument, NULL, OPT_MAX_PENDING },
    { "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
    { "liveness", required_argument, NULL, OPT_LIVENESS },
    { "credit", required_argument, NULL, OPT_CREDIT },
    { "curve-secret-key", required_argument, NULL, OPT_CURVE_SECRET_KEY },
    { "curve-allow", required_argument, NULL, OPT_CURVE_ALLOW },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "check", no_argument, NULL, OPT_CHECK },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

void
ktagd_config_usage(void *fp)
{
    fputs(
        "usage: ktagd [OPTIONS]\n"
        "Tag Korean financial news over ZeroMQ (msgpack protocol v1, docs/PROTOCOL.md).\n"
        "\n"
        "Socket mode (one of):\n"
        "  -b, --bind EP            ROUTER front for REQ/DEALER clients (default tcp://127.0.0.1:5555)\n"
        "  -C, --connect EP         worker joining a broker's backend\n"
        "      --broker FRONT BACK  proxy: clients on FRONT, ktagd --connect workers on BACK\n"
        "      --pull EP --push EP  pipeline stage (EP connects; @EP binds)\n"
        "      --control EP         admin socket: ping, info, stats, reload\n"
        "      --metrics HOST:PORT  Prometheus metrics at http://HOST:PORT/metrics (PORT: on 127.0.0.1)\n"
        "\n"
        "Operations:\n"
        "  -t, --threads N          threads that tag (default: one per CPU; --bind: the main loop and N-1)\n"
        "  -L, --lexicons DIR       lexicon directory; repeat to merge sets in order\n"
        "                           (default: $KTAG_LEXICONS, ':'-separated, else installed)\n"
        "      --max-message-size B requests over B bytes are refused (default 4MiB; K/M/G suffixes)\n"
        "      --max-pending N      requests queued to workers before 'overloaded' (default 1024)\n"
        "      --drain-timeout S    on SIGTERM, wait at most S seconds for in-flight requests\n"
        "                           and the delivery of their replies (30)\n"
        "      --log-level LEVEL    error, warning, info (default) or debug\n"
        "      --heartbeat MS       broker and workers: heartbeat interval (default 1000)\n"
        "      --liveness N         broker and workers: heartbeats missed before the peer is dead (3)\n"
        "      --credit N           worker: requests taken at once from the broker (64 x threads)\n"
        "\n"
        "      --curve-secret-key FILE  CURVE: encrypt, with this server secret key (docs/SECURITY.md)\n"
        "      --curve-allow DIR        CURVE: admit only clients whose public key is a file in DIR\n"
        "  -c, --config FILE        read settings from FILE (keys = long flags); flags override it\n"
        "      --check              load the config and the lexicons, report, exit\n"
        "  -h, --help               this text\n"
        "  -V, --version            print versions and exit\n"
        "\n"
        "Signals: SIGHUP reloads the lexicons; SIGTERM/SIGINT drain in-flight requests and exit 0.\n",
        (FILE *) fp);
}

void
ktagd_config_init(ktagd_config_t *self)
{
    memset(self, 0, sizeof *self);
    self->max_message_size = 4u << 20;
    self->log_level = KTAG_LOG_INFO;
    self->drain_timeout = 30;
    self->max_pending = 1024;
    self->heartbeat_ms = 1000;
    self->liveness = 3;
}

static void
s_clear_lexicons(ktagd_config_t *self)
{
    for (size_t i = 0; i < self->lexicon_count; i++)
        free(self->lexicons[i]);
    free(self->lexicons);
    self->lexicons = NULL;
    self->lexicon_count = 0;
}

void
ktagd_config_fini(ktagd_config_t *self)
{
    char **strings[] = { &self->bind, &self->connect, &self->broker_front, &self->broker_back,
                         &self->pull, &self->push, &self->control, &self->metrics,
                         &self->config, &self->curve_secret_key, &self->curve_allow };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
    s_clear_lexicons(self);
}

static int
s_set_string(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* One more lexicon set, after those given before. */
static int
s_add_lexicons(ktagd_config_t *self, const char *dir, const char *where)
{
    if (self->lexicon_count == KTAG_LEXDIR_MAX) {
        fprintf(stderr, "ktagd: %s: at most %d lexicon sets\n", where, KTAG_LEXDIR_MAX);
        return -1;
    }
    char **grown = realloc(self->lexicons, (self->lexicon_count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    self->lexicons = grown;
    if (!(grown[self->lexicon_count] = strdup(dir)))
        return -1;
    self->lexicon_count++;
    return 0;
}

/* "4MiB", "512k", "1048576" -> bytes. */
static int
s_parse_size(const char *s, size_t *out)
{
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    unsigned long long mult = 1;
    if (*end) {
        switch (toupper((unsigned char) *end)) {
        case 'K': mult = 1ull << 10; break;
        case 'M': mult = 1ull << 20; break;
        case 'G': mult = 1ull << 30; break;
        default: return -1;
        }
        end++;
        if (strcmp(end, "") != 0 && strcasecmp(end, "iB") != 0 && strcasecmp(end, "B") != 0)
            return -1;
    }
    if (v == 0 || v > (1ull << 40) / mult)
        return -1;
    *out = (size_t) (v * mult);
    return 0;
}

static int
s_parse_int(const char *s, int min, int max, int *out)
{
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int) v;
    return 0;
}

/* An integer setting in [min, max]; else a message naming it, its range
   (in `unit`) and the value given.  `where` as for s_apply. */
static int
s_set_int(int *field, const char *value, int min, int max, const char *name, const char *unit,
          const char *where)
{
    if (s_parse_int(value, min, max, field) == 0)
        return 0;
    fprintf(stderr, "ktagd: %s: %s must be %d..%d%s, not '%s'\n", where, name, min, max, unit,
            value);
    return -1;
}

/* Apply one setting, from a flag or from the config file.  `where` names
   the source for messages ("--threads", "ktagd.conf:3").  For `broker`,
   `value2` is BACK (NULL when the caller has it inside `value`). */
static int
s_apply(ktagd_config_t *self, int opt, const char *value, const char *value2, const char *where)
{
    switch (opt) {
    case OPT_BIND: return s_set_string(&self->bind, value);
    case OPT_CONNECT: return s_set_string(&self->connect, value);
    case OPT_PULL: return s_set_string(&self->pull, value);
    case OPT_PUSH: return s_set_string(&self->push, value);
    case OPT_CONTROL: return s_set_string(&self->control, value);
    case OPT_METRICS: {
        struct sockaddr_storage addr;
        socklen_t len;
        char err[300];
        if (ktagd_metrics_parse_address(value, &addr, &len, err, sizeof err) == 0)
            return s_set_string(&self->metrics, value);
        fprintf(stderr, "ktagd: %s: %s\n", where, err);
        return -1;
    }
    case OPT_LEXICONS: return s_add_lexicons(self, value, where);
    case OPT_CONFIG: return s_set_string(&self->config, value);
    case OPT_CURVE_SECRET_KEY: return s_set_string(&self->curve_secret_key, value);
    case OPT_CURVE_ALLOW: return s_set_string(&self->curve_allow, value);
    case OPT_BROKER:
        if (!value2 || !*value2) {
            fprintf(stderr, "ktagd: %s: --broker needs FRONT and BACK endpoints\n", where);
            return -1;
        }
        return s_set_string(&self->broker_front, value) || s_set_string(&self->broker_back, value2);
    case OPT_THREADS: return s_set_int(&self->threads, value, 1, 1024, "threads", "", where);
    case OPT_MAX_PENDING:
        return s_set_int(&self->max_pending, value, 1, 1 << 20, "max-pending", "", where);
    case OPT_HEARTBEAT:
        return s_set_int(&self->heartbeat_ms, value, 10, 600000, "heartbeat", " ms", where);
    case OPT_LIVENESS: return s_set_int(&self->liveness, value, 1, 100, "liveness", "", where);
    case OPT_CREDIT: return s_set_int(&self->credit, value, 1, 1 << 20, "credit", "", where);
    case OPT_MAX_MESSAGE_SIZE:
        if (s_parse_size(value, &self->max_message_size) == 0)
            return 0;
        fprintf(stderr, "ktagd: %s: bad size '%s' (e.g. 4MiB, 512K, 65536)\n", where, value);
        return -1;
    case OPT_LOG_LEVEL:
        if (ktagd_log_level_from_name(value, &self->log_level) == 0)
            return 0;
        fprintf(stderr, "ktagd: %s: log level must be error, warning, info or debug, not '%s'\n",
                where, value);
        return -1;
    case OPT_DRAIN_TIMEOUT: {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        /* Written so that NaN ("nan"), which compares false, fails too. */
        if (errno || end == value || *end || !(v >= 0 && v <= 86400)) {
            fprintf(stderr, "ktagd: %s: drain-timeout must be 0..86400 seconds, not '%s'\n",
                    where, value);
            return -1;
        }
        self->drain_timeout = v;
        return 0;
    }
    case OPT_CHECK:
        self->check = value == NULL || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0
                      || strcmp(value, "1") == 0;
        return 0;
    }
    return -1;
}

static char *
s_trim(char *s)
{
    while (isspace((unsigned char) *s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char) end[-1]))
        *--end = '\0';
    return s;
}

/* Read `path`: one "key = value" per line, keys are long option names. */
static int
s_load_file(ktagd_config_t *self, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "ktagd: cannot read config %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, fp) >= 0) {
        lineno++;
        char *s = s_trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char where[512];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        size_t klen = strcspn(s, " \t=");
        char *value = s + klen;
        int had_sep = *value != '\0';
        if (had_sep)
            *value++ = '\0';
        value = s_trim(value);
        if (*value == '=')
            value = s_trim(value + 1);
        const struct option *o;
        for (o = s_options; o->name; o++)
            if (strcmp(o->name, s) == 0)
                break;
        if (!o->name || o->val == OPT_CONFIG || o->val == OPT_HELP || o->val == OPT_VERSION) {
            fprintf(stderr, "ktagd: %s: unknown key '%s'\n", where, s);
            rc = -1;
            break;
        }
        if (*value == '\0') {
            fprintf(stderr, "ktagd: %s: '%s' needs a value\n", where, s);
            rc = -1;
            break;
        }
        if (o->val == OPT_BROKER) {
            /* "broker = FRONT BACK" */
            size_t flen = strcspn(value, " \t");
            char *back = value + flen;
            if (*back)
                *back++ = '\0';
            rc = s_apply(self, o->val, value, s_trim(back), where);
        } else {
            rc = s_apply(self, o->val, value, NULL, where);
        }
    }
    free(line);
    fclose(fp);
    return rc;
}

int
ktagd_config_parse(ktagd_config_t *self, int argc, char **argv, int *exit_code)
{
    /* "+": no permutation, so that BACK of --broker FRONT BACK stays put. */
    const char *shortopts = "+b:C:c:hL:t:V";
    *exit_code = 2;

    /* Pass 1: find --config, so that the file is read before the flags
       that override it. */
    opterr = 0;
    optind = 0;
    int c;
    const char *config = NULL;
    while ((c = getopt_long(argc, argv, shortopts, s_options, NULL)) != -1) {
        if (c == OPT_CONFIG)
            config = optarg;
        else if (c == OPT_BROKER && optind < argc && argv[optind][0] != '-')
            optind++;
    }
    if (config && s_load_file(self, config) != 0)
        return 1;

    opterr = 1;
    optind = 0;
    bool lexicon_flags = false;   /* the first --lexicons flag replaces the file's list */
    while ((c = getopt_long(argc, argv, shortopts, s_options, NULL)) != -1) {
        if (c == OPT_LEXICONS && !lexicon_flags) {
            s_clear_lexicons(self);
            lexicon_flags = true;
        }
        char where[64];
        const struct option *o;
        for (o = s_options; o->name && o->val != c; o++)
            ;
        snprintf(where, sizeof where, "--%s", o->name ? o->name : "?");
        switch (c) {
        case OPT_HELP:
            ktagd_config_usage(stdout);
            *exit_code = 0;
            return 1;
        case OPT_VERSION:
            printf("ktagd %s (libktag %s, ZeroMQ %d.%d.%d, msgpack-c %s)\n", ktag_version(),
                   ktag_version(), ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH,
                   msgpack_version());
            *exit_code = 0;
            return 1;
        case OPT_BROKER: {
            /* --broker FRONT BACK: BACK is the next argument. */
            const char *back = optind < argc ? argv[optind] : NULL;
            if (back && back[0] == '-')
                back = NULL;
            if (back)
                optind++;
            if (s_apply(self, c, optarg, back, where) != 0) {
                ktagd_config_usage(stderr);
                return 1;
            }
            break;
        }
        case OPT_CHECK:
            self->check = true;
            break;
        case '?':
            ktagd_config_usage(stderr);
            return 1;
        default:
            if (s_apply(self, c, optarg, NULL, where) != 0)
                return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ktagd: unexpected argument '%s'\n", argv[optind]);
        ktagd_config_usage(stderr);
        return 1;
    }

    int modes = (self->bind != NULL) + (self->connect != NULL) + (self->broker_front != NULL)
                + (self->pull != NULL || self->push != NULL);
    if (modes > 1) {
        fprintf(stderr, "ktagd: choose one of --bind, --connect, --broker, --pull/--push\n");
        return 1;
    }
    if ((self->curve_secret_key != NULL) != (self->curve_allow != NULL)) {
        fprintf(stderr, "ktagd: CURVE needs both --curve-secret-key and --curve-allow (missing %s)\n",
                self->curve_secret_key ? "--curve-allow" : "--curve-secret-key");
        return 1;
    }
    if ((self->pull != NULL) != (self->push != NULL)) {
        fprintf(stderr, "ktagd: a pipeline stage needs both --pull and --push\n");
        return 1;
    }
    if (self->broker_front)
        self->mode = KTAGD_MODE_BROKER;
    else if (self->pull)
        self->mode = KTAGD_MODE_PIPELINE;
    else if (self->connect)
        self->mode = KTAGD_MODE_CONNECT;
    else {
        self->mode = KTAGD_MODE_BIND;
        if (!self->bind && s_set_string(&self->bind, "tcp://127.0.0.1:5555") != 0)
            return 1;
    }
    *exit_code = 0;
    return 0;
}
