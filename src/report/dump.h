/* Writing packets to capture files for -w: classic pcap (nanosecond
 * timestamps) or pcapng, optionally rotated like tcpdump's -C, -G and -W.
 *
 * Part of the report stage. Our own writer, not libpcap's: libpcap 1.10
 * cannot write pcapng. A pcapng output holds one Section Header Block, then
 * an Interface Description Block for each link type the moment its first
 * frame is written (so only link types used appear), and one Enhanced
 * Packet Block per frame with its original length and its timestamp at the
 * input interface's resolution (if_tsresol) when that is a power of ten up
 * to nanoseconds, else in nanoseconds. A classic pcap holds one link type:
 * the first frame's, or the one given at open.
 *
 * Rotation: with max_bytes, a frame that would take the file past it goes
 * to a new file (a single frame larger than the limit still goes into one
 * file of its own); with period_ns, a frame whose timestamp falls in
 * a later period than the file's first frame (periods are multiples of
 * period_ns since the epoch, so names and cuts do not depend on when the
 * run started, and the same input gives the same files) goes to a new
 * file. Rotated names: the path with strftime() conversions expanded at the
 * start of the period (UTC), and, when max_bytes is given or the path has
 * no conversion, "-N" (N = 1, 2, ...) before its extension. With max_files,
 * the oldest file this writer made is removed when a new one would make
 * more (a ring, as tcpdump's -W with -C). */
#ifndef TW_REPORT_DUMP_H
#define TW_REPORT_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "capture/capture.h"

enum tw_dump_format { TW_DUMP_PCAP, TW_DUMP_PCAPNG };

/* A link type's timestamp resolution, as pcapng's if_tsresol byte (top bit:
 * a power of two; else a power of ten). Missing: 6 (microseconds). */
struct tw_dump_tsresol {
    int linktype; /* DLT_* */
    uint8_t tsresol;
};

struct tw_dump_config {
    const char *path;             /* the name, or the strftime() pattern */
    enum tw_dump_format format;
    int linktype;                 /* pcap: the link type until a frame says otherwise; -1 none */
    const struct tw_dump_tsresol *tsresols; /* pcapng: per link type; may be NULL */
    size_t n_tsresols;
    uint64_t max_bytes;           /* -C: 0 for no limit */
    int64_t period_ns;            /* -G: 0 for none */
    unsigned max_files;           /* -W: 0 for no limit */
};

typedef struct tw_dump tw_dump;

/* Copies cfg (not what it points to: tsresols and path must outlive the
 * writer). Opens nothing yet: the first file is created by
 * tw_dump_start() or the first frame. NULL when out of memory. */
tw_dump *tw_dump_new(const struct tw_dump_config *cfg);

/* Creates the first file now, so that an output without frames exists too
 * (named after ts_ns when the path has strftime() conversions). */
enum tw_status tw_dump_start(tw_dump *d, int64_t ts_ns, struct tw_error *err) TW_MUST_CHECK;

/* Writes fr, rotating first when due. *is_written is false when a classic
 * pcap cannot take its link type (not an error). */
enum tw_status tw_dump_frame(tw_dump *d, const struct tw_frame *fr, bool *is_written,
                             struct tw_error *err) TW_MUST_CHECK;

/* Flushes and closes the open file. The writer may be freed after. */
enum tw_status tw_dump_close(tw_dump *d, struct tw_error *err) TW_MUST_CHECK;

/* What a writer made, for the note of what -w wrote. */
struct tw_dump_files {
    unsigned n_files;             /* created (rotation: several) */
    unsigned n_removed;           /* of them, removed again to keep max_files */
    char first_path[1024], last_path[1024];
};

/* The end of an output: unless has_failed (a write failed and was said),
 * creates the file if no frame did (an output without packets exists too,
 * empty; named after ts_ns), and closes it; then fills *files. */
enum tw_status tw_dump_finish(tw_dump *d, bool has_failed, int64_t ts_ns,
                              struct tw_dump_files *files, struct tw_error *err) TW_MUST_CHECK;

/* Frees d; a file still open is closed without checking for errors. */
void tw_dump_free(tw_dump *d);

#endif
