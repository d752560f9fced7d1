/* The pipeline driver: capture -> decode -> track -> diagnose -> report for
 * one capture. Owns the per-file state (flow table, counters, vantage votes);
 * the reporters get records through a struct tw_sink. */
#ifndef TW_ANALYZE_ANALYZER_H
#define TW_ANALYZE_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "correlate/correlate.h"
#include "report/progress.h"
#include "report/sink.h"

struct tw_analyze_options {
    const char *bpf_filter;   /* NULL for none */
    int vantage;              /* enum tw_vantage, or -1 to infer */
    size_t memcap_bytes;      /* flow table budget */
    int64_t idle_ns;          /* a flow quiet this long is finished */
    size_t max_flows;         /* 0, or a lower cap on tracked flows (--max-flows) */
    const char *live_ifname;  /* capture live from this interface instead of a file */
    volatile int *stop_flag;  /* set (e.g. by a signal handler) to stop reading */
    tw_capture_run *run;      /* NULL, or note every packet here for correlation */
    struct tw_progress *progress; /* NULL, or told of bytes and frames read (report/progress.h) */
};

struct tw_analyze_result {
    uint64_t n_attempts;
    uint64_t n_failed;        /* attempts whose verdict is a failure */
    char warning[256];        /* the last file's warning for people, or "" */
};

/* Analyses the capture at path ("-" for standard input). Everything read is
 * reported, and the summary record comes last, even when reading stops at
 * damage; then err says where and the status is returned. */
enum tw_status tw_analyze_file(const char *path, const struct tw_analyze_options *opt,
                               struct tw_sink *sink, struct tw_analyze_result *res,
                               struct tw_error *err) TW_MUST_CHECK;

#endif
