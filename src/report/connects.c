/* The connects wrapper: groups each file's attempts into the connects an
 * application made (diagnose/connect.h) and reports them. Attempts wait in
 * `pending` until their connect can no longer change: live, settled() says
 * when (a connect that ended in a connection once nothing older is still
 * open between its endpoints, a failed one once its retry window has
 * passed too), and the connect goes out then; whatever is left goes out before the file's
 * summary. Past the budget the pending attempts are sorted and written to a
 * temporary file (base/spillsort.h), and from then on the connects wait
 * for the end, where the runs on file and those in memory are merged and
 * grouped as they stream past. Every attempt of the file is also counted for
 * the failures per server (diagnose/connect.h). The failures per server
 * go out before the summary and, live, as they change: once a second at
 * most, for each server endpoint with a failure since the last time. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/spillsort.h"
#include "report/sink.h"

struct connects {
    struct tw_sink inner;
    int64_t app_timeout_ns;
    size_t max_briefs;                 /* in pending */
    const char *file;                  /* of the attempts being grouped */
    struct tw_attempt_brief *pending;  /* attempts of connects not written yet */
    size_t n_pending, cap_pending;
    tw_spillsort *spilled;             /* pending attempts past the budget, sorted runs */
    bool can_spill;                    /* false once the temporary file failed */
    bool is_live;                      /* a live capture: connects go out as they settle */
    struct tw_attempt_brief *group;    /* at the end, after a spill: the connect streaming past */
    size_t n_group, cap_group;
    size_t n_streamed;                 /* attempts that streamed past so far */
    tw_server_tally *servers;          /* every attempt of the file (failures per server) */
    bool is_partial;
    struct tw_file_summary tally;      /* the connects written so far (connect fields only) */
    /* live: the failures per server last written, sorted as grouped, and when */
    struct tw_server_failures_seen *seen;
    size_t n_seen, cap_seen;
    int64_t next_failures_ns;
};

/* A server endpoint's failures as last written live. */
struct tw_server_failures_seen {
    struct tw_addr server;
    uint16_t server_port;
    uint64_t failed_since;
};

/* Briefs per run on the temporary file, reading a file. */
#define RUN_BRIEFS 4096

/* Live, failures per server are looked at this often (capture time). */
#define FAILURES_EVERY_NS 1000000000LL

static void pass_attempt(void *ctx, const struct tw_attempt_record *rec)
{
    struct connects *c = ctx;
    c->file = rec->file;
    struct tw_attempt_brief b;
    tw_attempt_brief_of(rec, &b);
    /* From a file, runs of RUN_BRIEFS: sorting one in this thread holds the
     * records behind it up for a fraction of a millisecond, not 10 ms (and
     * the whole sorts in less); live, only when the budget is full, since
     * the connects then wait for the end. */
    size_t run = c->is_live || !c->can_spill || c->max_briefs < RUN_BRIEFS ? c->max_briefs
                                                                             : RUN_BRIEFS;
    if (c->n_pending >= run && c->can_spill) {
        if (tw_spillsort_add_run(c->spilled, c->pending, c->n_pending))
            c->n_pending = 0;
        else
            c->can_spill = false; /* the temporary file cannot be written */
    }
    if (tw_grow((void **)&c->pending, &c->cap_pending, c->n_pending, sizeof *c->pending, 1024,
                c->max_briefs))
        c->pending[c->n_pending++] = b;
    else
        c->is_partial = true;
    if (c->inner.server_failures)
        tw_server_tally_add(c->servers, &b);
    c->inner.attempt(c->inner.ctx, rec);
}

/* Writes one connect (attempts [g->first, g->first + g->n) of briefs) and
 * counts it. */
static void report_one(struct connects *c, const struct tw_attempt_brief *briefs,
                       const struct tw_connect *g)
{
    struct tw_connect_record rec = {
        .file = c->file,
        .attempts = &briefs[g->first],
        .n_attempts = g->n,
        .start_ns = g->start_ns,
        .duration_ns = g->end_ns - g->start_ns,
        .is_connected = g->is_connected,
        .has_app_timeout = c->app_timeout_ns > 0,
        .app_timeout_ns = c->app_timeout_ns,
    };
    rec.is_over_app_timeout = rec.has_app_timeout && rec.duration_ns > c->app_timeout_ns;
    struct tw_file_summary *s = &c->tally;
    s->connects++;
    s->connects_retried += g->n > 1;
    s->connects_failed += !g->is_connected;
    s->connects_over_app_timeout += rec.is_over_app_timeout;
    s->connect_histogram[tw_connect_bucket(rec.duration_ns)]++;
    if (c->inner.connect)
        c->inner.connect(c->inner.ctx, &rec);
}

/* After a spill: the attempts stream past in order (tw_spillsort_merge);
 * each connect is gathered in c->group and written when the next attempt
 * starts another. */
static void write_group(struct connects *c)
{
    if (!c->n_group)
        return;
    const struct tw_attempt_brief *last = &c->group[c->n_group - 1];
    struct tw_connect g = {0, c->n_group, c->group[0].first_ns, last->done_ns, last->is_completed};
    report_one(c, c->group, &g);
    c->n_group = 0;
}

static void stream_attempt(void *ctx, const void *item)
{
    struct connects *c = ctx;
    const struct tw_attempt_brief *b = item;
    c->n_streamed++;
    if (c->n_group && !tw_connect_is_retry(&c->group[c->n_group - 1], b))
        write_group(c);
    /* a connect of more attempts than the budget holds keeps its first ones */
    if (tw_grow((void **)&c->group, &c->cap_group, c->n_group, sizeof *c->group, 16, c->max_briefs))
        c->group[c->n_group++] = *b;
    else
        c->is_partial = true;
}

/* Groups the pending attempts and writes the connects that can no longer
 * change at now_ns with `open` still open (every one when open is NULL: at
 * the end); the attempts of the others stay. */
static void report_connects(struct connects *c, int64_t now_ns,
                            const struct tw_attempt_brief *open, size_t n_open)
{
    if (tw_spillsort_n_items(c->spilled)) {
        if (open)
            return; /* live: they wait for the end */
        size_t n_before = c->n_streamed;
        bool is_ok = tw_spillsort_merge(c->spilled, c->pending, c->n_pending, stream_attempt, c);
        write_group(c);
        if (!is_ok)
            c->is_partial = true;
        if (is_ok || c->n_streamed != n_before) {
            c->n_pending = 0;
            return;
        }
        /* the file could not be read back at all: group what memory holds */
    }
    if (!c->n_pending)
        return;
    struct tw_connect *groups = malloc(c->n_pending * sizeof *groups);
    if (!groups) {
        if (!open) {
            c->is_partial = true;
            c->n_pending = 0;
        }
        return;
    }
    size_t n = tw_connects_group(c->pending, c->n_pending, groups, c->n_pending);
    size_t n_kept = 0;
    for (size_t i = 0; i < n; i++) {
        const struct tw_connect *g = &groups[i];
        if (!open || tw_connect_is_final(&c->pending[g->first + g->n - 1], now_ns, open, n_open)) {
            report_one(c, c->pending, g);
            continue;
        }
        /* kept: moved down, never over a group still to be read */
        memmove(&c->pending[n_kept], &c->pending[g->first], g->n * sizeof *c->pending);
        n_kept += g->n;
    }
    c->n_pending = n_kept;
    free(groups);
}

/* Live: whether this server endpoint has failed since it was last written
 * (seen, sorted by tw_endpoint_cmp as the failures are, walked along with
 * them from *at). */
static bool has_new_failures(const struct connects *c, size_t *at,
                             const struct tw_server_failures *f)
{
    for (; *at < c->n_seen; (*at)++) {
        const struct tw_server_failures_seen *s = &c->seen[*at];
        int order = tw_endpoint_cmp(&s->server, s->server_port, &f->server, f->server_port);
        if (order == 0)
            return s->failed_since != f->failed_since;
        if (order > 0)
            break;
    }
    return true; /* not written before */
}

/* Where failures concentrate: per server endpoint, when they began and what
 * share of the attempts since then failed. is_changes_only (live): only the
 * endpoints that failed again since the last call, or for the first time. */
static void report_server_failures(struct connects *c, const char *file, bool is_changes_only)
{
    if (!c->inner.server_failures)
        return;
    const struct tw_server_failures *f;
    size_t n = tw_server_tally_failures(c->servers, &f);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_changes_only && !has_new_failures(c, &at, &f[i]))
            continue;
        struct tw_server_failures_record rec = {
            .file = file,
            .server = f[i].server,
            .server_port = f[i].server_port,
            .since_ns = f[i].since_ns,
            .attempts_since = f[i].attempts_since,
            .failed_since = f[i].failed_since,
            .first_verdict = f[i].first_verdict,
        };
        c->inner.server_failures(c->inner.ctx, &rec);
    }
    /* what was written, for the next live call */
    c->n_seen = 0;
    if (tw_grow((void **)&c->seen, &c->cap_seen, n ? n - 1 : 0, sizeof *c->seen, 64, SIZE_MAX)) {
        for (size_t i = 0; i < n; i++)
            c->seen[i] = (struct tw_server_failures_seen){f[i].server, f[i].server_port,
                                                         f[i].failed_since};
        c->n_seen = n;
    }
}

static void pass_settled(void *ctx, int64_t now_ns, const struct tw_attempt_brief *open,
                         size_t n_open)
{
    struct connects *c = ctx;
    if (open) /* else some are not listed: wait */
        report_connects(c, now_ns, open, n_open);
    if (now_ns >= c->next_failures_ns && c->file) {
        c->next_failures_ns = now_ns + FAILURES_EVERY_NS;
        report_server_failures(c, c->file, true);
    }
    if (c->inner.settled)
        c->inner.settled(c->inner.ctx, now_ns, open, n_open);
}

static void pass_summary(void *ctx, const struct tw_file_summary *sum)
{
    struct connects *c = ctx;
    struct tw_file_summary s = *sum;
    c->file = sum->file;
    report_connects(c, INT64_MAX, NULL, 0);
    s.has_connects = true;
    s.is_connects_partial = c->is_partial;
    s.connects = c->tally.connects;
    s.connects_retried = c->tally.connects_retried;
    s.connects_failed = c->tally.connects_failed;
    s.connects_over_app_timeout = c->tally.connects_over_app_timeout;
    memcpy(s.connect_histogram, c->tally.connect_histogram, sizeof s.connect_histogram);
    report_server_failures(c, sum->file, false);
    s.is_server_failures_partial = tw_server_tally_is_partial(c->servers);
    c->n_seen = 0;
    memset(&c->tally, 0, sizeof c->tally);
    tw_server_tally_clear(c->servers);
    c->n_pending = 0;
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
    free(c->pending);
    free(c->group);
    tw_spillsort_free(c->spilled);
    tw_server_tally_free(c->servers);
    free(c->seen);
    free(c);
}

bool tw_report_connects(struct tw_sink *outer, struct tw_sink inner, int64_t app_timeout_ns,
                        size_t budget_bytes, bool is_live)
{
    struct connects *c = calloc(1, sizeof *c);
    if (!c)
        return false;
    /* five eighths for the pending briefs and the connects grouped from
     * them, three for the failures per server (16 bytes an attempt) */
    c->servers = tw_server_tally_new(budget_bytes / 8 * 3);
    c->spilled = tw_spillsort_new(sizeof(struct tw_attempt_brief), tw_attempt_brief_cmp);
    if (!c->servers || !c->spilled) {
        tw_server_tally_free(c->servers);
        tw_spillsort_free(c->spilled);
        free(c);
        return false;
    }
    c->can_spill = true;
    c->is_live = is_live;
    c->inner = inner;
    c->app_timeout_ns = app_timeout_ns;
    c->max_briefs = budget_bytes / 8 * 5 / (sizeof(struct tw_attempt_brief) + sizeof(struct tw_connect));
    tw_sink_pass_through(outer, c); /* folded records and the rest go on as they are */
    outer->attempt = pass_attempt;
    outer->settled = pass_settled;
    outer->summary = pass_summary;
    outer->finish = pass_finish;
    outer->free = free_connects;
    return true;
}
