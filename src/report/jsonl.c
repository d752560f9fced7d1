/* JSON Lines reporter (--format json): one object per line, keys in a fixed
 * order, as ../shared/spec/verdicts.md defines for attempt and summary
 * records. Everything is written as it comes; nothing is held back.
 *
 * Attempt and RST records, one or more per connection, are built in a
 * buffer with numbers formatted by hand and written with one fwrite: through
 * fprintf they took about half of a JSON run's instructions. The rarer
 * records use stdio directly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/aggregate.h"
#include "report/sink.h"

/* What attempt records repeat, formatted once: the second of the last
 * timestamp, and the capture file's name as a JSON string. A record names
 * its file in each piece of evidence, and its timestamps mostly fall in the
 * same second as the last record's. */
struct jsonl_cache {
    struct tw_time_memo time;
    const char *file;             /* the name whose JSON form is below (pointer) */
    char file_json[512];
    size_t file_json_len;
    /* the last server endpoint written, quoted (length 0: none yet): most
     * records share a few */
    struct tw_addr server;
    uint16_t server_port;
    char server_json[82];
    size_t server_json_len;
};

struct jsonl {
    FILE *out;
    tw_aggregate *agg;            /* --aggregates; NULL without */
    struct jsonl_cache cache;
};

/* A record being built; written out when full and at its end. */
struct line {
    FILE *out;
    struct jsonl_cache *cache;
    size_t n;
    char b[4096];
};

static void flush(struct line *l)
{
    if (l->n)
        fwrite(l->b, 1, l->n, l->out);
    l->n = 0;
}

static void put_n_slow(struct line *l, const char *s, size_t n)
{
    while (n) {
        if (l->n == sizeof l->b)
            flush(l);
        size_t k = sizeof l->b - l->n < n ? sizeof l->b - l->n : n;
        memcpy(l->b + l->n, s, k);
        l->n += k;
        s += k;
        n -= k;
    }
}

/* The usual case inline, so that a constant's copy is a few moves. */
static inline void put_n(struct line *l, const char *s, size_t n)
{
    if (n <= sizeof l->b - l->n) {
        memcpy(l->b + l->n, s, n);
        l->n += n;
        return;
    }
    put_n_slow(l, s, n);
}

static inline void put(struct line *l, const char *s) { put_n(l, s, strlen(s)); }

static void put_u64(struct line *l, uint64_t v)
{
    char t[20];
    int i = 20;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_n(l, t + i, (size_t)(20 - i));
}

/* s as a JSON string (escaped as tw_json_string does) */
static void put_string(struct line *l, const char *s)
{
    char tmp[8];
    put_n(l, "\"", 1);
    for (;;) {
        size_t run = 0;
        while (tw_json_is_plain((unsigned char)s[run]))
            run++;
        put_n(l, s, run);
        s += run;
        if (!*s)
            break;
        put(l, tw_json_escape((unsigned char)*s++, tmp));
    }
    put_n(l, "\"", 1);
}

static void put_time(struct line *l, int64_t ns)
{
    char ts[48];
    tw_format_time_memo(&l->cache->time, ns, ts + 1, sizeof ts - 2);
    ts[0] = '"';
    size_t n = strlen(ts);
    ts[n] = '"';
    put_n(l, ts, n + 1);
}

/* file as a JSON string, formatted once per name */
static void put_file(struct line *l, const char *file)
{
    struct jsonl_cache *c = l->cache;
    if (c->file != file) {
        /* escaped, a byte takes at most 6 ("\u001f"): too long to keep? */
        if (strlen(file) > (sizeof c->file_json - 2) / 6) {
            put_string(l, file);
            return;
        }
        struct line tmp = {.out = NULL, .cache = c, .n = 0};
        put_string(&tmp, file);
        memcpy(c->file_json, tmp.b, tmp.n);
        c->file_json_len = tmp.n;
        c->file = file;
    }
    put_n(l, c->file_json, c->file_json_len);
}

/* "198.18.1.2:40000" or "[2001:db8::2]:40000" into buf[82]: nothing to
 * escape. Returns its length. */
static size_t quote_endpoint(char *buf, const struct tw_addr *a, uint16_t port)
{
    buf[0] = '"';
    tw_endpoint_format(a, port, buf + 1, 80);
    size_t n = strlen(buf);
    buf[n] = '"';
    return n + 1;
}

static void put_endpoint(struct line *l, const struct tw_addr *a, uint16_t port)
{
    char buf[82];
    put_n(l, buf, quote_endpoint(buf, a, port));
}

/* The server's endpoint, formatted again only when it changes. */
static void put_server(struct line *l, const struct tw_addr *a, uint16_t port)
{
    struct jsonl_cache *c = l->cache;
    if (!c->server_json_len || tw_endpoint_cmp(&c->server, c->server_port, a, port) != 0) {
        c->server_json_len = quote_endpoint(c->server_json, a, port);
        c->server = *a;
        c->server_port = port;
    }
    put_n(l, c->server_json, c->server_json_len);
}

/* ns as seconds with 6 decimals, as printf's "%.6f" of ns / 1e9 prints it:
 * by hand where the rounding cannot differ (not halfway between two
 * microseconds, and small enough for the double to hold the microseconds
 * exactly), else through printf. */
static void put_seconds6(struct line *l, int64_t ns)
{
    if (ns >= 0 && ns < INT64_C(1000000000000000) && ns % 1000 != 500) {
        int64_t us = (ns + 500) / 1000;
        put_u64(l, (uint64_t)(us / 1000000));
        char frac[8];
        frac[0] = '.';
        int64_t f = us % 1000000;
        for (int i = 6; i >= 1; i--) {
            frac[i] = (char)('0' + f % 10);
            f /= 10;
        }
        put_n(l, frac, 7);
        return;
    }
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.6f", (double)ns / 1e9);
    put_n(l, buf, n > 0 ? (size_t)n : 0);
}


/* ,"key": and its value; key is given quoted and punctuated */
static inline void field_u64(struct line *l, const char *key, uint64_t v)
{
    put(l, key);
    put_u64(l, v);
}

static inline void field_string(struct line *l, const char *key, const char *v)
{
    put(l, key);
    put_string(l, v);
}

static inline void field_time(struct line *l, const char *key, int64_t ns)
{
    put(l, key);
    put_time(l, ns);
}

static inline void field_bool(struct line *l, const char *key, bool v)
{
    put(l, key);
    put(l, v ? "true" : "false");
}

static inline void field_seconds6(struct line *l, const char *key, int64_t ns)
{
    put(l, key);
    put_seconds6(l, ns);
}

/* {"type":TYPE,"client":...,"server":... */
static void begin(struct line *l, void *ctx, const char *type, const struct tw_flow_key *k)
{
    l->out = ((struct jsonl *)ctx)->out;
    l->cache = &((struct jsonl *)ctx)->cache;
    l->n = 0;
    put(l, "{\"type\":\"");
    put(l, type);
    put(l, "\",\"client\":");
    put_endpoint(l, &k->client, k->client_port);
    put(l, ",\"server\":");
    put_server(l, &k->server, k->server_port);
}

static void put_isn(struct line *l, bool is_known, uint32_t isn)
{
    put(l, ",\"client_isn\":");
    if (is_known)
        put_u64(l, isn);
    else
        put(l, "null");
}

static void endpoint(FILE *out, const struct tw_addr *a, uint16_t port)
{
    char buf[80];
    tw_endpoint_format(a, port, buf, sizeof buf);
    tw_json_string(out, buf);
}

static void jsonl_attempt(void *ctx, const struct tw_attempt_record *r)
{
    if (((struct jsonl *)ctx)->agg)
        tw_aggregate_attempt(((struct jsonl *)ctx)->agg, r);
    struct line l;
    begin(&l, ctx, "attempt", &r->key);
    put_isn(&l, r->is_isn_known, r->isn);
    put(&l, ",\"verdict\":\"");
    put(&l, tw_verdict_name(r->diag.verdict));
    put(&l, "\",\"lost\":[");
    const char *names[4];
    int n = tw_lost_names(r->diag.lost, names);
    for (int i = 0; i < n; i++) {
        put(&l, i ? ",\"" : "\"");
        put(&l, names[i]);
        put(&l, "\"");
    }
    put(&l, "],\"vantage\":\"");
    put(&l, tw_vantage_name(r->vantage));
    put(&l, "\",\"evidence\":[");
    for (int i = 0; i < r->diag.n_evidence; i++) {
        const struct tw_evidence *e = &r->diag.evidence[i];
        put(&l, i ? ",{\"file\":" : "{\"file\":");
        put_file(&l, e->file ? e->file : r->file);
        field_u64(&l, ",\"frame\":", e->frame);
        field_time(&l, ",\"ts\":", e->ts_ns);
        put(&l, ",\"role\":\"");
        put(&l, e->role);
        put(&l, e->is_lost ? "\",\"lost\":true}" : "\"}");
    }
    field_time(&l, "],\"start\":", r->first_ns);
    field_seconds6(&l, ",\"duration_s\":", r->last_ns - r->first_ns);
    field_u64(&l, ",\"packets\":", r->n_packets);
    field_bool(&l, ",\"timestamp_proof\":", r->diag.rests_on_timestamps);
    field_bool(&l, ",\"evicted\":", r->is_evicted);
    put(&l, ",\"file\":");
    put_file(&l, r->file);
    field_string(&l, ",\"explanation\":", r->diag.why);
    put(&l, "}\n");
    flush(&l);
}

static void jsonl_rst(void *ctx, const struct tw_rst_record *r)
{
    if (((struct jsonl *)ctx)->agg)
        tw_aggregate_rst(((struct jsonl *)ctx)->agg, r);
    struct line l;
    begin(&l, ctx, "rst", &r->key);
    field_u64(&l, ",\"frame\":", r->frame);
    field_string(&l, ",\"file\":", r->file);
    field_time(&l, ",\"ts\":", r->ts_ns);
    put(&l, ",\"sender\":\"");
    put(&l, tw_rst_sender_name(r->res.sender));
    put(&l, "\",\"cause\":\"");
    put(&l, tw_rst_cause_name(r->res.cause));
    put(&l, "\",\"accepted\":");
    put(&l, r->res.accepted == TW_ACCEPTED_YES  ? "true"
             : r->res.accepted == TW_ACCEPTED_NO ? "false"
                                                 : "null");
    put_isn(&l, r->is_isn_known, r->isn);
    field_u64(&l, ",\"seq\":", r->seq);
    put(&l, ",\"ack\":");
    if (r->tcp_flags & TW_TCP_ACK)
        put_u64(&l, r->ack);
    else
        put(&l, "null");
    field_u64(&l, ",\"ttl\":", r->ttl);
    field_string(&l, ",\"explanation\":", r->res.why);
    put(&l, "}\n");
    flush(&l);
}

static void json_seconds(FILE *out, double s)
{
    if (isfinite(s))
        fprintf(out, "%.6f", s);
    else
        fputs("null", out);
}

static void json_loss(FILE *out, const char *direction, const char *from, const char *to,
                      const struct tw_direction_loss *d)
{
    fprintf(out, "{\"type\":\"loss\",\"direction\":\"%s\",\"from_file\":", direction);
    tw_json_string(out, from);
    fputs(",\"to_file\":", out);
    tw_json_string(out, to);
    fprintf(out,
            ",\"upstream_packets\":%llu,\"matched\":%llu,\"lost\":%llu,\"lost_syn\":%llu,"
            "\"lost_synack\":%llu,\"lost_ack\":%llu,\"lost_rst\":%llu,\"lost_data\":%llu,"
            "\"data_upstream\":%llu,\"capture_missing\":%llu,\"capture_missing_downstream\":%llu,",
            (unsigned long long)d->seen_upstream, (unsigned long long)d->matched,
            (unsigned long long)d->lost, (unsigned long long)d->lost_syn,
            (unsigned long long)d->lost_synack, (unsigned long long)d->lost_ack,
            (unsigned long long)d->lost_rst, (unsigned long long)d->lost_data,
            (unsigned long long)d->data_upstream, (unsigned long long)d->missing_upstream,
            (unsigned long long)d->missing_downstream);
    if (d->resegmented || d->resegmented_downstream)
        fprintf(out, "\"resegmented\":%llu,\"resegmented_downstream\":%llu,\"top_sender\":",
                (unsigned long long)d->resegmented, (unsigned long long)d->resegmented_downstream);
    else
        fputs("\"top_sender\":", out);
    if (d->top_count)
        endpoint(out, &d->top_src, d->top_port);
    else
        fputs("null", out);
    fprintf(out, ",\"top_sender_lost\":%llu}\n", (unsigned long long)d->top_count);
}

static void jsonl_correlation(void *ctx, const struct tw_correlation *c)
{
    FILE *out = ((struct jsonl *)ctx)->out;
    const char *cf = tw_capture_run_file(c->client_run), *sf = tw_capture_run_file(c->server_run);
    fputs("{\"type\":\"pairing\",\"files\":[", out);
    tw_json_string(out, cf);
    fputc(',', out);
    tw_json_string(out, sf);
    fprintf(out, "],\"related\":%s", c->is_related ? "true" : "false");
    if (c->is_related) {
        fputs(",\"client_side\":", out);
        tw_json_string(out, cf);
        fputs(",\"server_side\":", out);
        tw_json_string(out, sf);
    }
    fprintf(out, ",\"matched_packets\":%llu,\"nat\":%s,\"partial\":%s",
            (unsigned long long)c->n_matched, c->has_nat ? "true" : "false",
            c->is_partial ? "true" : "false");
    if (c->n_uncompared)
        fprintf(out, ",\"uncompared_packets\":%llu", (unsigned long long)c->n_uncompared);
    fputs(",\"why\":", out);
    tw_json_string(out, c->why);
    fputs("}\n", out);
    if (!c->is_related)
        return;
    fputs("{\"type\":\"clock\",\"file\":", out);
    tw_json_string(out, sf);
    fputs(",\"relative_to\":", out);
    tw_json_string(out, cf);
    fputs(",\"offset_s\":", out);
    json_seconds(out, isfinite(c->offset_low_s) || isfinite(c->offset_high_s) ? c->offset_s : NAN);
    fputs(",\"low_s\":", out);
    json_seconds(out, c->offset_low_s);
    fputs(",\"high_s\":", out);
    json_seconds(out, c->offset_high_s);
    fprintf(out, ",\"consistent\":%s,\"drift_ppm\":", c->is_offset_consistent ? "true" : "false");
    if (c->has_drift)
        fprintf(out, "%.3f", c->drift_ppm);
    else
        fputs("null", out);
    fputs(",\"delay_c2s_s\":", out);
    json_seconds(out, c->delay_c2s_s);
    fputs(",\"delay_s2c_s\":", out);
    json_seconds(out, c->delay_s2c_s);
    if (c->n_clock_steps) {
        char ts[48];
        tw_format_time(c->last_step_ns, ts, sizeof ts);
        fprintf(out, ",\"clock_steps\":%llu,\"last_step_s\":",
                (unsigned long long)c->n_clock_steps);
        json_seconds(out, c->last_step_s);
        fprintf(out, ",\"last_step_at\":\"%s\"", ts);
    }
    fputs("}\n", out);
    json_loss(out, "client_to_server", cf, sf, &c->c2s);
    json_loss(out, "server_to_client", sf, cf, &c->s2c);
}

/* One record per connect that says more than its attempt already does:
 * several attempts, or longer than --app-timeout. The summary's histogram
 * counts every connect. */
static void jsonl_connect(void *ctx, const struct tw_connect_record *c)
{
    if (c->n_attempts < 2 && !c->is_over_app_timeout)
        return;
    FILE *out = ((struct jsonl *)ctx)->out;
    char ts[48], ip[64];
    const struct tw_attempt_brief *a = c->attempts;
    tw_format_time(c->start_ns, ts, sizeof ts);
    fputs("{\"type\":\"connect\",\"file\":", out);
    tw_json_string(out, c->file);
    tw_addr_format(&a->client, ip, sizeof ip);
    fputs(",\"client\":", out);
    tw_json_string(out, ip);
    fputs(",\"server\":", out);
    endpoint(out, &a->server, a->server_port);
    fprintf(out, ",\"start\":\"%s\",\"duration_s\":%.6f,\"outcome\":\"%s\",\"attempts\":%zu",
            ts, (double)c->duration_ns / 1e9, c->is_connected ? "connected" : "failed",
            c->n_attempts);
    fputs(",\"client_ports\":[", out);
    for (size_t i = 0; i < c->n_attempts; i++)
        fprintf(out, "%s%u", i ? "," : "", a[i].client_port);
    fputs("],\"client_isns\":[", out);
    for (size_t i = 0; i < c->n_attempts; i++)
        if (a[i].is_isn_known)
            fprintf(out, "%s%u", i ? "," : "", a[i].isn);
        else
            fprintf(out, "%snull", i ? "," : "");
    fputs("],\"verdicts\":[", out);
    for (size_t i = 0; i < c->n_attempts; i++)
        fprintf(out, "%s\"%s\"", i ? "," : "", tw_verdict_name(a[i].verdict));
    fputc(']', out);
    if (c->has_app_timeout)
        fprintf(out, ",\"app_timeout_s\":%.6f,\"over_app_timeout\":%s",
                (double)c->app_timeout_ns / 1e9, c->is_over_app_timeout ? "true" : "false");
    fputs("}\n", out);
}

static void jsonl_server_failures(void *ctx, const struct tw_server_failures_record *f)
{
    FILE *out = ((struct jsonl *)ctx)->out;
    char ts[48];
    tw_format_time(f->since_ns, ts, sizeof ts);
    fputs("{\"type\":\"server_failures\",\"file\":", out);
    tw_json_string(out, f->file);
    fputs(",\"server\":", out);
    endpoint(out, &f->server, f->server_port);
    fprintf(out,
            ",\"since\":\"%s\",\"first_verdict\":\"%s\",\"attempts_since\":%llu,"
            "\"failed_since\":%llu}\n",
            ts, tw_verdict_name(f->first_verdict), (unsigned long long)f->attempts_since,
            (unsigned long long)f->failed_since);
}

/* Named counts ("ok":3,...), zeros left out. */
static void json_counts(FILE *out, const uint64_t *n, int count, const char *(*name)(int))
{
    fputc('{', out);
    bool first = true;
    for (int i = 0; i < count; i++) {
        if (!n[i])
            continue;
        fprintf(out, "%s\"%s\":%llu", first ? "" : ",", name(i), (unsigned long long)n[i]);
        first = false;
    }
    fputc('}', out);
}

static const char *verdict_name(int v) { return tw_verdict_name((enum tw_verdict)v); }
static const char *cause_name(int c) { return tw_rst_cause_name((enum tw_rst_cause)c); }

static const char *lost_name(int bit)
{
    const char *names[4];
    tw_lost_names(1u << bit, names);
    return names[0];
}

static void json_time_or_null(FILE *out, int64_t ns)
{
    char ts[48];
    tw_format_time(ns, ts, sizeof ts);
    if (ns)
        fprintf(out, "\"%s\"", ts);
    else
        fputs("null", out);
}

static void aggregate_key(FILE *out, enum tw_agg_by by, const struct tw_agg_row *row)
{
    char buf[96], ts[48];
    if (row->is_others) {
        fputs("null,\"others\":true", out);
        return;
    }
    switch (by) {
    case TW_AGG_SERVER:
        endpoint(out, &row->addr, row->port);
        return;
    case TW_AGG_CLIENT_SUBNET:
        tw_addr_format(&row->addr, buf, sizeof buf);
        fprintf(out, "\"%s/%d\"", buf, row->prefix_bits);
        return;
    case TW_AGG_MINUTE:
        tw_format_time(row->minute * 60 * 1000000000LL, ts, sizeof ts);
        fprintf(out, "\"%.16sZ\"", ts);
        return;
    case TW_AGG_RST_SENDER:
        if (row->role == TW_SENDER_MIDDLE) {
            fputs("null", out);
            return;
        }
        tw_addr_format(&row->addr, buf, sizeof buf);
        tw_json_string(out, buf);
        return;
    case TW_AGG_BY_COUNT:
        break;
    }
}

void tw_report_jsonl_aggregates(FILE *out, const char *file, tw_aggregate *agg)
{
    for (int by = 0; by < TW_AGG_BY_COUNT; by++) {
        const struct tw_agg_row *rows;
        size_t n = tw_aggregate_rows(agg, (enum tw_agg_by)by, &rows);
        for (size_t i = 0; i < n; i++) {
            const struct tw_agg_row *r = &rows[i];
            fputs("{\"type\":\"aggregate\",\"file\":", out);
            tw_json_string(out, file);
            fprintf(out, ",\"by\":\"%s\",\"key\":", tw_agg_by_name((enum tw_agg_by)by));
            aggregate_key(out, (enum tw_agg_by)by, r);
            if (by == TW_AGG_RST_SENDER) {
                fprintf(out, ",\"sender\":\"%s\",\"rsts\":%llu,\"causes\":",
                        tw_rst_sender_name(r->role), (unsigned long long)r->rsts);
                json_counts(out, r->rst_causes, TW_RST_CAUSE_COUNT, cause_name);
                fputs(",\"first\":", out);
                json_time_or_null(out, r->first_ns);
                fputs("}\n", out);
                continue;
            }
            fprintf(out, ",\"attempts\":%llu,\"failed\":%llu,\"verdicts\":",
                    (unsigned long long)r->attempts, (unsigned long long)r->failed);
            json_counts(out, r->verdicts, TW_VERDICT_COUNT, verdict_name);
            fputs(",\"lost\":", out);
            json_counts(out, r->lost, TW_AGG_LOST_KINDS, lost_name);
            fputs(",\"first\":", out);
            json_time_or_null(out, r->first_ns);
            fputs(",\"first_failure\":", out);
            json_time_or_null(out, r->first_failure_ns);
            fputs(",\"last_failure\":", out);
            json_time_or_null(out, r->last_failure_ns);
            fputs("}\n", out);
        }
    }
    const struct tw_agg_timeline *tl = tw_aggregate_timeline(agg);
    if (!tl->bin_ns)
        return;
    fputs("{\"type\":\"timeline\",\"file\":", out);
    tw_json_string(out, file);
    fputs(",\"start\":", out);
    json_time_or_null(out, tl->first_bin * tl->bin_ns);
    fprintf(out, ",\"bin_s\":%.3f,\"bins\":%d,\"verdicts\":{", (double)tl->bin_ns / 1e9,
            tl->n_bins);
    bool first = true;
    for (int v = 0; v < TW_VERDICT_COUNT; v++) {
        uint64_t total = 0;
        for (int i = 0; i < tl->n_bins; i++)
            total += tl->verdicts[i][v];
        if (!total)
            continue;
        fprintf(out, "%s\"%s\":[", first ? "" : ",", tw_verdict_name((enum tw_verdict)v));
        for (int i = 0; i < tl->n_bins; i++)
            fprintf(out, "%s%llu", i ? "," : "", (unsigned long long)tl->verdicts[i][v]);
        fputc(']', out);
        first = false;
    }
    fputs("}}\n", out);
}

static void jsonl_summary(void *ctx, const struct tw_file_summary *s)
{
    FILE *out = ((struct jsonl *)ctx)->out;
    tw_aggregate *agg = ((struct jsonl *)ctx)->agg;
    if (agg) {
        tw_report_jsonl_aggregates(out, s->file, agg);
        tw_aggregate_reset(agg);
    }
    fputs("{\"type\":\"summary\",\"file\":", out);
    tw_json_string(out, s->file);
    fprintf(out,
            ",\"packets\":%llu,\"tcp_syn\":%llu,\"tcp_synack\":%llu,\"tcp_rst\":%llu,"
            "\"attempts\":%llu,\"verdicts\":",
            (unsigned long long)s->packets, (unsigned long long)s->tcp_syn,
            (unsigned long long)s->tcp_synack, (unsigned long long)s->tcp_rst,
            (unsigned long long)s->attempts);
    json_counts(out, s->verdicts, TW_VERDICT_COUNT, verdict_name);
    fprintf(out, ",\"vantage\":\"%s\",\"vantage_source\":\"%s\",\"vantage_why\":",
            tw_vantage_name(s->vantage), s->is_vantage_given ? "given" : "inferred");
    tw_json_string(out, s->vantage_why);
    fprintf(out, ",\"complete\":%s", s->is_complete ? "true" : "false");
    if (!s->is_complete) {
        fputs(",\"error\":", out);
        tw_json_string(out, s->error);
    }
    fprintf(out,
            ",\"snapped\":%llu,\"duplicates\":%llu,\"capture_gaps\":%llu,"
            "\"capture_gap_bytes\":%llu,\"anomalies\":{",
            (unsigned long long)s->snapped, (unsigned long long)s->duplicates,
            (unsigned long long)s->capture_gaps, (unsigned long long)s->capture_gap_bytes);
    bool first = true;
    for (int a = 1; a < TW_ANOM_COUNT; a++) {
        if (!s->anomalies[a])
            continue;
        fprintf(out, "%s\"%s\":%llu", first ? "" : ",", tw_anomaly_name((enum tw_anomaly)a),
                (unsigned long long)s->anomalies[a]);
        first = false;
    }
    fputs("},\"rst_causes\":", out);
    json_counts(out, s->rst_causes, TW_RST_CAUSE_COUNT, cause_name);
    if (s->syn_without_mss)
        fprintf(out, ",\"syn_without_mss\":%llu", (unsigned long long)s->syn_without_mss);
    if (s->has_connects) {
        fprintf(out, ",\"connects\":%llu,\"connects_retried\":%llu,\"connects_failed\":%llu",
                (unsigned long long)s->connects, (unsigned long long)s->connects_retried,
                (unsigned long long)s->connects_failed);
        fputs(",\"connect_time\":{", out);
        for (int b = 0; b < TW_CONNECT_BUCKETS; b++)
            fprintf(out, "%s\"%s\":%llu", b ? "," : "", tw_connect_bucket_name[b],
                    (unsigned long long)s->connect_histogram[b]);
        fputc('}', out);
        if (s->connects_over_app_timeout)
            fprintf(out, ",\"connects_over_app_timeout\":%llu",
                    (unsigned long long)s->connects_over_app_timeout);
        if (s->is_connects_partial)
            fputs(",\"connects_partial\":true", out);
        if (s->is_server_failures_partial)
            fputs(",\"server_failures_partial\":true", out);
    }
    fprintf(out, ",\"live\":%llu,\"peak\":%llu,\"evicted\":%llu,\"released\":%llu,\"expired\":%llu",
            (unsigned long long)s->table.live, (unsigned long long)s->table.peak,
            (unsigned long long)s->table.evicted, (unsigned long long)s->table.released,
            (unsigned long long)s->table.expired);
    /* Live captures only: what libpcap says it could not hand over. */
    if (s->is_live && s->has_capture_counters)
        fprintf(out, ",\"capture_received\":%llu,\"capture_drops\":%llu,\"capture_ifdrops\":%llu",
                (unsigned long long)s->capture_received, (unsigned long long)s->capture_drops,
                (unsigned long long)s->capture_ifdrops);
    fputs("}\n", out);
    fflush(out);
}

static void jsonl_free(void *ctx)
{
    struct jsonl *j = ctx;
    if (j)
        tw_aggregate_free(j->agg);
    free(j);
}

bool tw_report_jsonl(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt)
{
    struct jsonl *j = calloc(1, sizeof *j);
    if (!j)
        return false;
    if (opt->has_aggregates && !(j->agg = tw_aggregate_new())) {
        free(j);
        return false;
    }
    memset(sink, 0, sizeof *sink);
    j->out = out;
    sink->ctx = j;
    sink->attempt = jsonl_attempt;
    sink->rst = jsonl_rst;
    sink->correlation = jsonl_correlation;
    sink->connect = jsonl_connect;
    sink->server_failures = jsonl_server_failures;
    sink->summary = jsonl_summary;
    sink->free = jsonl_free;
    return true;
}
