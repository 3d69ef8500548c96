/*  ktagd_metrics.c - Prometheus text exposition over libmicrohttpd. */
#include "ktagd_metrics.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ktag_msgpack.h"
#include "ktag_schema.h"
#include "ktagd_log.h"

#define S_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct ktagd_metrics {
    struct MHD_Daemon *mhd;
    ktagd_stats_t *stats;
    ktagd_lexholder_t *lexicons;
    bool broker;
    int port;
    char url[300];
    char last_error[256];       /* libmicrohttpd's last complaint */
};

/* ---------------------------------------------------------------- address */

int
ktagd_metrics_parse_address(const char *spec, struct sockaddr_storage *addr, socklen_t *addrlen,
                            char *err, size_t errlen)
{
    const char *orig = spec;
    char host[256];
    const char *port;
    const char *colon = strrchr(spec, ':');
    if (!colon) {
        snprintf(host, sizeof host, "127.0.0.1");
        port = spec;
    } else {
        size_t n = (size_t) (colon - spec);
        if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
            spec++;         /* [::1]:9100 */
            n -= 2;
        }
        if (n == 0 || n >= sizeof host) {
            snprintf(err, errlen, "'%s': expected PORT or HOST:PORT", orig);
            return -1;
        }
        memcpy(host, spec, n);
        host[n] = '\0';
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) {
        snprintf(err, errlen, "'%s': the port must be 0..65535", orig);
        return -1;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "'%s': cannot resolve '%s': %s", orig, host,
                 rc ? gai_strerror(rc) : "no address");
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

bool
ktagd_metrics_is_loopback(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) addr;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) addr;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return false;
}

void
ktagd_metrics_check_exposure(const char *spec)
{
    struct sockaddr_storage addr;
    socklen_t len;
    char err[300];
    if (ktagd_metrics_parse_address(spec, &addr, &len, err, sizeof err) == 0
        && !ktagd_metrics_is_loopback(&addr))
        log_warning("metrics on %s are reachable from other hosts without authentication: "
                    "bind 127.0.0.1 (the default for a bare port) or firewall it", spec);
}

/* ---------------------------------------------------------------- text */

/* A label value: backslash, double quote and newline escaped, and each
   byte that is not UTF-8 (a directory named in Latin-1) written as U+FFFD,
   as ktag_schema_text does: Prometheus rejects the whole scrape otherwise. */
static void
s_label(FILE *fp, const char *value)
{
    size_t len = strlen(value), valid = ktag_schema_utf8_prefix(value, len);
    for (size_t i = 0; i < len; i++) {
        const char *p = value + i;
        if (i == valid) {
            fputs("\xEF\xBF\xBD", fp);
            valid = i + 1 + ktag_schema_utf8_prefix(p + 1, len - i - 1);
        } else if (*p == '\\' || *p == '"') {
            fprintf(fp, "\\%c", *p);
        } else if (*p == '\n') {
            fputs("\\n", fp);
        } else {
            fputc(*p, fp);
        }
    }
}

static void
s_head(FILE *fp, const char *name, const char *type, const char *help)
{
    fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_counter(FILE *fp, const char *name, const char *help, uint64_t value)
{
    s_head(fp, name, "counter", help);
    fprintf(fp, "%s %llu\n", name, (unsigned long long) value);
}

static void
s_gauge(FILE *fp, const char *name, const char *help, double value)
{
    s_head(fp, name, "gauge", help);
    fprintf(fp, "%s %.17g\n", name, value);
}

/* Microseconds as seconds, without float noise: 25 -> "0.000025". */
static void
s_seconds(FILE *fp, uint64_t us)
{
    fprintf(fp, "%llu", (unsigned long long) (us / 1000000));
    unsigned frac = (unsigned) (us % 1000000);
    if (frac) {
        char digits[8];
        snprintf(digits, sizeof digits, "%06u", frac);
        size_t n = strlen(digits);
        while (n > 0 && digits[n - 1] == '0')
            digits[--n] = '\0';
        fprintf(fp, ".%s", digits);
    }
}

static void
s_histogram(FILE *fp, const ktagd_stats_snapshot_t *snap)
{
    const char *name = "ktagd_request_duration_seconds";
    s_head(fp, name, "histogram",
           "Time from a worker receiving a request to its reply being ready.");
    uint64_t cumulative = 0;
    for (size_t b = 0; b < KTAGD_STATS_LE_COUNT; b++) {
        cumulative += snap->latency_le[b];
        fprintf(fp, "%s_bucket{le=\"", name);
        s_seconds(fp, ktagd_stats_le_us[b]);
        fprintf(fp, "\"} %llu\n", (unsigned long long) cumulative);
    }
    fprintf(fp, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long) snap->latency_count);
    fprintf(fp, "%s_sum ", name);
    s_seconds(fp, snap->latency_sum_us);
    fprintf(fp, "\n%s_count %llu\n", name, (unsigned long long) snap->latency_count);
}

static void
s_lexicon(FILE *fp, const ktag_lexicon_t *lex)
{
    s_gauge(fp, "ktagd_lexicon_load_seconds", "How long loading the lexicons in service took.",
            ktag_lexicon_load_ms(lex) / 1000.0);
    s_head(fp, "ktagd_lexicon_info", "gauge",
           "The lexicon set in service; its version is the label.");
    fputs("ktagd_lexicon_info{version=\"", fp);
    s_label(fp, ktag_lexicon_version(lex));
    fputs("\"} 1\n", fp);
    s_head(fp, "ktagd_lexicon_set_info", "gauge",
           "Each lexicon set in service, in merge order: its directory and version.");
    for (size_t i = 0; i < ktag_lexicon_set_count(lex); i++) {
        fprintf(fp, "ktagd_lexicon_set_info{index=\"%zu\",dir=\"", i);
        s_label(fp, ktag_lexicon_set_dir(lex, i));
        fputs("\",version=\"", fp);
        s_label(fp, ktag_lexicon_set_version(lex, i));
        fputs("\"} 1\n", fp);
    }
    s_head(fp, "ktagd_lexicon_entities", "gauge", "Entities in the lexicons in service, by type.");
    for (int t = 0; t < KTAG_TYPE_COUNT; t++)
        fprintf(fp, "ktagd_lexicon_entities{type=\"%s\"} %zu\n", ktag_type_name((ktag_type_t) t),
                ktag_lexicon_entity_count(lex, (ktag_type_t) t));
}

char *
ktagd_metrics_render(ktagd_stats_t *stats, ktagd_lexholder_t *lexicons, bool broker, size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&text, &size);
    if (!fp)
        return NULL;
    ktagd_stats_snapshot_t snap;
    ktagd_stats_snapshot(stats, &snap);

    s_head(fp, "ktagd_build_info", "gauge", "The ktagd build; its version is the label.");
    fprintf(fp, "ktagd_build_info{version=\"");
    s_label(fp, ktag_version());
    fprintf(fp, "\",mode=\"%s\"} 1\n", broker ? "broker" : "worker");
    s_gauge(fp, "ktagd_uptime_seconds", "Seconds since ktagd started.", snap.uptime_s);
    s_counter(fp, "ktagd_requests_total", "Messages received on the front socket.", snap.requests);
    s_counter(fp, "ktagd_replies_total", "Replies sent on the front socket.", snap.replies);
    s_counter(fp, "ktagd_documents_total", "Documents tagged.", snap.documents);
    s_head(fp, "ktagd_errors_total", "counter", "Requests answered with an error, by wire code.");
    for (int c = 0; c < KTAG_WIRE_CODE_COUNT; c++)
        fprintf(fp, "ktagd_errors_total{code=\"%s\"} %llu\n",
                ktag_wire_code_name((ktag_wire_code_t) c), (unsigned long long) snap.errors[c]);
    s_counter(fp, "ktagd_dropped_total", "Messages dropped without a reply (the peer was gone).",
              snap.dropped);
    s_counter(fp, "ktagd_received_bytes_total", "Bytes of the messages received.", snap.bytes_in);
    s_counter(fp, "ktagd_sent_bytes_total", "Bytes of the replies sent.", snap.bytes_out);
    s_head(fp, "ktagd_connections_total", "counter",
           "Front socket connection events: opened, closed, failed (handshake refused).");
    static const char *const events[3] = { "opened", "closed", "failed" };
    for (int e = 0; e < 3; e++)
        fprintf(fp, "ktagd_connections_total{event=\"%s\"} %llu\n", events[e],
                (unsigned long long) snap.connections[e]);
    s_head(fp, "ktagd_reloads_total", "counter", "Lexicon reloads, by result.");
    fprintf(fp, "ktagd_reloads_total{result=\"ok\"} %llu\n", (unsigned long long) snap.reloads);
    fprintf(fp, "ktagd_reloads_total{result=\"failed\"} %llu\n",
            (unsigned long long) snap.reload_failures);
    s_gauge(fp, "ktagd_in_flight", "Requests accepted and not yet answered.",
            (double) snap.in_flight);
    s_histogram(fp, &snap);

    ktag_lexicon_t *lex = lexicons ? ktagd_lexholder_get(lexicons) : NULL;
    if (lex)
        s_lexicon(fp, lex);
    ktag_lexicon_destroy(&lex);

    if (broker) {
        s_counter(fp, "ktagd_broker_forwarded_total", "Requests the broker passed to a worker.",
                  snap.broker_forwarded);
        s_counter(fp, "ktagd_broker_replies_total", "Worker replies the broker passed back.",
                  snap.replies);
        s_gauge(fp, "ktagd_broker_workers", "Live workers the broker can give work to.",
                (double) snap.broker_workers);
    }
    if (fclose(fp) != 0) {
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}

/* ---------------------------------------------------------------- HTTP */

static enum MHD_Result
s_reply(struct MHD_Connection *conn, unsigned status, char *body, size_t len, bool owned)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            status == MHD_HTTP_OK ? S_CONTENT_TYPE : "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result
s_handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
         const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    ktagd_metrics_t *self = cls;
    static char not_found[] = "not found: the metrics are at /metrics\n";
    static char not_allowed[] = "method not allowed: use GET\n";
    static char no_memory[] = "out of memory\n";
    if (strcmp(url, "/metrics") != 0)
        return s_reply(conn, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found), false);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, strlen(not_allowed), false);
    size_t len;
    char *text = ktagd_metrics_render(self->stats, self->lexicons, self->broker, &len);
    if (!text)
        return s_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, no_memory, strlen(no_memory), false);
    return s_reply(conn, MHD_HTTP_OK, text, len, true);
}

/* libmicrohttpd's messages are mostly about clients (a dropped
   connection): debug level; the last one explains a failed start. */
static void
s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    ktagd_metrics_t *self = cls;
    vsnprintf(self->last_error, sizeof self->last_error, fmt, ap);
    size_t n = strlen(self->last_error);
    while (n > 0 && (self->last_error[n - 1] == '\n' || self->last_error[n - 1] == '\r'))
        self->last_error[--n] = '\0';
    log_debug("metrics: %s", self->last_error);
}

ktagd_metrics_t *
ktagd_metrics_start(const char *spec, ktagd_stats_t *stats, ktagd_lexholder_t *lexicons,
                    bool broker, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t addrlen;
    if (ktagd_metrics_parse_address(spec, &addr, &addrlen, err, errlen) != 0)
        return NULL;
    ktagd_metrics_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->stats = stats;
    self->lexicons = lexicons;
    self->broker = broker;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* With a socket address, the port argument only names it in messages. */
    uint16_t port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &addr)->sin6_port
                                                     : ((struct sockaddr_in *) &addr)->sin_port);
    self->mhd = MHD_start_daemon(flags, port, NULL, NULL, s_handle, self,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned) 32,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 10,
                                 MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
                                 MHD_OPTION_END);
    if (!self->mhd) {
        snprintf(err, errlen, "cannot serve metrics on %s: %s", spec,
                 self->last_error[0] ? self->last_error : "libmicrohttpd refused to start");
        free(self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->mhd, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : 0;
    char host[INET6_ADDRSTRLEN] = "?";
    const void *ip = addr.ss_family == AF_INET6
        ? (const void *) &((struct sockaddr_in6 *) &addr)->sin6_addr
        : (const void *) &((struct sockaddr_in *) &addr)->sin_addr;
    inet_ntop(addr.ss_family, ip, host, sizeof host);
    snprintf(self->url, sizeof self->url, addr.ss_family == AF_INET6
             ? "http://[%s]:%d/metrics" : "http://%s:%d/metrics", host, self->port);
    ktagd_metrics_check_exposure(spec);
    return self;
}

int
ktagd_metrics_port(const ktagd_metrics_t *self)
{
    return self->port;
}

const char *
ktagd_metrics_url(const ktagd_metrics_t *self)
{
    return self->url;
}

void
ktagd_metrics_stop(ktagd_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    MHD_stop_daemon((*self_p)->mhd);
    free(*self_p);
    *self_p = NULL;
}
