/* Unit tests for src/capture/pcapread.c, our reader of classic pcap
 * files, as capture.c uses it: every file is read twice through
 * tw_capture_open_file(), once by path (a regular file: our reader) and once as
 * standard input (libpcap alone), and both readings must give the same
 * frames (number, offset, time, lengths, bytes) and the same end: the same
 * error, offset and message on a damaged file. Files are built record by
 * record: both byte orders, micro- and nanoseconds, a record over the snap
 * length (left to libpcap), a file cut inside a record header and inside
 * its data, a filter, and records that span the reader's buffer. Our reader is also run alone, to
 * show that it reads across its buffer and hands over at the right record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/pcapread.h"

struct file {
    uint8_t *b;
    size_t n, cap;
    bool is_be;
};

static void put(struct file *f, const void *p, size_t n)
{
    if (f->n + n > f->cap) {
        f->cap = (f->n + n) * 2;
        f->b = realloc(f->b, f->cap);
        assert_non_null(f->b);
    }
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void put32(struct file *f, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(f->is_be ? v >> (24 - 8 * i) : v >> (8 * i));
    put(f, b, 4);
}

static void put16(struct file *f, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(f->is_be ? v >> 8 : v), (uint8_t)(f->is_be ? v : v >> 8)};
    put(f, b, 2);
}

static void header(struct file *f, bool is_be, bool is_nano, uint32_t snaplen)
{
    memset(f, 0, sizeof *f);
    f->is_be = is_be;
    put32(f, is_nano ? 0xa1b23c4du : 0xa1b2c3d4u);
    put16(f, 2);
    put16(f, 4);
    put32(f, 0);
    put32(f, 0);
    put32(f, snaplen);
    put32(f, 1); /* Ethernet */
}

/* An Ethernet/IPv4/TCP SYN padded with pad bytes, caplen of it kept. */
static void record(struct file *f, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t pad)
{
    static const uint8_t syn[54] = {
        0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00,                       /* Ethernet */
        0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 18, 1, 2, 198, 18, 2, 2, /* IPv4 */
        0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
    uint32_t wirelen = (uint32_t)sizeof syn + pad;
    put32(f, sec);
    put32(f, frac);
    put32(f, caplen);
    put32(f, wirelen);
    uint8_t *all = calloc(1, wirelen > caplen ? wirelen : caplen);
    assert_non_null(all);
    memcpy(all, syn, sizeof syn);
    for (uint32_t i = sizeof syn; i < wirelen; i++)
        all[i] = (uint8_t)(i * 7);
    put(f, all, caplen);
    free(all);
}

struct seen {
    size_t n_frames;
    uint64_t sum; /* of every field and byte, weighted by position */
    enum tw_status status;
    uint64_t err_offset, err_frame;
    char msg[256];
};

/* With a filter, libpcap skips records unseen and the offsets tcpwhy gives
 * its frames are the end of the previous frame, not the record's own: only
 * our reader's are exact, so offsets are compared without a filter only. */
static void read_all(const char *path, const char *filter, struct seen *s)
{
    memset(s, 0, sizeof *s);
    struct tw_error err;
    memset(&err, 0, sizeof err);
    tw_capture *cap = tw_capture_open_file(path, filter, &err);
    assert_non_null(cap);
    const struct tw_frame *fr;
    while ((fr = tw_capture_next(cap, &err)) != NULL) {
        s->n_frames++;
        uint64_t h = fr->number * 31 + (filter ? 0 : fr->offset * 7) + (uint64_t)fr->ts_ns + fr->caplen * 3u +
                     fr->wirelen * 5u + (uint64_t)fr->linktype;
        for (uint32_t i = 0; i < fr->caplen; i++)
            h = h * 131 + fr->bytes[i];
        s->sum = s->sum * 1000003 + h;
    }
    s->status = err.status;
    s->err_offset = err.offset;
    s->err_frame = err.frame;
    snprintf(s->msg, sizeof s->msg, "%s", err.msg);
    tw_capture_free(cap);
}

/* Reads f by path (our reader) and as standard input (libpcap); both must agree.
 * Returns the frames read. */
static size_t same_both_ways(const struct file *f, const char *filter, enum tw_status want)
{
    char path[] = "/tmp/tw_pcapread_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, f->b, f->n), (ssize_t)f->n);
    close(fd);
    struct seen by_map, by_pcap;
    read_all(path, filter, &by_map);
    assert_non_null(freopen(path, "rb", stdin));
    read_all("-", filter, &by_pcap);
    unlink(path);
    assert_int_equal(by_map.n_frames, by_pcap.n_frames);
    assert_true(by_map.sum == by_pcap.sum);
    assert_int_equal(by_map.status, want);
    assert_int_equal(by_pcap.status, want);
    assert_true(by_map.err_offset == by_pcap.err_offset);
    assert_true(by_map.err_frame == by_pcap.err_frame);
    assert_string_equal(by_map.msg, by_pcap.msg);
    return by_map.n_frames;
}

static void test_orders_and_units(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        struct file f;
        header(&f, k & 1, k & 2, 65535);
        record(&f, 1764165600, 123456, 54, 0);
        record(&f, 1764165601, 999999, 60, 40);     /* snapped: caplen < wirelen */
        record(&f, 0x80000001u, 0xfffffff0u, 54, 0); /* out-of-range fields */
        record(&f, 1764165602, 5, 54, 0);
        assert_int_equal(same_both_ways(&f, NULL, TW_OK), 4);
        free(f.b);
    }
}

static void test_over_snaplen_left_to_libpcap(void **state)
{
    (void)state;
    struct file f;
    header(&f, false, false, 64);
    record(&f, 1764165600, 1, 54, 0);
    record(&f, 1764165600, 2, 100, 100); /* caplen over the snap length */
    record(&f, 1764165600, 3, 54, 0);
    same_both_ways(&f, NULL, TW_OK);
    free(f.b);
    header(&f, false, false, 65535);
    record(&f, 1764165600, 1, 54, 0);
    put32(&f, 1764165600); /* caplen over wirelen */
    put32(&f, 2);
    put32(&f, 60);
    put32(&f, 54);
    uint8_t zero[60] = {0};
    put(&f, zero, sizeof zero);
    record(&f, 1764165600, 3, 54, 0);
    same_both_ways(&f, NULL, TW_OK);
    free(f.b);
}

static void test_cut_anywhere(void **state)
{
    (void)state;
    struct file f;
    header(&f, false, false, 65535);
    record(&f, 1764165600, 1, 54, 0);
    record(&f, 1764165600, 2, 54, 0);
    size_t whole = f.n;
    for (size_t cut = 24; cut <= whole; cut++) {
        struct file g = f;
        g.n = cut;
        bool is_boundary = cut == 24 || cut == 24 + 70 || cut == whole;
        same_both_ways(&g, NULL, is_boundary ? TW_OK : TW_E_FORMAT);
    }
    free(f.b);
}

static void test_filter(void **state)
{
    (void)state;
    struct file f;
    header(&f, false, false, 65535);
    for (uint32_t i = 0; i < 10; i++)
        record(&f, 1764165600, i, 54, i % 2 ? 0 : 20); /* even: 74 bytes on the wire */
    assert_int_equal(same_both_ways(&f, "greater 70", TW_OK), 5);
    free(f.b);
}

static void test_across_windows(void **state)
{
    (void)state;
    struct file f;
    header(&f, true, true, 262144);
    /* large records, so that many straddle a window boundary */
    for (uint32_t i = 0; i < 40; i++)
        record(&f, 1764165600 + i, i, 54 + i * 6007, i * 6007);
    record(&f, 1764165700, 0, 262144, 262144 - 54);
    record(&f, 1764165701, 0, 54, 0);
    size_t n = same_both_ways(&f, NULL, TW_OK);
    assert_int_equal(n, 42);
    assert_true(f.n > 2 * TW_PCAPREAD_BUFFER);
    free(f.b);
}

/* Our reader alone on the file above: it reads every record up to the one
 * longer than its buffer, records that straddle its buffer's end included,
 * then stops at that record's offset for libpcap. */
static void test_reader_hands_over_at_long_record(void **state)
{
    (void)state;
    struct file f;
    header(&f, false, false, 262144);
    uint64_t long_at = 0;
    for (uint32_t i = 0; i < 40; i++)
        record(&f, 1764165600 + i, i, 54 + i * 6007, i * 6007);
    long_at = f.n;
    record(&f, 1764165700, 0, 262144, 262144 - 54);
    record(&f, 1764165701, 0, 54, 0);
    char path[] = "/tmp/tw_pcapread_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, f.b, f.n), (ssize_t)f.n);
    tw_pcapread *m = tw_pcapread_open(fd, f.n, 262144);
    assert_non_null(m);
    struct tw_pcapread_record rec;
    uint64_t at = 24;
    for (uint32_t i = 0; i < 40; i++) {
        assert_int_equal(tw_pcapread_next(m, &rec), 1);
        assert_true(rec.offset == at);
        assert_int_equal(rec.caplen, 54 + i * 6007);
        assert_int_equal(rec.ts_s, 1764165600 + i);
        assert_memory_equal(rec.bytes, f.b + at + 16, rec.caplen);
        at += 16 + rec.caplen;
    }
    assert_true(at > 2 * TW_PCAPREAD_BUFFER);
    assert_int_equal(tw_pcapread_next(m, &rec), -1);
    assert_true(tw_pcapread_offset(m) == long_at);
    assert_int_equal(tw_pcapread_next(m, &rec), -1);
    tw_pcapread_free(m);
    close(fd);
    unlink(path);
    free(f.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders_and_units),
        cmocka_unit_test(test_over_snaplen_left_to_libpcap),
        cmocka_unit_test(test_cut_anywhere),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_across_windows),
        cmocka_unit_test(test_reader_hands_over_at_long_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
