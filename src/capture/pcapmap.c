/* Classic pcap through mmap (see pcapmap.h).
 *
 * File format: a 24-byte file header (magic, version 2.4, zone, sigfigs,
 * snap length, link type) and records of a 16-byte header (seconds,
 * fraction, captured length, wire length) followed by the captured bytes.
 * The magic tells the byte order and whether the fraction counts micro- or
 * nanoseconds. The link type and snap length are taken from libpcap, which
 * has read the same header (capture.c), so both readers agree on them.
 *
 * The file is mapped one window at a time; a record that runs past the
 * window moves the window to start at the record's page. MAP_POPULATE maps
 * the window's pages in one go rather than one fault per page. */
#include "capture/pcapmap.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/cursor.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du
#define FILE_HEADER_BYTES 24
#define RECORD_HEADER_BYTES 16
#define PREFETCH_BYTES 8192
#define CACHE_LINE_BYTES 64

struct tw_pcapmap {
    int fd;
    uint64_t file_bytes;
    uint32_t snaplen;
    bool is_be;          /* fields big-endian */
    bool is_nano;
    bool is_swapped;     /* not the host's byte order */
    uint64_t pos;        /* offset of the next record */
    int state;           /* 1 reading, 0 at the end, -1 left to libpcap */
    const uint8_t *win;  /* the mapped window, or NULL */
    uint64_t win_off;    /* its offset in the file (page-aligned) */
    size_t win_len;
    uint64_t page_bytes;
};

static uint32_t get32(struct tw_cursor *c, bool is_be)
{
    return is_be ? tw_get_be32(c) : tw_get_le32(c);
}

static void unmap(tw_pcapmap *m)
{
    if (m->win)
        munmap((void *)m->win, m->win_len);
    m->win = NULL;
    m->win_len = 0;
}

/* Maps the window holding [at, at + n); false when it cannot. */
static bool map_at(tw_pcapmap *m, uint64_t at, uint64_t n)
{
    if (m->win && at >= m->win_off && at + n <= m->win_off + m->win_len)
        return true;
    unmap(m);
    uint64_t start = at - at % m->page_bytes;
    uint64_t len = m->file_bytes - start;
    if (len > TW_PCAPMAP_WINDOW)
        len = TW_PCAPMAP_WINDOW;
    if (at + n > start + len)
        return false;
    void *p = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, m->fd, (off_t)start);
    if (p == MAP_FAILED)
        return false;
    (void)madvise(p, (size_t)len, MADV_SEQUENTIAL);
    m->win = p;
    m->win_off = start;
    m->win_len = (size_t)len;
    return true;
}

/* A cursor on [at, at + n) of the file, mapped; short when it cannot be. */
static struct tw_cursor window(tw_pcapmap *m, uint64_t at, uint64_t n)
{
    if (!map_at(m, at, n))
        return tw_cursor_make(NULL, 0);
    return tw_cursor_make(m->win + (at - m->win_off), (size_t)n);
}

tw_pcapmap *tw_pcapmap_open(int fd, uint64_t file_bytes, uint32_t snaplen)
{
    long page = sysconf(_SC_PAGESIZE);
    if (file_bytes < FILE_HEADER_BYTES || page <= 0)
        return NULL;
    tw_pcapmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->fd = fd;
    m->file_bytes = file_bytes;
    m->snaplen = snaplen;
    m->page_bytes = (uint64_t)page;
    struct tw_cursor c = window(m, 0, FILE_HEADER_BYTES);
    uint32_t magic = tw_get_le32(&c);
    m->is_be = magic == __builtin_bswap32(MAGIC_USEC) || magic == __builtin_bswap32(MAGIC_NSEC);
    bool is_le = magic == MAGIC_USEC || magic == MAGIC_NSEC;
    m->is_nano = magic == MAGIC_NSEC || magic == __builtin_bswap32(MAGIC_NSEC);
    uint32_t version = get32(&c, m->is_be);
    uint16_t major = (uint16_t)(m->is_be ? version >> 16 : version & 0xffff);
    uint16_t minor = (uint16_t)(m->is_be ? version & 0xffff : version >> 16);
    if (c.short_read || !(is_le || m->is_be) || major != 2 || minor != 4) {
        tw_pcapmap_free(m);
        return NULL;
    }
    m->is_swapped = m->is_be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
    m->pos = FILE_HEADER_BYTES;
    m->state = 1;
    return m;
}

int tw_pcapmap_next(tw_pcapmap *m, struct tw_pcapmap_record *rec)
{
    if (m->state != 1)
        return m->state;
    if (m->pos == m->file_bytes) {
        m->state = 0;
        unmap(m);
        return 0;
    }
    /* The rest of the window, or a new one when the header runs past it:
     * most records are read from the window already mapped. */
    uint64_t in_window = m->win && m->pos >= m->win_off && m->pos < m->win_off + m->win_len
                             ? m->win_off + m->win_len - m->pos
                             : 0;
    struct tw_cursor c = in_window >= RECORD_HEADER_BYTES
                             ? tw_cursor_make(m->win + (m->pos - m->win_off), (size_t)in_window)
                             : window(m, m->pos, RECORD_HEADER_BYTES);
    /* The hardware prefetcher stops at page boundaries: ask for the bytes
     * a few records on, so that they come from memory while these are read
     * (the first touch of each record was a sixth of a run's cycles). */
    if (tw_left(&c) > PREFETCH_BYTES)
        __builtin_prefetch(tw_here(&c) + PREFETCH_BYTES);
    uint32_t sec = get32(&c, m->is_be);
    uint32_t frac = get32(&c, m->is_be);
    uint32_t caplen = get32(&c, m->is_be);
    uint32_t wirelen = get32(&c, m->is_be);
    uint64_t rest = m->file_bytes - m->pos;
    /* Anything libpcap might read otherwise than as written, or call
     * damaged, is left to it. */
    if (c.short_read || caplen > m->snaplen || caplen > wirelen ||
        RECORD_HEADER_BYTES + (uint64_t)caplen > rest ||
        RECORD_HEADER_BYTES + (uint64_t)caplen > TW_PCAPMAP_WINDOW - m->page_bytes) {
        m->state = -1;
        unmap(m);
        return -1;
    }
    if (tw_left(&c) < caplen)
        c = window(m, m->pos + RECORD_HEADER_BYTES, caplen);
    if (tw_left(&c) < caplen) {
        m->state = -1;
        unmap(m);
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
    /* And the next record's header and first line, which come from memory
     * while this one is decoded (a miss at each header was a tenth of a
     * run's cycles: the prefetch above catches only some of them). */
    if (tw_left(&c) >= (uint64_t)caplen + RECORD_HEADER_BYTES + CACHE_LINE_BYTES) {
        __builtin_prefetch(tw_here(&c) + caplen);
        __builtin_prefetch(tw_here(&c) + caplen + CACHE_LINE_BYTES);
    }
    m->pos += RECORD_HEADER_BYTES + caplen;
    return 1;
}

uint64_t tw_pcapmap_offset(const tw_pcapmap *m) { return m->pos; }

void tw_pcapmap_free(tw_pcapmap *m)
{
    if (!m)
        return;
    unmap(m);
    free(m);
}
