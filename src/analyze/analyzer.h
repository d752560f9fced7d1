/* The pipeline driver: capture -> decode -> track -> diagnose -> report for
 * one capture. Owns the per-file state (flow table, counters, vantage votes);
 * the reporters get records through a struct tw_sink. */
#ifndef TW_ANALYZE_ANALYZER_H
#define TW_ANALYZE_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "capture/capture.h"
#include "correlate/correlate.h"
#include "report/progress.h"
#include "report/sink.h"

struct tw_analyze_options {
    const char *bpf_filter;   /* NULL for none */
    int vantage;              /* enum tw_vantage, or -1 to infer */
    size_t memcap_bytes;      /* flow table budget */
    int64_t idle_ns;          /* a flow quiet this long is finished */
    size_t max_flows;         /* 0, or a lower cap on tracked flows (--max-flows) */
    volatile int *stop_flag;  /* set (e.g. by a signal handler) to stop reading */
    tw_capture_run *run;      /* NULL, or note every packet here for correlation */
    struct tw_progress *progress; /* NULL, or told of bytes and frames read (report/progress.h) */
    int progress_lane;        /* 0; two files read at once: 0 and 1 (tw_progress_begin_joint) */
    /* Files only: 1 does everything in the caller's thread; more (0: one
     * per core) runs reading and decoding in a thread of their own, and
     * reporting in another, for files of 4 MiB or more. The output is the
     * same. */
    int n_threads;
    /* Live capture (path is then only a name for the records): attempts are
     * reported as soon as their verdict is final (see analyzer.c), not at
     * the end. NULL: read a file. */
    const struct tw_live_config *live;
    /* Live only, each may be NULL. on_open runs once the interface is open
     * and filtered, before the first packet (e.g. to drop privileges); a
     * status other than TW_OK (err filled) ends the run. on_stats gets the
     * counters so far (the summary as it stands, capture counters included)
     * every stats_interval_ns of wall clock (0: never). */
    enum tw_status (*on_open)(void *ctx, struct tw_error *err);
    void (*on_stats)(void *ctx, const struct tw_file_summary *sum);
    int64_t stats_interval_ns;
    void *hook_ctx;
    /* Explanations and the summary's texts in the user's language (for
     * the text report) rather than in English (JSON); base/i18n.h. */
    bool is_localized;
    /* NULL, or shown each frame as read, before it is analysed (live -w
     * keeps a copy: report/live_out.h) */
    void (*on_frame)(void *frame_ctx, const struct tw_frame *fr);
    void *frame_ctx;
};

struct tw_analyze_result {
    uint64_t n_attempts;
    uint64_t n_failed;        /* attempts whose verdict is a failure */
    char warning[256];        /* the last file's warning for people, or "" */
};

/* Threads for n_threads as --threads gives it: itself, or (0) one per core. */
int tw_analyze_threads(int n_threads);

/* Analyses the capture at path ("-" for standard input). Everything read is
 * reported, and the summary record comes last, even when reading stops at
 * damage; then err says where and the status is returned. */
enum tw_status tw_analyze_file(const char *path, const struct tw_analyze_options *opt,
                               struct tw_sink *sink, struct tw_analyze_result *res,
                               struct tw_error *err) TW_MUST_CHECK;

#endif
