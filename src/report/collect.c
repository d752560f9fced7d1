/* The collecting sink: keeps records for correlation instead of writing them. */
#include <string.h>

#include "report/sink.h"

static void collect_attempt(void *ctx, const struct tw_attempt_record *rec)
{
    tw_capture_run_attempt(((struct tw_collector *)ctx)->run, rec);
}

static void collect_rst(void *ctx, const struct tw_rst_record *rec)
{
    tw_capture_run_rst(((struct tw_collector *)ctx)->run, rec);
}

static void collect_summary(void *ctx, const struct tw_file_summary *sum)
{
    struct tw_collector *c = ctx;
    c->summary = *sum;
    c->has_summary = true;
}

static void collect_free(void *ctx) { (void)ctx; }

void tw_report_collect(struct tw_sink *sink, struct tw_collector *c)
{
    memset(sink, 0, sizeof *sink);
    sink->ctx = c;
    sink->attempt = collect_attempt;
    sink->rst = collect_rst;
    sink->summary = collect_summary;
    sink->free = collect_free;
}
