/* Fuzz target: two capture files correlated, through the whole pipeline.
 *
 * The input holds two captures: a byte of options, the first capture's
 * length (4 bytes, little-endian), the first capture, then the second. Both
 * are written to memory files (memfd) and analysed into runs as the command
 * line does for two files; then correlated (match, clock, loss), merged and
 * written to /dev/null by the JSON, the text (option bit 0) or the HTML
 * reporter (bit 2), with a memory budget that holds every record or one
 * small enough that records go to the temporary files and are merged from
 * there (bit 1). Seeds: the lab's two-point fixtures (fuzz/pair_seeds.py;
 * some in fuzz/seeds/pair-*). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze/pair.h"
#include "fuzz/fuzz.h"

struct state {
    int fd[2];
    char path[2][64];
    FILE *devnull;
};

static struct state *state_get(void)
{
    static struct state st;
    static int is_ready;
    if (!is_ready) {
        for (int k = 0; k < 2; k++) {
            st.fd[k] = memfd_create(k ? "tw_fuzz_pair_b" : "tw_fuzz_pair_a", 0);
            if (st.fd[k] < 0)
                abort();
            snprintf(st.path[k], sizeof st.path[k], "/proc/self/fd/%d", st.fd[k]);
        }
        st.devnull = fopen("/dev/null", "w");
        if (!st.devnull)
            abort();
        is_ready = 1;
    }
    return &st;
}

static void put_file(int fd, const uint8_t *data, size_t size)
{
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
}

/* One capture analysed into its run, as the command line reads an input
 * of a pair (but in this thread: the run is fed first, read afterwards). */
static void read_into(const char *path, size_t memcap, struct tw_collector *col)
{
    struct tw_error err;
    memset(&err, 0, sizeof err);
    memset(col, 0, sizeof *col);
    col->run = tw_capture_run_new(path, memcap / 2, &err);
    if (!col->run)
        abort();
    struct tw_sink collect;
    tw_report_collect(&collect, col);
    struct tw_analyze_options opt;
    memset(&opt, 0, sizeof opt);
    opt.vantage = -1;
    opt.memcap_bytes = memcap;
    opt.idle_ns = 30LL * 1000000000;
    opt.n_threads = 1;
    opt.run = col->run;
    struct tw_analyze_result res;
    memset(&res, 0, sizeof res);
    enum tw_status status = tw_analyze_file(path, &opt, &collect, &res, &err);
    if (status != TW_OK && err.status == TW_OK)
        abort(); /* a failure must say what failed */
}

int TW_FUZZ_ENTRY(pair)(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    struct state *st = state_get();
    uint8_t options = data[0];
    size_t n_first =
        (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 | (size_t)data[4] << 24;
    data += 5;
    size -= 5;
    if (n_first > size)
        n_first = size;
    put_file(st->fd[0], data, n_first);
    put_file(st->fd[1], data + n_first, size - n_first);

    /* 64 KiB: a few records in memory, the rest on the temporary files;
     * 4 MiB holds all of an input's (a bigger budget only costs time here) */
    size_t memcap = (options & 2) ? 1u << 16 : 4u << 20;
    struct tw_collector col[2];
    for (int k = 0; k < 2; k++)
        read_into(st->path[k], memcap, &col[k]);
    struct tw_correlation c;
    tw_correlate(col[0].run, col[1].run, &c);

    struct tw_report_options ropt = {.is_verbose = true, .has_ladder = true};
    struct tw_sink sink;
    bool is_made = (options & 4)   ? tw_report_html(&sink, st->devnull, &ropt)
                   : (options & 1) ? tw_report_text(&sink, st->devnull, &ropt)
                                   : tw_report_jsonl(&sink, st->devnull, &ropt);
    if (!is_made)
        abort();
    struct tw_analyze_result res;
    memset(&res, 0, sizeof res);
    tw_pair_emit(&c, &col[0], &col[1], &sink, &res, 1);
    if (sink.finish)
        sink.finish(sink.ctx);
    sink.free(sink.ctx);
    for (int k = 0; k < 2; k++)
        tw_capture_run_free(col[k].run);
    return 0;
}
