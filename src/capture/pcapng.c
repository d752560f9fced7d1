/* A small pcapng reader for files whose interfaces differ in link type or
 * snap length, which libpcap 1.10 refuses (see pcapng.h).
 *
 * The file is a sequence of blocks (draft-ietf-opsawg-pcapng section 3.1):
 * type, total length, body, total length again, each length a multiple of 4.
 * A Section Header Block (section 4.1) starts each section, sets its byte
 * order and forgets the interfaces of the previous section; Interface
 * Description Blocks (4.2) number the interfaces of a section from 0; packets
 * come in Enhanced (4.3), Simple (4.4) or obsolete Packet Blocks (appendix,
 * type 2). Everything else is skipped by its length, without reading it.
 *
 * Blocks are read with stdio from a regular file; offsets are counted here,
 * not asked of ftell(). The file size, known up front, catches a block that
 * announces more bytes than the file holds before any buffer is grown for
 * it, so a short damaged file cannot make the reader allocate much. */
#include "capture/pcapng.h"

#include <errno.h>
#include <pcap/dlt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/cursor.h"

/* Block types (sections 4 and 10.1). The SHB type reads the same in both
 * byte orders, which is how a reader finds a section before knowing its
 * order. */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_NRB 0x00000004u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define BT_DSB 0x0000000Au
#define BT_CB_COPY 0x00000BADu
#define BT_CB_NOCOPY 0x40000BADu
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

/* Options (section 3.5) and the two IDB options that change timestamps. */
#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

/* Timestamps in ns must fit an int64_t: whole seconds from MIN_SEC to
 * MAX_SEC leave room for the fraction (INT64_MAX is 9223372036.854775807 s). */
#define MAX_SEC INT64_C(9223372035)
#define MIN_SEC INT64_C(-9223372036)

struct iface {
    int linktype;     /* DLT_* */
    uint32_t snaplen; /* 0: no limit */
    bool is_binary;   /* timestamps count 2^-exp s, else 10^-exp s */
    unsigned exp;
    int64_t offset_s; /* if_tsoffset */
};

struct tw_pcapng {
    FILE *f;
    bool owns_f;
    bool is_survey; /* skip packet blocks, only collect interfaces */
    char path[256];
    uint64_t pos;       /* offset of the next block */
    uint64_t file_size; /* UINT64_MAX when unknown */
    int state;          /* 0 reading, 1 at the end, -1 failed */

    bool has_section;
    bool is_be;           /* byte order of the current section */
    uint64_t section_at;  /* offset of its Section Header Block */
    struct iface *ifaces; /* of the current section */
    uint32_t n_ifaces, cap_ifaces;

    uint8_t *buf; /* one block, reused */
    size_t buf_size;
    int64_t last_ts_ns; /* for Simple Packet Blocks */

    /* What the file held so far, for tw_pcapng_survey(). */
    struct tw_pcapng_survey sv;
    bool first_is_be;
    uint32_t first_snaplen;
};

static const uint64_t pow10_tab[20] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
    UINT64_C(10000000000000000),
    UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000),
    UINT64_C(10000000000000000000),
};

/* floor(frac * 10^9 / 2^n) for frac < 2^n, n <= 63, without overflow: the
 * 94-bit product is formed as mid * 2^32 + low with low < 2^32, and for
 * n >= 32 the low part cannot change the quotient. */
static uint64_t binary_frac_to_ns(uint64_t frac, unsigned n)
{
    const uint64_t giga = UINT64_C(1000000000);
    if (n == 0)
        return 0;
    if (n <= 32)
        return frac * giga >> n;       /* frac < 2^32: the product stays below 2^62 */
    uint64_t hi = (frac >> 32) * giga; /* < 2^61 */
    uint64_t lo = (frac & UINT64_C(0xffffffff)) * giga; /* < 2^62 */
    uint64_t mid = hi + (lo >> 32);
    return mid >> (n - 32);
}

bool tw_pcapng_ts_to_ns(uint64_t t, bool is_binary, unsigned exp, int64_t offset_s, int64_t *ns)
{
    uint64_t sec, frac_ns;
    if (is_binary) {
        if (exp > 63)
            return false;
        sec = t >> exp;
        frac_ns = binary_frac_to_ns(t & ((UINT64_C(1) << exp) - 1), exp);
    } else {
        if (exp > 19)
            return false;
        uint64_t frac = t % pow10_tab[exp];
        sec = t / pow10_tab[exp];
        frac_ns = exp <= 9 ? frac * pow10_tab[9 - exp] : frac / pow10_tab[exp - 9];
    }
    if (sec > (uint64_t)MAX_SEC)
        return false;
    int64_t s = (int64_t)sec;
    if (offset_s > 0 && offset_s > MAX_SEC - s)
        return false;
    if (offset_s < 0 && offset_s < MIN_SEC - s)
        return false;
    s += offset_s;
    *ns = s * INT64_C(1000000000) + (int64_t)frac_ns;
    return true;
}

/* Most LINKTYPE_* values written in files equal the DLT_* value; these do
 * not on every platform, and libpcap maps them when it reads a file
 * (pcap-common.c, linktype_to_dlt), so frames carry the same value from
 * either reader. */
static int linktype_to_dlt(unsigned linktype)
{
    switch (linktype) {
    case 100:
        return DLT_ATM_RFC1483;
    case 101:
        return DLT_RAW;
    case 102:
        return DLT_SLIP_BSDOS;
    case 103:
        return DLT_PPP_BSDOS;
    case 106:
        return DLT_ATM_CLIP;
    case 246:
        return DLT_PFSYNC;
    case 258:
        return DLT_PKTAP;
    default:
        return (int)linktype;
    }
}

static const char *block_name(uint32_t type)
{
    switch (type) {
    case BT_SHB:
        return "Section Header Block";
    case BT_IDB:
        return "Interface Description Block";
    case BT_PB:
        return "Packet Block";
    case BT_SPB:
        return "Simple Packet Block";
    case BT_NRB:
        return "Name Resolution Block";
    case BT_ISB:
        return "Interface Statistics Block";
    case BT_EPB:
        return "Enhanced Packet Block";
    case BT_DSB:
        return "Decryption Secrets Block";
    case BT_CB_COPY:
    case BT_CB_NOCOPY:
        return "Custom Block";
    default:
        return "block";
    }
}

/* Smallest total length of each block this reader parses: header and
 * trailer (12 bytes) plus the fixed fields. */
static uint32_t min_length(uint32_t type)
{
    switch (type) {
    case BT_SHB:
        return 28;
    case BT_IDB:
        return 20;
    case BT_EPB:
    case BT_PB:
        return 32;
    case BT_SPB:
        return 16;
    default:
        return 12;
    }
}

static int fail(tw_pcapng *r, struct tw_error *err, enum tw_status st, uint64_t at, uint64_t frame,
                const char *fmt, ...) TW_PRINTF(6, 7);

static int fail(tw_pcapng *r, struct tw_error *err, enum tw_status st, uint64_t at, uint64_t frame,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tw_failv(err, st, r->path, at, frame, fmt, ap);
    va_end(ap);
    r->state = -1;
    return -1;
}

static uint16_t get16(struct tw_cursor *c, bool is_be)
{
    return is_be ? tw_get_be16(c) : tw_get_le16(c);
}

static uint32_t get32(struct tw_cursor *c, bool is_be)
{
    return is_be ? tw_get_be32(c) : tw_get_le32(c);
}

static uint64_t get64(struct tw_cursor *c, bool is_be)
{
    uint64_t a = get32(c, is_be);
    uint64_t b = get32(c, is_be);
    return is_be ? a << 32 | b : b << 32 | a;
}

/* Two's complement reinterpretation, spelled out (a plain cast of a value
 * above INT64_MAX is implementation-defined). */
static int64_t as_signed(uint64_t u)
{
    if (u <= (uint64_t)INT64_MAX)
        return (int64_t)u;
    return -(int64_t)(~u) - 1;
}

static void reader_init(tw_pcapng *r, FILE *f, const char *path)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    snprintf(r->path, sizeof r->path, "%s", path ? path : "");
    r->file_size = UINT64_MAX;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0)
        r->file_size = (uint64_t)st.st_size;
    r->sv.first_linktype = -1;
}

static void reader_fini(tw_pcapng *r)
{
    free(r->buf);
    free(r->ifaces);
    r->buf = NULL;
    r->ifaces = NULL;
}

static bool grow_buf(tw_pcapng *r, size_t need)
{
    if (need <= r->buf_size)
        return true;
    size_t size = r->buf_size ? r->buf_size : 4096;
    while (size < need)
        size *= 2;
    if (size > TW_PCAPNG_MAX_BLOCK)
        size = TW_PCAPNG_MAX_BLOCK;
    uint8_t *b = realloc(r->buf, size);
    if (!b)
        return false;
    r->buf = b;
    r->buf_size = size;
    return true;
}

static void note_linktype(tw_pcapng *r, int dlt, uint8_t tsresol)
{
    for (size_t i = 0; i < r->sv.n_linktypes; i++)
        if (r->sv.linktypes[i] == dlt)
            return;
    if (r->sv.n_linktypes < TW_PCAPNG_SURVEY_LINKTYPES) {
        r->sv.tsresols[r->sv.n_linktypes] = tsresol;
        r->sv.linktypes[r->sv.n_linktypes++] = dlt;
    } else
        r->sv.has_more_linktypes = true;
}

/* Section 4.1. The byte order was taken from the magic by the caller; only
 * version 1.0 is defined, and 1.2, written by some old tools for the same
 * format, is accepted as libpcap does. The section length may be -1
 * (unknown) and is not needed to read on. */
static int parse_shb(tw_pcapng *r, struct tw_cursor *c, bool is_be, uint64_t at, uint64_t frame,
                     struct tw_error *err)
{
    uint16_t major = get16(c, is_be);
    uint16_t minor = get16(c, is_be);
    if (major != 1 || (minor != 0 && minor != 2))
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "Section Header Block of pcapng version %u.%u; this reader knows 1.0", major,
                    minor);
    if (!r->has_section)
        r->first_is_be = is_be;
    else if (is_be != r->first_is_be)
        r->sv.is_mixed = true; /* libpcap: "sections with different byte orders" */
    r->has_section = true;
    r->is_be = is_be;
    r->section_at = at;
    r->n_ifaces = 0;
    return 0;
}

/* Section 4.2: link type, snap length, and options; if_tsresol (default 6,
 * microseconds; the top bit picks a power of 2) and if_tsoffset (seconds
 * added to every timestamp) matter here. */
static int parse_idb(tw_pcapng *r, struct tw_cursor *c, uint64_t at, uint64_t frame,
                     struct tw_error *err)
{
    struct iface ifc = {0};
    unsigned linktype = get16(c, r->is_be);
    tw_skip(c, 2); /* reserved */
    ifc.snaplen = get32(c, r->is_be);
    ifc.linktype = linktype_to_dlt(linktype);
    ifc.exp = 6;
    bool has_tsresol = false, has_tsoffset = false;
    while (tw_left(c) >= 4) {
        uint64_t opt_at = at + 8 + c->pos;
        uint16_t code = get16(c, r->is_be);
        uint16_t len = get16(c, r->is_be);
        if (code == OPT_ENDOFOPT)
            break;
        size_t padded = ((size_t)len + 3) & ~(size_t)3;
        if (padded > tw_left(c))
            return fail(r, err, TW_E_FORMAT, at, frame,
                        "Interface Description Block: option %u at byte %llu claims %u bytes, "
                        "only %zu are left in the block",
                        code, (unsigned long long)opt_at, len, tw_left(c));
        struct tw_cursor v = tw_sub(c, padded);
        if (code == OPT_IF_TSRESOL) {
            /* each message whole, so that it translates (base/i18n.h) */
            if (has_tsresol)
                return fail(r, err, TW_E_FORMAT, at, frame,
                            "Interface Description Block: a second if_tsresol option at byte %llu",
                            (unsigned long long)opt_at);
            if (len != 1)
                return fail(r, err, TW_E_FORMAT, at, frame,
                            "Interface Description Block: a malformed if_tsresol option at byte "
                            "%llu",
                            (unsigned long long)opt_at);
            uint8_t res = tw_get_u8(&v);
            has_tsresol = true;
            ifc.is_binary = (res & 0x80) != 0;
            ifc.exp = res & 0x7f;
            if (ifc.exp > (ifc.is_binary ? 63u : 19u))
                return fail(r, err, TW_E_FORMAT, at, frame,
                            "Interface Description Block: if_tsresol %s^-%u is finer than a "
                            "64-bit timestamp can count",
                            ifc.is_binary ? "2" : "10", ifc.exp);
        } else if (code == OPT_IF_TSOFFSET) {
            if (has_tsoffset)
                return fail(r, err, TW_E_FORMAT, at, frame,
                            "Interface Description Block: a second if_tsoffset option at byte %llu",
                            (unsigned long long)opt_at);
            if (len != 8)
                return fail(r, err, TW_E_FORMAT, at, frame,
                            "Interface Description Block: a malformed if_tsoffset option at byte "
                            "%llu",
                            (unsigned long long)opt_at);
            has_tsoffset = true;
            ifc.offset_s = as_signed(get64(&v, r->is_be));
        }
    }
    if (r->n_ifaces >= TW_PCAPNG_MAX_IFACES)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "more than %u interfaces in the section at byte %llu", TW_PCAPNG_MAX_IFACES,
                    (unsigned long long)r->section_at);
    if (r->n_ifaces == r->cap_ifaces) {
        uint32_t cap = r->cap_ifaces ? r->cap_ifaces * 2 : 4;
        struct iface *p = realloc(r->ifaces, (size_t)cap * sizeof *p);
        if (!p)
            return fail(r, err, TW_E_NOMEM, at, frame, "out of memory for %u interfaces", cap);
        r->ifaces = p;
        r->cap_ifaces = cap;
    }
    r->ifaces[r->n_ifaces++] = ifc;

    if (r->sv.n_interfaces == 0) {
        r->sv.first_linktype = ifc.linktype;
        r->first_snaplen = ifc.snaplen;
    } else if (ifc.linktype != r->sv.first_linktype || ifc.snaplen != r->first_snaplen) {
        r->sv.is_mixed = true;
    }
    r->sv.n_interfaces++;
    note_linktype(r, ifc.linktype, (uint8_t)((ifc.is_binary ? 0x80u : 0u) | ifc.exp));
    return 0;
}

static int check_iface(tw_pcapng *r, uint32_t id, uint32_t type, uint64_t at, uint64_t frame,
                       struct tw_error *err)
{
    if (id < r->n_ifaces)
        return 0;
    return fail(r, err, TW_E_FORMAT, at, frame,
                "%s on interface %u, but the section at byte %llu describes %u interface%s",
                block_name(type), id, (unsigned long long)r->section_at, r->n_ifaces,
                r->n_ifaces == 1 ? "" : "s");
}

/* Enhanced (section 4.3) and obsolete (appendix) Packet Blocks: interface,
 * 64-bit timestamp, captured and original length, then the data padded to
 * 32 bits, then options. The captured bytes must lie inside the block; the
 * padding is not insisted on, nor the snap length (merged files do not
 * always keep it). */
static int parse_packet(tw_pcapng *r, uint32_t type, struct tw_cursor *c, uint64_t at,
                        uint64_t frame, struct tw_pcapng_packet *pkt, struct tw_error *err)
{
    uint32_t id;
    if (type == BT_EPB) {
        id = get32(c, r->is_be);
    } else {
        id = get16(c, r->is_be);
        tw_skip(c, 2); /* drops count */
    }
    uint64_t hi = get32(c, r->is_be);
    uint64_t t = hi << 32 | get32(c, r->is_be);
    uint32_t caplen = get32(c, r->is_be);
    uint32_t wirelen = get32(c, r->is_be);
    if (check_iface(r, id, type, at, frame, err) < 0)
        return -1;
    if (caplen > TW_PCAPNG_MAX_CAPLEN)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s claims %u captured bytes; frames over %u bytes are not accepted",
                    block_name(type), caplen, TW_PCAPNG_MAX_CAPLEN);
    if (caplen > tw_left(c))
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s claims %u captured bytes, but its body has room for %zu", block_name(type),
                    caplen, tw_left(c));
    const struct iface *ifc = &r->ifaces[id];
    if (!tw_pcapng_ts_to_ns(t, ifc->is_binary, ifc->exp, ifc->offset_s, &pkt->ts_ns))
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s timestamp %llu (units of %s^-%u s, offset %lld s) falls outside "
                    "the years 1677 to 2262",
                    block_name(type), (unsigned long long)t, ifc->is_binary ? "2" : "10", ifc->exp,
                    (long long)ifc->offset_s);
    pkt->offset = at;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen;
    pkt->interface_id = id;
    pkt->linktype = ifc->linktype;
    pkt->bytes = tw_here(c);
    return 1;
}

/* Section 4.4: a Simple Packet Block belongs to interface 0, holds the
 * original length only, and its captured length is the original length cut
 * to the interface's snap length. It has no timestamp: the previous frame's
 * is the best guess, so the frame keeps its place in time. */
static int parse_spb(tw_pcapng *r, struct tw_cursor *c, uint64_t at, uint64_t frame,
                     struct tw_pcapng_packet *pkt, struct tw_error *err)
{
    uint32_t wirelen = get32(c, r->is_be);
    if (check_iface(r, 0, BT_SPB, at, frame, err) < 0)
        return -1;
    const struct iface *ifc = &r->ifaces[0];
    uint32_t caplen = wirelen;
    if (ifc->snaplen != 0 && ifc->snaplen < caplen)
        caplen = ifc->snaplen;
    if (caplen > TW_PCAPNG_MAX_CAPLEN)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "Simple Packet Block of %u captured bytes; frames over %u bytes are not "
                    "accepted",
                    caplen, TW_PCAPNG_MAX_CAPLEN);
    if (caplen > tw_left(c))
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "Simple Packet Block should hold %u bytes (original length %u, snap length "
                    "%u), but its body has room for %zu",
                    caplen, wirelen, ifc->snaplen, tw_left(c));
    pkt->offset = at;
    pkt->ts_ns = r->last_ts_ns;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen;
    pkt->interface_id = 0;
    pkt->linktype = ifc->linktype;
    pkt->bytes = tw_here(c);
    return 1;
}

/* Reads the rest of a block (after its first `done` bytes) into the buffer,
 * checks the trailer (in byte order is_be), and returns the body as a cursor. */
static int load_block(tw_pcapng *r, uint32_t type, bool is_be, uint32_t len, uint32_t done,
                      uint64_t at, uint64_t frame, struct tw_cursor *body, struct tw_error *err)
{
    if (len > TW_PCAPNG_MAX_BLOCK)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s of %u bytes; blocks over %u bytes (frames over %u) are not accepted",
                    block_name(type), len, TW_PCAPNG_MAX_BLOCK, TW_PCAPNG_MAX_CAPLEN);
    size_t need = (size_t)len - done;
    if (!grow_buf(r, need))
        return fail(r, err, TW_E_NOMEM, at, frame, "out of memory for a %s of %u bytes",
                    block_name(type), len);
    size_t got = fread(r->buf, 1, need, r->f);
    if (got < need) {
        if (ferror(r->f))
            return fail(r, err, TW_E_IO, at, frame, "read error: %s", strerror(errno));
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "the file ends inside this %s: it announces %u bytes, the file has %llu",
                    block_name(type), len, (unsigned long long)(done + got));
    }
    struct tw_cursor tc = tw_cursor_make(r->buf + need - 4, 4);
    uint32_t trailer = get32(&tc, is_be);
    if (trailer != len)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s: total length %u at its end differs from %u at its start", block_name(type),
                    trailer, len);
    *body = tw_cursor_make(r->buf, need - 4);
    return 0;
}

/* Moves n bytes on. glibc's fseeko() makes an lseek() call even when the
 * target is in its buffer, which made the survey of a file of small packets
 * cost more than reading it with libpcap; short distances are therefore
 * read through the buffer. A short read is left for the caller's next read
 * to notice. */
static bool skip_bytes(FILE *f, uint32_t n)
{
    if (n > 65536)
        return fseeko(f, (off_t)n, SEEK_CUR) == 0;
    uint8_t scratch[4096];
    while (n > 0) {
        size_t step = n < sizeof scratch ? n : sizeof scratch;
        if (fread(scratch, 1, step, f) != step)
            return !ferror(f);
        n -= (uint32_t)step;
    }
    return true;
}

/* Skips a block we do not read, checking only its trailer. */
static int skip_block(tw_pcapng *r, uint32_t type, bool is_be, uint32_t len, uint32_t done,
                      uint64_t at, uint64_t frame, struct tw_error *err)
{
    if (!skip_bytes(r->f, len - done - 4))
        return fail(r, err, TW_E_IO, at, frame, "cannot skip this %s: %s", block_name(type),
                    strerror(errno));
    uint8_t b[4];
    size_t got = fread(b, 1, 4, r->f);
    if (got < 4) {
        if (ferror(r->f))
            return fail(r, err, TW_E_IO, at, frame, "read error: %s", strerror(errno));
        return fail(r, err, TW_E_FORMAT, at, frame, "the file ends inside this %s of %u bytes",
                    block_name(type), len);
    }
    struct tw_cursor tc = tw_cursor_make(b, 4);
    uint32_t trailer = get32(&tc, is_be);
    if (trailer != len)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s: total length %u at its end differs from %u at its start", block_name(type),
                    trailer, len);
    return 0;
}

/* One block: 1 with a packet in *pkt, 0 for any other block, 2 at the end
 * of the file, -1 on error. */
static int read_block(tw_pcapng *r, struct tw_pcapng_packet *pkt, uint64_t frame,
                      struct tw_error *err)
{
    uint64_t at = r->pos;
    uint8_t head[12];
    size_t got = fread(head, 1, 8, r->f);
    if (got == 0 && !ferror(r->f)) {
        if (!r->has_section)
            return fail(r, err, TW_E_FORMAT, at, frame, "the file is empty");
        return 2;
    }
    if (got < 8) {
        if (ferror(r->f))
            return fail(r, err, TW_E_IO, at, frame, "read error: %s", strerror(errno));
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "the file ends inside a block header (%zu of 8 bytes)", got);
    }
    struct tw_cursor hc = tw_cursor_make(head, 8);
    uint32_t type = tw_get_le32(&hc);
    bool is_be = r->is_be;
    uint32_t done = 8;
    if (type == BT_SHB) {
        /* The byte-order magic follows the length and tells how to read it. */
        got = fread(head + 8, 1, 4, r->f);
        if (got < 4)
            return fail(r, err, TW_E_FORMAT, at, frame,
                        "the file ends inside a Section Header Block (%zu of 12 bytes)", 8 + got);
        struct tw_cursor mc = tw_cursor_make(head + 8, 4);
        uint32_t magic = tw_get_le32(&mc);
        if (magic == BYTE_ORDER_MAGIC)
            is_be = false;
        else if (magic == 0x4D3C2B1Au)
            is_be = true;
        else
            return fail(r, err, TW_E_FORMAT, at, frame,
                        "Section Header Block with byte-order magic 0x%08x, not 0x1a2b3c4d in "
                        "either byte order",
                        magic);
        done = 12;
    } else if (!r->has_section) {
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "not a pcapng file: it starts with block type 0x%08x, not a Section Header "
                    "Block",
                    type);
    } else if (is_be) {
        hc = tw_cursor_make(head, 4);
        type = tw_get_be32(&hc);
    }
    hc = tw_cursor_make(head + 4, 4);
    uint32_t len = get32(&hc, is_be);
    if (len < 12)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s with total length %u, less than the 12-byte minimum", block_name(type),
                    len);
    if (len % 4 != 0)
        return fail(r, err, TW_E_FORMAT, at, frame, "%s with total length %u, not a multiple of 4",
                    block_name(type), len);
    if (len < min_length(type))
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "%s of %u bytes, shorter than the %u bytes of its fixed fields",
                    block_name(type), len, min_length(type));
    if (r->file_size != UINT64_MAX && len > r->file_size - at)
        return fail(r, err, TW_E_FORMAT, at, frame,
                    "the file ends inside this %s: it announces %u bytes, the file has %llu",
                    block_name(type), len, (unsigned long long)(r->file_size - at));

    bool is_packet = type == BT_EPB || type == BT_SPB || type == BT_PB;
    if (type != BT_SHB && type != BT_IDB && (!is_packet || r->is_survey)) {
        if (skip_block(r, type, is_be, len, done, at, frame, err) < 0)
            return -1;
        r->pos = at + len;
        return 0;
    }
    struct tw_cursor body;
    if (load_block(r, type, is_be, len, done, at, frame, &body, err) < 0)
        return -1;
    if (type == BT_SHB) {
        /* Its trailer was checked in the new section's byte order, which
         * becomes the reader's only once the block is known to be good. */
        int rc = parse_shb(r, &body, is_be, at, frame, err);
        r->pos = at + len;
        return rc;
    }
    int rc;
    if (type == BT_IDB)
        rc = parse_idb(r, &body, at, frame, err);
    else if (type == BT_SPB)
        rc = parse_spb(r, &body, at, frame, pkt, err);
    else
        rc = parse_packet(r, type, &body, at, frame, pkt, err);
    r->pos = at + len;
    return rc;
}

tw_pcapng *tw_pcapng_open(FILE *f, const char *path, struct tw_error *err)
{
    tw_pcapng *r = malloc(sizeof *r);
    if (!r) {
        fclose(f);
        tw_fail(err, TW_E_NOMEM, path, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    reader_init(r, f, path);
    r->owns_f = true;
    return r;
}

int tw_pcapng_next(tw_pcapng *r, struct tw_pcapng_packet *pkt, uint64_t next_frame,
                   struct tw_error *err)
{
    for (;;) {
        if (r->state != 0)
            return r->state > 0 ? 0 : -1;
        int rc = read_block(r, pkt, next_frame, err);
        if (rc == 1) {
            r->last_ts_ns = pkt->ts_ns;
            return 1;
        }
        if (rc == 2)
            r->state = 1;
        /* rc == 0: not a packet, read on; rc == -1: state is -1 now */
    }
}

void tw_pcapng_free(tw_pcapng *r)
{
    if (!r)
        return;
    if (r->owns_f && r->f)
        fclose(r->f);
    reader_fini(r);
    free(r);
}

bool tw_pcapng_survey(FILE *f, struct tw_pcapng_survey *out)
{
    memset(out, 0, sizeof *out);
    out->first_linktype = -1;
    uint8_t magic[4];
    if (fread(magic, 1, 4, f) != 4 || fseeko(f, -4, SEEK_CUR) != 0)
        return false;
    struct tw_cursor mc = tw_cursor_make(magic, 4);
    if (tw_get_le32(&mc) != BT_SHB)
        return false;
    tw_pcapng *r = malloc(sizeof *r);
    if (!r)
        return false;
    reader_init(r, f, NULL);
    r->is_survey = true;
    struct tw_error e;
    memset(&e, 0, sizeof e);
    struct tw_pcapng_packet pkt;
    int rc = tw_pcapng_next(r, &pkt, 0, &e); /* packets are skipped: 0 or -1 */
    *out = r->sv;
    out->is_pcapng = true;
    out->is_damaged = rc < 0;
    reader_fini(r);
    free(r);
    return true;
}
