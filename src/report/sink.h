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
#include "diagnose/diagnose.h"
#include "diagnose/rst.h"
#include "track/table.h"

struct tw_attempt_record {
    const char *file;             /* as given on the command line */
    struct tw_flow_key key;
    bool is_isn_known;
    uint32_t isn;
    enum tw_vantage vantage;
    int64_t first_ns, last_ns;
    uint32_t n_packets;
    bool is_evicted;              /* judged early: the table was full */
    struct tw_diagnosis diag;
};

/* One RST, explained as it was read. */
struct tw_rst_record {
    const char *file;
    struct tw_flow_key key;       /* the connection it belongs to */
    uint64_t frame;
    int64_t ts_ns;
    struct tw_addr src;           /* the address it came from */
    bool is_isn_known;            /* the attempt it was filed under */
    uint32_t isn;
    uint32_t seq, ack;
    uint8_t tcp_flags, ttl;
    struct tw_rst_result res;
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
    uint64_t anomalies[TW_ANOM_COUNT];
    struct tw_table_stats table;
    uint64_t rst_causes[TW_RST_CAUSE_COUNT];
    uint64_t rst_senders[TW_SENDER_COUNT];
};

struct tw_sink {
    void *ctx;
    void (*attempt)(void *ctx, const struct tw_attempt_record *rec);
    void (*rst)(void *ctx, const struct tw_rst_record *rec);
    void (*summary)(void *ctx, const struct tw_file_summary *sum);
    void (*free)(void *ctx);
};

struct tw_report_options {
    bool is_verbose;              /* text: list healthy attempts too */
};

/* Reporters: fill *sink; return false when out of memory. */
bool tw_report_jsonl(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt);
bool tw_report_text(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt);

/* Shared formatting. */
void tw_format_time(int64_t ns, char *buf, unsigned long size); /* 2026-11-26T13:39:21.123456789Z */
void tw_json_string(FILE *out, const char *s);
/* The lost bits as words ("synack", ...), in spec order; returns how many. */
int tw_lost_names(unsigned lost, const char *names[4]);

#endif
