/* Writing the records of captures read for correlation (pair.h). */
#include "analyze/pair.h"

#include <string.h>

#include "report/thread.h"

/* Writing one run's records: counts what is written into the summary. */
struct emitter {
    struct tw_sink *sink;
    struct tw_file_summary *sum;
    struct tw_analyze_result *res;
};

static void emit_attempt(void *ctx, const struct tw_attempt_record *rec)
{
    struct emitter *e = ctx;
    e->sum->attempts++;
    e->sum->verdicts[rec->diag.verdict]++;
    e->res->n_attempts++;
    if (tw_verdict_is_failure(rec->diag.verdict))
        e->res->n_failed++;
    e->sink->attempt(e->sink->ctx, rec);
}

static void emit_rst(void *ctx, const struct tw_rst_record *rec)
{
    struct emitter *e = ctx;
    e->sink->rst(e->sink->ctx, rec);
}

void tw_pair_emit_run(struct tw_collector *col, struct tw_sink *sink, struct tw_analyze_result *res)
{
    tw_capture_run *run = col->run;
    struct tw_file_summary *sum = &col->summary;
    struct emitter e = {sink, sum, res};
    sum->attempts = 0;
    memset(sum->verdicts, 0, sizeof sum->verdicts);
    for (size_t i = 0; i < tw_capture_run_n_rsts(run); i++)
        emit_rst(&e, tw_capture_run_rst_at(run, i));
    for (size_t i = 0; i < tw_capture_run_n_attempts(run); i++)
        if (!tw_correlate_is_merged(run, i))
            emit_attempt(&e, tw_capture_run_attempt_at(run, i));
        else if (sink->folded)
            sink->folded(sink->ctx, tw_capture_run_attempt_at(run, i));
    /* past the memory budget: on a temporary file, never merged */
    tw_capture_run_replay_spilled(run, emit_attempt, emit_rst, &e);
    if (col->has_summary)
        sink->summary(sink->ctx, sum);
}

void tw_pair_emit(struct tw_correlation *c, struct tw_collector *ci, struct tw_collector *cj,
                  struct tw_sink *sink, struct tw_analyze_result *res, int n_threads)
{
    if (c->is_related) {
        tw_correlate_merge(c);
        sink->correlation(sink->ctx, c);
        struct tw_sink threaded;
        bool is_threaded = tw_analyze_threads(n_threads) > 1 && tw_report_thread(&threaded, sink);
        struct tw_sink *out = is_threaded ? &threaded : sink;
        bool i_first = c->client_run == ci->run;
        tw_pair_emit_run(i_first ? ci : cj, out, res);
        tw_pair_emit_run(i_first ? cj : ci, out, res);
        if (is_threaded)
            threaded.free(threaded.ctx);
        return;
    }
    c->client_run = ci->run;
    c->server_run = cj->run;
    sink->correlation(sink->ctx, c);
    tw_pair_emit_run(ci, sink, res);
    tw_pair_emit_run(cj, sink, res);
}
