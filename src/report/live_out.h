/* -w in live mode (-i): the packets of problem attempts, written as their
 * verdicts are decided, to files rotated as report/dump.h says.
 *
 * Part of the report stage. A live capture cannot be read twice, so every
 * frame is kept in memory as it is read (tw_live_out_frame, called by the
 * analyzer before it analyses the frame) until a budget of bytes is full;
 * then the oldest go. When a problem attempt's record comes (failed or
 * degraded verdict, tw_report_is_problem), the kept frames of that attempt
 * are written in the order they were read: TCP on its 4-tuple within its
 * time range, ICMP errors quoting it, and its evidence frames; each frame
 * at most once. The same packets as -w offline, apart from those that left
 * the budget before the verdict (counted) and the input's last frame. */
#ifndef TW_REPORT_LIVE_OUT_H
#define TW_REPORT_LIVE_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "capture/capture.h"
#include "report/dump.h"
#include "report/sink.h"

typedef struct tw_live_out tw_live_out;

/* cfg as for tw_dump_new (copied; what it points to must outlive the
 * handle). budget_bytes bounds the frames kept. NULL when out of memory. */
tw_live_out *tw_live_out_new(const struct tw_dump_config *cfg, size_t budget_bytes);

/* Keeps a copy of fr (the analyzer's frame hook). */
void tw_live_out_frame(void *live_out, const struct tw_frame *fr);

/* Fills *sink with a sink that passes every call on to inner and writes
 * each problem attempt's kept frames. Freeing sink frees inner, not lo. */
void tw_live_out_sink(tw_live_out *lo, struct tw_sink *sink, const struct tw_sink *inner);

struct tw_live_out_counts {
    uint64_t n_written;     /* packets written */
    uint64_t n_attempts;    /* problem attempts written */
    uint64_t n_late;        /* of them, with packets gone from memory before their verdict */
    uint64_t n_other_linktype;
    struct tw_dump_files files;
};

/* Closes the open file and fills *counts; err when a write failed (the
 * first failure stops the writing; the analysis goes on). */
enum tw_status tw_live_out_close(tw_live_out *lo, struct tw_live_out_counts *counts,
                                 struct tw_error *err) TW_MUST_CHECK;

void tw_live_out_free(tw_live_out *lo);

#endif
