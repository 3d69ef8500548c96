/*  ktagd_echo.c - a ZeroMQ echo worker with ktagd's topology (ROUTER front,
    zmq_proxy to N inproc worker threads that send every request back as
    its reply), so that a client can measure what ZeroMQ alone carries on
    this machine next to what ktagd carries (docs/OPERATIONS.md).

    usage: ktagd-echo --bind EP [--threads N]
    Runs until SIGTERM/SIGINT.
*/
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

static void *s_zmq;

static void *
s_worker(void *arg)
{
    void *sock = zmq_socket(s_zmq, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect(sock, "inproc://echo-workers");
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, 0) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        /* Every frame goes back as it came: envelope and body. */
        int more = zmq_msg_more(&msg);
        if (zmq_msg_send(&msg, sock, more ? ZMQ_SNDMORE : 0) < 0) {
            zmq_msg_close(&msg);
            break;
        }
    }
    zmq_close(sock);
    return NULL;
}

static void *
s_stopper(void *arg)
{
    sigset_t *set = arg;
    int sig;
    sigwait(set, &sig);
    zmq_ctx_shutdown(s_zmq);    /* makes zmq_proxy return */
    return NULL;
}

int
main(int argc, char **argv)
{
    const char *bind = "tcp://127.0.0.1:5555";
    int threads = 1;
    static const struct option options[] = {
        { "bind", required_argument, NULL, 'b' },
        { "threads", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "b:t:h", options, NULL)) != -1) {
        switch (c) {
        case 'b': bind = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'h':
            printf("usage: ktagd-echo --bind EP [--threads N]\n");
            return 0;
        default:
            return 2;
        }
    }
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "ktagd-echo: threads must be 1..256\n");
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    s_zmq = zmq_ctx_new();
    void *front = zmq_socket(s_zmq, ZMQ_ROUTER);
    void *back = zmq_socket(s_zmq, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(front, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(back, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(front, bind) != 0 || zmq_bind(back, "inproc://echo-workers") != 0) {
        fprintf(stderr, "ktagd-echo: cannot bind %s: %s\n", bind, zmq_strerror(zmq_errno()));
        return 1;
    }
    char last[256];
    size_t size = sizeof last;
    zmq_getsockopt(front, ZMQ_LAST_ENDPOINT, last, &size);
    fprintf(stderr, "ktagd-echo: front bound to %s, %d threads\n", last, threads);

    pthread_t stopper, *workers = calloc((size_t) threads, sizeof *workers);
    pthread_create(&stopper, NULL, s_stopper, &set);
    for (int i = 0; i < threads; i++)
        pthread_create(&workers[i], NULL, s_worker, NULL);
    zmq_proxy(front, back, NULL);
    zmq_close(front);
    zmq_close(back);
    for (int i = 0; i < threads; i++)
        pthread_join(workers[i], NULL);
    pthread_join(stopper, NULL);
    zmq_ctx_term(s_zmq);
    free(workers);
    return 0;
}
