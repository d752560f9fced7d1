/* Unit tests for src/capture/pcapng.c and its use by capture.c: pcapng files
 * built byte by byte, written to temporary files and read back through
 * tw_capture_open_file()/tw_capture_next() (which pick our reader for files
 * with mixed interfaces) or through tw_pcapng_next() directly. Damaged files
 * must fail with the offset of the bad block; a small file is cut at every
 * byte and read under AddressSanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cursor.h"
#include "capture/capture.h"
#include "capture/pcapng.h"

#define LT_ETHERNET 1
#define LT_RAW 101
#define LT_SLL2 276

/* ---- pcapng builder ------------------------------------------------------ */

struct ng {
    uint8_t b[1 << 16];
    size_t n;
    bool is_be;
};

static void w8(struct ng *g, uint8_t v)
{
    assert_true(g->n < sizeof g->b);
    g->b[g->n++] = v;
}

static void w16(struct ng *g, uint16_t v)
{
    if (g->is_be) {
        w8(g, (uint8_t)(v >> 8));
        w8(g, (uint8_t)v);
    } else {
        w8(g, (uint8_t)v);
        w8(g, (uint8_t)(v >> 8));
    }
}

static void w32(struct ng *g, uint32_t v)
{
    if (g->is_be) {
        w16(g, (uint16_t)(v >> 16));
        w16(g, (uint16_t)v);
    } else {
        w16(g, (uint16_t)v);
        w16(g, (uint16_t)(v >> 16));
    }
}

static void w64(struct ng *g, uint64_t v)
{
    if (g->is_be) {
        w32(g, (uint32_t)(v >> 32));
        w32(g, (uint32_t)v);
    } else {
        w32(g, (uint32_t)v);
        w32(g, (uint32_t)(v >> 32));
    }
}

static void wbytes(struct ng *g, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w8(g, p[i]);
}

static void wpad(struct ng *g)
{
    while (g->n % 4)
        w8(g, 0);
}

static void patch32(struct ng *g, size_t at, uint32_t v)
{
    size_t save = g->n;
    g->n = at;
    w32(g, v);
    g->n = save;
}

/* Starts a block; end_block() pads it and writes both lengths. Returns the
 * block's offset. */
static size_t begin_block(struct ng *g, uint32_t type)
{
    size_t at = g->n;
    w32(g, type);
    w32(g, 0);
    return at;
}

static void end_block(struct ng *g, size_t at)
{
    wpad(g);
    uint32_t len = (uint32_t)(g->n - at + 4);
    patch32(g, at + 4, len);
    w32(g, len);
}

static size_t shb(struct ng *g, bool is_be)
{
    g->is_be = is_be;
    size_t at = begin_block(g, 0x0A0D0D0A);
    w32(g, 0x1A2B3C4D);
    w16(g, 1);
    w16(g, 0);
    w64(g, UINT64_MAX); /* section length unknown */
    end_block(g, at);
    return at;
}

/* tsresol < 0: no option (microseconds). */
static size_t idb(struct ng *g, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t at = begin_block(g, 1);
    w16(g, linktype);
    w16(g, 0);
    w32(g, snaplen);
    w16(g, 2); /* if_name, to have an option we skip */
    w16(g, 3);
    wbytes(g, (const uint8_t *)"en0", 3);
    wpad(g);
    if (tsresol >= 0) {
        w16(g, 9);
        w16(g, 1);
        w8(g, (uint8_t)tsresol);
        wpad(g);
    }
    if (tsoffset != 0) {
        w16(g, 14);
        w16(g, 8);
        w64(g, (uint64_t)tsoffset);
    }
    w16(g, 0); /* opt_endofopt */
    w16(g, 0);
    end_block(g, at);
    return at;
}

static size_t epb(struct ng *g, uint32_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
                  uint32_t wirelen)
{
    size_t at = begin_block(g, 6);
    w32(g, iface);
    w32(g, (uint32_t)(ts >> 32));
    w32(g, (uint32_t)ts);
    w32(g, caplen);
    w32(g, wirelen);
    wbytes(g, data, caplen);
    wpad(g);
    w16(g, 1); /* opt_comment, skipped */
    w16(g, 2);
    w8(g, 'h');
    w8(g, 'i');
    wpad(g);
    w16(g, 0);
    w16(g, 0);
    end_block(g, at);
    return at;
}

static size_t pb(struct ng *g, uint16_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
                 uint32_t wirelen)
{
    size_t at = begin_block(g, 2);
    w16(g, iface);
    w16(g, 0); /* drops */
    w32(g, (uint32_t)(ts >> 32));
    w32(g, (uint32_t)ts);
    w32(g, caplen);
    w32(g, wirelen);
    wbytes(g, data, caplen);
    end_block(g, at);
    return at;
}

static size_t spb(struct ng *g, uint32_t wirelen, const uint8_t *data, uint32_t n)
{
    size_t at = begin_block(g, 3);
    w32(g, wirelen);
    wbytes(g, data, n);
    end_block(g, at);
    return at;
}

/* Any block we should skip (NRB 4, ISB 5, DSB 10, custom 0xBAD...). */
static size_t other(struct ng *g, uint32_t type, size_t body)
{
    size_t at = begin_block(g, type);
    for (size_t i = 0; i < body; i++)
        w8(g, (uint8_t)(0xA0 + i));
    end_block(g, at);
    return at;
}

/* ---- frames -------------------------------------------------------------- */

/* An IPv4 TCP SYN 10.0.0.1:40000 -> 10.0.0.2:dport, behind the link header
 * of linktype. Returns its length. */
static uint32_t frame(uint16_t linktype, uint16_t dport, uint8_t *p)
{
    size_t n = 0;
    if (linktype == LT_ETHERNET) {
        static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
        memcpy(p, eth, sizeof eth);
        n = sizeof eth;
    } else if (linktype == LT_SLL2) {
        static const uint8_t sll2[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1,
                                         4,    6,    2, 0, 0, 0, 0, 1, 0, 0};
        memcpy(p, sll2, sizeof sll2);
        n = sizeof sll2;
    }
    static const uint8_t ip[20] = {0x45, 0, 0,  40, 0, 1, 0x40, 0, 64, 6,
                                   0,    0, 10, 0,  0, 1, 10,   0, 0,  2};
    memcpy(p + n, ip, sizeof ip);
    n += sizeof ip;
    uint8_t tcp[20] = {0x9c,
                       0x40,
                       (uint8_t)(dport >> 8),
                       (uint8_t)dport,
                       0,
                       0,
                       0,
                       1,
                       0,
                       0,
                       0,
                       0,
                       0x50,
                       0x02,
                       0xff,
                       0xff,
                       0,
                       0,
                       0,
                       0};
    memcpy(p + n, tcp, sizeof tcp);
    return (uint32_t)(n + sizeof tcp);
}

/* ---- files and reading ----------------------------------------------------- */

static void write_file(const struct ng *g, size_t n, char *path)
{
    strcpy(path, "/tmp/tw_pcapng_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, g->b, n), (ssize_t)n);
    close(fd);
}

struct rec {
    uint64_t number, offset;
    int64_t ts_ns;
    uint32_t caplen, wirelen;
    int linktype;
    uint8_t first;
    uint32_t sum; /* of the captured bytes */
};

static uint32_t sum_of(const uint8_t *p, uint32_t n)
{
    uint32_t s = 0;
    for (uint32_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

struct run {
    struct rec r[64];
    size_t n;
    int file_linktype;
    bool opened;
    struct tw_error err;
};

/* Everything tw_capture gives for the first n bytes of g. */
static void read_capture(const struct ng *g, size_t n, const char *filter, struct run *out)
{
    char path[64];
    write_file(g, n, path);
    memset(out, 0, sizeof *out);
    tw_capture *cap = tw_capture_open_file(path, filter, &out->err);
    if (cap) {
        out->opened = true;
        out->file_linktype = tw_capture_linktype(cap);
        const struct tw_frame *fr;
        while ((fr = tw_capture_next(cap, &out->err)) != NULL) {
            assert_true(out->n < 64);
            struct rec *r = &out->r[out->n++];
            r->number = fr->number;
            r->offset = fr->offset;
            r->ts_ns = fr->ts_ns;
            r->caplen = fr->caplen;
            r->wirelen = fr->wirelen;
            r->linktype = fr->linktype;
            r->first = fr->caplen ? fr->bytes[0] : 0;
            r->sum = sum_of(fr->bytes, fr->caplen);
        }
        assert_int_equal(tw_capture_frames(cap), out->n);
        tw_capture_free(cap);
    }
    unlink(path);
}

/* Everything our reader gives for the first n bytes of g, whatever libpcap
 * would think of them. */
static void read_own(const struct ng *g, size_t n, struct run *out)
{
    char path[64];
    write_file(g, n, path);
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    tw_pcapng *r = tw_pcapng_open(f, path, &out->err);
    assert_non_null(r);
    out->opened = true;
    struct tw_pcapng_packet pkt;
    int rc;
    while ((rc = tw_pcapng_next(r, &pkt, out->n + 1, &out->err)) == 1) {
        assert_true(out->n < 64);
        struct rec *x = &out->r[out->n++];
        x->number = out->n;
        x->offset = pkt.offset;
        x->ts_ns = pkt.ts_ns;
        x->caplen = pkt.caplen;
        x->wirelen = pkt.wirelen;
        x->linktype = pkt.linktype;
        x->first = pkt.caplen ? pkt.bytes[0] : 0;
        x->sum = sum_of(pkt.bytes, pkt.caplen);
    }
    /* The end and errors are sticky. */
    assert_int_equal(tw_pcapng_next(r, &pkt, 0, &out->err), rc);
    assert_int_equal(rc == 0, out->err.status == TW_OK);
    tw_pcapng_free(r);
    unlink(path);
}

static void assert_error(const struct run *x, enum tw_status st, uint64_t offset, const char *text)
{
    assert_int_equal(x->err.status, st);
    if (x->err.offset != offset)
        fail_msg("error at %llu, expected %llu: %s", (unsigned long long)x->err.offset,
                 (unsigned long long)offset, x->err.msg);
    if (!strstr(x->err.msg, text))
        fail_msg("message \"%s\" lacks \"%s\"", x->err.msg, text);
}

/* A file with three link types: EN10MB (µs), SLL2 (ns) and RAW (2^-20 s
 * with an offset of -3600 s). Fills the packet blocks' offsets. */
static void build_mixed(struct ng *g, bool is_be, size_t at[4])
{
    uint8_t p[128];
    memset(g, 0, sizeof *g);
    shb(g, is_be);
    idb(g, LT_ETHERNET, 262144, -1, 0);
    idb(g, LT_SLL2, 65535, 9, 0);
    idb(g, LT_RAW, 0, 0x80 | 20, -3600);
    at[0] = epb(g, 0, UINT64_C(1700000000123456), p, frame(LT_ETHERNET, 80, p), 60);
    at[1] = epb(g, 1, UINT64_C(1700000000123456789), p, frame(LT_SLL2, 443, p), 60);
    at[2] =
        epb(g, 2, (UINT64_C(1700003600) << 20) | (UINT64_C(1) << 19), p, frame(LT_RAW, 80, p), 40);
    at[3] = epb(g, 1, UINT64_C(1700000001000000001), p, frame(LT_SLL2, 80, p), 60);
}

/* ---- tests ----------------------------------------------------------------- */

static void check_mixed(bool is_be)
{
    static struct ng g;
    size_t at[4];
    build_mixed(&g, is_be, at);
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.err.status, TW_OK);
    assert_int_equal(x.file_linktype, DLT_EN10MB);
    assert_int_equal(x.n, 4);
    static const int64_t ts[4] = {INT64_C(1700000000123456000), INT64_C(1700000000123456789),
                                  INT64_C(1700000000500000000), INT64_C(1700000001000000001)};
    static const int lt[4] = {DLT_EN10MB, DLT_LINUX_SLL2, DLT_RAW, DLT_LINUX_SLL2};
    static const uint32_t len[4] = {54, 60, 40, 60};
    static const uint16_t lts[4] = {LT_ETHERNET, LT_SLL2, LT_RAW, LT_SLL2};
    static const uint16_t ports[4] = {80, 443, 80, 80};
    for (size_t i = 0; i < 4; i++) {
        uint8_t p[128];
        uint32_t n = frame(lts[i], ports[i], p);
        assert_int_equal(x.r[i].sum, sum_of(p, n));
        assert_int_equal(x.r[i].number, i + 1);
        assert_int_equal(x.r[i].offset, at[i]);
        assert_int_equal(x.r[i].ts_ns, ts[i]);
        assert_int_equal(x.r[i].linktype, lt[i]);
        assert_int_equal(x.r[i].caplen, len[i]);
    }
    assert_int_equal(x.r[0].wirelen, 60);
    assert_int_equal(x.r[0].first, 2);    /* Ethernet destination */
    assert_int_equal(x.r[1].first, 0x08); /* SLL2 protocol type */
    assert_int_equal(x.r[2].first, 0x45); /* IPv4 */
}

static void test_mixed_links(void **state)
{
    (void)state;
    check_mixed(false);
}

static void test_mixed_links_big_endian(void **state)
{
    (void)state;
    check_mixed(true);
}

/* The same file read by libpcap (one interface) and by our reader gives the
 * same frames, offsets and timestamps. */
static void test_same_as_libpcap(void **state)
{
    (void)state;
    static struct ng g;
    uint8_t p[128];
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 262144, 9, 0);
    for (int i = 0; i < 5; i++)
        epb(&g, 0, UINT64_C(1700000000000000000) + (uint64_t)i * 999999937, p,
            frame(LT_ETHERNET, (uint16_t)(80 + i), p), 60);
    struct run lib, own;
    read_capture(&g, g.n, NULL, &lib);
    read_own(&g, g.n, &own);
    assert_int_equal(lib.err.status, TW_OK);
    assert_int_equal(lib.n, 5);
    assert_int_equal(own.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(lib.r[i].offset, own.r[i].offset);
        assert_int_equal(lib.r[i].ts_ns, own.r[i].ts_ns);
        assert_int_equal(lib.r[i].caplen, own.r[i].caplen);
        assert_int_equal(lib.r[i].wirelen, own.r[i].wirelen);
        assert_int_equal(lib.r[i].linktype, own.r[i].linktype);
        assert_int_equal(lib.r[i].sum, own.r[i].sum);
    }
}

static void test_tsresol(void **state)
{
    (void)state;
    static struct ng g;
    uint8_t p[128];
    uint32_t n = frame(LT_ETHERNET, 80, p);
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 0, 6, 0);
    idb(&g, LT_ETHERNET, 0, 9, 0);
    idb(&g, LT_ETHERNET, 0, 0x80 | 20, 0);
    idb(&g, LT_SLL2, 0, 3, 86400);
    epb(&g, 0, UINT64_C(1700000000654321), p, n, n);
    epb(&g, 1, UINT64_C(1700000000987654321), p, n, n);
    epb(&g, 2, (UINT64_C(1700000000) << 20) | 1, p, n, n); /* 2^-20 s = 953.67 ns */
    epb(&g, 2, (UINT64_C(1700000000) << 20) | 0xfffff, p, n, n);
    epb(&g, 3, UINT64_C(1700000000001), p, n, n);
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.err.status, TW_OK);
    assert_int_equal(x.n, 5);
    assert_int_equal(x.r[0].ts_ns, INT64_C(1700000000654321000));
    assert_int_equal(x.r[1].ts_ns, INT64_C(1700000000987654321));
    assert_int_equal(x.r[2].ts_ns, INT64_C(1700000000000000953));
    assert_int_equal(x.r[3].ts_ns, INT64_C(1700000000999999046));
    assert_int_equal(x.r[4].ts_ns, INT64_C(1700086400001000000));
}

static void test_ts_to_ns(void **state)
{
    (void)state;
    int64_t ns = 0;
    assert_true(tw_pcapng_ts_to_ns(5, false, 0, 0, &ns));
    assert_int_equal(ns, INT64_C(5000000000));
    assert_true(tw_pcapng_ts_to_ns(UINT64_C(1234567890123456789), false, 12, 0, &ns));
    assert_int_equal(ns, INT64_C(1234567890123456));
    assert_true(tw_pcapng_ts_to_ns(UINT64_MAX, false, 19, 0, &ns));
    assert_int_equal(ns, INT64_C(1844674407));
    assert_true(tw_pcapng_ts_to_ns(UINT64_MAX, true, 63, 0, &ns));
    assert_int_equal(ns, INT64_C(1999999999));
    assert_true(tw_pcapng_ts_to_ns(0, false, 6, -1, &ns));
    assert_int_equal(ns, INT64_C(-1000000000));
    /* The last representable second, and the first one past it. */
    assert_true(tw_pcapng_ts_to_ns(UINT64_C(9223372035999999), false, 6, 0, &ns));
    assert_int_equal(ns, INT64_C(9223372035999999000));
    assert_false(tw_pcapng_ts_to_ns(UINT64_C(9223372036000000), false, 6, 0, &ns));
    assert_false(tw_pcapng_ts_to_ns(UINT64_MAX, false, 9, 0, &ns));
    assert_false(tw_pcapng_ts_to_ns(UINT64_MAX, false, 0, 0, &ns));
    assert_false(tw_pcapng_ts_to_ns(1, false, 6, INT64_MAX, &ns));
    assert_false(tw_pcapng_ts_to_ns(0, false, 6, INT64_MIN, &ns));
    assert_false(tw_pcapng_ts_to_ns(0, false, 20, 0, &ns));
    assert_false(tw_pcapng_ts_to_ns(0, true, 64, 0, &ns));
    /* Binary fractions against 128-bit arithmetic. */
    uint64_t t = UINT64_C(0x9e3779b97f4a7c15);
    for (unsigned e = 31; e <= 63; e++) {
        t = t * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        uint64_t v = t >> 2; /* keep the seconds in range for small e */
        if (!tw_pcapng_ts_to_ns(v, true, e, 0, &ns))
            continue;
        __extension__ unsigned __int128 frac = v & ((UINT64_C(1) << e) - 1);
        uint64_t want_frac = (uint64_t)((frac * 1000000000u) >> e);
        assert_int_equal(ns, (int64_t)((v >> e) * 1000000000u + want_frac));
    }
}

/* Simple Packet Blocks: interface 0, cut to its snap length, the previous
 * frame's timestamp (0 before any). The obsolete Packet Block reads like an
 * EPB. Other blocks are skipped. */
static void test_spb_pb_and_skipped_blocks(void **state)
{
    (void)state;
    static struct ng g;
    uint8_t p[128];
    uint32_t n = frame(LT_ETHERNET, 80, p);
    memset(&g, 0, sizeof g);
    shb(&g, false);
    other(&g, 4, 16); /* NRB */
    idb(&g, LT_ETHERNET, 40, -1, 0);
    idb(&g, LT_SLL2, 0, 9, 0);
    size_t a0 = spb(&g, n, p, 40);
    other(&g, 0x0000000A, 20); /* DSB */
    size_t a1 = epb(&g, 1, 42, p, 20, 60);
    size_t a2 = spb(&g, 30, p, 30);
    other(&g, 5, 8); /* ISB */
    other(&g, 0x40000BAD, 12);
    size_t a3 = pb(&g, 1, 43, p, 24, 60);
    other(&g, 0x12345678, 0);
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.err.status, TW_OK);
    assert_int_equal(x.n, 4);
    assert_int_equal(x.r[0].offset, a0);
    assert_int_equal(x.r[0].ts_ns, 0);
    assert_int_equal(x.r[0].caplen, 40);
    assert_int_equal(x.r[0].wirelen, n);
    assert_int_equal(x.r[0].linktype, DLT_EN10MB);
    assert_int_equal(x.r[1].offset, a1);
    assert_int_equal(x.r[1].ts_ns, 42);
    assert_int_equal(x.r[2].offset, a2);
    assert_int_equal(x.r[2].ts_ns, 42);
    assert_int_equal(x.r[2].caplen, 30);
    assert_int_equal(x.r[2].linktype, DLT_EN10MB);
    assert_int_equal(x.r[3].offset, a3);
    assert_int_equal(x.r[3].ts_ns, 43);
    assert_int_equal(x.r[3].caplen, 24);
    assert_int_equal(x.r[3].linktype, DLT_LINUX_SLL2);
}

/* A second section forgets the first one's interfaces and may change the
 * byte order. */
static void test_two_sections(void **state)
{
    (void)state;
    static struct ng g;
    uint8_t p[128];
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 256, -1, 0);
    idb(&g, LT_ETHERNET, 256, -1, 0);
    epb(&g, 1, 1000000, p, frame(LT_ETHERNET, 80, p), 60);
    size_t s2 = shb(&g, true);
    idb(&g, LT_SLL2, 256, 9, 0);
    size_t a1 = epb(&g, 0, 2000000000, p, frame(LT_SLL2, 80, p), 60);
    size_t bad = epb(&g, 1, 3000000000, p, frame(LT_SLL2, 80, p), 60);
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.r[0].linktype, DLT_EN10MB);
    assert_int_equal(x.r[0].ts_ns, 1000000000);
    assert_int_equal(x.r[1].linktype, DLT_LINUX_SLL2);
    assert_int_equal(x.r[1].offset, a1);
    assert_int_equal(x.r[1].ts_ns, 2000000000);
    assert_error(&x, TW_E_FORMAT, bad, "interface 1");
    char where[32];
    snprintf(where, sizeof where, "byte %zu", s2);
    assert_non_null(strstr(x.err.msg, where));
    assert_int_equal(x.err.frame, 3);
}

/* Only the link type differs: the survey says mixed, libpcap is not used. A
 * file of one link type is left to libpcap. */
static void test_survey(void **state)
{
    (void)state;
    static struct ng g;
    char path[64];
    struct tw_pcapng_survey sv;
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 256, -1, 0);
    other(&g, 5, 100);
    idb(&g, LT_ETHERNET, 256, 9, 0);
    write_file(&g, g.n, path);
    FILE *f = fopen(path, "rb");
    assert_true(tw_pcapng_survey(f, &sv));
    assert_false(sv.is_mixed);
    assert_false(sv.is_damaged);
    assert_int_equal(sv.n_interfaces, 2);
    assert_int_equal(sv.n_linktypes, 1);
    fclose(f);
    unlink(path);

    idb(&g, LT_ETHERNET, 65535, -1, 0); /* snap length differs */
    write_file(&g, g.n, path);
    f = fopen(path, "rb");
    assert_true(tw_pcapng_survey(f, &sv));
    assert_true(sv.is_mixed);
    assert_int_equal(sv.first_linktype, DLT_EN10MB);
    fclose(f);
    unlink(path);

    static const uint8_t classic[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
    memset(&g, 0, sizeof g);
    wbytes(&g, classic, sizeof classic);
    write_file(&g, g.n, path);
    f = fopen(path, "rb");
    assert_false(tw_pcapng_survey(f, &sv));
    assert_int_equal(ftell(f), 0);
    fclose(f);
    unlink(path);
}

static void test_filter_per_linktype(void **state)
{
    (void)state;
    static struct ng g;
    size_t at[4];
    build_mixed(&g, false, at);
    struct run x;
    read_capture(&g, g.n, "tcp dst port 80", &x);
    assert_int_equal(x.err.status, TW_OK);
    assert_int_equal(x.n, 3); /* the SLL2 SYN to 443 is filtered out */
    assert_int_equal(x.r[0].offset, at[0]);
    assert_int_equal(x.r[1].offset, at[2]);
    assert_int_equal(x.r[2].offset, at[3]);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(x.r[i].number, i + 1); /* as libpcap numbers with a filter */

    /* "ether" means nothing on raw IP: the open fails and says why. */
    read_capture(&g, g.n, "ether host 02:00:00:00:00:02", &x);
    assert_false(x.opened);
    assert_int_equal(x.err.status, TW_E_USAGE);
    assert_non_null(strstr(x.err.msg, "link type"));

    read_capture(&g, g.n, "tcp port", &x);
    assert_false(x.opened);
    assert_int_equal(x.err.status, TW_E_USAGE);
}

/* ---- damage ---------------------------------------------------------------- */

static void test_bad_trailer(void **state)
{
    (void)state;
    static struct ng g;
    size_t at[4];
    build_mixed(&g, false, at);
    g.b[at[3] - 4] ^= 0x10; /* the trailer of the block at at[2] */
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.n, 2);
    assert_error(&x, TW_E_FORMAT, at[2], "differs");
    assert_int_equal(x.err.frame, 3);
}

static void test_length_not_multiple_of_4(void **state)
{
    (void)state;
    static struct ng g;
    size_t at[4];
    build_mixed(&g, true, at);
    g.b[at[1] + 7] += 2;
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.n, 1);
    assert_error(&x, TW_E_FORMAT, at[1], "not a multiple of 4");

    build_mixed(&g, false, at);
    patch32(&g, at[1] + 4, 8);
    read_capture(&g, g.n, NULL, &x);
    assert_error(&x, TW_E_FORMAT, at[1], "less than the 12-byte minimum");

    build_mixed(&g, false, at);
    patch32(&g, at[1] + 4, 28);
    read_capture(&g, g.n, NULL, &x);
    assert_error(&x, TW_E_FORMAT, at[1], "shorter than the 32 bytes");
}

static void test_caplen_beyond_block(void **state)
{
    (void)state;
    static struct ng g;
    size_t at[4];
    build_mixed(&g, false, at);
    patch32(&g, at[3] + 20, 81); /* the body holds 60 + padding + 12 of options */
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.n, 3);
    assert_error(&x, TW_E_FORMAT, at[3], "claims 81 captured bytes");

    build_mixed(&g, false, at);
    patch32(&g, at[0] + 20, TW_PCAPNG_MAX_CAPLEN + 1);
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.n, 0);
    assert_error(&x, TW_E_FORMAT, at[0], "not accepted");
}

static void test_unknown_interface(void **state)
{
    (void)state;
    static struct ng g;
    size_t at[4];
    build_mixed(&g, false, at);
    patch32(&g, at[1] + 8, 3);
    struct run x;
    read_capture(&g, g.n, NULL, &x);
    assert_int_equal(x.n, 1);
    assert_error(&x, TW_E_FORMAT, at[1], "Enhanced Packet Block on interface 3");
    assert_non_null(strstr(x.err.msg, "describes 3 interfaces"));
}

static void test_bad_blocks_own_reader(void **state)
{
    (void)state;
    static struct ng g;
    uint8_t p[128];
    uint32_t n = frame(LT_ETHERNET, 80, p);
    struct run x;

    /* Not starting with a Section Header Block; empty. */
    memset(&g, 0, sizeof g);
    idb(&g, LT_ETHERNET, 0, -1, 0);
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, 0, "not a pcapng file");
    read_own(&g, 0, &x);
    assert_error(&x, TW_E_FORMAT, 0, "empty");

    /* A packet before any interface; a bad byte-order magic; a version 2. */
    memset(&g, 0, sizeof g);
    shb(&g, false);
    size_t a = spb(&g, n, p, n);
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, a, "describes 0 interfaces");
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 0, -1, 0);
    a = shb(&g, false);
    g.b[a + 8] = 0x4e;
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, a, "byte-order magic 0x1a2b3c4e");
    g.b[a + 8] = 0x4d;
    g.b[a + 12] = 2;
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, a, "version 2.0");

    /* A skipped block with a bad trailer. */
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 0, -1, 0);
    a = other(&g, 5, 16);
    g.b[g.n - 4] = 0;
    epb(&g, 0, 0, p, n, n);
    read_own(&g, g.n, &x);
    assert_int_equal(x.n, 0);
    assert_error(&x, TW_E_FORMAT, a, "Interface Statistics Block: total length 0");

    /* A Simple Packet Block shorter than its data should be. */
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 0, -1, 0);
    a = spb(&g, 100, p, n);
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, a, "should hold 100 bytes");

    /* if_tsresol too fine for 64 bits; an option running off the block. */
    memset(&g, 0, sizeof g);
    shb(&g, false);
    a = idb(&g, LT_ETHERNET, 0, 20, 0);
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, a, "if_tsresol 10^-20");
    memset(&g, 0, sizeof g);
    shb(&g, false);
    a = idb(&g, LT_ETHERNET, 0, -1, 0);
    g.b[a + 16 + 2] = 200; /* if_name length */
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, a, "option 2 at byte");

    /* A timestamp past 2262. */
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 0, 9, 0);
    a = epb(&g, 0, UINT64_MAX, p, n, n);
    read_own(&g, g.n, &x);
    assert_error(&x, TW_E_FORMAT, a, "outside the years");
}

/* At most TW_PCAPNG_MAX_IFACES interfaces per section. */
static void test_too_many_interfaces(void **state)
{
    (void)state;
    char path[64];
    strcpy(path, "/tmp/tw_pcapng_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    static struct ng g;
    memset(&g, 0, sizeof g);
    shb(&g, false);
    fwrite(g.b, 1, g.n, f);
    memset(&g, 0, sizeof g);
    idb(&g, LT_ETHERNET, 0, -1, 0);
    size_t one = g.n;
    for (uint32_t i = 0; i <= TW_PCAPNG_MAX_IFACES; i++)
        fwrite(g.b, 1, one, f);
    fclose(f);
    f = fopen(path, "rb");
    struct tw_error err;
    memset(&err, 0, sizeof err);
    tw_pcapng *r = tw_pcapng_open(f, path, &err);
    assert_non_null(r);
    struct tw_pcapng_packet pkt;
    assert_int_equal(tw_pcapng_next(r, &pkt, 1, &err), -1);
    assert_int_equal(err.offset, 28 + (uint64_t)TW_PCAPNG_MAX_IFACES * one);
    assert_non_null(strstr(err.msg, "more than 65536 interfaces"));
    tw_pcapng_free(r);
    unlink(path);
}

/* A block claiming more than the limit, in a (sparse) file that really is
 * that long: refused before any buffer is grown for it. */
static void test_block_over_limit(void **state)
{
    (void)state;
    static struct ng g;
    memset(&g, 0, sizeof g);
    shb(&g, false);
    idb(&g, LT_ETHERNET, 0, -1, 0);
    idb(&g, LT_SLL2, 0, -1, 0);
    size_t a = g.n;
    w32(&g, 6);
    w32(&g, TW_PCAPNG_MAX_BLOCK + 4);
    char path[64];
    write_file(&g, g.n, path);
    assert_int_equal(truncate(path, (off_t)(a + TW_PCAPNG_MAX_BLOCK + 4)), 0);
    struct tw_error err;
    memset(&err, 0, sizeof err);
    tw_capture *cap = tw_capture_open_file(path, NULL, &err);
    assert_non_null(cap);
    assert_null(tw_capture_next(cap, &err));
    assert_int_equal(err.status, TW_E_FORMAT);
    assert_int_equal(err.offset, a);
    assert_non_null(strstr(err.msg, "are not accepted"));
    tw_capture_free(cap);
    unlink(path);
}

/* The mixed file cut at every byte: our reader returns the frames of the
 * whole blocks before the cut, then either ends cleanly (a cut between
 * blocks) or fails at the offset of the block that was cut. Read also through
 * tw_capture (libpcap for cuts before the second interface): never a crash. */
static void test_truncation_everywhere(void **state)
{
    (void)state;
    static struct ng g;
    size_t at[4];
    build_mixed(&g, false, at);
    size_t starts[16], n_starts = 0;
    for (size_t pos = 0; pos < g.n;) {
        starts[n_starts++] = pos;
        struct tw_cursor c = tw_cursor_make(g.b + pos + 4, 4);
        pos += tw_get_le32(&c);
    }
    for (size_t cut = 0; cut < g.n; cut++) {
        struct run x;
        read_own(&g, cut, &x);
        size_t block = 0, whole = 0;
        bool at_boundary = false;
        for (size_t i = 0; i < n_starts; i++) {
            if (starts[i] <= cut)
                block = starts[i];
            if (starts[i] == cut)
                at_boundary = true;
        }
        for (size_t i = 0; i < 4; i++)
            if (at[i] < block || (at_boundary && at[i] < cut))
                whole++;
        assert_int_equal(x.n, whole);
        if (at_boundary && cut > 0) {
            assert_int_equal(x.err.status, TW_OK);
        } else {
            assert_int_equal(x.err.status, TW_E_FORMAT);
            if (x.err.offset != block)
                fail_msg("cut at %zu: error at %llu, expected %zu (%s)", cut,
                         (unsigned long long)x.err.offset, block, x.err.msg);
            assert_int_equal(x.err.frame, whole + 1);
        }
        read_capture(&g, cut, NULL, &x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_links),
        cmocka_unit_test(test_mixed_links_big_endian),
        cmocka_unit_test(test_same_as_libpcap),
        cmocka_unit_test(test_tsresol),
        cmocka_unit_test(test_ts_to_ns),
        cmocka_unit_test(test_spb_pb_and_skipped_blocks),
        cmocka_unit_test(test_two_sections),
        cmocka_unit_test(test_survey),
        cmocka_unit_test(test_filter_per_linktype),
        cmocka_unit_test(test_bad_trailer),
        cmocka_unit_test(test_length_not_multiple_of_4),
        cmocka_unit_test(test_caplen_beyond_block),
        cmocka_unit_test(test_unknown_interface),
        cmocka_unit_test(test_bad_blocks_own_reader),
        cmocka_unit_test(test_too_many_interfaces),
        cmocka_unit_test(test_block_over_limit),
        cmocka_unit_test(test_truncation_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
