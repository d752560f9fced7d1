/* Reading captures: pcap or pcapng from a file, standard input or a live
 * interface, through libpcap.
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

/* Opens a live interface (promiscuous off, snaplen 262144). */
tw_capture *tw_capture_open_live(const char *ifname, const char *bpf_filter,
                                 struct tw_error *err) TW_MUST_CHECK;

/* Next frame, or NULL at the end of input or on error (err->status tells
 * which). The frame and its bytes are borrowed and stay valid only until the
 * next call. */
const struct tw_frame *tw_capture_next(tw_capture *cap, struct tw_error *err);

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
