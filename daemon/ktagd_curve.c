/*  ktagd_curve.c - CURVE server keys and the ZAP handler that admits only
    allow-listed client keys (see ktagd_curve.h). */
#include "ktagd_curve.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <zmq.h>

#include "ktagd_log.h"

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_DOMAIN "ktag"
#define S_KEY_BYTES 32
#define S_Z85_LEN 40
#define S_MAX_KEY_FILE 65536
#define S_MAX_ZAP_FRAMES 16

typedef struct {
    uint8_t (*keys)[S_KEY_BYTES];
    size_t count;
} s_allow_t;

struct ktagd_curve {
    void *ctx;
    void *zap;              /**< REP on the ZAP endpoint; only the thread uses it once started */
    void *stop_send;        /**< PAIR: the main thread says "stop" here */
    void *stop_recv;        /**< PAIR: the ZAP thread listens here */
    pthread_t thread;
    bool thread_started;
    char *allow_dir;
    char public_z85[S_Z85_LEN + 1];
    char secret_z85[S_Z85_LEN + 1];
    pthread_mutex_t lock;   /**< guards allow, denied and the log rate limit */
    s_allow_t allow;
    unsigned long denied;
    time_t last_log;
    unsigned long unlogged;
};

static void
s_err(char *err, size_t errlen, const char *format, ...) __attribute__((format(printf, 3, 4)));

static void
s_err(char *err, size_t errlen, const char *format, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, format);
    vsnprintf(err, errlen, format, ap);
    va_end(ap);
}

int
ktagd_curve_available(void)
{
    return zmq_has("curve") ? 1 : 0;
}

/* ---------------------------------------------------------------- keys */

static char *
s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        *--end = '\0';
    return s;
}

/* `value` must be exactly one Z85 key: 40 characters that decode. */
static int
s_take_key(const char *value, size_t len, char z85[S_Z85_LEN + 1])
{
    uint8_t bin[S_KEY_BYTES];
    if (len != S_Z85_LEN)
        return -1;
    memcpy(z85, value, S_Z85_LEN);
    z85[S_Z85_LEN] = '\0';
    return zmq_z85_decode(bin, z85) ? 0 : -1;
}

int
ktagd_curve_read_key(const char *path, const char *kind, char z85[S_Z85_LEN + 1], char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        s_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *data = malloc(S_MAX_KEY_FILE + 1);
    if (!data) {
        fclose(f);
        s_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t n = fread(data, 1, S_MAX_KEY_FILE + 1, f);
    bool read_error = ferror(f);
    fclose(f);
    int rc = -1;
    if (read_error) {
        s_err(err, errlen, "%s: read error", path);
        goto done;
    }
    if (n > S_MAX_KEY_FILE) {
        s_err(err, errlen, "%s: larger than %d bytes, not a key file", path, S_MAX_KEY_FILE);
        goto done;
    }
    data[n] = '\0';

    /* czmq certificate first: a `kind = "..."` line anywhere wins. */
    size_t kind_len = strlen(kind);
    const char *first = NULL;
    int first_line = 0, line_no = 0;
    for (char *save = NULL, *line = strtok_r(data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char *t = s_trim(line);
        if (!*t || *t == '#')
            continue;
        if (strncmp(t, kind, kind_len) == 0) {
            char *q = s_trim(t + kind_len);
            if (*q == '=')
                q = s_trim(q + 1);
            size_t len = strlen(q);
            if (len >= 2 && q[0] == '"' && q[len - 1] == '"') {
                q++;
                len -= 2;
            }
            if (s_take_key(q, len, z85) != 0) {
                s_err(err, errlen, "%s:%d: %s is not a 40-character Z85 key", path, line_no,
                      kind);
                goto done;
            }
            rc = 0;
            goto done;
        }
        if (!first) {
            first = t;
            first_line = line_no;
        }
    }
    if (!first) {
        s_err(err, errlen, "%s: no key in the file", path);
        goto done;
    }
    if (s_take_key(first, strlen(first), z85) != 0) {
        s_err(err, errlen, "%s:%d: expected a 40-character Z85 %s (or a `%s = \"...\"` line)",
              path, first_line, kind, kind);
        goto done;
    }
    rc = 0;
done:
    free(data);
    return rc;
}

static int
s_compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Read every key of `dir` into `out`; on error `out` is untouched. */
static int
s_load_allow(const char *dir, s_allow_t *out, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        s_err(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    int rc = -1;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **grown = realloc(names, ncap * sizeof *names);
            if (!grown)
                goto nomem;
            names = grown;
            cap = ncap;
        }
        if (!(names[count] = strdup(e->d_name)))
            goto nomem;
        count++;
    }
    /* Name order, so that an error always names the same file. */
    if (count > 1)
        qsort(names, count, sizeof *names, s_compare_names);

    s_allow_t allow = { calloc(count ? count : 1, S_KEY_BYTES), 0 };
    if (!allow.keys)
        goto nomem;
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        char z85[S_Z85_LEN + 1];
        if (ktagd_curve_read_key(path, "public-key", z85, err, errlen) != 0) {
            free(allow.keys);
            goto done;
        }
        zmq_z85_decode(allow.keys[allow.count++], z85);
    }
    *out = allow;
    rc = 0;
    goto done;
nomem:
    s_err(err, errlen, "%s: out of memory", dir);
done:
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

/* ----------------------------------------------------------------- ZAP */

static bool
s_frame_is(zmq_msg_t *m, const char *s)
{
    size_t len = strlen(s);
    return zmq_msg_size(m) == len && memcmp(zmq_msg_data(m), s, len) == 0;
}

static bool
s_allowed(ktagd_curve_t *self, const uint8_t *key)
{
    bool ok = false;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->allow.count && !ok; i++)
        ok = memcmp(self->allow.keys[i], key, S_KEY_BYTES) == 0;
    pthread_mutex_unlock(&self->lock);
    return ok;
}

/* A refused handshake is logged, but at most one line a second: a hostile
   peer retrying in a loop must not flood the journal. */
static void
s_log_denied(ktagd_curve_t *self, zmq_msg_t *address, const char *why)
{
    time_t now = time(NULL);
    unsigned long skipped = 0;
    bool log = false;
    pthread_mutex_lock(&self->lock);
    self->denied++;
    if (now != self->last_log) {
        log = true;
        skipped = self->unlogged;
        self->unlogged = 0;
        self->last_log = now;
    } else {
        self->unlogged++;
    }
    pthread_mutex_unlock(&self->lock);
    if (!log)
        return;
    int alen = (int) (zmq_msg_size(address) > 64 ? 64 : zmq_msg_size(address));
    if (skipped)
        log_warning("CURVE: refused a client from %.*s: %s (%lu more refused in the last second)",
                    alen, (const char *) zmq_msg_data(address), why, skipped);
    else
        log_warning("CURVE: refused a client from %.*s: %s", alen,
                    (const char *) zmq_msg_data(address), why);
}

static void
s_send_reply(void *zap, zmq_msg_t *request_id, const char *status, const char *text,
             const char *user_id)
{
    zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(zap, zmq_msg_data(request_id), zmq_msg_size(request_id), ZMQ_SNDMORE);
    zmq_send(zap, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(zap, user_id, strlen(user_id), ZMQ_SNDMORE);
    zmq_send(zap, "", 0, 0);
}

/* One ZAP request (RFC 27): version, request id, domain, address, routing
   id, mechanism, credentials... */
static void
s_handle_zap(ktagd_curve_t *self)
{
    zmq_msg_t frames[S_MAX_ZAP_FRAMES];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t scratch, *m = n < S_MAX_ZAP_FRAMES ? &frames[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->zap, 0) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        if (m == &scratch)
            zmq_msg_close(m);   /* never legitimate: dropped, counted as too many */
        n++;
    }
    int kept = n < S_MAX_ZAP_FRAMES ? n : S_MAX_ZAP_FRAMES;
    if (n < 6 || n > S_MAX_ZAP_FRAMES || !s_frame_is(&frames[0], "1.0")) {
        /* Only libzmq talks on this endpoint; answer so its handshake ends. */
        if (n >= 2)
            s_send_reply(self->zap, &frames[1], "500", "malformed ZAP request", "");
        else if (n == 1) {
            zmq_msg_t empty;
            zmq_msg_init(&empty);
            s_send_reply(self->zap, &empty, "500", "malformed ZAP request", "");
            zmq_msg_close(&empty);
        }
        goto done;
    }
    zmq_msg_t *request_id = &frames[1], *domain = &frames[2], *address = &frames[3],
              *mechanism = &frames[5];
    if (!s_frame_is(domain, S_DOMAIN)) {
        /* Not one of the sockets ktagd_curve_apply() armed (libzmq may ask
           about plain ones, e.g. the control socket): their security is
           the endpoint they bind, not this list. */
        s_send_reply(self->zap, request_id, "200", "OK", "");
        goto done;
    }
    if (!s_frame_is(mechanism, "CURVE") || n != 7 || zmq_msg_size(&frames[6]) != S_KEY_BYTES) {
        s_log_denied(self, address, "not a CURVE handshake");
        s_send_reply(self->zap, request_id, "400", "CURVE required", "");
        goto done;
    }
    const uint8_t *key = zmq_msg_data(&frames[6]);
    if (!s_allowed(self, key)) {
        char z85[S_Z85_LEN + 1];
        char why[96];
        zmq_z85_encode(z85, key, S_KEY_BYTES);
        snprintf(why, sizeof why, "public key %.40s is not in --curve-allow", z85);
        s_log_denied(self, address, why);
        s_send_reply(self->zap, request_id, "400", "client key not allowed", "");
        goto done;
    }
    char user[S_Z85_LEN + 1];
    zmq_z85_encode(user, key, S_KEY_BYTES);
    s_send_reply(self->zap, request_id, "200", "OK", user);
done:
    for (int i = 0; i < kept; i++)
        zmq_msg_close(&frames[i]);
}

static void *
s_zap_thread(void *arg)
{
    ktagd_curve_t *self = arg;
    zmq_pollitem_t items[] = {
        { self->zap, 0, ZMQ_POLLIN, 0 },
        { self->stop_recv, 0, ZMQ_POLLIN, 0 },
    };
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;      /* ETERM: the context is going away */
        }
        if (items[1].revents & ZMQ_POLLIN)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            s_handle_zap(self);
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

ktagd_curve_t *
ktagd_curve_new(void *zmq_ctx, const char *secret_key_file, const char *allow_dir,
                char *err, size_t errlen)
{
    if (!ktagd_curve_available()) {
        s_err(err, errlen, "this libzmq has no CURVE support (built without libsodium)");
        return NULL;
    }
    if (!secret_key_file || !allow_dir) {
        s_err(err, errlen, "CURVE needs both --curve-secret-key and --curve-allow");
        return NULL;
    }
    ktagd_curve_t *self = calloc(1, sizeof *self);
    if (!self) {
        s_err(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    self->ctx = zmq_ctx;
    if (!(self->allow_dir = strdup(allow_dir))) {
        s_err(err, errlen, "out of memory");
        goto fail;
    }
    if (ktagd_curve_read_key(secret_key_file, "secret-key", self->secret_z85, err, errlen) != 0)
        goto fail;
    if (zmq_curve_public(self->public_z85, self->secret_z85) != 0) {
        s_err(err, errlen, "%s: cannot derive the public key: %s", secret_key_file,
              zmq_strerror(errno));
        goto fail;
    }
    struct stat st;
    if (stat(secret_key_file, &st) == 0 && (st.st_mode & 077))
        log_warning("%s is readable by other users (mode %03o): chmod 600 it",
                    secret_key_file, (unsigned) (st.st_mode & 0777));
    if (s_load_allow(allow_dir, &self->allow, err, errlen) != 0)
        goto fail;
    if (self->allow.count == 0)
        log_warning("CURVE: %s holds no client key: every client will be refused", allow_dir);

    char pair[64];
    snprintf(pair, sizeof pair, "inproc://ktagd-curve-stop-%p", (void *) self);
    self->zap = zmq_socket(zmq_ctx, ZMQ_REP);
    self->stop_recv = zmq_socket(zmq_ctx, ZMQ_PAIR);
    self->stop_send = zmq_socket(zmq_ctx, ZMQ_PAIR);
    if (!self->zap || !self->stop_recv || !self->stop_send) {
        s_err(err, errlen, "cannot create the ZAP sockets: %s", zmq_strerror(errno));
        goto fail;
    }
    int zero = 0;
    zmq_setsockopt(self->zap, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->stop_recv, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->stop_send, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(self->zap, S_ZAP_ENDPOINT) != 0) {
        s_err(err, errlen, "cannot bind %s: %s", S_ZAP_ENDPOINT, zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(self->stop_recv, pair) != 0 || zmq_connect(self->stop_send, pair) != 0) {
        s_err(err, errlen, "cannot open %s: %s", pair, zmq_strerror(errno));
        goto fail;
    }
    if (pthread_create(&self->thread, NULL, s_zap_thread, self) != 0) {
        s_err(err, errlen, "cannot start the ZAP thread");
        goto fail;
    }
    self->thread_started = true;
    log_info("CURVE: server public key %s, %zu client keys allowed from %s", self->public_z85,
             self->allow.count, allow_dir);
    return self;
fail:
    ktagd_curve_destroy(&self);
    return NULL;
}

int
ktagd_curve_apply(ktagd_curve_t *self, void *socket)
{
    int one = 1;
    if (zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, S_DOMAIN, strlen(S_DOMAIN)) != 0
        || zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof one) != 0
        || zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, self->secret_z85, S_Z85_LEN) != 0)
        return -1;
    return 0;
}

int
ktagd_curve_reload(ktagd_curve_t *self, char *err, size_t errlen)
{
    s_allow_t fresh;
    if (s_load_allow(self->allow_dir, &fresh, err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&self->lock);
    s_allow_t old = self->allow;
    self->allow = fresh;
    pthread_mutex_unlock(&self->lock);
    free(old.keys);
    if (fresh.count == 0)
        log_warning("CURVE: %s holds no client key: every new client will be refused",
                    self->allow_dir);
    return (int) fresh.count;
}

const char *
ktagd_curve_public_key(const ktagd_curve_t *self)
{
    return self->public_z85;
}

size_t
ktagd_curve_allowed_count(ktagd_curve_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->allow.count;
    pthread_mutex_unlock(&self->lock);
    return n;
}

unsigned long
ktagd_curve_denied_count(ktagd_curve_t *self)
{
    pthread_mutex_lock(&self->lock);
    unsigned long n = self->denied;
    pthread_mutex_unlock(&self->lock);
    return n;
}

void
ktagd_curve_destroy(ktagd_curve_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ktagd_curve_t *self = *self_p;
    if (self->thread_started) {
        zmq_send(self->stop_send, "", 0, 0);
        pthread_join(self->thread, NULL);
    }
    if (self->zap)
        zmq_close(self->zap);
    if (self->stop_recv)
        zmq_close(self->stop_recv);
    if (self->stop_send)
        zmq_close(self->stop_send);
    /* The secret key does not outlive the object in freed memory. */
    explicit_bzero(self->secret_z85, sizeof self->secret_z85);
    free(self->allow.keys);
    free(self->allow_dir);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
