/* labclient: the client side of a tcpwhy lab scenario.
 *
 * Connects to IP PORT (IPv4 or IPv6) the way an application with its own
 * connect timeout does: a non-blocking connect(), poll() for at most
 * --connect-timeout-ms, then close() on timeout. With --attempts N it retries
 * from the same source port (--bind-port with SO_REUSEADDR), which is how a
 * client reuses a 4-tuple with a new ISN: the seed case of synack_lost_rst.
 * It prints one line per attempt, with wall-clock timestamps that line up with
 * the captures taken in the lab (same host clock), so a scenario can record
 * what the application saw next to what the kernel sent.
 * For RST scenarios it can also wait for the peer's FIN or RST (--wait-ms),
 * send more data later (--then-send), probe an idle connection with
 * keepalives (--keepalive) and reconnect from the same port after a
 * connection ends (--reconnect).
 * For "connects, not packets": --new-port-per-attempt retries from a new
 * source port each time (as Nginx/OpenResty do after their connect timeout),
 * and --connect-summary prints one more line for the logical connect (first
 * connect() to success or final failure), which is what the application saw.
 *
 * Only libc; C11 plus POSIX. Every run is bounded in time by its options. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct options {
    const char *host;
    int port;
    int bind_port;          /* 0: ephemeral */
    int connect_timeout_ms; /* 0: wait for the kernel to give up */
    int attempts;
    int retry_delay_ms;
    long send_bytes;
    int send_delay_ms;      /* wait after connect before sending */
    int hold_ms;            /* wait after the data exchange before close */
    int read_timeout_ms;
    bool linger0;
    bool delay_ack;
    int wait_ms;            /* after the exchange, wait for the peer (EOF, RST) */
    long then_bytes;        /* then send this many more bytes ... */
    int then_delay_ms;      /* ... this many ms after the exchange/wait */
    bool reconnect;         /* go on with the next attempt after a success */
    bool ack_eof;           /* ACK the peer's FIN at once (TCP_QUICKACK) */
    int ka_idle, ka_intvl, ka_cnt; /* SO_KEEPALIVE with these, when ka_cnt > 0 */
    bool new_port;          /* attempt n binds bind_port + n - 1 */
    bool connect_summary;   /* print a "connect ..." line per logical connect */
};

static void usage(void)
{
    fprintf(stderr,
            "usage: labclient [options] IP PORT\n"
            "  --bind-port P           fixed source port (SO_REUSEADDR)\n"
            "  --connect-timeout-ms N  give up a connect after N ms (0: kernel decides)\n"
            "  --attempts N            try N times from the same source port (default 1)\n"
            "  --retry-delay-ms N      pause between attempts (default 0)\n"
            "  --send BYTES            send BYTES bytes after connecting, read the echo\n"
            "  --send-delay-ms N       wait N ms after connecting before sending\n"
            "  --hold-ms N             keep the connection N ms before closing\n"
            "  --read-timeout-ms N     wait at most N ms for the echo (default 2000)\n"
            "  --linger0               close with SO_LINGER 0 (abort: RST)\n"
            "  --delay-ack             delay the handshake ACK (TCP_DEFER_ACCEPT and\n"
            "                          TCP_QUICKACK 0: Linux then sends it ~200 ms later)\n"
            "  --wait-ms N             after the exchange, wait up to N ms for the peer to\n"
            "                          close or reset (stops at EOF, an error or data)\n"
            "  --then-send BYTES       then send BYTES more (no echo expected) and wait up\n"
            "                          to --read-timeout-ms for an answer, EOF or an error\n"
            "  --then-delay-ms N       wait N ms before --then-send (default 0)\n"
            "  --keepalive I:N:C       SO_KEEPALIVE, TCP_KEEPIDLE I s, TCP_KEEPINTVL N s,\n"
            "                          TCP_KEEPCNT C\n"
            "  --reconnect             after a connection closes, go on with the next of\n"
            "                          --attempts (same source port with --bind-port)\n"
            "  --ack-eof               when --wait-ms reads EOF, make the kernel ACK the FIN\n"
            "                          at once (TCP_QUICKACK; Linux otherwise delays it)\n"
            "  --new-port-per-attempt  attempt n binds --bind-port + n - 1 (without\n"
            "                          --bind-port every attempt has a kernel-chosen port)\n"
            "  --connect-summary       print one \"connect ...\" line for the logical connect:\n"
            "                          first connect() to the first success or the last\n"
            "                          failure, with the number of attempts\n");
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const char *errno_name(int e)
{
    switch (e) {
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EPIPE: return "EPIPE";
    case EPROTO: return "EPROTO";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EINTR: return "EINTR";
    default: return "EOTHER";
    }
}

static long parse_num(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0) {
        fprintf(stderr, "labclient: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    o->attempts = 1;
    o->read_timeout_ms = 2000;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--linger0") == 0) {
            o->linger0 = true;
        } else if (strcmp(a, "--delay-ack") == 0) {
            o->delay_ack = true;
        } else if (strcmp(a, "--reconnect") == 0) {
            o->reconnect = true;
        } else if (strcmp(a, "--ack-eof") == 0) {
            o->ack_eof = true;
        } else if (strcmp(a, "--new-port-per-attempt") == 0) {
            o->new_port = true;
        } else if (strcmp(a, "--connect-summary") == 0) {
            o->connect_summary = true;
        } else if (strncmp(a, "--", 2) == 0 && !has_val) {
            usage();
        } else if (strcmp(a, "--bind-port") == 0) {
            o->bind_port = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--connect-timeout-ms") == 0) {
            o->connect_timeout_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--attempts") == 0) {
            o->attempts = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--retry-delay-ms") == 0) {
            o->retry_delay_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--send") == 0) {
            o->send_bytes = parse_num(argv[++i], a);
        } else if (strcmp(a, "--send-delay-ms") == 0) {
            o->send_delay_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--hold-ms") == 0) {
            o->hold_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--read-timeout-ms") == 0) {
            o->read_timeout_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--wait-ms") == 0) {
            o->wait_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--then-send") == 0) {
            o->then_bytes = parse_num(argv[++i], a);
        } else if (strcmp(a, "--then-delay-ms") == 0) {
            o->then_delay_ms = (int)parse_num(argv[++i], a);
        } else if (strcmp(a, "--keepalive") == 0) {
            const char *v = argv[++i];
            char tail;
            if (sscanf(v, "%d:%d:%d%c", &o->ka_idle, &o->ka_intvl, &o->ka_cnt, &tail) != 3 ||
                o->ka_idle < 1 || o->ka_intvl < 1 || o->ka_cnt < 1) {
                fprintf(stderr, "labclient: bad --keepalive (IDLE:INTVL:CNT): %s\n", v);
                exit(2);
            }
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
    if (npos != 2 || o->attempts < 1 || o->port < 1 || o->port > 65535 || o->bind_port > 65535 ||
        (o->new_port && o->bind_port > 0 && o->bind_port + o->attempts - 1 > 65535))
        usage();
}

/* Fills ss with host:port; returns the address family or -1. */
static int make_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof *a4;
        return AF_INET;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof *a6;
        return AF_INET6;
    }
    return -1;
}

static void format_local(int fd, char *buf, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
            port = ntohs(a->sin_port);
            snprintf(buf, n, "%s:%d", ip, port);
            return;
        }
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    }
    snprintf(buf, n, "[%s]:%d", ip, port);
}

/* Waits for a non-blocking connect. Returns 0 when connected, an errno value
 * when it failed, or -1 on the application timeout. */
static int wait_connect(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    for (;;) {
        int r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return errno;
        if (r == 0)
            return -1;
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
            return errno;
        return err;
    }
}

/* --connect-summary: the logical connect as the application saw it, from
 * its first connect() to the first success or the last failure. */
static void connect_summary(const struct options *o, double t0, double t1, int attempts,
                            bool ok)
{
    if (!o->connect_summary)
        return;
    printf("connect t_start=%.6f t_end=%.6f elapsed_ms=%.1f attempts=%d timeout_ms=%d "
           "result=%s\n",
           t0, t1, (t1 - t0) * 1000, attempts, o->connect_timeout_ms, ok ? "connected" : "failed");
    fflush(stdout);
}

/* Sends n bytes and reads as many back (the lab server echoes). Returns true
 * when the peer's FIN was read. */
static bool exchange(int fd, const struct options *o)
{
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    long sent = 0, got = 0;
    const char *result = "ok";
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    while (sent < o->send_bytes) {
        size_t chunk = (size_t)(o->send_bytes - sent) < sizeof buf
                           ? (size_t)(o->send_bytes - sent) : sizeof buf;
        ssize_t w = send(fd, buf, chunk, MSG_NOSIGNAL);
        if (w < 0) {
            result = errno_name(errno);
            break;
        }
        sent += w;
    }
    double deadline = now_s() + o->read_timeout_ms / 1000.0;
    while (got < sent) {
        int left_ms = (int)((deadline - now_s()) * 1000);
        if (left_ms <= 0) {
            result = "read_timeout";
            break;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, left_ms) <= 0)
            continue;
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0) {
            result = errno_name(errno);
            break;
        }
        if (r == 0) {
            result = "eof";
            break;
        }
        got += r;
    }
    printf("data t=%.6f sent=%ld received=%ld result=%s\n", now_s(), sent, got, result);
    fflush(stdout);
    return strcmp(result, "eof") == 0;
}

/* Waits up to ms for something from the peer: data, EOF (FIN), or an error
 * (RST: ECONNRESET or EPIPE, keepalive: ETIMEDOUT). After an EOF only errors
 * are waited for (an EOF stays readable). Sets *eof when a FIN was read and
 * prints "TAG t=... result=...". Returns true when the socket has failed. */
static bool wait_peer(int fd, int ms, bool *eof, bool ack_eof, const char *tag)
{
    char buf[4096];
    char res[64] = "quiet";
    long got = 0;
    bool failed = false;
    double deadline = now_s() + ms / 1000.0;
    for (;;) {
        int left_ms = (int)((deadline - now_s()) * 1000);
        if (left_ms <= 0)
            break;
        struct pollfd p = { .fd = fd, .events = *eof ? 0 : POLLIN };
        int r = poll(&p, 1, left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0) {
            snprintf(res, sizeof res, "%s", errno_name(err));
            failed = true;
            break;
        }
        if (*eof) {
            /* POLLHUP without an error: the connection is closed */
            snprintf(res, sizeof res, "hup");
            break;
        }
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n < 0) {
            snprintf(res, sizeof res, "%s", errno_name(errno));
            failed = true;
            break;
        }
        if (n == 0) {
            *eof = true;
            snprintf(res, sizeof res, "eof");
            if (ack_eof) {
                /* tcp_fin put the socket in pingpong mode, so the FIN's ACK
                 * waits for the delayed-ACK timer; leaving that mode sends
                 * the scheduled ACK now (__tcp_sock_set_quickack) */
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
                snprintf(res, sizeof res, "eof_acked");
            }
            break;
        }
        got += n;
        snprintf(res, sizeof res, "data");
        break;
    }
    printf("%s t=%.6f received=%ld result=%s\n", tag, now_s(), got, res);
    fflush(stdout);
    return failed;
}

/* --then-send: n more bytes, no echo expected; then waits for the peer. */
static void then_send(int fd, const struct options *o, bool *eof)
{
    char buf[4096];
    memset(buf, 'y', sizeof buf);
    long sent = 0;
    const char *result = "ok";
    while (sent < o->then_bytes) {
        size_t chunk = (size_t)(o->then_bytes - sent) < sizeof buf
                           ? (size_t)(o->then_bytes - sent) : sizeof buf;
        ssize_t w = send(fd, buf, chunk, MSG_NOSIGNAL);
        if (w < 0) {
            result = errno_name(errno);
            break;
        }
        sent += w;
    }
    printf("then_send t=%.6f sent=%ld result=%s\n", now_s(), sent, result);
    fflush(stdout);
    if (strcmp(result, "ok") == 0)
        wait_peer(fd, o->read_timeout_ms, eof, false, "then_wait");
}

static void close_conn(int fd, const struct options *o)
{
    if (o->linger0) {
        struct linger l = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(fd);
    printf("close t=%.6f how=%s\n", now_s(), o->linger0 ? "abort_rst" : "fin");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct options o;
    parse(argc, argv, &o);
    struct sockaddr_storage dst;
    socklen_t dst_len;
    int fam = make_addr(o.host, o.port, &dst, &dst_len);
    if (fam < 0) {
        fprintf(stderr, "labclient: not an IP address: %s\n", o.host);
        return 2;
    }
    int status = 1;
    double c_start = -1, c_end = 0; /* the logical connect (--connect-summary) */
    int c_attempts = 0;
    bool c_done = false;
    for (int n = 1; n <= o.attempts; n++) {
        if (n > 1)
            sleep_ms(o.retry_delay_ms);
        int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            perror("labclient: socket");
            return 2;
        }
        if (o.bind_port > 0) {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            struct sockaddr_storage src;
            socklen_t src_len;
            make_addr(fam == AF_INET ? "0.0.0.0" : "::",
                      o.new_port ? o.bind_port + n - 1 : o.bind_port, &src, &src_len);
            if (bind(fd, (struct sockaddr *)&src, src_len) != 0) {
                printf("attempt=%d t_start=%.6f result=bind_%s\n", n, now_s(), errno_name(errno));
                fflush(stdout);
                close(fd);
                continue;
            }
        }
        if (o.ka_cnt > 0) {
            int one = 1;
            if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0 ||
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &o.ka_idle, sizeof o.ka_idle) != 0 ||
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &o.ka_intvl, sizeof o.ka_intvl) != 0 ||
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &o.ka_cnt, sizeof o.ka_cnt) != 0) {
                perror("labclient: keepalive");
                return 2;
            }
        }
        if (o.delay_ack) {
            /* tcp_rcv_synsent_state_process delays the ACK of the SYN+ACK
             * by TCP_DELACK_MAX when rskq_defer_accept or pingpong is set. */
            int v = 1, zero = 0;
            setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof v);
            setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero);
        }
        double t0 = now_s();
        if (c_start < 0)
            c_start = t0;
        int r = connect(fd, (struct sockaddr *)&dst, dst_len);
        if (r != 0 && errno == EINPROGRESS)
            r = wait_connect(fd, o.connect_timeout_ms);
        else if (r != 0)
            r = errno;
        double t1 = now_s();
        char local[INET6_ADDRSTRLEN + 16];
        format_local(fd, local, sizeof local);
        const char *res = r == 0 ? "connected" : r < 0 ? "timeout" : errno_name(r);
        printf("attempt=%d local=%s remote=%s%s%s:%d t_start=%.6f t_end=%.6f elapsed_ms=%.1f "
               "result=%s\n",
               n, local, fam == AF_INET6 ? "[" : "", o.host, fam == AF_INET6 ? "]" : "", o.port,
               t0, t1, (t1 - t0) * 1000, res);
        fflush(stdout);
        if (!c_done) {
            c_attempts++;
            c_end = t1;
        }
        if (r != 0) {
            close(fd); /* in SYN-SENT this sends nothing */
            continue;
        }
        if (!c_done) {
            c_done = true;
            connect_summary(&o, c_start, c_end, c_attempts, true);
        }
        sleep_ms(o.send_delay_ms);
        bool eof = false;
        if (o.send_bytes > 0)
            eof = exchange(fd, &o);
        if (o.wait_ms > 0)
            wait_peer(fd, o.wait_ms, &eof, o.ack_eof, "wait");
        if (o.then_bytes > 0) {
            sleep_ms(o.then_delay_ms);
            then_send(fd, &o, &eof);
        }
        sleep_ms(o.hold_ms);
        close_conn(fd, &o);
        status = 0;
        if (!o.reconnect)
            break;
    }
    if (!c_done && c_attempts > 0)
        connect_summary(&o, c_start, c_end, c_attempts, false);
    return status;
}
