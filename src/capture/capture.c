/* Reading captures through libpcap, keeping record offsets ourselves.
 *
 * A regular classic pcap file is read by our own reader instead
 * (pcapread.h), in large blocks rather than libpcap's record at a time;
 * libpcap still opens it, checks its header and stands by to read from
 * the first record our reader does not take as is (an odd or cut record),
 * so messages about damaged files stay libpcap's.
 *
 * For files libpcap reads through a stdio FILE, so after each record the
 * stream position is the end of that record: ftell() gives offsets for pcap
 * and pcapng alike. Standard input may be a pipe where ftell() fails; for a
 * classic pcap stream the offsets are then computed from the record headers
 * (24-byte file header, 16-byte record headers), and for pcapng on a pipe
 * they are unknown and error messages say so.
 *
 * libpcap 1.10 refuses a pcapng file whose interfaces differ in link type or
 * snap length (or whose sections differ in byte order), which is what
 * mergecap, Wireshark and dumpcap on several interfaces write. Such files are
 * read with our own reader (pcapng.c) instead. Which reader reads a file is
 * decided once, before the first frame: a regular file that starts like
 * pcapng is surveyed first (block headers and interface descriptions only,
 * packet blocks skipped unparsed), and libpcap reads it unless the survey finds
 * mixed interfaces. We do not wait for libpcap to fail and then switch
 * readers in the middle of the file: deciding up front keeps one reader per
 * file, does not depend on the wording of libpcap's messages, and lets a
 * filter that cannot compile for one of the link types fail the open rather
 * than the middle of the run. The price is one extra pass over regular
 * pcapng files (measured: 0.13 s for 176 MB of 2 million small packets, a
 * third of the whole run; less with larger packets). Standard input and live
 * captures are never surveyed: they stay with libpcap.
 *
 * With our reader, the BPF filter is compiled once per link type (on a dead
 * pcap handle) and tested on each frame with pcap_offline_filter(). Frames
 * are numbered as with libpcap: pcap_setfilter() hides the frames that do not
 * match, so with a filter the numbers count matching frames only (without a
 * filter they are Wireshark's numbers). Both readers number alike, so the
 * same file and filter give the same numbers whichever reader ran. */
#include "capture/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/ns.h"
#include "capture/pcapread.h"
#include "capture/pcapng.h"

/* A filter compiled for one link type (own reader only). */
struct filter {
    int linktype;
    struct bpf_program prog;
};

struct tw_capture {
    pcap_t *pcap;           /* libpcap's reader, or NULL when ng reads */
    tw_pcapng *ng;          /* our pcapng reader, for files libpcap refuses */
    tw_pcapread *direct;     /* our classic pcap reader, while it reads (pcap stays open) */
    int direct_linktype;    /* libpcap's DLT_* for the file (direct) */
    struct bpf_program direct_prog; /* the filter, run by us on our reader's records */
    bool has_direct_prog;
    int ng_linktype;        /* DLT_* of the file's first interface (ng) */
    char *bpf_filter;       /* the expression, compiled per link type (ng) */
    struct filter *filters; /* one per link type met so far (ng) */
    size_t n_filters;
    char path[256];
    bool is_live;
    int live_fd;            /* live: what to poll() for packets; -1: cannot */
    int timeout_ms;         /* live: longest poll() for one tw_capture_next_wait() */
    bool is_nano;
    bool can_tell;          /* ftell() works on the underlying stream */
    bool has_filter;        /* a BPF filter hides records from us */
    bool is_pcapng;
    uint64_t end_offset;    /* end of the last record read */
    uint64_t file_bytes;    /* size of a regular file; 0 when unknown (pipe, live) */
    uint64_t n_frames;
    struct tw_frame frame;
};

static bool detect_pcapng(FILE *f, bool can_tell)
{
    /* libpcap has read the file header already; its size tells the format:
     * a classic pcap header is 24 bytes, a pcapng section header block is
     * at least 28. Only usable when the stream is seekable. */
    if (!f || !can_tell)
        return false;
    long pos = ftell(f);
    return pos != 24;
}

static tw_capture *finish_open(tw_capture *cap, const char *bpf_filter, struct tw_error *err)
{
    cap->has_filter = bpf_filter && *bpf_filter;
    if (cap->has_filter) {
        struct bpf_program prog;
        if (pcap_compile(cap->pcap, &prog, bpf_filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            tw_fail(err, TW_E_USAGE, cap->path, TW_OFFSET_UNKNOWN, 0, "bad filter expression: %s",
                    pcap_geterr(cap->pcap));
            tw_capture_free(cap);
            return NULL;
        }
        int rc = pcap_setfilter(cap->pcap, &prog); /* copies prog */
        if (cap->direct) {
            cap->direct_prog = prog;
            cap->has_direct_prog = true;
        } else {
            pcap_freecode(&prog);
        }
        if (rc != 0) {
            tw_fail(err, TW_E_USAGE, cap->path, TW_OFFSET_UNKNOWN, 0, "cannot set filter: %s",
                    pcap_geterr(cap->pcap));
            tw_capture_free(cap);
            return NULL;
        }
    }
    return cap;
}

/* The program for frames of this link type, compiled on first use; NULL
 * with err filled (at offset and frame) when the filter does not compile. */
static const struct bpf_program *filter_for(tw_capture *cap, int linktype, uint64_t offset,
                                            uint64_t frame, struct tw_error *err)
{
    for (size_t i = 0; i < cap->n_filters; i++)
        if (cap->filters[i].linktype == linktype)
            return &cap->filters[i].prog;
    struct filter *grown = realloc(cap->filters, (cap->n_filters + 1) * sizeof *grown);
    if (!grown) {
        tw_fail(err, TW_E_NOMEM, cap->path, offset, frame, "out of memory");
        return NULL;
    }
    cap->filters = grown;
    pcap_t *dead = pcap_open_dead(linktype, 262144);
    if (!dead) {
        tw_fail(err, TW_E_NOMEM, cap->path, offset, frame, "out of memory");
        return NULL;
    }
    struct filter *fl = &cap->filters[cap->n_filters];
    fl->linktype = linktype;
    if (pcap_compile(dead, &fl->prog, cap->bpf_filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        const char *name = pcap_datalink_val_to_name(linktype);
        tw_fail(err, TW_E_USAGE, cap->path, offset, frame,
                "bad filter expression for link type %s (%d): %s", name ? name : "unknown",
                linktype, pcap_geterr(dead));
        pcap_close(dead);
        return NULL;
    }
    pcap_close(dead);
    cap->n_filters++;
    return &fl->prog;
}

/* Our reader from the start of f (see the comment at the top). Compiles the
 * filter for every link type the survey saw, so that a filter that cannot
 * apply to one of them fails here. */
static tw_capture *open_own(tw_capture *cap, FILE *f, const struct tw_pcapng_survey *sv,
                            const char *bpf_filter, struct tw_error *err)
{
    cap->ng = tw_pcapng_open(f, cap->path, err);
    if (!cap->ng) {
        free(cap);
        return NULL;
    }
    cap->ng_linktype = sv->first_linktype;
    cap->is_nano = true;
    cap->can_tell = true;
    cap->is_pcapng = true;
    if (bpf_filter && *bpf_filter) {
        cap->bpf_filter = strdup(bpf_filter);
        if (!cap->bpf_filter) {
            tw_fail(err, TW_E_NOMEM, cap->path, TW_OFFSET_UNKNOWN, 0, "out of memory");
            tw_capture_free(cap);
            return NULL;
        }
        for (size_t i = 0; i < sv->n_linktypes; i++) {
            if (!filter_for(cap, sv->linktypes[i], TW_OFFSET_UNKNOWN, 0, err)) {
                tw_capture_free(cap);
                return NULL;
            }
        }
    }
    return cap;
}

/* Timestamps are kept in ns in an int64_t, and the pipeline subtracts them.
 * A damaged or crafted record can claim any second; clamp to +-TW_NS_LIMIT
 * (base/ns.h) so that no difference of two of them overflows. */
#define TS_LIMIT_S (TW_NS_LIMIT / 1000000000 - 1) /* whole seconds, with room for the fraction */

static int64_t clamped_ns(int64_t sec, int64_t frac_ns)
{
    if (sec > TS_LIMIT_S)
        return TS_LIMIT_S * 1000000000;
    if (sec < -TS_LIMIT_S)
        return -TS_LIMIT_S * 1000000000;
    return sec * 1000000000 + frac_ns;
}

tw_capture *tw_capture_open_file(const char *path, const char *bpf_filter, struct tw_error *err)
{
    tw_capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        tw_fail(err, TW_E_NOMEM, path, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    snprintf(cap->path, sizeof cap->path, "%s", path);
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        tw_fail(err, TW_E_IO, path, TW_OFFSET_UNKNOWN, 0, "cannot open: %s", strerror(errno));
        free(cap);
        return NULL;
    }
    struct stat st;
    bool has_stat = fstat(fileno(f), &st) == 0;
    if (has_stat && S_ISDIR(st.st_mode)) {
        tw_fail(err, TW_E_IO, path, TW_OFFSET_UNKNOWN, 0, "is a directory, not a capture file");
        if (f != stdin)
            fclose(f);
        free(cap);
        return NULL;
    }
    bool is_regular = has_stat && S_ISREG(st.st_mode);
    if (is_regular)
        cap->file_bytes = (uint64_t)st.st_size;
    if (f != stdin && is_regular) {
        struct tw_pcapng_survey sv;
        bool is_mixed = tw_pcapng_survey(f, &sv) && sv.is_mixed;
        if (fseeko(f, 0, SEEK_SET) != 0) {
            tw_fail(err, TW_E_IO, path, TW_OFFSET_UNKNOWN, 0, "cannot rewind: %s", strerror(errno));
            fclose(f);
            free(cap);
            return NULL;
        }
        if (is_mixed)
            return open_own(cap, f, &sv, bpf_filter, err);
    }
    cap->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!cap->pcap) {
        /* libpcap closes nothing on failure; an empty or foreign file ends here. */
        long pos = ftell(f);
        if (f != stdin)
            fclose(f);
        if (pos == 0)
            tw_fail(err, TW_E_FORMAT, path, 0, 0,
                    "cannot read as pcap or pcapng: %s; the file is empty", ebuf);
        else
            tw_fail(err, TW_E_FORMAT, path, 0, 0, "cannot read as pcap or pcapng: %s", ebuf);
        free(cap);
        return NULL;
    }
    cap->is_nano = true;
    cap->can_tell = ftell(f) >= 0;
    cap->is_pcapng = detect_pcapng(f, cap->can_tell);
    cap->end_offset = cap->can_tell ? (uint64_t)ftell(f) : 24;
    /* A regular classic pcap file is read by our reader (pcapread.h); libpcap
     * has checked its header and stays open to read whatever our reader
     * leaves to it. */
    if (f != stdin && !cap->is_pcapng && cap->can_tell && cap->file_bytes) {
        cap->direct = tw_pcapread_open(fileno(f), cap->file_bytes, (uint32_t)pcap_snapshot(cap->pcap));
        cap->direct_linktype = pcap_datalink(cap->pcap);
    }
    return finish_open(cap, bpf_filter, err);
}

tw_capture *tw_capture_open_live(const struct tw_live_config *cfg, const char *bpf_filter,
                                 struct tw_error *err)
{
    const char *ifname = cfg->ifname;
    tw_capture *cap = calloc(1, sizeof *cap);
    if (!cap) {
        tw_fail(err, TW_E_NOMEM, ifname, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    snprintf(cap->path, sizeof cap->path, "%s", ifname);
    cap->is_live = true;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    cap->pcap = pcap_create(ifname, ebuf);
    if (!cap->pcap) {
        tw_fail(err, TW_E_IO, ifname, TW_OFFSET_UNKNOWN, 0, "cannot open interface: %s", ebuf);
        free(cap);
        return NULL;
    }
    pcap_set_snaplen(cap->pcap, cfg->snaplen > 0 ? cfg->snaplen : 262144);
    /* Immediate mode hands each packet over as it arrives (on Linux it also
     * selects TPACKET_V2, where the timeout bounds each wait), so verdicts
     * are not held back by a buffer that fills slowly on a quiet link. */
    pcap_set_timeout(cap->pcap, cfg->timeout_ms > 0 ? cfg->timeout_ms : 100);
    pcap_set_immediate_mode(cap->pcap, 1);
    if (cfg->buffer_kib > 0)
        pcap_set_buffer_size(cap->pcap, cfg->buffer_kib * 1024);
    if (pcap_set_tstamp_precision(cap->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0)
        cap->is_nano = true;
    int rc = pcap_activate(cap->pcap);
    if (rc < 0) {
        const char *why = rc == PCAP_ERROR_PERM_DENIED
                              ? "permission denied (run as root, or give the binary CAP_NET_RAW)"
                              : pcap_geterr(cap->pcap);
        tw_fail(err, TW_E_IO, ifname, TW_OFFSET_UNKNOWN, 0, "cannot capture: %s",
                why && *why ? why : pcap_statustostr(rc));
        tw_capture_free(cap);
        return NULL;
    }
    cap->is_nano = pcap_get_tstamp_precision(cap->pcap) == PCAP_TSTAMP_PRECISION_NANO;
    /* libpcap 1.10 on Linux keeps polling inside pcap_next_ex() until a
     * packet comes, whatever the timeout, and resumes after a signal: the
     * caller would never get its timed work done on a quiet link, nor see
     * Ctrl-C. So the handle is non-blocking and we poll() its descriptor
     * ourselves, with a timeout; a signal ends that poll() too. */
    cap->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 100;
    cap->live_fd = pcap_get_selectable_fd(cap->pcap);
    if (cap->live_fd >= 0 && pcap_setnonblock(cap->pcap, 1, ebuf) != 0)
        cap->live_fd = -1;
    return finish_open(cap, bpf_filter, err);
}

static const struct tw_frame *next_own(tw_capture *cap, struct tw_error *err)
{
    for (;;) {
        struct tw_pcapng_packet pkt;
        if (tw_pcapng_next(cap->ng, &pkt, cap->n_frames + 1, err) <= 0)
            return NULL;
        if (cap->bpf_filter) {
            const struct bpf_program *prog =
                filter_for(cap, pkt.linktype, pkt.offset, cap->n_frames + 1, err);
            if (!prog)
                return NULL;
            struct pcap_pkthdr hdr;
            memset(&hdr, 0, sizeof hdr);
            hdr.caplen = pkt.caplen;
            hdr.len = pkt.wirelen;
            if (pcap_offline_filter(prog, &hdr, pkt.bytes) == 0)
                continue; /* not counted, as with pcap_setfilter() */
        }
        cap->n_frames++;
        cap->frame.number = cap->n_frames;
        cap->frame.offset = pkt.offset;
        cap->frame.ts_ns = pkt.ts_ns;
        cap->frame.caplen = pkt.caplen;
        cap->frame.wirelen = pkt.wirelen;
        cap->frame.linktype = pkt.linktype;
        cap->frame.bytes = pkt.bytes;
        return &cap->frame;
    }
}

/* The next record of our reader that passes the filter; NULL at the end of the
 * file or at a record left to libpcap. Either way cap->direct is then gone and
 * libpcap's stream is where our reader stopped, so libpcap reads what is
 * left: the odd record onwards, or nothing (the end of the file). */
static const struct tw_frame *next_direct(tw_capture *cap, struct tw_error *err)
{
    struct tw_pcapread_record rec;
    while (tw_pcapread_next(cap->direct, &rec) == 1) {
        cap->end_offset = rec.offset + 16 + rec.caplen;
        if (cap->has_direct_prog) {
            struct pcap_pkthdr hdr;
            memset(&hdr, 0, sizeof hdr);
            hdr.caplen = rec.caplen;
            hdr.len = rec.wirelen;
            if (pcap_offline_filter(&cap->direct_prog, &hdr, rec.bytes) == 0)
                continue; /* not counted, as with pcap_setfilter() */
        }
        cap->n_frames++;
        cap->frame.number = cap->n_frames;
        cap->frame.offset = rec.offset;
        cap->frame.ts_ns = clamped_ns(rec.ts_s, rec.frac_ns);
        cap->frame.caplen = rec.caplen;
        cap->frame.wirelen = rec.wirelen;
        cap->frame.linktype = cap->direct_linktype;
        cap->frame.bytes = rec.bytes;
        return &cap->frame;
    }
    uint64_t at = tw_pcapread_offset(cap->direct);
    cap->end_offset = at;
    if (fseeko(pcap_file(cap->pcap), (off_t)at, SEEK_SET) != 0)
        tw_fail(err, TW_E_IO, cap->path, at, cap->n_frames + 1, "cannot seek: %s",
                strerror(errno));
    tw_pcapread_free(cap->direct);
    cap->direct = NULL;
    return NULL;
}

const struct tw_frame *tw_capture_next_wait(tw_capture *cap, bool *is_idle, struct tw_error *err)
{
    *is_idle = false;
    if (cap->ng)
        return next_own(cap, err);
    if (cap->direct) {
        const struct tw_frame *fr = next_direct(cap, err);
        if (fr || err->status != TW_OK)
            return fr;
    }
    bool has_polled = false;
    for (;;) {
        struct pcap_pkthdr *hdr;
        const u_char *data;
        uint64_t start = cap->end_offset;
        int rc = pcap_next_ex(cap->pcap, &hdr, &data);
        if (rc == 1) {
            cap->n_frames++;
            if (cap->is_live) {
                cap->frame.offset = TW_OFFSET_UNKNOWN;
            } else if (!cap->is_pcapng && !cap->has_filter) {
                /* classic pcap, every record delivered: the offsets add up
                 * (cheaper than asking the stream each time) */
                cap->end_offset += 16 + (uint64_t)hdr->caplen;
                cap->frame.offset = start;
            } else if (cap->can_tell) {
                long pos = ftell(pcap_file(cap->pcap));
                cap->end_offset = pos >= 0 ? (uint64_t)pos : cap->end_offset;
                cap->frame.offset = start;
            } else if (!cap->is_pcapng) {
                cap->end_offset += 16 + (uint64_t)hdr->caplen;
                cap->frame.offset = start;
            } else {
                cap->frame.offset = TW_OFFSET_UNKNOWN;
            }
            cap->frame.number = cap->n_frames;
            int64_t frac = hdr->ts.tv_usec;
            if (!cap->is_nano)
                frac *= 1000;
            cap->frame.ts_ns = clamped_ns((int64_t)hdr->ts.tv_sec, frac);
            cap->frame.caplen = hdr->caplen;
            cap->frame.wirelen = hdr->len;
            cap->frame.linktype = pcap_datalink(cap->pcap);
            cap->frame.bytes = data;
            return &cap->frame;
        }
        if (rc == 0 && cap->live_fd >= 0 && !has_polled) {
            /* live, nothing ready: wait a while (a signal cuts it short) */
            struct pollfd pfd = {.fd = cap->live_fd, .events = POLLIN};
            (void)poll(&pfd, 1, cap->timeout_ms);
            has_polled = true;
            continue;
        }
        if (rc == 0) {          /* live: timeout or signal, nothing yet */
            *is_idle = true;
            return NULL;
        }
        if (rc == PCAP_ERROR_BREAK)
            return NULL;        /* end of file, or tw_capture_break() */
        /* A damaged record: what was read before it stands. The damage starts
         * where the last good record ended. */
        uint64_t at = cap->is_live || (cap->is_pcapng && !cap->can_tell) ? TW_OFFSET_UNKNOWN
                                                                         : cap->end_offset;
        tw_fail(err, TW_E_FORMAT, cap->path, at, cap->n_frames + 1, "%s", pcap_geterr(cap->pcap));
        return NULL;
    }
}

const struct tw_frame *tw_capture_next(tw_capture *cap, struct tw_error *err)
{
    for (;;) {
        bool is_idle;
        const struct tw_frame *fr = tw_capture_next_wait(cap, &is_idle, err);
        if (fr || !is_idle)
            return fr;
    }
}

bool tw_capture_is_live(const tw_capture *cap) { return cap->is_live; }

bool tw_capture_stats(tw_capture *cap, struct tw_capture_counters *out)
{
    memset(out, 0, sizeof *out);
    struct pcap_stat ps;
    if (!cap->is_live || !cap->pcap || pcap_stats(cap->pcap, &ps) != 0)
        return false;
    out->received = ps.ps_recv;
    out->dropped = ps.ps_drop;
    out->if_dropped = ps.ps_ifdrop;
    return true;
}

uint64_t tw_capture_frames(const tw_capture *cap) { return cap->n_frames; }

/* For progress: our pcapng reader knows where the last record began, libpcap's
 * where it ended (ftell, or added up for classic pcap). */
uint64_t tw_capture_bytes_read(const tw_capture *cap)
{
    if (cap->ng)
        return cap->n_frames && cap->frame.offset != TW_OFFSET_UNKNOWN ? cap->frame.offset : 0;
    return cap->is_live ? 0 : cap->end_offset;
}

uint64_t tw_capture_file_bytes(const tw_capture *cap) { return cap->file_bytes; }

int tw_capture_linktype(const tw_capture *cap)
{
    return cap->ng ? cap->ng_linktype : pcap_datalink(cap->pcap);
}

const char *tw_capture_path(const tw_capture *cap) { return cap->path; }

void tw_capture_break(tw_capture *cap)
{
    if (cap && cap->pcap)
        pcap_breakloop(cap->pcap);
}

void tw_capture_free(tw_capture *cap)
{
    if (!cap)
        return;
    if (cap->pcap)
        pcap_close(cap->pcap); /* closes the FILE too, stdin included */
    tw_pcapng_free(cap->ng);   /* closes its FILE too */
    tw_pcapread_free(cap->direct);
    if (cap->has_direct_prog)
        pcap_freecode(&cap->direct_prog);
    for (size_t i = 0; i < cap->n_filters; i++)
        pcap_freecode(&cap->filters[i].prog);
    free(cap->filters);
    free(cap->bpf_filter);
    free(cap);
}
