/* Reading captures: pcap or pcapng from a file, standard input or a live
 * interface, through libpcap (and for regular classic pcap files, mmap).
 *
 * First stage of the pipeline. Hands out one frame at a time with its
 * 1-based frame number, its timestamp in nanoseconds and, where it can be
 * known, the byte offset of its record in the file, so that later errors can
 * say where they are. libpcap's own messages carry no offset: this module
 * keeps track of offsets itself. */
#ifndef TW_CAPTURE_CAPTURE_H
#define TW_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

typedef struct tw_capture tw_capture;

struct tw_frame {
    uint64_t number;        /* 1-based, as Wireshark counts */
    uint64_t offset;        /* byte offset of the record, or TW_OFFSET_UNKNOWN */
    int64_t ts_ns;          /* ns since the epoch, UTC */
    uint32_t caplen, wirelen;
    int linktype;           /* DLT_* */
    const uint8_t *bytes;   /* borrowed from libpcap: valid until the next call */
};

/* Opens path ("-" for standard input) as pcap or pcapng. bpf_filter may be
 * NULL. Returns NULL and fills err on failure. */
tw_capture *tw_capture_open_file(const char *path, const char *bpf_filter,
                                 struct tw_error *err) TW_MUST_CHECK;

/* How to open a live interface (zeros: libpcap's and our defaults). */
struct tw_live_config {
    const char *ifname;       /* an interface, or "any" */
    int snaplen;              /* bytes kept per packet; 0: 262144 */
    int buffer_kib;           /* kernel capture buffer in KiB; 0: libpcap's default (2 MiB) */
    int timeout_ms;           /* longest wait for a packet before tw_capture_next_wait()
                                 returns idle; 0: 100 */
};

/* Opens a live interface in immediate mode (promiscuous off): each packet
 * is delivered as soon as it arrives. */
tw_capture *tw_capture_open_live(const struct tw_live_config *cfg, const char *bpf_filter,
                                 struct tw_error *err) TW_MUST_CHECK;

/* Next frame, or NULL at the end of input or on error (err->status tells
 * which). The frame and its bytes are borrowed and stay valid only until the
 * next call. */
const struct tw_frame *tw_capture_next(tw_capture *cap, struct tw_error *err);

/* As tw_capture_next(), but a live capture also returns NULL with *is_idle
 * set when no packet came within its timeout (or a signal interrupted the
 * wait), so that the caller can do timed work and check its stop flag. For
 * files *is_idle is always false. */
const struct tw_frame *tw_capture_next_wait(tw_capture *cap, bool *is_idle, struct tw_error *err);

/* Live captures: libpcap's counters since the capture opened (pcap_stats:
 * packets received by the filter, dropped by the kernel for lack of buffer
 * room, dropped by the interface or its driver). False for files, or when
 * the platform cannot tell. */
struct tw_capture_counters {
    uint64_t received, dropped, if_dropped;
};
bool tw_capture_stats(tw_capture *cap, struct tw_capture_counters *out);
bool tw_capture_is_live(const tw_capture *cap);

/* Frames read so far, the file's link type, and bytes consumed. */
uint64_t tw_capture_frames(const tw_capture *cap);
int tw_capture_linktype(const tw_capture *cap);
const char *tw_capture_path(const tw_capture *cap);

/* For a progress meter: bytes of the file read so far (0 when unknown, e.g.
 * pcapng on a pipe or live), and the file's size (0 when unknown: a pipe or
 * an interface). */
uint64_t tw_capture_bytes_read(const tw_capture *cap);
uint64_t tw_capture_file_bytes(const tw_capture *cap);

/* Asks a live capture to stop (safe from a signal handler's flag check). */
void tw_capture_break(tw_capture *cap);

void tw_capture_free(tw_capture *cap);

#endif
