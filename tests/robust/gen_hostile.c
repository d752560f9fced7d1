/* Generates hostile captures for tests/robust/hostile.sh, on the fly, so
 * that no large or odd binary file is kept in the repository.
 *
 *   gen_hostile CASE > file        writes one capture (see cases[] below)
 *   gen_hostile syn-flood N MAX_RSS_MB -- TCPWHY ARGS...
 *       runs TCPWHY ARGS with N SYNs to random 4-tuples written to its
 *       standard input, its output to /dev/null, and fails unless it exits
 *       0 or 1 with a peak RSS under MAX_RSS_MB (from wait4()).
 *
 * Everything is little-endian pcap (or pcapng) with Ethernet, IPv4 and TCP
 * built byte by byte. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct buf {
    uint8_t b[65536];
    size_t n;
};

static void u8(struct buf *p, uint8_t v)
{
    if (p->n < sizeof p->b)
        p->b[p->n++] = v;
}
static void be16(struct buf *p, uint16_t v)
{
    u8(p, (uint8_t)(v >> 8));
    u8(p, (uint8_t)v);
}
static void be32(struct buf *p, uint32_t v)
{
    be16(p, (uint16_t)(v >> 16));
    be16(p, (uint16_t)v);
}
static void le16(struct buf *p, uint16_t v)
{
    u8(p, (uint8_t)v);
    u8(p, (uint8_t)(v >> 8));
}
static void le32(struct buf *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p, (uint16_t)(v >> 16));
}
static void put_be16(struct buf *p, size_t at, uint16_t v)
{
    p->b[at] = (uint8_t)(v >> 8);
    p->b[at + 1] = (uint8_t)v;
}

static void pcap_header(FILE *out, uint32_t snaplen, uint32_t linktype)
{
    struct buf h = {.n = 0};
    le32(&h, 0xa1b2c3d4);
    le16(&h, 2);
    le16(&h, 4);
    le32(&h, 0);
    le32(&h, 0);
    le32(&h, snaplen);
    le32(&h, linktype);
    fwrite(h.b, 1, h.n, out);
}

static void pcap_record(FILE *out, uint32_t sec, uint32_t usec, const struct buf *frame,
                        uint32_t caplen, uint32_t len)
{
    struct buf h = {.n = 0};
    le32(&h, sec);
    le32(&h, usec);
    le32(&h, caplen);
    le32(&h, len);
    fwrite(h.b, 1, h.n, out);
    fwrite(frame->b, 1, caplen < frame->n ? caplen : frame->n, out);
}

static void ether(struct buf *p, uint16_t type)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
    for (int i = 0; i < 12; i++)
        u8(p, macs[i]);
    be16(p, type);
}

static size_t ipv4(struct buf *p, uint8_t proto, uint32_t src, uint32_t dst)
{
    size_t at = p->n;
    be16(p, 0x4500);
    be16(p, 0); /* total length, patched */
    be16(p, 1);
    be16(p, 0x4000);
    u8(p, 64);
    u8(p, proto);
    be16(p, 0);
    be32(p, src);
    be32(p, dst);
    return at;
}
static void ipv4_end(struct buf *p, size_t at) { put_be16(p, at + 2, (uint16_t)(p->n - at)); }

static void tcp(struct buf *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, const uint8_t *opts, size_t opts_len)
{
    be16(p, sport);
    be16(p, dport);
    be32(p, seq);
    be32(p, ack);
    u8(p, (uint8_t)(((20 + opts_len + 3) / 4) << 4));
    u8(p, flags);
    be16(p, 65535);
    be32(p, 0);
    for (size_t i = 0; i < opts_len; i++)
        u8(p, opts[i]);
    while ((p->n & 3) != 2) /* pad the options to 32 bits (the frame starts 2 off) */
        u8(p, 0);
}

enum { SYN = 0x02, ACK = 0x10, RST = 0x04 };
#define C_IP 0xc6120102u /* 198.18.1.2 */
#define S_IP 0xc6120202u /* 198.18.2.2 */

static void v4_segment(struct buf *p, uint8_t flags, uint32_t seq, uint32_t ack, bool from_server)
{
    ether(p, 0x0800);
    size_t ip = ipv4(p, 6, from_server ? S_IP : C_IP, from_server ? C_IP : S_IP);
    tcp(p, from_server ? 8080 : 40000, from_server ? 40000 : 8080, seq, ack, flags, NULL, 0);
    ipv4_end(p, ip);
}

/* ---- the cases ---------------------------------------------------------- */

/* A handshake whose capture times go backwards, jump by years, and repeat. */
static void ts_backwards(FILE *out)
{
    pcap_header(out, 262144, 1);
    static const uint32_t secs[] = {1700000100, 1700000000, 1700000000, 4000000000u, 1, 1700000050};
    for (int i = 0; i < 6; i++) {
        struct buf f = {.n = 0};
        if (i % 3 == 0)
            v4_segment(&f, SYN, 1000, 0, false);
        else if (i % 3 == 1)
            v4_segment(&f, SYN | ACK, 5000, 1001, true);
        else
            v4_segment(&f, ACK, 1001, 5001, false);
        pcap_record(out, secs[i], 999999, &f, (uint32_t)f.n, (uint32_t)f.n);
    }
}

static void snaplen_case(FILE *out, uint32_t snaplen)
{
    pcap_header(out, snaplen, 1);
    for (int i = 0; i < 3; i++) {
        struct buf f = {.n = 0};
        v4_segment(&f, i == 1 ? (SYN | ACK) : SYN, 1000 + (uint32_t)i, i == 1 ? 1001 : 0, i == 1);
        pcap_record(out, 1700000000, (uint32_t)i, &f, (uint32_t)f.n, (uint32_t)f.n);
    }
}

/* Records claiming more captured bytes than were on the wire. */
static void caplen_gt_len(FILE *out)
{
    pcap_header(out, 262144, 1);
    for (int i = 0; i < 3; i++) {
        struct buf f = {.n = 0};
        v4_segment(&f, SYN, 1000, 0, false);
        pcap_record(out, 1700000000, (uint32_t)i, &f, (uint32_t)f.n,
                    (uint32_t)f.n / (uint32_t)(i + 2));
    }
}

static void pcapng_block(FILE *out, uint32_t type, const struct buf *body, uint32_t claimed_len)
{
    struct buf h = {.n = 0};
    uint32_t len = claimed_len ? claimed_len : (uint32_t)(12 + body->n);
    le32(&h, type);
    le32(&h, len);
    fwrite(h.b, 1, h.n, out);
    fwrite(body->b, 1, body->n, out);
    h.n = 0;
    le32(&h, len);
    fwrite(h.b, 1, h.n, out);
}

/* A section header, an interface, one good packet, then a block whose length
 * claims (almost) 4 GiB; variant 1 puts the enormous length on the section
 * header itself, variant 2 on the interface block. */
static void pcapng_huge(FILE *out, int variant)
{
    struct buf b = {.n = 0};
    le32(&b, 0x1a2b3c4d);
    le16(&b, 1);
    le16(&b, 0);
    le32(&b, 0xffffffff);
    le32(&b, 0xffffffff);
    pcapng_block(out, 0x0a0d0d0a, &b, variant == 1 ? 0xfffffff0u : 0);
    b.n = 0;
    le16(&b, 1);
    le16(&b, 0);
    le32(&b, 262144);
    pcapng_block(out, 1, &b, variant == 2 ? 0x7ffffffcu : 0);
    struct buf f = {.n = 0};
    v4_segment(&f, SYN, 1000, 0, false);
    b.n = 0;
    le32(&b, 0);
    le32(&b, 0);
    le32(&b, 0);
    le32(&b, (uint32_t)f.n);
    le32(&b, (uint32_t)f.n);
    memcpy(b.b + b.n, f.b, f.n);
    b.n += f.n;
    while (b.n & 3)
        u8(&b, 0);
    pcapng_block(out, 6, &b, 0);
    b.n = 0;
    for (int i = 0; i < 64; i++)
        u8(&b, 0xab);
    pcapng_block(out, 6, &b, 0xfffffffcu);
}

static void unknown_link(FILE *out)
{
    pcap_header(out, 262144, 147); /* LINKTYPE_USER0 */
    struct buf f = {.n = 0};
    v4_segment(&f, SYN, 1000, 0, false);
    pcap_record(out, 1700000000, 0, &f, (uint32_t)f.n, (uint32_t)f.n);
    pcap_record(out, 1700000000, 1, &f, (uint32_t)f.n, (uint32_t)f.n);
}

/* An IPv6 SYN behind 200 Destination Options headers, and one behind a chain
 * of 8 (the limit, decoded). */
static void ipv6_ext_chain(FILE *out)
{
    pcap_header(out, 262144, 1);
    for (int variant = 0; variant < 2; variant++) {
        int n_ext = variant == 0 ? 200 : 7;
        struct buf f = {.n = 0};
        ether(&f, 0x86dd);
        size_t ip = f.n;
        be32(&f, 0x60000000);
        be16(&f, 0);
        u8(&f, 60);
        u8(&f, 64);
        for (int i = 0; i < 32; i++)
            u8(&f, (uint8_t)(i == 15 || i == 31 ? (i == 15 ? 2 : 3) : (i % 16 == 0 ? 0x20 : 0)));
        for (int i = 0; i < n_ext; i++) {
            u8(&f, i + 1 < n_ext ? 60 : 6);
            u8(&f, 0);
            be16(&f, 0x0104); /* PadN of 4 */
            be32(&f, 0);
        }
        tcp(&f, 40000, 8080, 1000, 0, SYN, NULL, 0);
        put_be16(&f, ip + 4, (uint16_t)(f.n - ip - 40));
        pcap_record(out, 1700000000, (uint32_t)variant, &f, (uint32_t)f.n, (uint32_t)f.n);
    }
}

/* SYNs whose options hold a length of 0 or 1 (which would loop forever if
 * taken at face value), at the start, after good options, and at the end. */
static void tcp_opt_len(FILE *out)
{
    pcap_header(out, 262144, 1);
    static const uint8_t opts[][12] = {
        {2, 0, 5, 0xb4},
        {3, 1, 7, 1},
        {2, 4, 5, 0xb4, 1, 1, 8, 0},
        {1, 1, 1, 1, 1, 1, 1, 2},
        {2, 4, 5, 0xb4, 4, 1, 0, 0},
    };
    static const size_t lens[] = {4, 4, 8, 8, 8};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct buf f = {.n = 0};
        ether(&f, 0x0800);
        size_t ip = ipv4(&f, 6, C_IP, S_IP);
        tcp(&f, (uint16_t)(40000 + i), 8080, 1000, 0, SYN, opts[i], lens[i]);
        ipv4_end(&f, ip);
        pcap_record(out, 1700000000, (uint32_t)i, &f, (uint32_t)f.n, (uint32_t)f.n);
    }
}

/* A SYN, then ICMP errors quoting ICMP errors quoting it, nested 2 to 30
 * deep, in IPv4. An error about an ICMP error is never sent (RFC 1122
 * section 3.2.2), and one that does not quote the TCP header itself must not
 * be matched to the SYN; all must be read without harm. */
static void icmp_nested(FILE *out)
{
    pcap_header(out, 262144, 1);
    struct buf syn = {.n = 0};
    v4_segment(&syn, SYN, 1000, 0, false);
    pcap_record(out, 1700000000, 0, &syn, (uint32_t)syn.n, (uint32_t)syn.n);
    for (int depth = 2; depth <= 30; depth++) {
        struct buf inner = {.n = 0};
        memcpy(inner.b, syn.b + 14, syn.n - 14); /* the SYN's IP packet */
        inner.n = syn.n - 14;
        for (int d = 0; d < depth; d++) {
            struct buf outer = {.n = 0};
            size_t ip = ipv4(&outer, 1, 0xcb007109u, d % 2 ? S_IP : C_IP);
            u8(&outer, 3); /* destination unreachable */
            u8(&outer, 13);
            be16(&outer, 0);
            be32(&outer, 0);
            size_t room = sizeof outer.b - outer.n;
            size_t take = inner.n < 1400 ? inner.n : 1400; /* cut like a router quotes */
            memcpy(outer.b + outer.n, inner.b, take < room ? take : room);
            outer.n += take;
            ipv4_end(&outer, ip);
            inner = outer;
        }
        struct buf f = {.n = 0};
        ether(&f, 0x0800);
        memcpy(f.b + f.n, inner.b, inner.n);
        f.n += inner.n;
        pcap_record(out, 1700000000, (uint32_t)depth, &f, (uint32_t)f.n, (uint32_t)f.n);
    }
}

/* ---- the SYN flood ------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int syn_flood(unsigned long long n, double max_rss_mb, char **cmd)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 2;
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execvp(cmd[0], cmd);
        _exit(127);
    }
    close(fds[0]);
    FILE *out = fdopen(fds[1], "w");
    if (!out)
        return 2;
    pcap_header(out, 262144, 1);
    struct buf f = {.n = 0};
    v4_segment(&f, SYN, 0, 0, false);
    for (unsigned long long i = 0; i < n; i++) {
        uint64_t r = rng();
        /* random client address and port, server address; same server port */
        f.b[14 + 12] = (uint8_t)(10 + (r & 7));
        memcpy(f.b + 14 + 13, &r, 3);
        memcpy(f.b + 14 + 16, (uint8_t *)&r + 3, 4);
        memcpy(f.b + 34, (uint8_t *)&r + 7, 1);
        f.b[35] = (uint8_t)i;
        memcpy(f.b + 38, &i, 4); /* ISN */
        if (i % 1000 == 0)
            f.b[34] ^= 0x80;
        pcap_record(out, 1700000000 + (uint32_t)(i / 1000000), (uint32_t)(i % 1000000), &f,
                    (uint32_t)f.n, (uint32_t)f.n);
    }
    fclose(out);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return 2;
    double rss_mb = (double)ru.ru_maxrss / 1024.0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("syn-flood: %llu SYNs, exit %d, peak RSS %.1f MB (limit %.1f MB)\n", n, code, rss_mb,
           max_rss_mb);
    if (code > 1)
        return 1;
    return rss_mb <= max_rss_mb ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "syn-flood") == 0 && strcmp(argv[4], "--") == 0 && argc > 5)
        return syn_flood(strtoull(argv[2], NULL, 10), strtod(argv[3], NULL), argv + 5);
    if (argc != 2) {
        fprintf(stderr,
                "usage: gen_hostile CASE > file | gen_hostile syn-flood N MAX_RSS_MB -- CMD...\n");
        return 2;
    }
    const char *c = argv[1];
    FILE *out = stdout;
    if (strcmp(c, "ts-backwards") == 0)
        ts_backwards(out);
    else if (strcmp(c, "snaplen-0") == 0)
        snaplen_case(out, 0);
    else if (strcmp(c, "snaplen-huge") == 0)
        snaplen_case(out, 0xffffffffu);
    else if (strcmp(c, "caplen-gt-len") == 0)
        caplen_gt_len(out);
    else if (strcmp(c, "pcapng-huge-block") == 0)
        pcapng_huge(out, 0);
    else if (strcmp(c, "pcapng-huge-shb") == 0)
        pcapng_huge(out, 1);
    else if (strcmp(c, "pcapng-huge-idb") == 0)
        pcapng_huge(out, 2);
    else if (strcmp(c, "unknown-link") == 0)
        unknown_link(out);
    else if (strcmp(c, "ipv6-ext-chain") == 0)
        ipv6_ext_chain(out);
    else if (strcmp(c, "tcp-opt-len") == 0)
        tcp_opt_len(out);
    else if (strcmp(c, "icmp-nested") == 0)
        icmp_nested(out);
    else {
        fprintf(stderr, "gen_hostile: no case '%s'\n", c);
        return 2;
    }
    return fflush(out) == 0 ? 0 : 2;
}
