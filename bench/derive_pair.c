/* derive_pair: the client-side capture of a genpcap workload.
 *
 *   derive_pair SERVER.pcap CLIENT.pcap [OFFSET_S DELAY_S DRIFT_PPM DROP_PER_MILLE]
 *
 * genpcap.py writes what a tap next to the server sees. This writes what a
 * tap next to the clients would have seen of the same packets, behind a
 * NAT, on a clock of its own:
 *   - a client packet left the client side DELAY_S before the server side saw
 *     it, a server packet reached it DELAY_S after;
 *   - the client side's clock reads the server side's minus OFFSET_S, and
 *     drifts by DRIFT_PPM (parts per million of the time since the start);
 *   - every IPv4 client address a.b.c.d is rewritten to 172.b.c.d (masquerading NAT;
 *     checksums adjusted), IPv6 is left alone;
 *   - a deterministic choice of DROP_PER_MILLE of the TCP packets is left
 *     out, as a capture that drops them would.
 * It prints the dropped packets per direction on stdout as key=value, for
 * the benchmark to compare with what correlation finds: the dropped client
 * packets are capture_missing of client_to_server (the client side missed
 * what it sent), the dropped server packets lost + capture_missing_downstream
 * of server_to_client.
 *
 * Benchmark tool only (bench/bench_pair.sh builds it): classic pcap, Ethernet,
 * as genpcap writes by default. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pkt {
    int64_t t_us;
    uint64_t order;
    uint32_t len, wire;
    uint8_t *data;
};

/* A binary heap by (time, input order): packets leave in time order. */
struct heap {
    struct pkt *v;
    size_t n, cap;
};

static int before(const struct pkt *a, const struct pkt *b)
{
    return a->t_us != b->t_us ? a->t_us < b->t_us : a->order < b->order;
}

static void push(struct heap *h, struct pkt p)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 4096;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        if (!h->v) {
            perror("derive_pair");
            exit(2);
        }
    }
    size_t i = h->n++;
    h->v[i] = p;
    while (i && before(&h->v[i], &h->v[(i - 1) / 2])) {
        struct pkt t = h->v[i];
        h->v[i] = h->v[(i - 1) / 2];
        h->v[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct pkt pop(struct heap *h)
{
    struct pkt top = h->v[0];
    h->v[0] = h->v[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && before(&h->v[l], &h->v[m]))
            m = l;
        if (r < h->n && before(&h->v[r], &h->v[m]))
            m = r;
        if (m == i)
            break;
        struct pkt t = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = t;
        i = m;
    }
    return top;
}

static void write_pkt(FILE *out, const struct pkt *p)
{
    uint32_t rec[4] = {(uint32_t)(p->t_us / 1000000), (uint32_t)(p->t_us % 1000000), p->len,
                       p->wire};
    if (fwrite(rec, sizeof rec, 1, out) != 1 || fwrite(p->data, p->len, 1, out) != 1) {
        perror("derive_pair: write");
        exit(2);
    }
    free(p->data);
}

/* RFC 1624: a 16-bit one's complement checksum after a 16-bit word changes. */
static void adjust(uint8_t *ck, uint16_t old, uint16_t new)
{
    uint32_t sum = (uint16_t) ~(ck[0] << 8 | ck[1]);
    sum += (uint16_t)~old;
    sum += new;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    ck[0] = (uint8_t)(sum >> 8);
    ck[1] = (uint8_t)sum;
}

/* Which packets the capture drops: a fixed pseudo-random choice by number. */
static int is_dropped(uint64_t order, int per_mille)
{
    uint64_t h = (order + 1) * 0x9e3779b97f4a7c15ULL;
    return (int)((h >> 40) % 1000) < per_mille;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 7) {
        fprintf(stderr, "usage: derive_pair SERVER.pcap CLIENT.pcap "
                        "[OFFSET_S DELAY_S DRIFT_PPM DROP_PER_MILLE]\n");
        return 2;
    }
    double offset_s = argc == 7 ? atof(argv[3]) : 2.5;
    double delay_s = argc == 7 ? atof(argv[4]) : 0.005;
    double drift_ppm = argc == 7 ? atof(argv[5]) : 100;
    int drop = argc == 7 ? atoi(argv[6]) : 5;
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) {
        perror("derive_pair");
        return 2;
    }
    static char inbuf[1 << 20], outbuf[1 << 20];
    setvbuf(in, inbuf, _IOFBF, sizeof inbuf);
    setvbuf(out, outbuf, _IOFBF, sizeof outbuf);
    uint32_t gh[6];
    if (fread(gh, sizeof gh, 1, in) != 1 || gh[0] != 0xa1b2c3d4 || gh[5] != 1) {
        fprintf(stderr, "derive_pair: %s: not a little-endian microsecond Ethernet pcap\n",
                argv[1]);
        return 2;
    }
    fwrite(gh, sizeof gh, 1, out);
    int64_t delay_us = (int64_t)(delay_s * 1e6), t0 = -1;
    struct heap h = {0};
    uint64_t order = 0, drop_c2s = 0, drop_s2c = 0, n_tcp = 0;
    uint32_t rec[4];
    while (fread(rec, sizeof rec, 1, in) == 1) {
        struct pkt p = {(int64_t)rec[0] * 1000000 + rec[1], order++, rec[2], rec[3],
                        malloc(rec[2])};
        if (!p.data || fread(p.data, p.len, 1, in) != 1) {
            fprintf(stderr, "derive_pair: truncated input\n");
            return 2;
        }
        if (t0 < 0)
            t0 = p.t_us;
        uint8_t *d = p.data;
        int is_v4 = p.len >= 34 && d[12] == 0x08 && d[13] == 0x00;
        int is_v6 = p.len >= 54 && d[12] == 0x86 && d[13] == 0xdd;
        int ihl = is_v4 ? (d[14] & 0x0f) * 4 : 40;
        int is_tcp = (is_v4 && d[23] == 6) || (is_v6 && d[20] == 6);
        int c2s = 1;
        if (is_tcp && p.len >= (uint32_t)(14 + ihl + 20)) {
            uint16_t sport = (uint16_t)(d[14 + ihl] << 8 | d[15 + ihl]);
            c2s = !(sport == 443 || sport == 80);
            n_tcp++;
            if (is_dropped(order, drop)) {
                if (c2s)
                    drop_c2s++;
                else
                    drop_s2c++;
                free(p.data);
                continue;
            }
            if (is_v4) {
                /* the client's address: source of a client packet, else destination */
                uint8_t *a = d + 14 + (c2s ? 12 : 16);
                uint16_t old = (uint16_t)(a[0] << 8 | a[1]), new = (uint16_t)(172 << 8 | a[1]);
                a[0] = 172;
                adjust(d + 24, old, new);
                if (p.len >= (uint32_t)(14 + ihl + 18))
                    adjust(d + 14 + ihl + 16, old, new);
            }
        }
        /* on the client side's clock; a client packet was there earlier */
        double since_s = (double)(p.t_us - t0) / 1e6;
        p.t_us += (int64_t)(-offset_s * 1e6 + drift_ppm * since_s) + (c2s ? -delay_us : delay_us);
        push(&h, p);
        /* what is older than any packet still to come can go */
        while (h.n && h.v[0].t_us < p.t_us - 2 * delay_us - 1000) {
            struct pkt q = pop(&h);
            write_pkt(out, &q);
        }
    }
    while (h.n) {
        struct pkt q = pop(&h);
        write_pkt(out, &q);
    }
    if (fclose(out) != 0) {
        perror("derive_pair: write");
        return 2;
    }
    fclose(in);
    free(h.v);
    printf("tcp_packets=%llu dropped_c2s=%llu dropped_s2c=%llu\n", (unsigned long long)n_tcp,
           (unsigned long long)drop_c2s, (unsigned long long)drop_s2c);
    return 0;
}
