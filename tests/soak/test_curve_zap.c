/*  test_curve_zap.c - daemon/ktagd_curve on real ZeroMQ sockets, without
    the rest of ktagd: key files in both formats, a listed client served, an
    unlisted one, a plain one and one with the wrong server key given
    nothing, and an allow-list reload that lets a new key in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "check.h"
#include "ktagd_curve.h"

static char s_dir[256];

static void
s_write(const char *name, const char *content)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    fputs(content, f);
    fclose(f);
    chmod(path, 0600);
}

static char *
s_path(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    return path;
}

/* A CURVE client (or a plain one when `pub` is NULL) of `endpoint`. */
static void *
s_client(void *ctx, const char *endpoint, const char *server_pub, const char *pub, const char *sec)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, timeout = 1500;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (pub) {
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server_pub, 40);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 40);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 40);
    }
    zmq_connect(s, endpoint);
    return s;
}

/* Echo what reaches `server` within `ms`; @returns 1 if something did, and
   copies its User-Id (the client key the ZAP handler admitted). */
static int
s_serve_one(void *server, int ms, char *user, size_t user_len)
{
    zmq_pollitem_t item = { server, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&item, 1, ms) <= 0)
        return 0;
    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    zmq_msg_recv(&id, server, 0);
    zmq_msg_recv(&body, server, 0);
    const char *u = zmq_msg_gets(&body, "User-Id");
    snprintf(user, user_len, "%s", u ? u : "");
    zmq_msg_send(&id, server, ZMQ_SNDMORE);
    zmq_msg_send(&body, server, 0);
    return 1;
}

static int
s_round_trip(void *client, void *server, char *user, size_t user_len)
{
    zmq_send(client, "ping", 4, 0);
    if (!s_serve_one(server, 1500, user, user_len))
        return 0;
    char buf[16];
    return zmq_recv(client, buf, sizeof buf, 0) == 4 && memcmp(buf, "ping", 4) == 0;
}

int
main(void)
{
    if (!ktagd_curve_available()) {
        printf("libzmq without CURVE: skipped\n");
        return 77;
    }
    snprintf(s_dir, sizeof s_dir, "/tmp/ktag-curve-XXXXXX");
    if (!mkdtemp(s_dir))
        return 1;
    char srv_pub[41], srv_sec[41], a_pub[41], a_sec[41], b_pub[41], b_sec[41];
    zmq_curve_keypair(srv_pub, srv_sec);
    zmq_curve_keypair(a_pub, a_sec);
    zmq_curve_keypair(b_pub, b_sec);

    /* Key files: bare, czmq certificate, and broken ones. */
    char text[512], key[41], err[256];
    snprintf(text, sizeof text, "# server key\n\n%s\n", srv_sec);
    s_write("server.key", text);
    snprintf(text, sizeof text, "#   ZeroMQ CURVE Secret Certificate\nmetadata\ncurve\n"
             "    public-key = \"%s\"\n    secret-key = \"%s\"\n", srv_pub, srv_sec);
    s_write("server_secret", text);
    CHECK(ktagd_curve_read_key(s_path("server.key"), "secret-key", key, err, sizeof err) == 0);
    CHECK(strcmp(key, srv_sec) == 0);
    CHECK(ktagd_curve_read_key(s_path("server_secret"), "secret-key", key, err, sizeof err) == 0);
    CHECK(strcmp(key, srv_sec) == 0);
    CHECK(ktagd_curve_read_key(s_path("server_secret"), "public-key", key, err, sizeof err) == 0);
    CHECK(strcmp(key, srv_pub) == 0);
    s_write("short.key", "abc\n");
    CHECK(ktagd_curve_read_key(s_path("short.key"), "public-key", key, err, sizeof err) == -1);
    CHECK(strstr(err, "short.key:1") != NULL);
    s_write("empty.key", "# nothing\n\n");
    CHECK(ktagd_curve_read_key(s_path("empty.key"), "public-key", key, err, sizeof err) == -1);
    CHECK(strstr(err, "no key") != NULL);
    CHECK(ktagd_curve_read_key(s_path("missing.key"), "public-key", key, err, sizeof err) == -1);

    /* The allow directory: only client A. */
    char allow[300];
    snprintf(allow, sizeof allow, "%s/allow", s_dir);
    mkdir(allow, 0700);
    snprintf(text, sizeof text, "%s\n", a_pub);
    s_write("allow/a.key", text);

    void *ctx = zmq_ctx_new();
    /* A malformed allow-list refuses to start, naming the file. */
    s_write("allow/zz-broken.key", "not a key\n");
    ktagd_curve_t *curve = ktagd_curve_new(ctx, s_path("server.key"), allow, err, sizeof err);
    CHECK(curve == NULL);
    CHECK(strstr(err, "zz-broken.key") != NULL);
    unlink(s_path("allow/zz-broken.key"));

    curve = ktagd_curve_new(ctx, s_path("server.key"), allow, err, sizeof err);
    CHECK(curve != NULL);
    if (!curve) {
        fprintf(stderr, "ktagd_curve_new: %s\n", err);
        return 1;
    }
    CHECK(strcmp(ktagd_curve_public_key(curve), srv_pub) == 0);
    CHECK(ktagd_curve_allowed_count(curve) == 1);

    void *server = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(server, ZMQ_LINGER, &zero, sizeof zero);
    CHECK(ktagd_curve_apply(curve, server) == 0);
    CHECK(zmq_bind(server, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, endpoint, &len);

    char user[64];
    /* Listed client: served, and identified by its key. */
    void *a = s_client(ctx, endpoint, srv_pub, a_pub, a_sec);
    CHECK(s_round_trip(a, server, user, sizeof user));
    CHECK(strcmp(user, a_pub) == 0);

    /* Unlisted client, plain client, client with the wrong server key:
       nothing reaches the server and nothing comes back. */
    void *b = s_client(ctx, endpoint, srv_pub, b_pub, b_sec);
    void *plain = s_client(ctx, endpoint, NULL, NULL, NULL);
    void *wrong = s_client(ctx, endpoint, b_pub, a_pub, a_sec);
    void *strangers[] = { b, plain, wrong };
    for (int i = 0; i < 3; i++) {
        zmq_send(strangers[i], "ping", 4, ZMQ_DONTWAIT);
        CHECK(!s_serve_one(server, 1000, user, sizeof user));
        char buf[16];
        CHECK(zmq_recv(strangers[i], buf, sizeof buf, ZMQ_DONTWAIT) == -1);
    }
    CHECK(ktagd_curve_denied_count(curve) >= 1);
    /* The listed client is still fine beside them. */
    CHECK(s_round_trip(a, server, user, sizeof user));

    /* Reload: B's key added, a new B connection is let in. */
    snprintf(text, sizeof text, "public-key = \"%s\"\n", b_pub);
    s_write("allow/b.key", text);
    CHECK(ktagd_curve_reload(curve, err, sizeof err) == 2);
    void *b2 = s_client(ctx, endpoint, srv_pub, b_pub, b_sec);
    CHECK(s_round_trip(b2, server, user, sizeof user));
    CHECK(strcmp(user, b_pub) == 0);
    /* A broken reload keeps the old list. */
    s_write("allow/c.key", "garbage\n");
    CHECK(ktagd_curve_reload(curve, err, sizeof err) == -1);
    CHECK(ktagd_curve_allowed_count(curve) == 2);

    void *all[] = { a, b, plain, wrong, b2, server };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        zmq_close(all[i]);
    ktagd_curve_destroy(&curve);
    CHECK(curve == NULL);
    ktagd_curve_destroy(&curve);
    zmq_ctx_term(ctx);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_dir);
    return check_report("curve_zap");
}
