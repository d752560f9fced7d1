/* Reading and decoding a capture file in batches, in a thread of its own or
 * in the caller's.
 *
 * With a thread, frames are read and decoded while the caller tracks and
 * judges the previous batch: the two pass decoded packets (plain data, no
 * pointer into the capture) through a bounded queue of TW_READER_SLOTS
 * batches, and share nothing else. Packets come out in capture order
 * either way, so the rest of the pipeline, and the output, do not depend on
 * the number of threads. */
#ifndef TW_ANALYZE_READER_H
#define TW_ANALYZE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "capture/capture.h"
#include "decode/decode.h"

#define TW_READER_BATCH 256 /* packets per batch */
/* Batches in flight: 16,384 packets, 3.3 MB. The reading thread is the
 * critical path and must never wait for room; the tracking thread stalls
 * now and then behind the writing thread (which yields to both), and 16
 * batches did not absorb that: the reader waited 17 to 26 ms a run on
 * big.pcap (bench/README.md). */
#define TW_READER_SLOTS 64

/* What is worked out about a packet before it is tracked (by the reading
 * thread, when there is one), so that the tracking thread only uses it. */
struct tw_packet_sums {
    uint64_t fp;    /* tw_packet_fingerprint when TCP, else 0 */
    uint64_t hash;  /* tw_flow_hash with the flow table's seed, when has_hash */
    bool has_hash;  /* false: the packet belongs to no flow */
};

struct tw_packet_batch {
    size_t n;
    uint64_t bytes_read;      /* of the file, after the batch's last frame */
    struct tw_packet pkts[TW_READER_BATCH];
    struct tw_packet_sums sums[TW_READER_BATCH]; /* of pkts[i] */
};

typedef struct tw_reader tw_reader;

/* Decodes frame fr into pkt (frame number and time included). */
void tw_reader_decode(const struct tw_frame *fr, struct tw_packet *pkt);

/* pkt's sums; flow_seed: the flow table's (tw_table_seed). */
struct tw_packet_sums tw_packet_sums_of(uint64_t flow_seed, const struct tw_packet *pkt);

/* A reader of cap (which stays the caller's, and is used only by the reader
 * until tw_reader_finish). is_threaded: read in a thread of its own; if the
 * thread cannot start, reads in the caller's. stop_flag may be NULL.
 * flow_seed: the flow table's (tw_table_seed), for the hashes. NULL with err
 * filled when out of memory. */
tw_reader *tw_reader_start(tw_capture *cap, bool is_threaded, volatile int *stop_flag,
                           uint64_t flow_seed, struct tw_error *err) TW_MUST_CHECK;

/* The next batch (at least one packet), or NULL after the last: at the end
 * of the file, at an error (see tw_reader_finish), or (read inline) when
 * stop_flag was set; a threaded reader leaves stop_flag to the caller, who
 * calls tw_reader_finish() to stop it. The batch is the caller's until the
 * next call. */
const struct tw_packet_batch *tw_reader_next(tw_reader *rd);

/* Stops reading (if it has not stopped), waits for the thread and frees the
 * reader; an error met while reading is copied to err. */
void tw_reader_finish(tw_reader *rd, struct tw_error *err);

#endif
