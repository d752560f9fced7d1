/* tcpwhy: tell why TCP connection attempts failed.
 *
 * The command line: parses options (options.c), picks the reporter, runs
 * the analyzer on each input, and turns what happened into an exit status:
 * 0 when every attempt that could be judged succeeded, 1 when at least one
 * failed, 2 when the analysis could not run to the end (usage error,
 * unreadable or damaged input). Only this folder prints to stderr or exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyzer.h"
#include "cli/options.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void report_error(const struct tw_error *err)
{
    char msg[768];
    tw_error_format(err, msg, sizeof msg);
    fprintf(stderr, "tcpwhy: %s\n", msg);
}

int main(int argc, char **argv)
{
    struct tw_cli_options o;
    struct tw_error err;
    memset(&err, 0, sizeof err);
    int rc = tw_cli_parse(argc, argv, &o, &err);
    if (rc != 0) {
        if (err.status != TW_OK) {
            report_error(&err);
            fprintf(stderr, "Try 'tcpwhy --help'.\n");
            return 2;
        }
        return 0; /* --help or --version */
    }

    struct tw_sink sink;
    struct tw_report_options ropt = {.is_verbose = o.is_verbose};
    bool ok = o.format == TW_FORMAT_JSON ? tw_report_jsonl(&sink, stdout, &ropt)
                                         : tw_report_text(&sink, stdout, &ropt);
    if (!ok) {
        fprintf(stderr, "tcpwhy: out of memory\n");
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct tw_analyze_options aopt = {
        .bpf_filter = o.filter,
        .vantage = o.vantage,
        .memcap_bytes = o.memcap_bytes,
        .idle_ns = o.idle_ns,
        .max_flows = o.max_flows,
        .live_ifname = o.interface,
        .stop_flag = &stop_requested,
    };
    struct tw_analyze_result res;
    memset(&res, 0, sizeof res);
    int status = 0;
    size_t n_inputs = o.interface ? 1 : o.n_files;
    for (size_t i = 0; i < n_inputs && !stop_requested; i++) {
        const char *path = o.interface ? o.interface : o.files[i];
        memset(&err, 0, sizeof err);
        if (tw_analyze_file(path, &aopt, &sink, &res, &err) != TW_OK) {
            report_error(&err);
            status = 2;
        }
        if (res.warning[0])
            fprintf(stderr, "tcpwhy: warning: %s\n", res.warning);
    }
    sink.free(sink.ctx);
    tw_cli_options_fini(&o);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tcpwhy: error writing output\n");
        return 2;
    }
    if (status)
        return status;
    return res.n_failed ? 1 : 0;
}
