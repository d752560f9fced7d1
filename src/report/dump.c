/* -w files: classic pcap or pcapng, rotated (see dump.h).
 *
 * Everything is written in the host's byte order, which both formats allow
 * (the magic number tells readers). Formats: pcap as in libpcap's
 * savefile.c ("nanosecond" magic 0xa1b23c4d), pcapng as in
 * draft-ietf-opsawg-pcapng (SHB 4.1, IDB 4.2, EPB 4.3). */
#include "report/dump.h"

#include <errno.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/i18n.h"

#define SNAPLEN 262144u
#define MAX_IDBS 32 /* link types in one pcapng file */
#define PCAP_NS_MAGIC 0xa1b23c4du
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define OPT_SHB_USERAPPL 4
#define OPT_IF_TSRESOL 9
#define USERAPPL "tcpwhy"

struct tw_dump {
    struct tw_dump_config cfg;
    bool is_rotating;
    FILE *f;
    char path[1024];       /* the open (or last) file */
    char first_path[1024];
    char last_expanded[1000]; /* the name before numbering, of the last file */
    uint64_t n_bytes;      /* in the open file */
    uint64_t n_frames;     /* in the open file */
    int64_t period;        /* of the open file's first frame */
    int linktype;          /* pcap: the files' link type; -1 until known */
    int idbs[MAX_IDBS];    /* pcapng: link type of each interface of the open file */
    size_t n_idbs;
    unsigned n_files, n_removed;
    char **ring;           /* with max_files: the names of the files kept, oldest first */
    unsigned n_ring;
};

/* The LINKTYPE_* value a file holds for a DLT_* (the inverse of the mapping
 * readers apply, see capture/pcapng.c). */
static unsigned dlt_to_linktype(int dlt)
{
    switch (dlt) {
    case DLT_ATM_RFC1483:
        return 100;
    case DLT_RAW:
        return 101;
    case DLT_SLIP_BSDOS:
        return 102;
    case DLT_PPP_BSDOS:
        return 103;
    case DLT_ATM_CLIP:
        return 106;
    case DLT_PFSYNC:
        return 246;
    case DLT_PKTAP:
        return 258;
    default:
        return (unsigned)dlt;
    }
}

tw_dump *tw_dump_new(const struct tw_dump_config *cfg)
{
    tw_dump *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = *cfg;
    d->is_rotating = cfg->max_bytes || cfg->period_ns;
    d->linktype = cfg->linktype;
    if (d->is_rotating && cfg->max_files) {
        d->ring = calloc(cfg->max_files, sizeof *d->ring);
        if (!d->ring) {
            free(d);
            return NULL;
        }
    }
    return d;
}

static int64_t period_of(const tw_dump *d, int64_t ts_ns)
{
    if (!d->cfg.period_ns)
        return 0;
    int64_t p = ts_ns / d->cfg.period_ns;
    return ts_ns % d->cfg.period_ns < 0 ? p - 1 : p;
}

/* "out.pcap" + 3 -> "out-3.pcap"; "out" + 3 -> "out-3". False when cut. */
static bool add_number(char *buf, size_t size, const char *name, unsigned n)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(name, '.');
    int len;
    if (dot && (!slash || dot > slash + 1) && dot != name)
        len = snprintf(buf, size, "%.*s-%u%s", (int)(dot - name), name, n, dot);
    else
        len = snprintf(buf, size, "%s-%u", name, n);
    return len >= 0 && (size_t)len < size;
}

/* The pattern is the user's, as in tcpdump -G. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t expand_time(char *buf, size_t size, const char *pattern, const struct tm *tm)
{
    return strftime(buf, size, pattern, tm);
}
#pragma GCC diagnostic pop

static void make_name(tw_dump *d, int64_t ts_ns, char *buf, size_t size)
{
    if (!d->is_rotating) {
        snprintf(buf, size, "%s", d->cfg.path);
        return;
    }
    char expanded[1000]; /* room for "-N" in the 1024 of a name */
    bool has_conv = strchr(d->cfg.path, '%') != NULL;
    snprintf(expanded, sizeof expanded, "%s", d->cfg.path);
    if (has_conv) {
        int64_t start_ns = d->cfg.period_ns ? period_of(d, ts_ns) * d->cfg.period_ns : ts_ns;
        time_t t = (time_t)(start_ns / 1000000000 - (start_ns % 1000000000 < 0));
        struct tm tm;
        if (!gmtime_r(&t, &tm) || expand_time(expanded, sizeof expanded, d->cfg.path, &tm) == 0)
            snprintf(expanded, sizeof expanded, "%s", d->cfg.path);
    }
    /* a number keeps names apart when the time alone does not (periods
     * only move on, so a repeated name is the previous one's) */
    if (d->cfg.max_bytes || !has_conv || (d->n_files && strcmp(expanded, d->last_expanded) == 0))
        (void)add_number(buf, size, expanded, d->n_files + 1);
    else
        snprintf(buf, size, "%s", expanded);
    snprintf(d->last_expanded, sizeof d->last_expanded, "%s", expanded);
}

static bool put(tw_dump *d, const void *p, size_t n)
{
    d->n_bytes += n;
    return fwrite(p, 1, n, d->f) == n;
}

static bool put32(tw_dump *d, uint32_t v) { return put(d, &v, 4); }
static bool put16(tw_dump *d, uint16_t v) { return put(d, &v, 2); }

static enum tw_status write_failed(tw_dump *d, struct tw_error *err)
{
    return tw_fail(err, TW_E_IO, d->path, TW_OFFSET_UNKNOWN, 0, "cannot write: %s",
                   strerror(errno ? errno : EIO));
}

static bool write_header(tw_dump *d)
{
    if (d->cfg.format == TW_DUMP_PCAP) {
        /* magic, version 2.4, thiszone, sigfigs, snaplen, link type */
        return put32(d, PCAP_NS_MAGIC) && put16(d, 2) && put16(d, 4) && put32(d, 0) &&
               put32(d, 0) && put32(d, SNAPLEN) &&
               put32(d, dlt_to_linktype(d->linktype < 0 ? DLT_EN10MB : d->linktype));
    }
    static const char appl[] = USERAPPL;
    uint16_t appl_len = (uint16_t)(sizeof appl - 1);
    uint32_t appl_padded = (appl_len + 3u) & ~3u;
    uint32_t len = 28 + 4 + appl_padded + 4;
    static const uint8_t zeros[4];
    int64_t section_len = -1;
    return put32(d, BT_SHB) && put32(d, len) && put32(d, 0x1A2B3C4Du) && put16(d, 1) &&
           put16(d, 0) && put(d, &section_len, 8) && put16(d, OPT_SHB_USERAPPL) &&
           put16(d, appl_len) && put(d, appl, appl_len) && put(d, zeros, appl_padded - appl_len) &&
           put32(d, 0) /* opt_endofopt */ && put32(d, len);
}

/* Removes the oldest file kept when one more would pass max_files. */
static void keep_ring(tw_dump *d, const char *name)
{
    if (!d->ring)
        return;
    if (d->n_ring == d->cfg.max_files) {
        if (unlink(d->ring[0]) == 0)
            d->n_removed++;
        free(d->ring[0]);
        memmove(d->ring, d->ring + 1, (d->n_ring - 1) * sizeof *d->ring);
        d->n_ring--;
    }
    char *copy = strdup(name);
    if (copy)
        d->ring[d->n_ring++] = copy;
}

static enum tw_status open_file(tw_dump *d, int64_t ts_ns, struct tw_error *err)
{
    char name[1024];
    make_name(d, ts_ns, name, sizeof name);
    keep_ring(d, name);
    snprintf(d->path, sizeof d->path, "%s", name);
    if (!d->n_files)
        snprintf(d->first_path, sizeof d->first_path, "%s", name);
    errno = 0;
    d->f = fopen(name, "wb");
    if (!d->f)
        return tw_fail(err, TW_E_IO, name, TW_OFFSET_UNKNOWN, 0, "cannot write: %s",
                       strerror(errno));
    d->n_files++;
    d->n_bytes = 0;
    d->n_frames = 0;
    d->n_idbs = 0;
    d->period = period_of(d, ts_ns);
    if (!write_header(d))
        return write_failed(d, err);
    return TW_OK;
}

static enum tw_status close_file(tw_dump *d, struct tw_error *err)
{
    if (!d->f)
        return TW_OK;
    errno = 0;
    bool is_ok = fflush(d->f) == 0 && !ferror(d->f);
    is_ok = fclose(d->f) == 0 && is_ok;
    d->f = NULL;
    return is_ok ? TW_OK : write_failed(d, err);
}

enum tw_status tw_dump_start(tw_dump *d, int64_t ts_ns, struct tw_error *err)
{
    return d->f ? TW_OK : open_file(d, ts_ns, err);
}

static uint8_t tsresol_of(const tw_dump *d, int linktype)
{
    for (size_t i = 0; i < d->cfg.n_tsresols; i++)
        if (d->cfg.tsresols[i].linktype == linktype)
            return d->cfg.tsresols[i].tsresol;
    return 9;
}

/* Timestamps are written at the input's resolution when it is 10^-0 to
 * 10^-9 s: frames read from such an input are whole units of it. Others
 * (binary fractions, finer than ns) are written in ns, all we have. */
static uint8_t written_tsresol(const tw_dump *d, int linktype)
{
    uint8_t r = tsresol_of(d, linktype);
    return (r & 0x80) || r > 9 ? 9 : r;
}

/* The interface of the open pcapng file for linktype, or MAX_IDBS when it
 * has none yet. */
static size_t idb_of(const tw_dump *d, int linktype)
{
    for (size_t i = 0; i < d->n_idbs; i++)
        if (d->idbs[i] == linktype)
            return i;
    return MAX_IDBS;
}

static bool write_idb(tw_dump *d, int linktype)
{
    uint8_t res = written_tsresol(d, linktype);
    bool has_res = res != 6;
    uint32_t len = 20 + (has_res ? 8 : 0) + 4;
    uint8_t res_opt[4] = {res, 0, 0, 0};
    if (!(put32(d, BT_IDB) && put32(d, len) && put16(d, (uint16_t)dlt_to_linktype(linktype)) &&
          put16(d, 0) && put32(d, SNAPLEN)))
        return false;
    if (has_res && !(put16(d, OPT_IF_TSRESOL) && put16(d, 1) && put(d, res_opt, 4)))
        return false;
    d->idbs[d->n_idbs++] = linktype;
    return put32(d, 0) && put32(d, len);
}

static uint64_t pow10u(unsigned n)
{
    uint64_t v = 1;
    while (n--)
        v *= 10;
    return v;
}

static bool write_epb(tw_dump *d, size_t iface, const struct tw_frame *fr)
{
    uint64_t unit_ns = pow10u(9u - written_tsresol(d, fr->linktype));
    int64_t ts = fr->ts_ns / (int64_t)unit_ns - (fr->ts_ns % (int64_t)unit_ns < 0);
    uint64_t t = (uint64_t)ts;
    uint32_t padded = (fr->caplen + 3u) & ~3u;
    uint32_t len = 32 + padded;
    static const uint8_t zeros[4];
    return put32(d, BT_EPB) && put32(d, len) && put32(d, (uint32_t)iface) &&
           put32(d, (uint32_t)(t >> 32)) && put32(d, (uint32_t)t) && put32(d, fr->caplen) &&
           put32(d, fr->wirelen) && put(d, fr->bytes, fr->caplen) &&
           put(d, zeros, padded - fr->caplen) && put32(d, len);
}

static bool write_record(tw_dump *d, const struct tw_frame *fr)
{
    int64_t sec = fr->ts_ns / 1000000000, ns = fr->ts_ns % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        sec--;
    }
    return put32(d, (uint32_t)sec) && put32(d, (uint32_t)ns) && put32(d, fr->caplen) &&
           put32(d, fr->wirelen) && put(d, fr->bytes, fr->caplen);
}

/* Bytes fr adds to the open file. */
static uint64_t frame_bytes(const tw_dump *d, const struct tw_frame *fr)
{
    if (d->cfg.format == TW_DUMP_PCAP)
        return 16u + fr->caplen;
    uint64_t n = 32u + ((fr->caplen + 3u) & ~3u);
    if (!d->f || idb_of(d, fr->linktype) == MAX_IDBS)
        n += 32;
    return n;
}

static bool is_due(const tw_dump *d, const struct tw_frame *fr)
{
    if (!d->f)
        return true;
    if (!d->is_rotating || !d->n_frames)
        return false;
    /* a later period only: a frame a little out of order (or, live, of an
     * attempt judged late) stays with the file it came with */
    if (d->cfg.period_ns && period_of(d, fr->ts_ns) > d->period)
        return true;
    return d->cfg.max_bytes && d->n_bytes + frame_bytes(d, fr) > d->cfg.max_bytes;
}

enum tw_status tw_dump_frame(tw_dump *d, const struct tw_frame *fr, bool *is_written,
                             struct tw_error *err)
{
    *is_written = false;
    if (d->cfg.format == TW_DUMP_PCAP) {
        if (d->linktype < 0)
            d->linktype = fr->linktype;
        if (fr->linktype != d->linktype)
            return TW_OK;
    }
    if (is_due(d, fr)) {
        if (close_file(d, err) != TW_OK || open_file(d, fr->ts_ns, err) != TW_OK)
            return err->status;
    }
    errno = 0;
    bool is_ok;
    if (d->cfg.format == TW_DUMP_PCAP) {
        is_ok = write_record(d, fr);
    } else {
        size_t iface = idb_of(d, fr->linktype);
        if (iface == MAX_IDBS) {
            if (d->n_idbs == MAX_IDBS)
                return TW_OK; /* more link types than any real capture has */
            iface = d->n_idbs;
            is_ok = write_idb(d, fr->linktype);
        } else {
            is_ok = true;
        }
        is_ok = is_ok && write_epb(d, iface, fr);
    }
    if (!is_ok)
        return write_failed(d, err);
    d->n_frames++;
    *is_written = true;
    return TW_OK;
}

enum tw_status tw_dump_close(tw_dump *d, struct tw_error *err) { return close_file(d, err); }

enum tw_status tw_dump_finish(tw_dump *d, bool has_failed, int64_t ts_ns,
                              struct tw_dump_files *files, struct tw_error *err)
{
    enum tw_status st = TW_OK;
    if (!has_failed)
        st = tw_dump_start(d, ts_ns, err);
    if (st == TW_OK)
        st = tw_dump_close(d, err);
    files->n_files = d->n_files;
    files->n_removed = d->n_removed;
    snprintf(files->first_path, sizeof files->first_path, "%s", d->first_path);
    snprintf(files->last_path, sizeof files->last_path, "%s", d->path);
    return st;
}

void tw_dump_free(tw_dump *d)
{
    if (!d)
        return;
    if (d->f)
        fclose(d->f);
    for (unsigned i = 0; i < d->n_ring; i++)
        free(d->ring[i]);
    free(d->ring);
    free(d);
}
