/* The connects wrapper: groups each file's attempts into the connects an
 * application made (diagnose/connect.h) and reports them before the file's
 * summary. Keeps a brief of every attempt of the file, within its budget;
 * past that the connects cover only the first ones and the summary says so. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "report/sink.h"


struct connects {
    struct tw_sink inner;
    int64_t app_timeout_ns;
    size_t max_briefs;
    struct tw_attempt_brief *briefs;
    size_t n_briefs, cap_briefs;
    bool is_partial;
};

static void pass_attempt(void *ctx, const struct tw_attempt_record *rec)
{
    struct connects *c = ctx;
    if (tw_grow((void **)&c->briefs, &c->cap_briefs, c->n_briefs, sizeof *c->briefs, 1024,
                c->max_briefs))
        tw_attempt_brief_of(rec, &c->briefs[c->n_briefs++]);
    else
        c->is_partial = true;
    c->inner.attempt(c->inner.ctx, rec);
}

static void pass_rst(void *ctx, const struct tw_rst_record *rec)
{
    struct connects *c = ctx;
    c->inner.rst(c->inner.ctx, rec);
}

static void pass_correlation(void *ctx, const struct tw_correlation *corr)
{
    struct connects *c = ctx;
    c->inner.correlation(c->inner.ctx, corr);
}

/* Where failures concentrate: per server endpoint, when they began and what
 * share of the attempts since then failed. */
static void report_server_failures(struct connects *c, const char *file)
{
    if (!c->inner.server_failures || !c->n_briefs)
        return;
    struct tw_server_failures *f = malloc(c->n_briefs * sizeof *f);
    if (!f)
        return;
    size_t n = tw_server_failures_group(c->briefs, c->n_briefs, f, c->n_briefs);
    for (size_t i = 0; i < n; i++) {
        const struct tw_attempt_brief *b = &c->briefs[f[i].first];
        struct tw_server_failures_record rec = {
            .file = file,
            .server = b->server,
            .server_port = b->server_port,
            .since_ns = f[i].since_ns,
            .attempts_since = f[i].attempts_since,
            .failed_since = f[i].failed_since,
            .first_verdict = f[i].first_verdict,
        };
        c->inner.server_failures(c->inner.ctx, &rec);
    }
    free(f);
}

static void pass_summary(void *ctx, const struct tw_file_summary *sum)
{
    struct connects *c = ctx;
    struct tw_file_summary s = *sum;
    struct tw_connect *groups = c->n_briefs ? malloc(c->n_briefs * sizeof *groups) : NULL;
    size_t n = groups ? tw_connects_group(c->briefs, c->n_briefs, groups, c->n_briefs) : 0;
    s.has_connects = true;
    s.is_connects_partial = c->is_partial || (c->n_briefs && !groups);
    for (size_t i = 0; i < n; i++) {
        const struct tw_connect *g = &groups[i];
        struct tw_connect_record rec = {
            .file = sum->file,
            .attempts = &c->briefs[g->first],
            .n_attempts = g->n,
            .start_ns = g->start_ns,
            .duration_ns = g->end_ns - g->start_ns,
            .is_connected = g->is_connected,
            .has_app_timeout = c->app_timeout_ns > 0,
            .app_timeout_ns = c->app_timeout_ns,
        };
        rec.is_over_app_timeout = rec.has_app_timeout && rec.duration_ns > c->app_timeout_ns;
        s.connects++;
        s.connects_retried += g->n > 1;
        s.connects_failed += !g->is_connected;
        s.connects_over_app_timeout += rec.is_over_app_timeout;
        s.connect_histogram[tw_connect_bucket(rec.duration_ns)]++;
        if (c->inner.connect)
            c->inner.connect(c->inner.ctx, &rec);
    }
    free(groups);
    report_server_failures(c, sum->file);
    c->n_briefs = 0;
    c->is_partial = false;
    c->inner.summary(c->inner.ctx, &s);
}

static void pass_finish(void *ctx)
{
    struct connects *c = ctx;
    if (c->inner.finish)
        c->inner.finish(c->inner.ctx);
}

static void free_connects(void *ctx)
{
    struct connects *c = ctx;
    c->inner.free(c->inner.ctx);
    free(c->briefs);
    free(c);
}

bool tw_report_connects(struct tw_sink *outer, struct tw_sink inner, int64_t app_timeout_ns,
                        size_t budget_bytes)
{
    struct connects *c = calloc(1, sizeof *c);
    if (!c)
        return false;
    c->inner = inner;
    c->app_timeout_ns = app_timeout_ns;
    /* the briefs, and the connects grouped from them at the summary */
    c->max_briefs = budget_bytes / (sizeof(struct tw_attempt_brief) + sizeof(struct tw_connect));
    memset(outer, 0, sizeof *outer);
    outer->ctx = c;
    outer->attempt = pass_attempt;
    outer->rst = pass_rst;
    outer->correlation = pass_correlation;
    outer->summary = pass_summary;
    outer->finish = pass_finish;
    outer->free = free_connects;
    return true;
}
