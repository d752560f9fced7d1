/* What reporters receive, and the one signature every reporter has.
 *
 * Last stage of the pipeline. The analyzer (analyze/) hands each reporter
 * the attempt records of a file as they are judged, then the file's summary.
 * Records are borrowed for the duration of the call. Reporters write to the
 * FILE they were created with and never exit or print elsewhere. */
#ifndef TW_REPORT_SINK_H
#define TW_REPORT_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "decode/decode.h"
#include "diagnose/connect.h"
#include "diagnose/diagnose.h"
#include "diagnose/rst.h"
#include "correlate/correlate.h"
#include "track/table.h"



/* One connect: the attempts an application made as one connect() (see
 * diagnose/connect.h). `attempts` is borrowed for the call. */
struct tw_connect_record {
    const char *file;
    const struct tw_attempt_brief *attempts;
    size_t n_attempts;
    int64_t start_ns, duration_ns;
    bool is_connected;
    bool has_app_timeout;         /* --app-timeout given */
    bool is_over_app_timeout;
    int64_t app_timeout_ns;
};

/* Failures at one server endpoint since they began. */
struct tw_server_failures_record {
    const char *file;
    struct tw_addr server;
    uint16_t server_port;
    int64_t since_ns;
    uint64_t attempts_since, failed_since;
    enum tw_verdict first_verdict;
};

struct tw_file_summary {
    const char *file;
    uint64_t packets, tcp_syn, tcp_synack, tcp_rst;
    uint64_t attempts;
    uint64_t verdicts[TW_VERDICT_COUNT];
    enum tw_vantage vantage;
    bool is_vantage_given;        /* --vantage, not inferred */
    char vantage_why[256];
    bool is_complete;
    char error[512];              /* when !is_complete */
    int64_t first_ns, last_ns;    /* 0 when no frame was read */
    int linktype;
    uint64_t snapped;             /* frames cut by the snap length */
    uint64_t duplicates;          /* copies from a mirrored port, left out (analyzer.c) */
    uint64_t syn_without_mss;     /* attempts whose SYN carried no MSS option (made by hand) */
    uint64_t capture_gaps;        /* holes acknowledged but not in the capture: its own loss */
    uint64_t capture_gap_bytes;
    uint64_t anomalies[TW_ANOM_COUNT];
    struct tw_table_stats table;
    uint64_t rst_causes[TW_RST_CAUSE_COUNT];
    /* connects (filled by the connects wrapper, tw_report_connects) */
    bool has_connects;
    uint64_t connects, connects_retried, connects_failed, connects_over_app_timeout;
    uint64_t connect_histogram[TW_CONNECT_BUCKETS];
    bool is_connects_partial;     /* too many attempts to group them all */
    bool is_server_failures_partial; /* too many attempts to count them all per server */
    uint64_t rst_senders[TW_SENDER_COUNT];
    /* live captures only (-i): libpcap's counters (pcap_stats), so that the
     * reader knows when evidence is missing: packets the kernel dropped for
     * lack of buffer room, and packets the interface or its driver dropped */
    bool is_live;
    bool has_capture_counters;    /* the platform gave them */
    uint64_t capture_received, capture_drops, capture_ifdrops;
    uint64_t unsettled;           /* flows with attempts not reported yet */
};

struct tw_sink {
    void *ctx;
    void (*attempt)(void *ctx, const struct tw_attempt_record *rec);
    /* NULL, or: the other capture's own record of an attempt that
     * correlation merged into a record passed to attempt() (its addresses,
     * ports, times and frames as that capture saw them, e.g. behind a NAT).
     * It comes after the merged record, and counts nowhere: --filter and -w
     * use it to select the attempt's packets in that capture. */
    void (*folded)(void *ctx, const struct tw_attempt_record *rec);
    void (*rst)(void *ctx, const struct tw_rst_record *rec);
    /* two captures of the same traffic: how they pair, their clocks, loss */
    void (*correlation)(void *ctx, const struct tw_correlation *c);
    void (*connect)(void *ctx, const struct tw_connect_record *rec);
    void (*server_failures)(void *ctx, const struct tw_server_failures_record *rec);
    void (*summary)(void *ctx, const struct tw_file_summary *sum);
    /* NULL, or (live) called now and then with the capture clock and the
     * attempts begun but not passed to attempt() yet (their endpoints and
     * first packet, sorted by tw_attempt_briefs_sort; open is NULL when
     * they could not all be listed): what depends on several attempts
     * (connects) can be written as soon as no open attempt bears on it */
    void (*settled)(void *ctx, int64_t now_ns, const struct tw_attempt_brief *open,
                    size_t n_open);
    /* NULL, or called once after the last record of the last input */
    void (*finish)(void *ctx);
    void (*free)(void *ctx);
};

struct tw_report_options {
    bool is_verbose;              /* text: list healthy attempts too */
    bool has_ladder;              /* text: a ladder diagram in each problem block */
    bool is_color;                /* text: ANSI colours in the ladders */
    int width_cols;               /* text: fit the ladders in this many columns */
    bool is_streaming;            /* text: write each block when it comes (live), not
                                     after the summary */
    bool has_aggregates;          /* json: aggregate and timeline records before each
                                     summary (--aggregates) */
};

/* A sink that keeps a capture's attempt and RST records in its run (for
 * correlation) and its summary, instead of writing them. The collector is
 * the caller's and must outlive the sink. */
struct tw_collector {
    tw_capture_run *run;
    struct tw_file_summary summary;
    bool has_summary;
};
void tw_report_collect(struct tw_sink *sink, struct tw_collector *c);

/* Wraps inner: passes everything through, and writes each file's connects,
 * each as soon as settled() says it can no longer change (live) and the rest
 * before the file's summary, whose histogram counts them all.
 * app_timeout_ns 0: no --app-timeout. It keeps a brief of each attempt of
 * the file within budget_bytes, and past that on a temporary file, merged
 * at the end (is_live: only past the budget, after which the connects wait
 * for the end; reading a file, in runs of a few thousand); the summary says
 * the connects are partial only when that file cannot be written. The
 * wrapper owns inner after this call (its free frees inner too). False when
 * out of memory. */
bool tw_report_connects(struct tw_sink *outer, struct tw_sink inner, int64_t app_timeout_ns,
                        size_t budget_bytes, bool is_live);

/* For a sink that wraps another and passes most calls on (-w's): ctx must
 * start with the inner struct tw_sink (its first member). Fills *outer with
 * calls that hand every record to the inner sink (free frees the inner sink,
 * not ctx); the caller then sets those it handles itself. */
void tw_sink_pass_through(struct tw_sink *outer, void *ctx);

/* Reporters: fill *sink; return false when out of memory. */
bool tw_report_jsonl(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt);
bool tw_report_text(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt);

/* --html: one self-contained page written to out by finish() (html.c). */
bool tw_report_html(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt);

/* Fills *sink with one that passes every call to a, then to b (callbacks
 * either lacks are skipped). It owns a and b after this call: freeing it
 * frees both. False when out of memory (a and b are then still the
 * caller's). */
bool tw_report_tee(struct tw_sink *sink, struct tw_sink a, struct tw_sink b);

/* The aggregate and timeline records of one file (jsonl.c; see
 * aggregate.h and docs/aggregates.md). */
struct tw_aggregate;
void tw_report_jsonl_aggregates(FILE *out, const char *file, struct tw_aggregate *agg);

/* --filter: per input, a Wireshark display filter selecting there the
 * packets -w writes (the problem attempts as that capture saw them, their
 * evidence packets and RSTs), written to out by finish(): one line, or with
 * several inputs one line per input, "FILE<tab>FILTER" ("frame.number==0"
 * when there is nothing to select). inputs are the files as given (borrowed;
 * they must outlive the sink); only names the one input to print (just its
 * filter), or is NULL. stats is the caller's, filled as records come, and
 * must outlive the sink. */
struct tw_wsfilter_stats {
    unsigned long long n_attempts;   /* attempts in the filter */
    unsigned long long n_left_out;   /* problem attempts past the filter's bound */
};
bool tw_report_wsfilter(struct tw_sink *sink, FILE *out, struct tw_wsfilter_stats *stats,
                        char *const *inputs, size_t n_inputs, const char *only);

/* A failed or degraded attempt: any verdict but ok and unknown. These get a
 * block in the text report, a place in --filter and in -w. */
bool tw_report_is_problem(const struct tw_attempt_record *r);

/* A problem attempt as one input capture saw it (its addresses and ports
 * there, NAT or not): what -w (pcap_out.c) and --filter (wsfilter.c) select
 * from that capture. */
struct tw_attempt_view {
    size_t input;             /* index into the inputs */
    struct tw_flow_key key;
    bool is_isn_known;
    uint32_t isn;
    int64_t first_ns, last_ns;
};
void tw_attempt_view_of(struct tw_attempt_view *v, size_t input, const struct tw_attempt_record *r);
/* The index of file among inputs (the names as given), or n_inputs. */
size_t tw_input_index(char *const *inputs, size_t n_inputs, const char *file);

/* Shared formatting. */
void tw_format_time(int64_t ns, char *buf, unsigned long size); /* 2026-11-26T13:39:21.123456789Z */
/* The same, the part up to the second kept in m from the last call: a
 * writer formats many times within one second (attempt records' evidence). */
struct tw_time_memo {
    int64_t sec;
    bool is_set;
    char second[19];
};
void tw_format_time_memo(struct tw_time_memo *m, int64_t ns, char *buf, unsigned long size);
void tw_json_string(FILE *out, const char *s);
/* How byte c is written inside a JSON string: NULL when as itself, else its
 * escape (built in tmp when it is \u00XX). */
const char *tw_json_escape(unsigned char c, char tmp[8]);
/* Byte c stands as itself inside a JSON string (the NUL ending s does not). */
static inline bool tw_json_is_plain(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }
/* The lost bits as words ("synack", ...), in spec order; returns how many. */
int tw_lost_names(unsigned lost, const char *names[4]);

#endif
