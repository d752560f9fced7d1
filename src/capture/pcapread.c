/* Classic pcap read into our own buffer (see pcapread.h).
 *
 * File format: a 24-byte file header (magic, version 2.4, zone, sigfigs,
 * snap length, link type) and records of a 16-byte header (seconds,
 * fraction, captured length, wire length) followed by the captured bytes.
 * The magic tells the byte order and whether the fraction counts micro- or
 * nanoseconds. The link type and snap length are taken from libpcap, which
 * has read the same header (capture.c), so both readers agree on them.
 *
 * The buffer holds one stretch of the file; a record that runs past it is
 * read again from its first byte. pread() rather than a mapping of the
 * file: the kernel copies each block while it is still warm into a buffer
 * that stays in the cache, where mapping windows cost a page-table entry
 * per 4 KiB page and, at each unmapping, a TLB flush on the other core
 * (bench/README.md: 5 % less CPU and wall time on big.pcap). */
#include "capture/pcapread.h"

#include <stdlib.h>
#include <unistd.h>

#include "base/cursor.h"
#include "base/io.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du
#define FILE_HEADER_BYTES 24
#define RECORD_HEADER_BYTES 16

struct tw_pcapread {
    int fd;
    uint64_t file_bytes;
    uint32_t snaplen;
    bool is_be;          /* fields big-endian */
    bool is_nano;
    bool is_swapped;     /* not the host's byte order */
    uint64_t pos;        /* offset of the next record */
    int state;           /* 1 reading, 0 at the end, -1 left to libpcap */
    uint8_t *buf;        /* TW_PCAPREAD_BUFFER bytes */
    uint64_t buf_off;    /* offset in the file of buf[0] */
    size_t buf_len;      /* bytes of the file in buf */
};

static inline uint32_t get32(struct tw_cursor *c, bool is_be)
{
    return is_be ? tw_get_be32(c) : tw_get_le32(c);
}

/* Reads [at, at + n) of the file into the buffer (and as much after it as
 * fits), which does not hold it yet; false when it cannot. */
static __attribute__((noinline)) bool load(tw_pcapread *m, uint64_t at, uint64_t n)
{
    uint64_t len = m->file_bytes - at;
    if (len > TW_PCAPREAD_BUFFER)
        len = TW_PCAPREAD_BUFFER;
    m->buf_off = at;
    m->buf_len = 0;
    if (n > len)
        return false;
    m->buf_len = tw_pread_all(m->fd, m->buf, (size_t)len, at);
    return m->buf_len == len;
}

/* A cursor on [at, at + n) of the file, in the buffer; short when it cannot
 * be. Inlined, with the reading apart: it runs twice a packet, and as a
 * call its result went through the stack, read back before it was
 * written out (a stall worth 3 % of a run's time on big.pcap). */
static inline __attribute__((always_inline)) struct tw_cursor window(tw_pcapread *m, uint64_t at,
                                                                     uint64_t n)
{
    bool is_held = at >= m->buf_off && at + n <= m->buf_off + m->buf_len;
    if (!is_held && !load(m, at, n))
        return tw_cursor_make(NULL, 0);
    return tw_cursor_make(m->buf + (at - m->buf_off), (size_t)n);
}

tw_pcapread *tw_pcapread_open(int fd, uint64_t file_bytes, uint32_t snaplen)
{
    if (file_bytes < FILE_HEADER_BYTES)
        return NULL;
    tw_pcapread *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->buf = malloc(TW_PCAPREAD_BUFFER);
    if (!m->buf) {
        free(m);
        return NULL;
    }
    m->fd = fd;
    m->file_bytes = file_bytes;
    m->snaplen = snaplen;
    struct tw_cursor c = window(m, 0, FILE_HEADER_BYTES);
    uint32_t magic = tw_get_le32(&c);
    m->is_be = magic == __builtin_bswap32(MAGIC_USEC) || magic == __builtin_bswap32(MAGIC_NSEC);
    bool is_le = magic == MAGIC_USEC || magic == MAGIC_NSEC;
    m->is_nano = magic == MAGIC_NSEC || magic == __builtin_bswap32(MAGIC_NSEC);
    uint32_t version = get32(&c, m->is_be);
    uint16_t major = (uint16_t)(m->is_be ? version >> 16 : version & 0xffff);
    uint16_t minor = (uint16_t)(m->is_be ? version & 0xffff : version >> 16);
    if (c.short_read || !(is_le || m->is_be) || major != 2 || minor != 4) {
        tw_pcapread_free(m);
        return NULL;
    }
    m->is_swapped = m->is_be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
    m->pos = FILE_HEADER_BYTES;
    m->state = 1;
    return m;
}

int tw_pcapread_next(tw_pcapread *m, struct tw_pcapread_record *rec)
{
    if (m->state != 1)
        return m->state;
    if (m->pos == m->file_bytes) {
        m->state = 0;
        return 0;
    }
    /* Most records are read from the buffer as it is. */
    struct tw_cursor c = window(m, m->pos, RECORD_HEADER_BYTES);
    uint32_t sec = get32(&c, m->is_be);
    uint32_t frac = get32(&c, m->is_be);
    uint32_t caplen = get32(&c, m->is_be);
    uint32_t wirelen = get32(&c, m->is_be);
    uint64_t rest = m->file_bytes - m->pos;
    /* Anything libpcap might read otherwise than as written, or call
     * damaged, is left to it; so is a record too long for the buffer. */
    if (c.short_read || caplen > m->snaplen || caplen > wirelen ||
        RECORD_HEADER_BYTES + (uint64_t)caplen > rest ||
        RECORD_HEADER_BYTES + (uint64_t)caplen > TW_PCAPREAD_BUFFER) {
        m->state = -1;
        return -1;
    }
    c = window(m, m->pos + RECORD_HEADER_BYTES, caplen);
    if (c.short_read || tw_left(&c) < caplen) {
        m->state = -1;
        return -1;
    }
    rec->offset = m->pos;
    /* As libpcap 1.10 reads them: signed 32 bits in a file of the host's
     * byte order, unsigned in a swapped one (measured: tests/unit). */
    int64_t s = m->is_swapped ? (int64_t)sec : (int64_t)(int32_t)sec;
    int64_t f = m->is_swapped ? (int64_t)frac : (int64_t)(int32_t)frac;
    rec->ts_s = s;
    rec->frac_ns = m->is_nano ? f : f * 1000;
    rec->caplen = caplen;
    rec->wirelen = wirelen;
    rec->bytes = tw_here(&c);
    m->pos += RECORD_HEADER_BYTES + caplen;
    return 1;
}

uint64_t tw_pcapread_offset(const tw_pcapread *m) { return m->pos; }

void tw_pcapread_free(tw_pcapread *m)
{
    if (!m)
        return;
    free(m->buf);
    free(m);
}
