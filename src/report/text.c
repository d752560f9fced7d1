/* Text reporter (the default): for each file, what was read and the verdict
 * counts, then one block per failed or degraded attempt (every attempt with
 * -v). The blocks come after the counts, so they are held until the file's
 * summary arrives; at most MAX_BLOCKS are held, the rest are only counted. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/aggregate.h"
#include "base/i18n.h"
#include "report/ladder.h"
#include "report/sink.h"

#define MAX_BLOCKS 500
#define MAX_RST_LINES 200
#define MAX_CONNECT_LINES 50
/* Big captures stay readable: at most this many blocks per verdict; the
 * rest are summed up by server, client subnet and minute. */
#define MAX_BLOCKS_PER_VERDICT 10
#define TOP_SHOWN 5

struct text {
    FILE *out;
    struct tw_report_options opt;
    struct tw_attempt_record *blocks;
    size_t n_blocks;
    uint64_t n_not_shown;
    uint64_t blocks_per_verdict[TW_VERDICT_COUNT], not_shown_per_verdict[TW_VERDICT_COUNT];
    tw_aggregate *agg;                   /* for the summing up, and RSTs per sender */
    struct tw_rst_record *rsts;
    size_t n_rsts;
    uint64_t n_rsts_not_shown;
    char connect_lines[MAX_CONNECT_LINES][256]; /* retried or too slow connects */
    char failure_lines[MAX_CONNECT_LINES][200]; /* per server: since when it fails */
    size_t n_failure_lines;
    size_t n_connect_lines;
    uint64_t n_connects_not_shown;
};

/* A connect worth a line: it took several attempts, or longer than the
 * application's timeout. Formatted now: its attempts are borrowed. */
static void text_connect(void *ctx, const struct tw_connect_record *c)
{
    struct text *t = ctx;
    if (c->n_attempts < 2 && !c->is_over_app_timeout)
        return;
    if (t->n_connect_lines == MAX_CONNECT_LINES) {
        t->n_connects_not_shown++;
        return;
    }
    char *line = t->connect_lines[t->n_connect_lines++];
    size_t size = sizeof t->connect_lines[0];
    char cl[64], sv[80], ts[48];
    const struct tw_attempt_brief *a = c->attempts;
    tw_addr_format(&a->client, cl, sizeof cl);
    tw_endpoint_format(&a->server, a->server_port, sv, sizeof sv);
    tw_format_time(c->start_ns, ts, sizeof ts);
    int n = snprintf(line, size,
                     P_("%s%s -> %s at %s: %.3f s, %zu attempt, %s:",
                        "%s%s -> %s at %s: %.3f s, %zu attempts, %s:", c->n_attempts),
                     c->is_over_app_timeout ? _("OVER THE APP TIMEOUT  ") : "", cl, sv, ts,
                     (double)c->duration_ns / 1e9, c->n_attempts,
                     c->is_connected ? _("connected") : _("failed"));
    for (size_t i = 0; i < c->n_attempts && n > 0 && (size_t)n < size; i++)
        n += snprintf(line + n, size - (size_t)n, _("%s port %u %s"), i ? "," : "",
                      a[i].client_port, tw_verdict_name(a[i].verdict));
    if (t->opt.is_streaming) { /* live: as it comes, like the blocks */
        fprintf(t->out, "%s\n", line);
        t->n_connect_lines--;
    }
}

static void text_server_failures(void *ctx, const struct tw_server_failures_record *f)
{
    struct text *t = ctx;
    if (t->n_failure_lines == MAX_CONNECT_LINES)
        return;
    char sv[80], ts[48];
    tw_endpoint_format(&f->server, f->server_port, sv, sizeof sv);
    tw_format_time(f->since_ns, ts, sizeof ts);
    snprintf(t->failure_lines[t->n_failure_lines++], sizeof t->failure_lines[0],
             _("failures at %s began at %s (%s) and affect %llu of %llu attempts (%.1f %%) since"),
             sv, ts, tw_verdict_name(f->first_verdict), (unsigned long long)f->failed_since,
             (unsigned long long)f->attempts_since,
             100.0 * (double)f->failed_since / (double)(f->attempts_since ? f->attempts_since : 1));
}

static void print_connects(struct text *t, const struct tw_file_summary *s)
{
    for (size_t i = 0; i < t->n_failure_lines; i++)
        fprintf(t->out, "%s  %s\n", i ? "" : "\n", t->failure_lines[i]);
    t->n_failure_lines = 0;
    FILE *out = t->out;
    if (!s->has_connects || !s->connects)
        return;
    fprintf(out, _("\nConnects: %llu (%llu needed more than one attempt, %llu failed)"),
            (unsigned long long)s->connects, (unsigned long long)s->connects_retried,
            (unsigned long long)s->connects_failed);
    if (s->connects_over_app_timeout)
        fprintf(out, _("; %llu took longer than the application's timeout"),
                (unsigned long long)s->connects_over_app_timeout);
    if (s->is_connects_partial) /* the HTML report's words too (html.c) */
        fprintf(out, "\n  %s",
                _("partial: not every attempt past --memcap could be kept (in memory or on a "
                  "temporary file in $TMPDIR), so some connects are missing"));
    fputs(_("\n  connect time:"), out);
    for (int b = 0; b < TW_CONNECT_BUCKETS; b++)
        if (s->connect_histogram[b])
            fprintf(out, " %s %llu", tw_connect_bucket_name[b],
                    (unsigned long long)s->connect_histogram[b]);
    fputc('\n', out);
    for (size_t i = 0; i < t->n_connect_lines; i++)
        fprintf(out, "  %s\n", t->connect_lines[i]);
    if (t->n_connects_not_shown)
        fprintf(out, _("  ... and %llu more (use --format json)\n"),
                (unsigned long long)t->n_connects_not_shown);
    t->n_connect_lines = 0;
    t->n_connects_not_shown = 0;
}

static bool wants_block(const struct text *t, const struct tw_attempt_record *r)
{
    return t->opt.is_verbose || tw_report_is_problem(r);
}

static void print_block(FILE *out, const struct tw_attempt_record *r,
                        const struct tw_report_options *opt);

static void text_attempt(void *ctx, const struct tw_attempt_record *r)
{
    struct text *t = ctx;
    tw_aggregate_attempt(t->agg, r);
    if (!wants_block(t, r))
        return;
    if (!t->opt.is_streaming && !t->opt.is_verbose &&
        t->blocks_per_verdict[r->diag.verdict] >= MAX_BLOCKS_PER_VERDICT) {
        t->not_shown_per_verdict[r->diag.verdict]++;
        t->n_not_shown++;
        return;
    }
    t->blocks_per_verdict[r->diag.verdict]++;
    if (t->opt.is_streaming) {
        print_block(t->out, r, &t->opt);
        return;
    }
    if (t->n_blocks == MAX_BLOCKS) {
        t->n_not_shown++;
        return;
    }
    t->blocks[t->n_blocks++] = *r;
}

static void text_rst(void *ctx, const struct tw_rst_record *r)
{
    struct text *t = ctx;
    tw_aggregate_rst(t->agg, r);
    if (t->n_rsts == MAX_RST_LINES)
        t->n_rsts_not_shown++;
    else
        t->rsts[t->n_rsts++] = *r;
}

static const char *accepted_word(enum tw_accepted a)
{
    return a == TW_ACCEPTED_YES  ? _("accepted")
           : a == TW_ACCEPTED_NO ? _("NOT accepted")
                                 : _("acceptance unknown");
}

static void print_rsts(struct text *t)
{
    FILE *out = t->out;
    const struct tw_agg_row *senders;
    size_t n_senders = tw_aggregate_rows(t->agg, TW_AGG_RST_SENDER, &senders);
    uint64_t total = 0;
    for (size_t i = 0; i < n_senders; i++)
        total += senders[i].rsts;
    if (!total)
        return;
    fprintf(out, _("\nRSTs: %llu\n"), (unsigned long long)total);
    for (size_t i = 0; i < n_senders; i++) {
        const struct tw_agg_row *s = &senders[i];
        if (!s->rsts)
            continue;
        char who[80];
        if (s->is_others)
            snprintf(who, sizeof who, _("other hosts"));
        else if (s->role == TW_SENDER_MIDDLE)
            snprintf(who, sizeof who, _("a box in the path (forged)"));
        else {
            char ip[64];
            tw_addr_format(&s->addr, ip, sizeof ip);
            snprintf(who, sizeof who, "%s (%s)", ip, _(tw_rst_sender_name(s->role)));
        }
        fprintf(out, _("  %llu sent by %s:"), (unsigned long long)s->rsts, who);
        bool first = true;
        for (int c = 0; c < TW_RST_CAUSE_COUNT; c++) {
            if (!s->rst_causes[c])
                continue;
            fprintf(out, "%s %llu %s", first ? "" : ",", (unsigned long long)s->rst_causes[c],
                    tw_rst_cause_name((enum tw_rst_cause)c));
            first = false;
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->n_rsts; i++) {
        const struct tw_rst_record *r = &t->rsts[i];
        char c[80], s[80];
        tw_endpoint_format(&r->key.client, r->key.client_port, c, sizeof c);
        tw_endpoint_format(&r->key.server, r->key.server_port, s, sizeof s);
        fprintf(out, _("\n  RST frame %llu  %s %s %s  from the %s: %s, %s\n"),
                (unsigned long long)r->frame, c, r->res.sender == TW_SENDER_CLIENT ? "->" : "<-", s,
                _(tw_rst_sender_name(r->res.sender)), tw_rst_cause_name(r->res.cause),
                accepted_word(r->res.accepted));
        fprintf(out, "    %s\n", r->res.why);
    }
    if (t->n_rsts_not_shown)
        fprintf(out, _("\n  ... and %llu more RSTs (use --format json for all)\n"),
                (unsigned long long)t->n_rsts_not_shown);
    t->n_rsts = 0;
    t->n_rsts_not_shown = 0;
}

static void print_block(FILE *out, const struct tw_attempt_record *r,
                        const struct tw_report_options *opt)
{
    char c[80], s[80], ts[48];
    tw_endpoint_format(&r->key.client, r->key.client_port, c, sizeof c);
    tw_endpoint_format(&r->key.server, r->key.server_port, s, sizeof s);
    tw_format_time(r->first_ns, ts, sizeof ts);
    fprintf(out, _("\n%s  %s -> %s  at %s\n"), tw_verdict_name(r->diag.verdict), c, s, ts);
    const char *names[4];
    int n = tw_lost_names(r->diag.lost, names);
    if (n) {
        fputs(_("  lost: "), out);
        for (int i = 0; i < n; i++)
            fprintf(out, "%s%s", i ? ", " : "", names[i]);
        fputc('\n', out);
    }
    fprintf(out, "  %s\n", r->diag.why);
    if (r->diag.n_evidence) {
        fputs(_("  frames:"), out);
        for (int i = 0; i < r->diag.n_evidence; i++)
            fprintf(out, " %s%s%llu %s%s",
                    r->diag.evidence[i].file ? r->diag.evidence[i].file : "",
                    r->diag.evidence[i].file ? ":" : "",
                    (unsigned long long)r->diag.evidence[i].frame, r->diag.evidence[i].role,
                    i + 1 < r->diag.n_evidence ? "," : "");
        fputc('\n', out);
    }
    if (r->is_evicted)
        fputs(_("  (judged early: the flow table was full)\n"), out);
    if (opt->has_ladder && tw_report_is_problem(r)) {
        struct tw_ladder_style style = {opt->width_cols, opt->is_color, "  "};
        fputc('\n', out);
        tw_report_ladder(out, r, &style);
    }
}

static void print_loss_line(FILE *out, const char *what_dir, const struct tw_direction_loss *d)
{
    if (!d->lost) {
        fprintf(out, _("  0 packets lost %s"), what_dir);
    } else {
        char who[128] = "";
        if (d->top_count) {
            char ep[80];
            tw_endpoint_format(&d->top_src, d->top_port, ep, sizeof ep);
            snprintf(who, sizeof who, _(" (%llu from %s)"), (unsigned long long)d->top_count, ep);
        }
        fprintf(out,
                P_("  %llu packet lost %s%s: %llu SYN, %llu SYN+ACK, %llu ACK, %llu RST, "
                   "%llu of %llu data segments",
                   "  %llu packets lost %s%s: %llu SYN, %llu SYN+ACK, %llu ACK, %llu RST, "
                   "%llu of %llu data segments",
                   d->lost),
                (unsigned long long)d->lost, what_dir, who,
                (unsigned long long)d->lost_syn, (unsigned long long)d->lost_synack,
                (unsigned long long)d->lost_ack, (unsigned long long)d->lost_rst,
                (unsigned long long)d->lost_data, (unsigned long long)d->data_upstream);
    }
    if (d->missing_upstream)
        fprintf(out,
                _("; %llu missing from the upstream capture itself (capture loss, not the "
                  "network)"),
                (unsigned long long)d->missing_upstream);
    if (d->missing_downstream)
        fprintf(out,
                _("; %llu absent from the downstream capture although acknowledged there "
                  "(capture loss, not the network)"),
                (unsigned long long)d->missing_downstream);
    if (d->resegmented || d->resegmented_downstream)
        fprintf(out,
                _("; %llu upstream and %llu downstream data segments crossed as other segments "
                  "(TSO/GSO or GRO on a capture host: delivered)"),
                (unsigned long long)d->resegmented, (unsigned long long)d->resegmented_downstream);
    fputc('\n', out);
}

static void text_correlation(void *ctx, const struct tw_correlation *c)
{
    FILE *out = ((struct text *)ctx)->out;
    const char *cf = tw_capture_run_file(c->client_run), *sf = tw_capture_run_file(c->server_run);
    if (!c->is_related) {
        fprintf(out, _("%s and %s share no traffic (%s): each is analysed alone.\n\n"), cf, sf,
                c->why);
        return;
    }
    fprintf(out, _("%s and %s saw the same traffic: %s.\n"), cf, sf, c->why);
    if (c->has_nat)
        fputs(_("  Addresses or ports differ between them: NAT between the points.\n"), out);
    if (isfinite(c->offset_low_s) && isfinite(c->offset_high_s))
        fprintf(out,
                _("  %s's clock is %.6f s %s %s's (between %.6f and %.6f s%s); one-way "
                  "delay client->server %.3f ms, server->client %.3f ms\n"),
                sf, fabs(c->offset_s), c->offset_s >= 0 ? _("ahead of") : _("behind"), cf,
                c->offset_low_s, c->offset_high_s,
                c->is_offset_consistent ? ""
                                        : _("; the bounds cross: clocks drift or packets "
                                            "were mismatched"),
                c->delay_c2s_s * 1e3, c->delay_s2c_s * 1e3);
    else
        fputs(_("  Clock offset: not enough packets both ways to bound it.\n"), out);
    if (c->has_drift)
        fprintf(out, _("  Clock drift: %.3f ppm (the offset changes by %.3f ms per minute)\n"),
                c->drift_ppm, c->drift_ppm * 60e-3);
    if (c->n_clock_steps) {
        char ts[48];
        tw_format_time(c->last_step_ns, ts, sizeof ts);
        fprintf(out,
                P_("  %s's clock jumped %+.6f s at about %s (%llu jump in all): the offset "
                   "above is the one after it\n",
                   "  %s's clock jumped %+.6f s at about %s (%llu jumps in all): the offset "
                   "above is the one after the last\n",
                   c->n_clock_steps),
                sf, c->last_step_s, ts, (unsigned long long)c->n_clock_steps);
    }
    print_loss_line(out, _("on the way from the client side to the server side"), &c->c2s);
    print_loss_line(out, _("on the way from the server side to the client side"), &c->s2c);
    if (c->n_uncompared)
        fprintf(out,
                P_("  (%llu packet was read on a wrong clock, before the offset was found or "
                   "after a jump, and left out)\n",
                   "  (%llu packets were read on a wrong clock, before the offset was found or "
                   "after a jump, and left out)\n",
                   c->n_uncompared),
                (unsigned long long)c->n_uncompared);
    else if (c->is_partial)
        fputs(_("  (only part of the captures was correlated: the memory budget ran out)\n"), out);
    fputc('\n', out);
}

/* The TOP_SHOWN keys with the most failures (rows come most first).
 * title: the line's translated beginning ("  failures by server:"). */
static void print_top(FILE *out, tw_aggregate *agg, enum tw_agg_by by, const char *title)
{
    const struct tw_agg_row *rows;
    size_t n = tw_aggregate_rows(agg, by, &rows);
    fputs(title, out);
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        const struct tw_agg_row *r = &rows[i];
        if (!r->failed || (shown == TOP_SHOWN && !r->is_others))
            continue;
        char name[80], ip[64];
        if (r->is_others) {
            snprintf(name, sizeof name, "%s", _("others"));
        } else if (by == TW_AGG_CLIENT_SUBNET) {
            tw_addr_format(&r->addr, ip, sizeof ip);
            snprintf(name, sizeof name, "%s/%d", ip, r->prefix_bits);
        } else {
            tw_endpoint_format(&r->addr, r->port, name, sizeof name);
        }
        fprintf(out, "%s %s %llu", shown ? "," : "", name, (unsigned long long)r->failed);
        shown++;
    }
    fputc('\n', out);
}

/* A big capture summed up: where failures concentrate, and when. */
static void print_tops(struct text *t)
{
    FILE *out = t->out;
    print_top(out, t->agg, TW_AGG_SERVER, _("  failures by server:"));
    print_top(out, t->agg, TW_AGG_CLIENT_SUBNET, _("  failures by client subnet:"));
    const struct tw_agg_row *rows;
    size_t n = tw_aggregate_rows(t->agg, TW_AGG_MINUTE, &rows);
    bool *shown = calloc(n ? n : 1, sizeof *shown);
    fputs(_("  worst minutes:"), out);
    for (int k = 0; shown && k < TOP_SHOWN; k++) {
        size_t best = n;
        for (size_t m = 0; m < n; m++)
            if (rows[m].failed && !rows[m].is_others && !shown[m] &&
                (best == n || rows[m].failed > rows[best].failed))
                best = m;
        if (best == n)
            break;
        shown[best] = true;
        char ts[48];
        tw_format_time(rows[best].minute * 60 * 1000000000LL, ts, sizeof ts);
        fprintf(out, _("%s %.16s %llu of %llu failed"), k ? "," : "", ts,
                (unsigned long long)rows[best].failed, (unsigned long long)rows[best].attempts);
    }
    free(shown);
    fputc('\n', out);
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
        fprintf(out, _("%s: nothing read: %s\n\n"), s->file, s->error);
        fflush(out);
        return;
    }
    double span = s->last_ns > s->first_ns ? (double)(s->last_ns - s->first_ns) / 1e9 : 0;
    fprintf(out, _("%s: %llu packets over %.3f s, %llu connection attempts\n"), s->file,
            (unsigned long long)s->packets, span, (unsigned long long)s->attempts);
    if (s->packets) {
        char first[48];
        tw_format_time(s->first_ns, first, sizeof first);
        fprintf(out, _("  from %s\n"), first);
    }
    fprintf(out, _("  vantage: %s (%s: %s)\n"), tw_vantage_name(s->vantage),
            s->is_vantage_given ? _("given") : _("inferred"), s->vantage_why);
    if (s->attempts) {
        fputs(_("  verdicts:"), out);
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
        fprintf(out, _("  %llu frames not fully decoded, %llu cut by the snap length\n"),
                (unsigned long long)n_anom, (unsigned long long)s->snapped);
    if (s->capture_gaps)
        fprintf(out,
                P_("  %llu stretch of data (%llu bytes) acknowledged by the receiver but "
                   "not in this capture: the capture dropped it, not the network\n",
                   "  %llu stretches of data (%llu bytes) acknowledged by the receiver but "
                   "not in this capture: the capture dropped them, not the network\n",
                   s->capture_gaps),
                (unsigned long long)s->capture_gaps, (unsigned long long)s->capture_gap_bytes);
    if (s->duplicates)
        fprintf(out,
                _("  %llu frames were second copies of a packet within 1 ms (a mirrored port), "
                  "left out\n"),
                (unsigned long long)s->duplicates);
    if (s->syn_without_mss)
        fprintf(out,
                P_("  %llu attempt began with a SYN without an MSS option: made by hand (a "
                   "scanner, a flood tool, a test), its source may be forged\n",
                   "  %llu attempts began with a SYN without an MSS option: made by hand (a "
                   "scanner, a flood tool, a test), their sources may be forged\n",
                   s->syn_without_mss),
                (unsigned long long)s->syn_without_mss);
    if (s->table.evicted)
        fprintf(out, _("  %llu flows judged early because the flow table was full (--memcap)\n"),
                (unsigned long long)s->table.evicted);
    if (s->is_live && s->has_capture_counters)
        fprintf(out,
                _("  capture: %llu packets dropped by the kernel (buffer full), %llu by the "
                  "interface%s\n"),
                (unsigned long long)s->capture_drops, (unsigned long long)s->capture_ifdrops,
                s->capture_drops || s->capture_ifdrops ? _(": evidence may be missing") : "");
    if (t->n_blocks)
        qsort(t->blocks, t->n_blocks, sizeof t->blocks[0], by_time);
    for (size_t i = 0; i < t->n_blocks; i++)
        print_block(out, &t->blocks[i], &t->opt);
    if (t->n_not_shown) {
        fprintf(out, _("\n... and %llu more attempts not shown (use --format json for all):"),
                (unsigned long long)t->n_not_shown);
        for (int v = 0; v < TW_VERDICT_COUNT; v++)
            if (t->not_shown_per_verdict[v])
                fprintf(out, " %llu %s", (unsigned long long)t->not_shown_per_verdict[v],
                        tw_verdict_name((enum tw_verdict)v));
        fputc('\n', out);
        print_tops(t);
    }
    print_connects(t, s);
    print_rsts(t);
    if (!s->is_complete)
        fprintf(out, _("\n  reading stopped early: %s\n"), s->error);
    fputc('\n', out);
    t->n_blocks = 0;
    t->n_not_shown = 0;
    memset(t->blocks_per_verdict, 0, sizeof t->blocks_per_verdict);
    memset(t->not_shown_per_verdict, 0, sizeof t->not_shown_per_verdict);
    tw_aggregate_reset(t->agg);
    fflush(out);
}

static void text_free(void *ctx)
{
    struct text *t = ctx;
    if (t) {
        free(t->blocks);
        tw_aggregate_free(t->agg);
        free(t->rsts);
    }
    free(t);
}

bool tw_report_text(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt)
{
    struct text *t = calloc(1, sizeof *t);
    if (!t)
        return false;
    memset(sink, 0, sizeof *sink);
    t->blocks = calloc(MAX_BLOCKS, sizeof *t->blocks);
    t->agg = tw_aggregate_new();
    t->rsts = calloc(MAX_RST_LINES, sizeof *t->rsts);
    if (!t->blocks || !t->rsts || !t->agg) {
        text_free(t);
        return false;
    }
    t->out = out;
    t->opt = *opt;
    sink->ctx = t;
    sink->attempt = text_attempt;
    sink->rst = text_rst;
    sink->correlation = text_correlation;
    sink->connect = text_connect;
    sink->server_failures = text_server_failures;
    sink->summary = text_summary;
    sink->free = text_free;
    return true;
}
