/* Our own pcapng reader, for the files libpcap refuses.
 *
 * libpcap 1.10 reads pcapng only when every interface of the file has the
 * link type and snap length of the first one, and every section the byte
 * order of the first; merged captures (mergecap, Wireshark, dumpcap on
 * several interfaces) break that rule. capture.c keeps libpcap as its reader
 * and calls tw_pcapng_survey() on regular pcapng files to find out whether
 * it must use this reader instead.
 *
 * Part of the capture stage. The reader owns one growable buffer (at most
 * one block, TW_PCAPNG_MAX_BLOCK bytes) and one interface table per section
 * (at most TW_PCAPNG_MAX_IFACES entries). Blocks it does not need (name
 * resolution, statistics, decryption secrets, custom...) are skipped by
 * their length without being read into memory. Every length is checked; an
 * error names the byte offset of the block at fault. Format: pcapng draft,
 * draft-ietf-opsawg-pcapng (section numbers below refer to it). */
#ifndef TW_CAPTURE_PCAPNG_H
#define TW_CAPTURE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

#define TW_PCAPNG_MAX_IFACES 65536u                         /* per section */
#define TW_PCAPNG_MAX_CAPLEN (256u * 1024u * 1024u)         /* captured bytes per frame */
#define TW_PCAPNG_MAX_BLOCK (TW_PCAPNG_MAX_CAPLEN + 65536u) /* frame + headers, options */
#define TW_PCAPNG_SURVEY_LINKTYPES 32                       /* link types listed by a survey */

typedef struct tw_pcapng tw_pcapng;

struct tw_pcapng_packet {
    uint64_t offset; /* byte offset of the packet's block */
    int64_t ts_ns;   /* ns since the epoch; a Simple Packet Block has
                      * no timestamp and repeats the previous frame's */
    uint32_t caplen, wirelen;
    uint32_t interface_id; /* within its section */
    int linktype;          /* DLT_*: LINKTYPE_* values mapped as libpcap does */
    const uint8_t *bytes;  /* in the reader's buffer: valid until the next call */
};

/* What a walk over the whole file found (tw_pcapng_survey). is_mixed: libpcap
 * 1.10 would refuse the file, because its interfaces differ in link type or
 * snap length, or its sections in byte order. linktypes lists the distinct
 * DLT_* values of all interfaces, up to TW_PCAPNG_SURVEY_LINKTYPES of them. */
struct tw_pcapng_survey {
    bool is_pcapng; /* the file starts with a Section Header Block */
    bool is_mixed;
    bool is_damaged;       /* the walk stopped at a bad block */
    uint64_t n_interfaces; /* Interface Description Blocks, all sections */
    int first_linktype;    /* DLT_* of the first interface, -1 if none */
    int linktypes[TW_PCAPNG_SURVEY_LINKTYPES];
    /* the if_tsresol byte (6 when absent) of the first interface of each
     * listed link type: -w writes timestamps at the same resolution */
    uint8_t tsresols[TW_PCAPNG_SURVEY_LINKTYPES];
    size_t n_linktypes;
    bool has_more_linktypes; /* more distinct values than the list holds */
};

/* Walks f from its current position (the start of the file) over block
 * headers only: Section Header and Interface Description Blocks are read,
 * all others skipped by their length. f must be a seekable regular file; it
 * stays open and its position is left anywhere (the caller rewinds). Fills
 * *out; a damaged file sets is_damaged (the reader, not the survey, reports
 * the damage). Returns out->is_pcapng. */
bool tw_pcapng_survey(FILE *f, struct tw_pcapng_survey *out);

/* Reader over f, positioned at the start of a pcapng file; f must be a
 * seekable regular file. Takes ownership of f, also on failure (fclose'd).
 * path is used in error messages only. Reads nothing yet: a file that does
 * not start with a Section Header Block fails at the first tw_pcapng_next().
 * Returns NULL and fills err when out of memory. */
tw_pcapng *tw_pcapng_open(FILE *f, const char *path, struct tw_error *err) TW_MUST_CHECK;

/* Reads up to the next packet. Returns 1 and fills *pkt, 0 at the end of the
 * file, or -1 on error, with err filled with the offset of the bad block and
 * next_frame as its frame number (the caller's numbering). After an error or
 * the end, every later call returns the same. */
int tw_pcapng_next(tw_pcapng *r, struct tw_pcapng_packet *pkt, uint64_t next_frame,
                   struct tw_error *err) TW_MUST_CHECK;

/* Closes the file and frees everything; NULL is fine. */
void tw_pcapng_free(tw_pcapng *r);

/* Converts a pcapng timestamp t, counted in units of 2^-exp s (is_binary) or
 * 10^-exp s (otherwise), plus offset_s seconds (if_tsoffset), to ns since the
 * epoch without overflow. Returns false when exp is beyond 63 (binary) or 19
 * (decimal), or the result does not fit in an int64_t (before 1677 or after
 * 2262). Exposed for the unit tests. */
bool tw_pcapng_ts_to_ns(uint64_t t, bool is_binary, unsigned exp, int64_t offset_s,
                        int64_t *ns) TW_MUST_CHECK;

#endif
