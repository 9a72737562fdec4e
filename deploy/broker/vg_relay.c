/**
 * @file vg_relay.c
 * @brief Loopback TCP relay (see vg_relay.h): one thread polls the
 *        listening socket and every connection pair.
 */
#include "vg_relay.h"
#include "vg_log.h"
#include "vg_mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VG_RELAY_MAX 64 /**< connection pairs */

struct vg_relay_s {
        int lfd, stop_pipe[2];
        struct sockaddr_in target;
        int fds[VG_RELAY_MAX][2]; /**< client, broker; -1 when free */
        pthread_t thr;
};

static void vg_relay_close_pair(vg_relay_t *r, int i)
{
        close(r->fds[i][0]);
        close(r->fds[i][1]);
        r->fds[i][0] = r->fds[i][1] = -1;
}

static void vg_relay_accept(vg_relay_t *r)
{
        int c = accept(r->lfd, NULL, NULL), one = 1;
        if (c == -1)
                return;
        int b = socket(AF_INET, SOCK_STREAM, 0);
        if (b == -1 || connect(b, (struct sockaddr *)&r->target,
                               sizeof(r->target)) == -1) {
                vg_warn("relay", "cannot reach the broker: %s",
                        strerror(errno));
                close(c);
                if (b != -1)
                        close(b);
                return;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        for (int i = 0; i < VG_RELAY_MAX; i++) {
                if (r->fds[i][0] == -1) {
                        r->fds[i][0] = c;
                        r->fds[i][1] = b;
                        return;
                }
        }
        vg_warn("relay", "more than %d connections: refusing one",
                VG_RELAY_MAX);
        close(c);
        close(b);
}

/* Copies what is readable on \p from to \p to. @returns -1 on EOF/error. */
static int vg_relay_copy(int from, int to)
{
        char buf[65536];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n <= 0)
                return -1;
        for (ssize_t o = 0; o < n;) {
                ssize_t w = write(to, buf + o, (size_t)(n - o));
                if (w <= 0)
                        return -1;
                o += w;
        }
        return 0;
}

static void *vg_relay_main(void *opaque)
{
        vg_relay_t *r = opaque;
        struct pollfd pfd[2 + 2 * VG_RELAY_MAX];
        int who[2 + 2 * VG_RELAY_MAX];

        for (;;) {
                int n = 0;
                pfd[n++] = (struct pollfd){r->stop_pipe[0], POLLIN, 0};
                pfd[n++] = (struct pollfd){r->lfd, POLLIN, 0};
                for (int i = 0; i < VG_RELAY_MAX; i++) {
                        if (r->fds[i][0] == -1)
                                continue;
                        for (int d = 0; d < 2; d++) {
                                who[n]   = i * 2 + d;
                                pfd[n++] = (struct pollfd){r->fds[i][d],
                                                           POLLIN, 0};
                        }
                }
                if (poll(pfd, (nfds_t)n, -1) == -1 && errno != EINTR)
                        break;
                if (pfd[0].revents)
                        break;
                if (pfd[1].revents & POLLIN)
                        vg_relay_accept(r);
                for (int j = 2; j < n; j++) {
                        int i = who[j] / 2, d = who[j] % 2;
                        if (!pfd[j].revents || r->fds[i][0] == -1)
                                continue;
                        if (vg_relay_copy(r->fds[i][d], r->fds[i][!d]))
                                vg_relay_close_pair(r, i);
                }
        }
        return NULL;
}

static int vg_relay_target(vg_relay_t *r, const char *target)
{
        char host[256];
        const char *colon = strrchr(target, ':');
        if (!colon || (size_t)(colon - target) >= sizeof(host))
                return -1;
        memcpy(host, target, (size_t)(colon - target));
        host[colon - target]  = '\0';
        r->target.sin_family  = AF_INET;
        r->target.sin_port    = htons((uint16_t)atoi(colon + 1));
        return inet_pton(AF_INET, host, &r->target.sin_addr) == 1 ? 0 : -1;
}

vg_relay_t *vg_relay_new(int port, const char *target, char *errstr,
                         size_t errstr_size)
{
        vg_relay_t *r = vg_calloc(1, sizeof(*r));
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port   = htons((uint16_t)port),
                                  .sin_addr = {htonl(INADDR_LOOPBACK)}};
        int one = 1;

        memset(r->fds, -1, sizeof(r->fds));
        r->lfd = -1;
        if (vg_relay_target(r, target) == -1) {
                snprintf(errstr, errstr_size, "bad broker address %s", target);
                goto fail;
        }
        if ((r->lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
            setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
                       sizeof(one)) == -1 ||
            bind(r->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
            listen(r->lfd, 64) == -1) {
                snprintf(errstr, errstr_size, "cannot listen on "
                         "127.0.0.1:%d: %s", port, strerror(errno));
                goto fail;
        }
        if (pipe(r->stop_pipe) == -1 ||
            pthread_create(&r->thr, NULL, vg_relay_main, r)) {
                snprintf(errstr, errstr_size, "cannot start the relay");
                goto fail;
        }
        return r;
fail:
        if (r->lfd != -1)
                close(r->lfd);
        vg_free(r);
        return NULL;
}

void vg_relay_destroy(vg_relay_t *r)
{
        if (!r)
                return;
        ssize_t w = write(r->stop_pipe[1], "x", 1);
        (void)w;
        pthread_join(r->thr, NULL);
        for (int i = 0; i < VG_RELAY_MAX; i++)
                if (r->fds[i][0] != -1)
                        vg_relay_close_pair(r, i);
        close(r->lfd);
        close(r->stop_pipe[0]);
        close(r->stop_pipe[1]);
        vg_free(r);
}
