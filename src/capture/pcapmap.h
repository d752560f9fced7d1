/* Reading classic pcap files through mmap, for speed.
 *
 * libpcap reads a file through stdio: every byte is copied by the kernel into
 * its buffer (measured: 43 % of tcpwhy's time on a 262 MB capture). This
 * reader maps the file instead, a window at a time, and hands out pointers
 * into the page cache. It reads only what it can read exactly as libpcap
 * would: a classic pcap file (version 2.4, either byte order, micro- or
 * nanosecond timestamps) whose record headers are sane. At the first record
 * it does not take as is (captured length over the snap length or over the
 * wire length, or a record cut short by the end of the file) it stops and
 * says where that record starts, so that libpcap reads the rest of the file
 * from there with its own checks and messages (capture.c).
 *
 * Part of the capture stage. Holds one mapped window (TW_PCAPMAP_WINDOW
 * bytes) at a time, so its resident memory stays small on any file. */
#ifndef TW_CAPTURE_PCAPMAP_H
#define TW_CAPTURE_PCAPMAP_H

#include <stdbool.h>
#include <stdint.h>

#define TW_PCAPMAP_WINDOW (1024u * 1024u)

typedef struct tw_pcapmap tw_pcapmap;

struct tw_pcapmap_record {
    uint64_t offset;      /* byte offset of the record header */
    int64_t ts_s;         /* seconds as written */
    int64_t frac_ns;      /* fraction of a second as written, in ns (not normalised) */
    uint32_t caplen, wirelen;
    const uint8_t *bytes; /* in the mapping: valid until the next call */
};

/* A reader over the regular file fd (which stays the caller's) of
 * file_bytes bytes, when it starts with a classic pcap header of version
 * 2.4; snaplen is the snap length libpcap settled on for the file
 * (pcap_snapshot), the largest captured length taken here. Returns NULL when
 * the file is not one this reader takes (or mapping is not possible): the
 * caller then reads it with libpcap. */
tw_pcapmap *tw_pcapmap_open(int fd, uint64_t file_bytes, uint32_t snaplen);

/* 1: *rec filled; 0: end of file; -1: the record at tw_pcapmap_offset() is
 * one for libpcap (see above). After 0 or -1, every call returns the same. */
int tw_pcapmap_next(tw_pcapmap *m, struct tw_pcapmap_record *rec);

/* Offset of the next record (after -1: of the record left to libpcap). */
uint64_t tw_pcapmap_offset(const tw_pcapmap *m);

/* Unmaps; NULL is fine. Does not close the file. */
void tw_pcapmap_free(tw_pcapmap *m);

#endif
