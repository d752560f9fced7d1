/* Reading captures through libpcap, keeping record offsets ourselves.
 *
 * For files libpcap reads through a stdio FILE, so after each record the
 * stream position is the end of that record: ftell() gives offsets for pcap
 * and pcapng alike. Standard input may be a pipe where ftell() fails; for a
 * classic pcap stream the offsets are then computed from the record headers
 * (24-byte file header, 16-byte record headers), and for pcapng on a pipe
 * they are unknown and error messages say so. */
#include "capture/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tw_capture {
    pcap_t *pcap;
    char path[256];
    bool is_live;
    bool is_nano;
    bool can_tell;          /* ftell() works on the underlying stream */
    bool is_pcapng;
    uint64_t end_offset;    /* end of the last record read */
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
    if (bpf_filter && *bpf_filter) {
        struct bpf_program prog;
        if (pcap_compile(cap->pcap, &prog, bpf_filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            tw_fail(err, TW_E_USAGE, cap->path, TW_OFFSET_UNKNOWN, 0, "bad filter expression: %s",
                    pcap_geterr(cap->pcap));
            tw_capture_free(cap);
            return NULL;
        }
        int rc = pcap_setfilter(cap->pcap, &prog);
        pcap_freecode(&prog);
        if (rc != 0) {
            tw_fail(err, TW_E_USAGE, cap->path, TW_OFFSET_UNKNOWN, 0, "cannot set filter: %s",
                    pcap_geterr(cap->pcap));
            tw_capture_free(cap);
            return NULL;
        }
    }
    return cap;
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
    cap->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!cap->pcap) {
        /* libpcap closes nothing on failure; an empty or foreign file ends here. */
        long pos = ftell(f);
        if (f != stdin)
            fclose(f);
        tw_fail(err, TW_E_FORMAT, path, 0, 0, "cannot read as pcap or pcapng: %s%s", ebuf,
                pos == 0 ? "; the file is empty" : "");
        free(cap);
        return NULL;
    }
    cap->is_nano = true;
    cap->can_tell = ftell(f) >= 0;
    cap->is_pcapng = detect_pcapng(f, cap->can_tell);
    cap->end_offset = cap->can_tell ? (uint64_t)ftell(f) : 24;
    return finish_open(cap, bpf_filter, err);
}

tw_capture *tw_capture_open_live(const char *ifname, const char *bpf_filter, struct tw_error *err)
{
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
    pcap_set_snaplen(cap->pcap, 262144);
    pcap_set_timeout(cap->pcap, 200);
    pcap_set_immediate_mode(cap->pcap, 1);
    if (pcap_set_tstamp_precision(cap->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0)
        cap->is_nano = true;
    if (pcap_activate(cap->pcap) < 0) {
        tw_fail(err, TW_E_IO, ifname, TW_OFFSET_UNKNOWN, 0, "cannot capture: %s",
                pcap_geterr(cap->pcap));
        tw_capture_free(cap);
        return NULL;
    }
    cap->is_nano = pcap_get_tstamp_precision(cap->pcap) == PCAP_TSTAMP_PRECISION_NANO;
    return finish_open(cap, bpf_filter, err);
}

const struct tw_frame *tw_capture_next(tw_capture *cap, struct tw_error *err)
{
    for (;;) {
        struct pcap_pkthdr *hdr;
        const u_char *data;
        uint64_t start = cap->end_offset;
        int rc = pcap_next_ex(cap->pcap, &hdr, &data);
        if (rc == 1) {
            cap->n_frames++;
            if (cap->is_live) {
                cap->frame.offset = TW_OFFSET_UNKNOWN;
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
            cap->frame.ts_ns = (int64_t)hdr->ts.tv_sec * 1000000000 + frac;
            cap->frame.caplen = hdr->caplen;
            cap->frame.wirelen = hdr->len;
            cap->frame.linktype = pcap_datalink(cap->pcap);
            cap->frame.bytes = data;
            return &cap->frame;
        }
        if (rc == 0)            /* live: read timeout, nothing yet */
            continue;
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

uint64_t tw_capture_frames(const tw_capture *cap) { return cap->n_frames; }

int tw_capture_linktype(const tw_capture *cap) { return pcap_datalink(cap->pcap); }

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
    free(cap);
}
