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
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/analyzer.h"
#include "analyze/pair.h"
#include "base/i18n.h"
#include "base/tmpfile.h"
#include "cli/options.h"
#include "cli/rewrite.h"
#include "report/aggregate.h"
#include "report/pcap_out.h"
#include "report/progress.h"

/* stdout's buffer when reading files (see main). */
#define STDOUT_BUFFER_BYTES (256u * 1024u)

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
        fprintf(stderr,
                _("tcpwhy: listening on %s, %s; verdicts as soon as they are decided, "
                  "Ctrl-C to stop\n"),
                o->interface,
                o->filter                  ? _("your filter")
                : o->is_default_filter_off ? _("no filter")
                                           : _("default filter (--no-default-filter for all)"));
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
    tw_error_format(err, true, msg, sizeof msg);
    fprintf(stderr, _("tcpwhy: %s\n"), msg);
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
            fprintf(stderr, _("tcpwhy: warning: %s\n"), res->warning);
    }
    return status;
}

struct candidate {
    size_t a, b;
    uint64_t n_matched;
    bool is_related;
    char why[sizeof ((struct tw_correlation *)0)->why];
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

/* One input read into its run, in a thread of its own. */
struct reader {
    const char *path;
    struct tw_analyze_options aopt;
    struct tw_collector *col;
    struct tw_analyze_result one;
    struct tw_error err;
    enum tw_status status;
};

static void *read_into_run(void *p)
{
    struct reader *r = p;
    struct tw_sink collect;
    tw_report_collect(&collect, r->col);
    r->aopt.run = r->col->run;
    r->status = tw_analyze_file(r->path, &r->aopt, &collect, &r->one, &r->err);
    tw_capture_run_finish(r->col->run);
    return NULL;
}

/* For the progress meter: the two files' sizes, 0 when either is unknown
 * (standard input, a pipe). */
static uint64_t both_sizes(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0 || !S_ISREG(sa.st_mode) || !S_ISREG(sb.st_mode))
        return 0;
    return (uint64_t)sa.st_size + (uint64_t)sb.st_size;
}

/* Reads two inputs at the same time, each in its own thread, and correlates
 * them as they are read (correlate/window.c: memory bounded by the matching
 * window, not by the files). Fresh runs in ci and cj. Returns 2 when an
 * input could not be read to the end, else 0. */
static int read_pair(const struct tw_cli_options *o, struct tw_analyze_options aopt,
                     struct tw_collector *ci, struct tw_collector *cj, size_t i, size_t j,
                     struct tw_correlation *c)
{
    struct tw_collector *col[2] = {ci, cj};
    struct reader r[2];
    pthread_t th[2];
    bool is_started[2] = {false, false};
    int status = 0;
    memset(r, 0, sizeof r);
    memset(c, 0, sizeof *c);
    /* one line follows both readers (lanes 0 and 1) */
    if (aopt.progress)
        tw_progress_begin_joint(aopt.progress, o->files[i], o->files[j], N_("correlating"),
                                both_sizes(o->files[i], o->files[j]));
    for (int k = 0; k < 2; k++) {
        memset(col[k], 0, sizeof *col[k]);
        r[k].path = o->files[k ? j : i];
        r[k].aopt = aopt;
        r[k].aopt.progress_lane = k;
        r[k].col = col[k];
        /* --memcap bounds the correlation's state: half of it per run (each
         * reader's own analysis is bounded by --memcap, as when alone) */
        col[k]->run = tw_capture_run_new(r[k].path, o->memcap_bytes / 2, &r[k].err);
        if (!col[k]->run || !tw_capture_run_stream(col[k]->run)) {
            fprintf(stderr, _("tcpwhy: out of memory\n"));
            status = 2;
        } else {
            tw_capture_run_set_localized(col[k]->run, aopt.is_localized);
        }
    }
    for (int k = 0; k < 2 && !status; k++) {
        is_started[k] = pthread_create(&th[k], NULL, read_into_run, &r[k]) == 0;
        if (!is_started[k]) {
            fprintf(stderr, _("tcpwhy: cannot start a thread to read %s\n"), r[k].path);
            tw_capture_run_finish(col[k]->run);
            status = 2;
        }
    }
    if (!status || is_started[0]) {
        if (!is_started[1] && col[1]->run)
            tw_capture_run_finish(col[1]->run);
        tw_correlate(col[0]->run, col[1]->run, c); /* reads both until their readers end */
    }
    for (int k = 0; k < 2; k++) {
        if (!is_started[k])
            continue;
        pthread_join(th[k], NULL);
        if (r[k].status != TW_OK) {
            report_error(&r[k].err);
            status = 2;
        }
        if (r[k].one.warning[0])
            fprintf(stderr, _("tcpwhy: warning: %s\n"), r[k].one.warning);
        int why = 0;
        uint64_t n_dropped = col[k]->run ? tw_capture_run_n_dropped(col[k]->run, &why) : 0;
        if (n_dropped)
            fprintf(stderr,
                    _("tcpwhy: warning: %s: %llu records past --memcap are left out: no "
                      "temporary file in %s (%s); set TMPDIR to a directory with room\n"),
                    r[k].path, (unsigned long long)n_dropped, tw_tmp_dir(), strerror(why));
    }
    if (aopt.progress)
        tw_progress_end_joint(aopt.progress);
    return status;
}

/* One input alone, its records collected (for emit_run). */
static int read_alone(const struct tw_cli_options *o, struct tw_analyze_options aopt,
                      struct tw_collector *col, size_t i)
{
    struct tw_error err;
    memset(&err, 0, sizeof err);
    col->run = tw_capture_run_new(o->files[i], o->memcap_bytes, &err);
    if (!col->run) {
        report_error(&err);
        return 2;
    }
    tw_capture_run_set_localized(col->run, aopt.is_localized);
    struct tw_sink collect;
    tw_report_collect(&collect, col);
    aopt.run = NULL; /* no packets: nothing to correlate */
    struct tw_analyze_result one;
    memset(&one, 0, sizeof one);
    int status = 0;
    if (tw_analyze_file(o->files[i], &aopt, &collect, &one, &err) != TW_OK) {
        report_error(&err);
        status = 2;
    }
    if (one.warning[0])
        fprintf(stderr, _("tcpwhy: warning: %s\n"), one.warning);
    return status;
}

/* Several inputs: pair the ones that saw the same traffic (most shared
 * packets first; each input in at most one pair), then write everything in
 * command-line order. Two inputs are read and correlated in one go. More
 * are first correlated pair by pair to choose the pairs (each input read
 * once per pair, records dropped), then read again: each pair together,
 * the others alone. */
static int analyze_together(const struct tw_cli_options *o, struct tw_analyze_options aopt,
                            struct tw_sink *sink, struct tw_analyze_result *res)
{
    size_t n = o->n_files;
    if (n == 2) {
        struct tw_collector col[2];
        struct tw_correlation c;
        memset(col, 0, sizeof col);
        int status = read_pair(o, aopt, &col[0], &col[1], 0, 1, &c);
        if (col[0].run && col[1].run && !stop_requested)
            tw_pair_emit(&c, &col[0], &col[1], sink, res, aopt.n_threads);
        tw_capture_run_free(col[0].run);
        tw_capture_run_free(col[1].run);
        return status;
    }
    struct tw_collector *col = calloc(n, sizeof *col);
    long *partner = malloc(n * sizeof *partner);
    struct candidate *cand = calloc(n * (n - 1) / 2 + 1, sizeof *cand);
    int status = 0;
    if (!col || !partner || !cand) {
        fprintf(stderr, _("tcpwhy: out of memory\n"));
        free(col);
        free(partner);
        free(cand);
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        partner[i] = -1; /* all of them: an interrupt may stop the loop below early */
    size_t n_cand = 0;
    for (size_t i = 0; i < n && !stop_requested; i++)
        for (size_t j = i + 1; j < n && !stop_requested; j++) {
            struct tw_collector ci, cj;
            struct tw_correlation c;
            memset(&ci, 0, sizeof ci);
            memset(&cj, 0, sizeof cj);
            int st = read_pair(o, aopt, &ci, &cj, i, j, &c);
            if (st)
                status = st;
            struct candidate *k = &cand[n_cand++];
            *k = (struct candidate){i, j, c.n_matched, c.is_related, ""};
            memcpy(k->why, c.why, sizeof k->why);
            tw_capture_run_free(ci.run);
            tw_capture_run_free(cj.run);
        }
    /* the unrelated records come in (i, j) order, as the pairs were read */
    struct candidate *unrelated = malloc((n_cand ? n_cand : 1) * sizeof *unrelated);
    if (unrelated)
        memcpy(unrelated, cand, n_cand * sizeof *cand);
    qsort(cand, n_cand, sizeof *cand, by_matches);
    for (size_t k = 0; k < n_cand; k++)
        if (cand[k].is_related && partner[cand[k].a] < 0 && partner[cand[k].b] < 0) {
            partner[cand[k].a] = (long)cand[k].b;
            partner[cand[k].b] = (long)cand[k].a;
        }
    for (size_t i = 0; i < n && !stop_requested && unrelated; i++) {
        if (partner[i] >= 0 && (size_t)partner[i] < i)
            continue; /* written with its partner */
        if (partner[i] >= 0) {
            size_t j = (size_t)partner[i];
            struct tw_correlation c;
            int st = read_pair(o, aopt, &col[i], &col[j], i, j, &c);
            if (st)
                status = st;
            if (col[i].run && col[j].run)
                tw_pair_emit(&c, &col[i], &col[j], sink, res, aopt.n_threads);
            continue;
        }
        int st = read_alone(o, aopt, &col[i], i);
        if (st)
            status = st;
        if (!col[i].run)
            continue;
        /* Alone: say with which inputs it shares nothing, each pair once:
         * here when the other input is in a pair (its records come with its
         * partner's), or is alone too and comes later. */
        for (size_t k = 0; k < n_cand; k++) {
            const struct candidate *u = &unrelated[k];
            if (u->is_related || (u->a != i && u->b != i))
                continue;
            size_t other_i = u->a == i ? u->b : u->a;
            if (other_i < i && partner[other_i] < 0)
                continue; /* said with the other, earlier */
            struct tw_correlation c;
            struct tw_error err;
            memset(&c, 0, sizeof c);
            memset(&err, 0, sizeof err);
            tw_capture_run *other = tw_capture_run_new(o->files[other_i], 0, &err); /* a name */
            /* the two files in command-line order */
            c.client_run = u->a == i ? col[i].run : other;
            c.server_run = u->a == i ? other : col[i].run;
            c.n_matched = u->n_matched;
            memcpy(c.why, u->why, sizeof c.why);
            if (other)
                sink->correlation(sink->ctx, &c);
            tw_capture_run_free(other);
        }
        tw_pair_emit_run(&col[i], sink, res);
    }
    for (size_t i = 0; i < n; i++)
        tw_capture_run_free(col[i].run);
    free(unrelated);
    free(col);
    free(partner);
    free(cand);
    return status;
}

int main(int argc, char **argv)
{
    tw_cli_set_language(argc, argv);
    struct tw_cli_options o;
    struct tw_error err;
    memset(&err, 0, sizeof err);
    int rc = tw_cli_parse(argc, argv, &o, &err);
    if (rc != 0) {
        tw_cli_options_fini(&o);
        if (err.status != TW_OK) {
            report_error(&err);
            fprintf(stderr, _("Try 'tcpwhy --help'.\n"));
            return 2;
        }
        return 0; /* --help or --version */
    }

    /* Live: each record goes out as a whole line as soon as it is written,
     * so that "tcpwhy -i eth0 --format json | jq" follows along. Files:
     * in big blocks (stdio's default of 4 KiB made a write(2) every five
     * records, ~25,000 system calls on a 1.3 GB capture). */
    if (!o.interface) {
        /* glibc ignores the size without a buffer of ours; stdio uses it
         * until exit, hence static (the one mutable static: stdio's) */
        static char stdout_buffer[STDOUT_BUFFER_BYTES];
        setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
    }
    if (o.interface) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (tw_cli_check_user(o.user, &err) != 0) {
            report_error(&err);
            tw_cli_options_fini(&o);
            return 2;
        }
    }
    if (o.format == TW_FORMAT_JSON)
        tw_cli_english_system_messages();
    struct tw_sink sink;
    struct tw_report_options ropt = {
        .is_verbose = o.is_verbose,
        .has_ladder = o.has_ladder,
        .is_color = tw_cli_use_color(o.color, STDOUT_FILENO),
        .width_cols = tw_cli_width(STDOUT_FILENO, o.width_cols),
        .is_streaming = o.interface != NULL,
        .has_aggregates = o.has_aggregates,
    };
    struct tw_wsfilter_stats wsf;
    memset(&sink, 0, sizeof sink);
    bool ok = o.is_wsfilter ? tw_report_wsfilter(&sink, stdout, &wsf, o.files, o.n_files,
                                                 o.wsfilter_file)
              : o.format == TW_FORMAT_JSON ? tw_report_jsonl(&sink, stdout, &ropt)
                                           : tw_report_text(&sink, stdout, &ropt);
    /* --html: a second reporter on the same records, writing at the end */
    FILE *html = NULL;
    if (ok && o.html_file) {
        html = fopen(o.html_file, "w");
        if (!html) {
            fprintf(stderr, _("tcpwhy: %s: cannot write: %s\n"), o.html_file, strerror(errno));
            sink.free(sink.ctx);
            tw_cli_options_fini(&o);
            return 2;
        }
        struct tw_sink page, report = sink;
        ok = tw_report_html(&page, html, &ropt);
        if (ok && !(ok = tw_report_tee(&sink, report, page)))
            page.free(page.ctx);
        if (!ok)
            report.free(report.ctx);
    }
    /* connects: attempts grouped into the application's connect()s */
    if (ok && (!o.is_wsfilter || html)) {
        struct tw_sink inner = sink;
        ok = tw_report_connects(&sink, inner, o.app_timeout_ns, o.memcap_bytes / 8,
                                o.interface != NULL);
        if (!ok)
            inner.free(inner.ctx);
    }
    if (!ok) {
        fprintf(stderr, _("tcpwhy: out of memory\n"));
        return 2;
    }
    /* -w: a sink in front of the reporter notes the problem attempts */
    tw_pcap_out *pcap_out = NULL;
    tw_live_out *live_out = NULL; /* -w live: packets kept until judged */
    if (o.write_file && o.interface) {
        live_out = tw_cli_live_out_new(&o);
        if (!live_out) {
            fprintf(stderr, _("tcpwhy: out of memory\n"));
            return 2;
        }
        struct tw_sink report = sink;
        tw_live_out_sink(live_out, &sink, &report);
    } else if (o.write_file) {
        pcap_out = tw_pcap_out_new(o.files, o.n_files);
        if (!pcap_out) {
            fprintf(stderr, _("tcpwhy: out of memory\n"));
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
        .snaplen = o.snaplen ? o.snaplen : TW_LIVE_DEFAULT_SNAPLEN,
        .buffer_kib = o.buffer_kib,
    };
    const char *filter = o.filter;
    if (o.interface && !filter && !o.is_default_filter_off)
        filter = TW_LIVE_DEFAULT_FILTER;
    /* --memcap is the whole run's budget: the reporters' aggregate tables
     * (text, --html, --aggregates) take their worst case out of the
     * analysis's share, up to half of it */
    size_t n_aggregates = (size_t)(!o.is_wsfilter && o.format != TW_FORMAT_JSON) +
                          (size_t)(!o.is_wsfilter && o.format == TW_FORMAT_JSON &&
                                   o.has_aggregates) +
                          (size_t)(html != NULL);
    size_t reserved = n_aggregates * tw_aggregate_max_bytes();
    if (reserved > o.memcap_bytes / 2)
        reserved = o.memcap_bytes / 2;
    struct tw_analyze_options aopt = {
        .bpf_filter = filter,
        .vantage = o.vantage,
        .memcap_bytes = o.memcap_bytes - reserved,
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
        .is_localized = o.format != TW_FORMAT_JSON,
        .on_frame = live_out ? tw_live_out_frame : NULL,
        .frame_ctx = live_out,
    };
    struct tw_analyze_result res;
    memset(&res, 0, sizeof res);
    int status = !o.interface && o.n_files >= 2 && !o.is_separate
                     ? analyze_together(&o, aopt, &sink, &res)
                     : analyze_each(&o, &aopt, &sink, &res);
    if (sink.finish)
        sink.finish(sink.ctx);
    if (o.is_wsfilter && wsf.n_left_out)
        fprintf(stderr,
                _("tcpwhy: warning: the filter leaves out %llu problem attempts (too many)\n"),
                wsf.n_left_out);
    fflush(stdout); /* the report before the second pass; errors are checked below */
    if (pcap_out && !stop_requested) {
        int ws = tw_cli_write_problems(&o, pcap_out, &stop_requested, &progress);
        if (ws)
            status = ws;
    }
    if (live_out) {
        int ws = tw_cli_live_out_finish(&o, live_out);
        if (ws)
            status = ws;
    }
    sink.free(sink.ctx);
    tw_pcap_out_free(pcap_out);
    if (html && (ferror(html) | fclose(html)) != 0) {
        fprintf(stderr, _("tcpwhy: %s: error writing the HTML report\n"), o.html_file);
        status = 2;
    }
    tw_live_out_free(live_out);
    tw_cli_options_fini(&o);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, _("tcpwhy: error writing output\n"));
        return 2;
    }
    if (status)
        return status;
    return res.n_failed ? 1 : 0;
}
