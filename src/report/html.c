/* HTML reporter (--html FILE): one self-contained page that opens from disk
 * without a network: inline CSS, inline JavaScript, charts drawn as inline
 * SVG by that script.
 *
 * The page's data are the JSON Lines records themselves (jsonl.c writes
 * them into memory), so that every number it shows is one --format json
 * gives for the same input; the script sums them up and draws. Added to
 * them: the aggregate and timeline records of every file (aggregate.h,
 * over all attempts, also those past the bounds below), a ladder record
 * after each problem attempt (the text report's ladder, ladder.c) and a
 * count of what was left out. The labels the script shows (through
 * gettext) are a JSON object of their own beside them; the records keep
 * --format json's identifiers (verdicts, roles, causes) untranslated.
 *
 * Bounds keep the page openable on any input: at most MAX_PROBLEM_ROWS
 * failed or degraded attempts and MAX_HEALTHY_ROWS others are listed one by
 * one, with ladders for the first MAX_LADDERS problem attempts; the charts
 * and tables of counts cover everything. All of it is written by finish():
 * the data are embedded in <script type="application/json"> with '<', '>'
 * and '&' escaped, so no string from a capture can end the element; the
 * script shows strings with textContent only, never as markup. */
#include <stdlib.h>
#include <string.h>

#include "base/i18n.h"
#include "report/aggregate.h"
#include "report/html_assets.h"
#include "report/ladder.h"
#include "report/sink.h"

#define MAX_PROBLEM_ROWS 5000
#define MAX_HEALTHY_ROWS 2000
#define MAX_LADDERS 500
#define MAX_RST_ROWS 5000
#define MAX_CONNECT_ROWS 2000
#define LADDER_COLS 112

struct html {
    FILE *out;
    FILE *data;                   /* the records, in memory until finish() */
    char *data_buf;
    size_t data_len;
    struct tw_sink json;          /* jsonl.c, writing to data */
    tw_aggregate *agg;            /* of the current file */
    struct tw_report_options opt;
    uint64_t n_problem_rows, n_healthy_rows, n_ladders, n_rst_rows, n_connect_rows;
    uint64_t n_attempts_left_out, n_rsts_left_out, n_connects_left_out;
};

/* Labels the script shows, through gettext: key (machine) -> text. */
static const struct {
    const char *key, *text;
} labels[] = {
    {"title", N_("tcpwhy report")},
    {"inputs", N_("Inputs")},
    {"summary", N_("Summary")},
    {"attempts", N_("Attempts")},
    {"failed", N_("Failed")},
    {"degraded", N_("Degraded (retransmitted)")},
    {"rsts", N_("RSTs")},
    {"packets", N_("Packets")},
    {"file", N_("File")},
    {"vantage", N_("Vantage")},
    {"span", N_("Span")},
    {"from", N_("From")},
    {"verdicts", N_("Verdicts")},
    {"over_time", N_("Attempts per verdict over time")},
    {"bin", N_("bar width")},
    {"hide_ok", N_("hide ok (failures get the whole height)")},
    {"connect_time", N_("Connect time (one connect() of the application, retries included)")},
    {"connects", N_("Connects")},
    {"retried", N_("needed more than one attempt")},
    /* the text report's words (text.c) */
    {"connects_partial", N_("partial: not every attempt past --memcap could be kept (in memory "
                            "or on a temporary file in $TMPDIR), so some connects are missing")},
    {"by_server", N_("Failures per server and port")},
    {"by_subnet", N_("Failures per client subnet")},
    {"by_minute", N_("Failures per minute")},
    {"server", N_("Server")},
    {"client", N_("Client")},
    {"subnet", N_("Client subnet")},
    {"minute", N_("Minute (UTC)")},
    {"share", N_("Failed share")},
    {"first_failure", N_("First failure")},
    {"last_failure", N_("Last failure")},
    {"since", N_("Failing since")},
    {"failed_since", N_("Failed since then")},
    {"others", N_("others")},
    {"more_rows", N_("more rows, with fewer failures: tcpwhy --format json --aggregates lists all")},
    {"loss", N_("Loss between the capture points")},
    {"direction", N_("Direction")},
    {"c2s", N_("client side to server side")},
    {"s2c", N_("server side to client side")},
    {"upstream", N_("Left upstream")},
    {"matched", N_("Arrived")},
    {"lost", N_("Lost")},
    {"data", N_("data")},
    {"capture_missing", N_("Capture's own loss")},
    {"clock", N_("Clock")},
    {"rst_by", N_("RSTs by sender and cause")},
    {"sender", N_("Sender")},
    {"role", N_("Role")},
    {"cause", N_("Cause")},
    {"total", N_("Total")},
    {"middle_sender", N_("a box in the path (forged)")},
    {"table", N_("All attempts")},
    {"filter", N_("Filter (address, verdict, file ...)")},
    {"problems_only", N_("problems only")},
    {"all_verdicts", N_("all verdicts")},
    {"start", N_("Start (UTC)")},
    {"verdict", N_("Verdict")},
    {"duration", N_("Duration")},
    {"frames", N_("Evidence frames")},
    {"shown", N_("shown")},
    {"details", N_("Problem attempts")},
    {"explanation", N_("Explanation")},
    {"wireshark", N_("Wireshark filter")},
    {"ladder", N_("Ladder")},
    {"left_out", N_("Left out of the lists (the counts above include them)")},
    {"none", N_("none")},
    {"no_attempts", N_("No connection attempts in the input.")},
    {"pairing", N_("Two capture points")},
    {"offset", N_("offset")},
    {"delay", N_("one-way delay")},
    {"incomplete", N_("reading stopped early")},
    {"utc", N_("UTC")},
    {"frame", N_("frame")},
    {"lost_mark", N_("LOST")},
    /* TRANSLATORS: after an evidence frame that never arrived, in a tooltip */
    {"lost_paren", N_("(lost)")},
    /* TRANSLATORS: unit of seconds after a number, e.g. "1.000 s" */
    {"unit_s", N_("s")},
    {"given", N_("given")},
    {"inferred", N_("inferred")},
    {"role_client", N_("client")},
    {"role_server", N_("server")},
    {"role_middle", N_("middle")},
    {"role_both", N_("both capture points")},
};

/* The labels as one JSON object, apart from the records (which stay as
 * --format json writes them): the script looks each key up. */
static void write_labels(FILE *out)
{
    fputc('{', out);
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        fprintf(out, "%s\"%s\":", i ? "," : "", labels[i].key);
        tw_json_string(out, _(labels[i].text));
    }
    fputs("}\n", out);
}

/* The text report's ladder of r, with its ANSI colours (the script turns
 * them into styled spans), as a JSON string. */
static void write_ladder(FILE *data, const struct tw_attempt_record *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return;
    struct tw_ladder_style style = {LADDER_COLS, true, ""};
    tw_report_ladder(mem, r, &style);
    if (fclose(mem) == 0 && buf) {
        fputs("{\"type\":\"ladder\",\"text\":", data);
        tw_json_string(data, buf);
        fputs("}\n", data);
    }
    free(buf);
}

static void html_attempt(void *ctx, const struct tw_attempt_record *r)
{
    struct html *h = ctx;
    tw_aggregate_attempt(h->agg, r);
    bool is_problem = tw_report_is_problem(r);
    uint64_t *n = is_problem ? &h->n_problem_rows : &h->n_healthy_rows;
    if (*n >= (is_problem ? MAX_PROBLEM_ROWS : MAX_HEALTHY_ROWS)) {
        h->n_attempts_left_out++;
        return;
    }
    (*n)++;
    h->json.attempt(h->json.ctx, r);
    if (is_problem && h->opt.has_ladder && h->n_ladders < MAX_LADDERS) {
        h->n_ladders++;
        write_ladder(h->data, r);
    }
}

static void html_rst(void *ctx, const struct tw_rst_record *r)
{
    struct html *h = ctx;
    tw_aggregate_rst(h->agg, r);
    if (h->n_rst_rows >= MAX_RST_ROWS) {
        h->n_rsts_left_out++;
        return;
    }
    h->n_rst_rows++;
    h->json.rst(h->json.ctx, r);
}

static void html_correlation(void *ctx, const struct tw_correlation *c)
{
    struct html *h = ctx;
    h->json.correlation(h->json.ctx, c);
}

static void html_connect(void *ctx, const struct tw_connect_record *c)
{
    struct html *h = ctx;
    if (c->n_attempts < 2 && !c->is_over_app_timeout)
        return; /* the JSON reporter leaves these out too */
    if (h->n_connect_rows >= MAX_CONNECT_ROWS) {
        h->n_connects_left_out++;
        return;
    }
    h->n_connect_rows++;
    h->json.connect(h->json.ctx, c);
}

static void html_server_failures(void *ctx, const struct tw_server_failures_record *f)
{
    struct html *h = ctx;
    h->json.server_failures(h->json.ctx, f);
}

static void html_summary(void *ctx, const struct tw_file_summary *s)
{
    struct html *h = ctx;
    tw_report_jsonl_aggregates(h->data, s->file, h->agg);
    tw_aggregate_reset(h->agg);
    h->json.summary(h->json.ctx, s);
}

/* The data, safe inside <script>: '<', '>' and '&' only occur inside JSON
 * strings, where their \u escapes mean the same. */
static void write_data(FILE *out, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        switch (p[i]) {
        case '<': fputs("\\u003c", out); break;
        case '>': fputs("\\u003e", out); break;
        case '&': fputs("\\u0026", out); break;
        default: fputc(p[i], out);
        }
}

static void html_finish(void *ctx)
{
    struct html *h = ctx;
    if (h->n_attempts_left_out || h->n_rsts_left_out || h->n_connects_left_out)
        fprintf(h->data, "{\"type\":\"left_out\",\"attempts\":%llu,\"rsts\":%llu,\"connects\":%llu}\n",
                (unsigned long long)h->n_attempts_left_out, (unsigned long long)h->n_rsts_left_out,
                (unsigned long long)h->n_connects_left_out);
    FILE *out = h->out;
    fflush(h->data);
    size_t records_len = h->data_len; /* then the labels, escaped alike */
    write_labels(h->data);
    if (fflush(h->data) != 0 || ferror(h->data)) { /* out of memory: a partial page would lie */
        fprintf(out, "<!DOCTYPE html>\n<title>tcpwhy</title>\n<p>%s</p>\n",
                _("tcpwhy ran out of memory while writing this report."));
        return;
    }
    fprintf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n", tw_lang_tag());
    fputs("<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          /* no request leaves the page, even if someone adds a link */
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>",
          out);
    fputs(_("tcpwhy report"), out);
    fputs("</title>\n<style>\n", out);
    fputs(tw_html_css, out);
    fputs("</style>\n</head>\n<body>\n<main id=\"report\"></main>\n"
          "<noscript>",
          out);
    fputs(_("This report draws its tables and charts with JavaScript; the data are in the "
            "page's source."),
          out);
    fputs("</noscript>\n<script type=\"application/json\" id=\"tcpwhy-data\">\n", out);
    write_data(out, h->data_buf, records_len);
    fputs("</script>\n<script type=\"application/json\" id=\"tcpwhy-labels\">\n", out);
    write_data(out, h->data_buf + records_len, h->data_len - records_len);
    fputs("</script>\n<script>\n", out);
    fputs(tw_html_js, out);
    fputs("</script>\n</body>\n</html>\n", out);
    fflush(out);
}

static void html_free(void *ctx)
{
    struct html *h = ctx;
    if (!h)
        return;
    if (h->json.free)
        h->json.free(h->json.ctx);
    if (h->data)
        fclose(h->data);
    free(h->data_buf);
    tw_aggregate_free(h->agg);
    free(h);
}

bool tw_report_html(struct tw_sink *sink, FILE *out, const struct tw_report_options *opt)
{
    struct html *h = calloc(1, sizeof *h);
    if (!h)
        return false;
    h->out = out;
    h->opt = *opt;
    struct tw_report_options jopt = *opt;
    jopt.has_aggregates = false; /* this sink adds them, over every attempt */
    h->data = open_memstream(&h->data_buf, &h->data_len);
    h->agg = tw_aggregate_new();
    if (!h->data || !h->agg || !tw_report_jsonl(&h->json, h->data, &jopt)) {
        html_free(h);
        return false;
    }
    memset(sink, 0, sizeof *sink);
    sink->ctx = h;
    sink->attempt = html_attempt;
    sink->rst = html_rst;
    sink->correlation = html_correlation;
    sink->connect = html_connect;
    sink->server_failures = html_server_failures;
    sink->summary = html_summary;
    sink->finish = html_finish;
    sink->free = html_free;
    return true;
}
