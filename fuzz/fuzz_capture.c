/* Fuzz target: bytes as a capture file, through the whole pipeline.
 *
 * The input is written to a memory file (memfd) and analysed by
 * tw_analyze_file() as a capture given on the command line would be: the
 * capture readers (libpcap's and tcpwhy's own pcapng reader), the decoders,
 * the tracker, the rules and the JSON reporter, which writes to /dev/null.
 * A small flow table keeps each run fast and makes eviction happen. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze/analyzer.h"
#include "fuzz/fuzz.h"

struct state {
    int fd;
    char path[64];
    FILE *devnull;
    struct tw_sink sink;
};

static struct state *state_get(void)
{
    static struct state st;
    static int is_ready;
    if (!is_ready) {
        st.fd = memfd_create("tw_fuzz_capture", 0);
        st.devnull = fopen("/dev/null", "w");
        struct tw_report_options ropt = {.is_verbose = true};
        if (st.fd < 0 || !st.devnull || !tw_report_jsonl(&st.sink, st.devnull, &ropt))
            abort();
        snprintf(st.path, sizeof st.path, "/proc/self/fd/%d", st.fd);
        is_ready = 1;
    }
    return &st;
}

int TW_FUZZ_ENTRY(capture)(const uint8_t *data, size_t size)
{
    struct state *st = state_get();
    if (ftruncate(st->fd, 0) != 0 || pwrite(st->fd, data, size, 0) != (ssize_t)size)
        abort();
    struct tw_analyze_options opt;
    memset(&opt, 0, sizeof opt);
    opt.vantage = -1;
    opt.memcap_bytes = 1u << 16;
    opt.idle_ns = 30LL * 1000000000;
    struct tw_analyze_result res;
    memset(&res, 0, sizeof res);
    struct tw_error err;
    memset(&err, 0, sizeof err);
    enum tw_status status = tw_analyze_file(st->path, &opt, &st->sink, &res, &err);
    if (status != TW_OK && err.status == TW_OK)
        abort(); /* a failure must say what failed */
    char msg[768];
    tw_error_format(&err, false, msg, sizeof msg);
    return 0;
}
