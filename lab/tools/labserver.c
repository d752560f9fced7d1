/* labserver: the server side of a tcpwhy lab scenario.
 *
 * Listens on IP PORT with a chosen backlog. By default it accepts every
 * connection and echoes what it reads until the peer closes; --no-accept
 * never calls accept(), so the accept queue fills and the kernel starts to
 * drop handshake ACKs and SYNs (accept_queue_full, server_ignored_syn).
 * --no-read accepts but never reads, so what the client sends stays unread in
 * the receive buffer (close() then makes Linux send RST instead of FIN);
 * --close-after-ms closes each accepted connection after a while.
 * It always exits by itself after --exit-after-ms, so a scenario is bounded.
 * Every event is one line on stdout with a wall-clock timestamp; "listening"
 * is printed once the socket listens, so a script can wait for it.
 *
 * Only libc; C11 plus POSIX. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64

struct options {
    const char *host;
    int port;
    int backlog;
    int exit_after_ms;
    bool no_accept;
    bool linger0;
    bool no_read;       /* accepted connections are never read */
    int close_after_ms; /* close accepted connections after N ms (-1: never) */
};

struct conn {
    int fd;
    char peer[INET6_ADDRSTRLEN + 16];
    long n_bytes;
    double close_at;    /* when --close-after-ms closes it (0: never) */
};

static void usage(void)
{
    fprintf(stderr,
            "usage: labserver [options] IP PORT\n"
            "  --backlog N         listen(2) backlog (default 16)\n"
            "  --no-accept         never accept: let the accept queue fill\n"
            "  --linger0           close accepted connections with SO_LINGER 0 (RST)\n"
            "  --exit-after-ms N   exit after N ms (default 10000)\n"
            "  --no-read           never read accepted connections (data stays unread;\n"
            "                      a reset is still noticed and reported)\n"
            "  --close-after-ms N  close each accepted connection N ms after accept\n");
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_num(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0) {
        fprintf(stderr, "labserver: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    o->backlog = 16;
    o->exit_after_ms = 10000;
    o->close_after_ms = -1;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--no-accept") == 0) {
            o->no_accept = true;
        } else if (strcmp(a, "--linger0") == 0) {
            o->linger0 = true;
        } else if (strcmp(a, "--no-read") == 0) {
            o->no_read = true;
        } else if (strcmp(a, "--close-after-ms") == 0 && i + 1 < argc) {
            o->close_after_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--backlog") == 0 && i + 1 < argc) {
            o->backlog = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--exit-after-ms") == 0 && i + 1 < argc) {
            o->exit_after_ms = (int)parse_num(argv[++i], a);
        } else if (strncmp(a, "--", 2) == 0) {
            usage();
        } else if (npos == 0) {
            o->host = a;
            npos++;
        } else if (npos == 1) {
            o->port = (int)parse_num(a, "port");
            npos++;
        } else {
            usage();
        }
    }
    if (npos != 2 || o->port < 1 || o->port > 65535)
        usage();
}

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        snprintf(buf, n, "%s:%d", ip, ntohs(a->sin_port));
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        snprintf(buf, n, "[%s]:%d", ip, ntohs(a->sin6_port));
    }
}

static void close_conn(struct conn *c, const struct options *o, const char *why)
{
    if (o->linger0) {
        struct linger l = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    int unread = 0;
    if (o->no_read && ioctl(c->fd, FIONREAD, &unread) != 0)
        unread = -1;
    close(c->fd);
    if (o->no_read)
        printf("closed t=%.6f peer=%s bytes=%ld unread=%d why=%s how=%s\n", now_s(), c->peer,
               c->n_bytes, unread, why, o->linger0 ? "abort_rst" : unread > 0 ? "rst_unread" : "fin");
    else
        printf("closed t=%.6f peer=%s bytes=%ld why=%s how=%s\n", now_s(), c->peer, c->n_bytes,
               why, o->linger0 ? "abort_rst" : "fin");
    fflush(stdout);
    c->fd = -1;
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    int fam;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, o.host, &a4->sin_addr) == 1) {
        fam = a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)o.port);
        len = sizeof *a4;
    } else if (inet_pton(AF_INET6, o.host, &a6->sin6_addr) == 1) {
        fam = a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)o.port);
        len = sizeof *a6;
    } else {
        fprintf(stderr, "labserver: not an IP address: %s\n", o.host);
        return 2;
    }
    int lfd = socket(fam, SOCK_STREAM, 0);
    int one = 1;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)&ss, len) != 0 || listen(lfd, o.backlog) != 0) {
        perror("labserver");
        return 2;
    }
    printf("listening t=%.6f addr=%s%s%s:%d backlog=%d accept=%s\n", now_s(),
           fam == AF_INET6 ? "[" : "", o.host, fam == AF_INET6 ? "]" : "", o.port, o.backlog,
           o.no_accept ? "no" : "yes");
    fflush(stdout);

    struct conn conns[MAX_CONNS];
    for (int i = 0; i < MAX_CONNS; i++)
        conns[i].fd = -1;
    double end = now_s() + o.exit_after_ms / 1000.0;
    for (;;) {
        /* --close-after-ms: close what is due, and wake up for the next one */
        double t = now_s();
        double wake = end;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (conns[i].fd < 0 || conns[i].close_at <= 0)
                continue;
            if (conns[i].close_at <= t)
                close_conn(&conns[i], &o, "timer");
            else if (conns[i].close_at < wake)
                wake = conns[i].close_at;
        }
        if ((int)((end - now_s()) * 1000) <= 0)
            break;
        int left_ms = (int)((wake - now_s()) * 1000);
        if (left_ms < 0)
            left_ms = 0;
        struct pollfd p[MAX_CONNS + 1];
        int idx[MAX_CONNS + 1];
        nfds_t np = 0;
        if (!o.no_accept) {
            p[np] = (struct pollfd){ .fd = lfd, .events = POLLIN };
            idx[np++] = -1;
        }
        for (int i = 0; i < MAX_CONNS; i++) {
            if (conns[i].fd >= 0) {
                /* --no-read: only errors and hang-ups (poll always reports them) */
                p[np] = (struct pollfd){ .fd = conns[i].fd, .events = o.no_read ? 0 : POLLIN };
                idx[np++] = i;
            }
        }
        int r = poll(p, np, left_ms);
        if (r < 0 && errno != EINTR) {
            perror("labserver: poll");
            break;
        }
        for (nfds_t k = 0; r > 0 && k < np; k++) {
            if (p[k].revents == 0)
                continue;
            if (idx[k] < 0) {
                struct sockaddr_storage peer;
                socklen_t pl = sizeof peer;
                int fd = accept(lfd, (struct sockaddr *)&peer, &pl);
                if (fd < 0)
                    continue;
                int slot = -1;
                for (int i = 0; i < MAX_CONNS && slot < 0; i++)
                    if (conns[i].fd < 0)
                        slot = i;
                if (slot < 0) {
                    close(fd);
                    continue;
                }
                conns[slot].fd = fd;
                conns[slot].n_bytes = 0;
                conns[slot].close_at = o.close_after_ms >= 0 ? now_s() + o.close_after_ms / 1000.0 : 0;
                format_addr(&peer, conns[slot].peer, sizeof conns[slot].peer);
                printf("accepted t=%.6f peer=%s\n", now_s(), conns[slot].peer);
                fflush(stdout);
                continue;
            }
            struct conn *c = &conns[idx[k]];
            if (o.no_read) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                close_conn(c, &o, err == ECONNRESET ? "reset" : err != 0 ? "error" : "hangup");
                continue;
            }
            char buf[4096];
            ssize_t n = recv(c->fd, buf, sizeof buf, 0);
            if (n > 0) {
                c->n_bytes += n;
                if (send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
                    close_conn(c, &o, "send_error");
            } else if (n == 0) {
                close_conn(c, &o, "eof");
            } else {
                close_conn(c, &o, errno == ECONNRESET ? "reset" : "recv_error");
            }
        }
    }
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0)
            close_conn(&conns[i], &o, "exit");
    close(lfd);
    printf("exit t=%.6f\n", now_s());
    return 0;
}
