/* Text reporter (the default): for each file, what was read and the verdict
 * counts, then one block per failed or degraded attempt (every attempt with
 * -v). The blocks come after the counts, so they are held until the file's
 * summary arrives; at most MAX_BLOCKS are held, the rest are only counted. */
#include <stdlib.h>
#include <string.h>

#include "report/sink.h"

#define MAX_BLOCKS 500

struct text {
    FILE *out;
    struct tw_report_options opt;
    struct tw_attempt_record *blocks;
    size_t n_blocks;
    uint64_t n_not_shown;
};

static bool wants_block(const struct text *t, const struct tw_attempt_record *r)
{
    return t->opt.is_verbose || (r->diag.verdict != TW_VERDICT_OK &&
                                 r->diag.verdict != TW_VERDICT_UNKNOWN);
}

static void text_attempt(void *ctx, const struct tw_attempt_record *r)
{
    struct text *t = ctx;
    if (!wants_block(t, r))
        return;
    if (t->n_blocks == MAX_BLOCKS) {
        t->n_not_shown++;
        return;
    }
    t->blocks[t->n_blocks++] = *r;
}

static void print_block(FILE *out, const struct tw_attempt_record *r)
{
    char c[80], s[80], ts[48];
    tw_endpoint_format(&r->key.client, r->key.client_port, c, sizeof c);
    tw_endpoint_format(&r->key.server, r->key.server_port, s, sizeof s);
    tw_format_time(r->first_ns, ts, sizeof ts);
    fprintf(out, "\n%s  %s -> %s  at %s\n", tw_verdict_name(r->diag.verdict), c, s, ts);
    const char *names[4];
    int n = tw_lost_names(r->diag.lost, names);
    if (n) {
        fputs("  lost: ", out);
        for (int i = 0; i < n; i++)
            fprintf(out, "%s%s", i ? ", " : "", names[i]);
        fputc('\n', out);
    }
    fprintf(out, "  %s\n", r->diag.why);
    if (r->diag.n_evidence) {
        fputs("  frames:", out);
        for (int i = 0; i < r->diag.n_evidence; i++)
            fprintf(out, " %llu %s%s", (unsigned long long)r->diag.evidence[i].frame,
                    r->diag.evidence[i].role, i + 1 < r->diag.n_evidence ? "," : "");
        fputc('\n', out);
    }
    if (r->is_evicted)
        fputs("  (judged early: the flow table was full)\n", out);
}

static int by_time(const void *pa, const void *pb)
{
    const struct tw_attempt_record *a = pa, *b = pb;
    return (a->first_ns > b->first_ns) - (a->first_ns < b->first_ns);
}

static void text_summary(void *ctx, const struct tw_file_summary *s)
{
    struct text *t = ctx;
    FILE *out = t->out;
    if (!s->is_complete && s->packets == 0) {
        fprintf(out, "%s: nothing read: %s\n\n", s->file, s->error);
        fflush(out);
        return;
    }
    double span = s->last_ns > s->first_ns ? (double)(s->last_ns - s->first_ns) / 1e9 : 0;
    fprintf(out, "%s: %llu packets over %.3f s, %llu connection attempts\n", s->file,
            (unsigned long long)s->packets, span, (unsigned long long)s->attempts);
    if (s->packets) {
        char first[48];
        tw_format_time(s->first_ns, first, sizeof first);
        fprintf(out, "  from %s\n", first);
    }
    fprintf(out, "  vantage: %s (%s: %s)\n", tw_vantage_name(s->vantage),
            s->is_vantage_given ? "given" : "inferred", s->vantage_why);
    if (s->attempts) {
        fputs("  verdicts:", out);
        bool first = true;
        for (int v = 0; v < TW_VERDICT_COUNT; v++) {
            if (!s->verdicts[v])
                continue;
            fprintf(out, "%s %s %llu", first ? "" : ",", tw_verdict_name((enum tw_verdict)v),
                    (unsigned long long)s->verdicts[v]);
            first = false;
        }
        fputc('\n', out);
    }
    uint64_t n_anom = 0;
    for (int a = 1; a < TW_ANOM_COUNT; a++)
        n_anom += s->anomalies[a];
    if (n_anom || s->snapped)
        fprintf(out, "  %llu frames not fully decoded, %llu cut by the snap length\n",
                (unsigned long long)n_anom, (unsigned long long)s->snapped);
    if (s->table.evicted)
        fprintf(out, "  %llu flows judged early because the flow table was full (--memcap)\n",
                (unsigned long long)s->table.evicted);
    qsort(t->blocks, t->n_blocks, sizeof t->blocks[0], by_time);
    for (size_t i = 0; i < t->n_blocks; i++)
        print_block(out, &t->blocks[i]);
    if (t->n_not_shown)
        fprintf(out, "\n... and %llu more attempts not shown (use --format json for all)\n",
                (unsigned long long)t->n_not_shown);
    if (!s->is_complete)
        fprintf(out, "\n  reading stopped early: %s\n", s->error);
    fputc('\n', out);
    t->n_blocks = 0;
    t->n_not_shown = 0;
    fflush(out);
}

static void text_free(void *ctx)
{
    struct text *t = ctx;
    if (t)
        free(t->blocks);
    free(t);
}

bool tw_report_text(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt)
{
    struct text *t = calloc(1, sizeof *t);
    if (!t)
        return false;
    t->blocks = calloc(MAX_BLOCKS, sizeof *t->blocks);
    if (!t->blocks) {
        free(t);
        return false;
    }
    t->out = out;
    t->opt = *opt;
    sink->ctx = t;
    sink->attempt = text_attempt;
    sink->summary = text_summary;
    sink->free = text_free;
    return true;
}
