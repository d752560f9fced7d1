/* Pass-through calls for sinks that wrap another (see tw_sink_pass_through
 * in sink.h): each hands the record on to the inner sink, which is the
 * first member of the wrapper's context. */
#include <string.h>

#include "report/sink.h"

static const struct tw_sink *inner_of(void *ctx) { return ctx; }

static void pass_attempt(void *ctx, const struct tw_attempt_record *r)
{
    inner_of(ctx)->attempt(inner_of(ctx)->ctx, r);
}

static void pass_folded(void *ctx, const struct tw_attempt_record *r)
{
    if (inner_of(ctx)->folded)
        inner_of(ctx)->folded(inner_of(ctx)->ctx, r);
}

static void pass_rst(void *ctx, const struct tw_rst_record *r)
{
    inner_of(ctx)->rst(inner_of(ctx)->ctx, r);
}

static void pass_correlation(void *ctx, const struct tw_correlation *c)
{
    inner_of(ctx)->correlation(inner_of(ctx)->ctx, c);
}

static void pass_settled(void *ctx, int64_t now_ns, const struct tw_attempt_brief *open,
                         size_t n_open)
{
    if (inner_of(ctx)->settled)
        inner_of(ctx)->settled(inner_of(ctx)->ctx, now_ns, open, n_open);
}

static void pass_summary(void *ctx, const struct tw_file_summary *s)
{
    inner_of(ctx)->summary(inner_of(ctx)->ctx, s);
}

static void pass_finish(void *ctx)
{
    if (inner_of(ctx)->finish)
        inner_of(ctx)->finish(inner_of(ctx)->ctx);
}

static void pass_free(void *ctx) { inner_of(ctx)->free(inner_of(ctx)->ctx); }

void tw_sink_pass_through(struct tw_sink *outer, void *ctx)
{
    memset(outer, 0, sizeof *outer);
    outer->ctx = ctx;
    outer->attempt = pass_attempt;
    outer->folded = pass_folded;
    outer->rst = pass_rst;
    outer->correlation = pass_correlation;
    outer->settled = pass_settled;
    outer->summary = pass_summary;
    outer->finish = pass_finish;
    outer->free = pass_free;
}
