/* tcpwhy: tell why TCP connection attempts failed.
 *
 * The command line: parses options (options.c), picks the reporter, runs
 * the analyzer on each input, and turns what happened into an exit status:
 * 0 when every attempt that could be judged succeeded, 1 when at least one
 * failed, 2 when the analysis could not run to the end (usage error,
 * unreadable or damaged input). Only this folder prints to stderr or exits.
 *
 * With one input, records stream straight to the reporter. With several,
 * each capture is first analysed into a run, runs that saw the same traffic
 * are paired and correlated (correlate/), and then every run's records are
 * written, the merged ones at vantage both. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/analyzer.h"
#include "cli/options.h"
#include "cli/rewrite.h"
#include "report/pcap_out.h"
#include "report/progress.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Live hooks (analyze/analyzer.h): the options are their context. */
static enum tw_status live_opened(void *ctx, struct tw_error *err)
{
    const struct tw_cli_options *o = ctx;
    if (!o->is_quiet)
        fprintf(stderr, "tcpwhy: listening on %s, %s; verdicts as soon as they are decided, "
                        "Ctrl-C to stop\n",
                o->interface,
                o->filter                   ? "your filter"
                : o->is_default_filter_off ? "no filter"
                                           : "default filter (--no-default-filter for all)");
    return tw_cli_drop_privileges(o->user, err) ? err->status : TW_OK;
}

static void live_stats(void *ctx, const struct tw_file_summary *sum)
{
    const struct tw_cli_options *o = ctx;
    tw_cli_print_stats(stdout, stderr, o->format, sum);
}

static void report_error(const struct tw_error *err)
{
    char msg[768];
    tw_error_format(err, msg, sizeof msg);
    fprintf(stderr, "tcpwhy: %s\n", msg);
}

/* One input at a time, records written as they come. */
static int analyze_each(const struct tw_cli_options *o, const struct tw_analyze_options *aopt,
                        struct tw_sink *sink, struct tw_analyze_result *res)
{
    int status = 0;
    size_t n_inputs = o->interface ? 1 : o->n_files;
    for (size_t i = 0; i < n_inputs && !stop_requested; i++) {
        const char *path = o->interface ? o->interface : o->files[i];
        struct tw_error err;
        memset(&err, 0, sizeof err);
        if (tw_analyze_file(path, aopt, sink, res, &err) != TW_OK) {
            report_error(&err);
            status = 2;
        }
        if (res->warning[0])
            fprintf(stderr, "tcpwhy: warning: %s\n", res->warning);
    }
    return status;
}

/* Writes a run's records: its RSTs, then the attempts not folded into the
 * other run of its pair, then its summary, recounted to what was written. */
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

static void emit_run(struct tw_collector *col, struct tw_sink *sink, struct tw_analyze_result *res)
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
    /* past the memory budget: on a temporary file, never merged */
    tw_capture_run_replay_spilled(run, emit_attempt, emit_rst, &e);
    if (col->has_summary)
        sink->summary(sink->ctx, sum);
}

struct candidate {
    size_t a, b;
    uint64_t n_matched;
    bool is_related;
};

static int by_matches(const void *pa, const void *pb)
{
    const struct candidate *a = pa, *b = pb;
    if (a->n_matched != b->n_matched)
        return a->n_matched > b->n_matched ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

/* Several inputs: analyse each into a run, pair the runs that saw the same
 * traffic (most shared packets first; each run in at most one pair), then
 * write everything in command-line order. */
static int analyze_together(const struct tw_cli_options *o, struct tw_analyze_options aopt,
                            struct tw_sink *sink, struct tw_analyze_result *res)
{
    size_t n = o->n_files;
    struct tw_collector *col = calloc(n, sizeof *col);
    long *partner = malloc(n * sizeof *partner);
    struct candidate *cand = calloc(n * (n - 1) / 2 + 1, sizeof *cand);
    int status = 0;
    if (!col || !partner || !cand) {
        fprintf(stderr, "tcpwhy: out of memory\n");
        free(col);
        free(partner);
        free(cand);
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        partner[i] = -1; /* all of them: an interrupt may stop the loop below early */
    for (size_t i = 0; i < n && !stop_requested; i++) {
        struct tw_error err;
        memset(&err, 0, sizeof err);
        col[i].run = tw_capture_run_new(o->files[i], o->memcap_bytes, &err);
        if (!col[i].run) {
            report_error(&err);
            status = 2;
            continue;
        }
        struct tw_sink collect;
        tw_report_collect(&collect, &col[i]);
        aopt.run = col[i].run;
        struct tw_analyze_result one;
        memset(&one, 0, sizeof one);
        if (tw_analyze_file(o->files[i], &aopt, &collect, &one, &err) != TW_OK) {
            report_error(&err);
            status = 2;
        }
        if (one.warning[0])
            fprintf(stderr, "tcpwhy: warning: %s\n", one.warning);
    }
    size_t n_cand = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!col[i].run || !col[j].run)
                continue;
            struct tw_correlation c;
            bool related = tw_correlate(col[i].run, col[j].run, &c);
            cand[n_cand++] = (struct candidate){i, j, c.n_matched, related};
        }
    qsort(cand, n_cand, sizeof *cand, by_matches);
    for (size_t k = 0; k < n_cand; k++)
        if (cand[k].is_related && partner[cand[k].a] < 0 && partner[cand[k].b] < 0) {
            partner[cand[k].a] = (long)cand[k].b;
            partner[cand[k].b] = (long)cand[k].a;
        }
    bool *done = calloc(n, sizeof *done);
    for (size_t i = 0; done && i < n; i++) {
        if (done[i] || !col[i].run)
            continue;
        if (partner[i] >= 0) {
            size_t j = (size_t)partner[i];
            struct tw_correlation c;
            tw_correlate(col[i].run, col[j].run, &c); /* again: the matches of the chosen pair */
            tw_correlate_merge(&c);
            sink->correlation(sink->ctx, &c);
            struct tw_collector *first = c.client_run == col[i].run ? &col[i] : &col[j];
            struct tw_collector *second = first == &col[i] ? &col[j] : &col[i];
            emit_run(first, sink, res);
            emit_run(second, sink, res);
            done[i] = done[j] = true;
            continue;
        }
        /* Alone: say with which inputs it shares nothing. */
        for (size_t j = i + 1; j < n; j++) {
            if (!col[j].run || partner[j] >= 0)
                continue;
            struct tw_correlation c;
            tw_correlate(col[i].run, col[j].run, &c);
            if (!c.is_related) {
                c.client_run = col[i].run;
                c.server_run = col[j].run;
                sink->correlation(sink->ctx, &c);
            }
        }
        emit_run(&col[i], sink, res);
        done[i] = true;
    }
    for (size_t i = 0; i < n; i++)
        tw_capture_run_free(col[i].run);
    free(done);
    free(col);
    free(partner);
    free(cand);
    return status;
}

int main(int argc, char **argv)
{
    struct tw_cli_options o;
    struct tw_error err;
    memset(&err, 0, sizeof err);
    int rc = tw_cli_parse(argc, argv, &o, &err);
    if (rc != 0) {
        tw_cli_options_fini(&o);
        if (err.status != TW_OK) {
            report_error(&err);
            fprintf(stderr, "Try 'tcpwhy --help'.\n");
            return 2;
        }
        return 0; /* --help or --version */
    }

    /* Live: each record goes out as a whole line as soon as it is written,
     * so that "tcpwhy -i eth0 --format json | jq" follows along. */
    if (o.interface) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (tw_cli_check_user(o.user, &err) != 0) {
            report_error(&err);
            tw_cli_options_fini(&o);
            return 2;
        }
    }
    struct tw_sink sink;
    struct tw_report_options ropt = {
        .is_verbose = o.is_verbose,
        .has_ladder = o.has_ladder,
        .is_color = tw_cli_use_color(o.color, STDOUT_FILENO),
        .width_cols = tw_cli_width(STDOUT_FILENO, o.width_cols),
        .is_streaming = o.interface != NULL,
    };
    struct tw_wsfilter_stats wsf;
    memset(&sink, 0, sizeof sink);
    bool ok = o.is_wsfilter                 ? tw_report_wsfilter(&sink, stdout, &wsf)
              : o.format == TW_FORMAT_JSON ? tw_report_jsonl(&sink, stdout, &ropt)
                                           : tw_report_text(&sink, stdout, &ropt);
    /* connects: attempts grouped into the application's connect()s */
    if (ok && !o.is_wsfilter) {
        struct tw_sink inner = sink;
        ok = tw_report_connects(&sink, inner, o.app_timeout_ns, o.memcap_bytes / 8);
        if (!ok)
            inner.free(inner.ctx);
    }
    if (!ok) {
        fprintf(stderr, "tcpwhy: out of memory\n");
        return 2;
    }
    /* -w: a sink in front of the reporter notes the problem attempts */
    tw_pcap_out *pcap_out = NULL;
    if (o.write_file) {
        pcap_out = tw_pcap_out_new(o.files, o.n_files);
        if (!pcap_out) {
            fprintf(stderr, "tcpwhy: out of memory\n");
            return 2;
        }
        struct tw_sink report = sink;
        tw_pcap_out_sink(pcap_out, &sink, &report);
    }
    struct tw_progress progress;
    tw_progress_init(&progress, stderr, !o.is_quiet && !o.interface && isatty(STDERR_FILENO));

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct tw_live_config live = {
        .ifname = o.interface,
        .snaplen = o.snaplen,
        .buffer_kib = o.buffer_kib,
    };
    const char *filter = o.filter;
    if (o.interface && !filter && !o.is_default_filter_off)
        filter = TW_LIVE_DEFAULT_FILTER;
    struct tw_analyze_options aopt = {
        .bpf_filter = filter,
        .vantage = o.vantage,
        .memcap_bytes = o.memcap_bytes,
        .idle_ns = o.idle_ns,
        .max_flows = o.max_flows,
        .n_threads = o.n_threads,
        .stop_flag = &stop_requested,
        .progress = &progress,
        .live = o.interface ? &live : NULL,
        .on_open = live_opened,
        .on_stats = live_stats,
        .stats_interval_ns = o.stats_interval_ns,
        .hook_ctx = &o,
    };
    struct tw_analyze_result res;
    memset(&res, 0, sizeof res);
    int status = !o.interface && o.n_files >= 2 && !o.is_separate
                     ? analyze_together(&o, aopt, &sink, &res)
                     : analyze_each(&o, &aopt, &sink, &res);
    if (sink.finish)
        sink.finish(sink.ctx);
    if (o.is_wsfilter && wsf.n_left_out)
        fprintf(stderr, "tcpwhy: warning: the filter leaves out %llu problem attempts (too many)\n",
                wsf.n_left_out);
    fflush(stdout); /* the report before the second pass; errors are checked below */
    if (pcap_out && !stop_requested) {
        int ws = tw_cli_write_problems(&o, pcap_out, &stop_requested, &progress);
        if (ws)
            status = ws;
    }
    sink.free(sink.ctx);
    tw_pcap_out_free(pcap_out);
    tw_cli_options_fini(&o);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tcpwhy: error writing output\n");
        return 2;
    }
    if (status)
        return status;
    return res.n_failed ? 1 : 0;
}
