/* Reading classic pcap files ourselves, for speed.
 *
 * libpcap reads a file through stdio, one record at a time (measured: 43 %
 * of tcpwhy's time on a 262 MB capture). This reader reads the file in
 * large blocks into one buffer it keeps, and hands out pointers into it. It
 * reads only what it can read exactly as libpcap would: a classic pcap file
 * (version 2.4, either byte order, micro- or nanosecond timestamps) whose
 * record headers are sane. At the first record it does not take as is
 * (captured length over the snap length or over the wire length, longer
 * than its buffer, or cut short by the end of the file) it stops and says
 * where that record starts, so that libpcap reads the rest of the file from
 * there with its own checks and messages (capture.c).
 *
 * Part of the capture stage. Its memory is the one buffer
 * (TW_PCAPREAD_BUFFER bytes), whatever the file. */
#ifndef TW_CAPTURE_PCAPREAD_H
#define TW_CAPTURE_PCAPREAD_H

#include <stdbool.h>
#include <stdint.h>

/* Small enough to stay in the core's L2 cache between the kernel's copy
 * and the decoding (bench/README.md: 256 KiB beat 128 KiB, 512 KiB and
 * 1 MiB). */
#define TW_PCAPREAD_BUFFER (256u * 1024u)

typedef struct tw_pcapread tw_pcapread;

struct tw_pcapread_record {
    uint64_t offset;      /* byte offset of the record header */
    int64_t ts_s;         /* seconds as written */
    int64_t frac_ns;      /* fraction of a second as written, in ns (not normalised) */
    uint32_t caplen, wirelen;
    const uint8_t *bytes; /* in the reader's buffer: valid until the next call */
};

/* A reader over the regular file fd (which stays the caller's) of
 * file_bytes bytes, when it starts with a classic pcap header of version
 * 2.4; snaplen is the snap length libpcap settled on for the file
 * (pcap_snapshot), the largest captured length taken here. Returns NULL when
 * the file is not one this reader takes (or memory is short): the
 * caller then reads it with libpcap. */
tw_pcapread *tw_pcapread_open(int fd, uint64_t file_bytes, uint32_t snaplen);

/* 1: *rec filled; 0: end of file; -1: the record at tw_pcapread_offset() is
 * one for libpcap (see above). After 0 or -1, every call returns the same. */
int tw_pcapread_next(tw_pcapread *m, struct tw_pcapread_record *rec);

/* Offset of the next record (after -1: of the record left to libpcap). */
uint64_t tw_pcapread_offset(const tw_pcapread *m);

/* Frees the reader; NULL is fine. Does not close the file. */
void tw_pcapread_free(tw_pcapread *m);

#endif
