/* Live -w (report/live_out.c) driven by the analyzer over a lab capture: the
 * frame hook keeps every frame, and each problem attempt's record writes its
 * frames. On a file the records come at the end, so with room for the whole
 * capture the output holds what -w offline writes (16 packets of the two
 * problem attempts of synack_lost_rst_v4, see tests/fixtures/report_write),
 * and with a budget of a few frames the attempts are written in part and
 * counted late. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyze/analyzer.h"
#include "decode/decode.h"
#include "report/live_out.h"

#define INPUT TW_FIXTURES "/synack_lost_rst_v4/client.pcap"

static void no_attempt(void *ctx, const struct tw_attempt_record *r) { (void)ctx; (void)r; }
static void no_rst(void *ctx, const struct tw_rst_record *r) { (void)ctx; (void)r; }
static void no_correlation(void *ctx, const struct tw_correlation *c) { (void)ctx; (void)c; }
static void no_summary(void *ctx, const struct tw_file_summary *s) { (void)ctx; (void)s; }
static void no_free(void *ctx) { (void)ctx; }

/* Runs the analyzer over INPUT with live -w into path; returns the counts. */
static struct tw_live_out_counts run(const char *path, size_t budget_bytes)
{
    struct tw_dump_config cfg = {.path = path, .format = TW_DUMP_PCAPNG, .linktype = -1};
    tw_live_out *lo = tw_live_out_new(&cfg, budget_bytes);
    assert_non_null(lo);
    struct tw_sink inner = {
        .attempt = no_attempt,
        .rst = no_rst,
        .correlation = no_correlation,
        .summary = no_summary,
        .free = no_free,
    };
    struct tw_sink sink;
    tw_live_out_sink(lo, &sink, &inner);
    struct tw_analyze_options opt = {
        .vantage = -1,
        .memcap_bytes = 16u << 20,
        .idle_ns = 300000000000LL,
        .on_frame = tw_live_out_frame,
        .frame_ctx = lo,
    };
    struct tw_analyze_result res;
    struct tw_error err;
    memset(&res, 0, sizeof res);
    memset(&err, 0, sizeof err);
    assert_int_equal(tw_analyze_file(INPUT, &opt, &sink, &res, &err), TW_OK);
    struct tw_live_out_counts counts;
    assert_int_equal(tw_live_out_close(lo, &counts, &err), TW_OK);
    sink.free(sink.ctx);
    tw_live_out_free(lo);
    return counts;
}

/* Frames in path (checked to be in capture order); *n_rsts: of them, TCP
 * with the RST flag, when not NULL. */
static uint64_t frames_in(const char *path, int *n_rsts)
{
    struct tw_error err;
    memset(&err, 0, sizeof err);
    tw_capture *cap = tw_capture_open_file(path, NULL, &err);
    assert_non_null(cap);
    uint64_t n = 0;
    int64_t last_ns = 0;
    const struct tw_frame *fr;
    while ((fr = tw_capture_next(cap, &err)) != NULL) {
        assert_true(fr->ts_ns >= last_ns); /* in capture order */
        last_ns = fr->ts_ns;
        n++;
        struct tw_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        tw_decode_frame(fr->linktype, fr->bytes, fr->caplen, fr->wirelen, &pkt);
        if (n_rsts)
            *n_rsts += pkt.l4 == TW_L4_TCP && (pkt.tcp.flags & TW_TCP_RST);
    }
    assert_int_equal(err.status, TW_OK);
    tw_capture_free(cap);
    return n;
}

static void temp_path(char *path, size_t size)
{
    snprintf(path, size, "/tmp/tw_live_out_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void test_whole_budget(void **state)
{
    (void)state;
    char path[32];
    temp_path(path, sizeof path);
    struct tw_live_out_counts c = run(path, 64u << 20);
    assert_int_equal(c.n_attempts, 2);
    assert_int_equal(c.n_late, 0);
    assert_int_equal(c.n_written, 16);
    assert_int_equal(c.files.n_files, 1);
    assert_int_equal(frames_in(path, NULL), 16);
    unlink(path);
}

static void test_small_budget(void **state)
{
    (void)state;
    char path[32];
    temp_path(path, sizeof path);
    struct tw_live_out_counts c = run(path, 2000); /* a few frames' worth */
    assert_int_equal(c.n_attempts, 2);
    assert_true(c.n_late >= 1);
    assert_true(c.n_written < 16);
    assert_int_equal(frames_in(path, NULL), c.n_written);
    unlink(path);
}

/* What the analyzer reports on INPUT, kept for replaying. */
struct collected {
    struct tw_attempt_record attempts[8];
    size_t n_attempts;
    struct tw_rst_record rsts[8];
    size_t n_rsts;
};

static void keep_attempt(void *ctx, const struct tw_attempt_record *r)
{
    struct collected *c = ctx;
    if (c->n_attempts < 8)
        c->attempts[c->n_attempts++] = *r;
}

static void keep_rst(void *ctx, const struct tw_rst_record *r)
{
    struct collected *c = ctx;
    if (c->n_rsts < 8)
        c->rsts[c->n_rsts++] = *r;
}

static void collect(struct collected *c)
{
    memset(c, 0, sizeof *c);
    struct tw_sink sink = {
        .ctx = c,
        .attempt = keep_attempt,
        .rst = keep_rst,
        .correlation = no_correlation,
        .summary = no_summary,
        .free = no_free,
    };
    struct tw_analyze_options opt = {.vantage = -1, .memcap_bytes = 16u << 20,
                                     .idle_ns = 300000000000LL, .n_threads = 1};
    struct tw_analyze_result res;
    struct tw_error err;
    memset(&res, 0, sizeof res);
    memset(&err, 0, sizeof err);
    assert_int_equal(tw_analyze_file(INPUT, &opt, &sink, &res, &err), TW_OK);
}

/* Live order: the problem attempt's record comes before its RST (its verdict
 * was final earlier), then the RST's frame and record. The RST is written
 * with it, as -w offline would; a RST filed under an attempt not written is
 * not. */
static void replay_rst_after_verdict(const char *path, bool is_same_attempt)
{
    struct collected c;
    collect(&c);
    assert_true(c.n_rsts >= 1);
    const struct tw_rst_record *rst = &c.rsts[0];
    const struct tw_attempt_record *att = NULL;
    for (size_t i = 0; i < c.n_attempts; i++)
        if (c.attempts[i].isn == rst->isn && tw_report_is_problem(&c.attempts[i]))
            att = &c.attempts[i];
    assert_non_null(att);
    struct tw_attempt_record early = *att;
    early.last_ns = rst->ts_ns - 1; /* judged before the RST came */
    struct tw_rst_record late = *rst;
    if (!is_same_attempt)
        late.isn++;

    struct tw_dump_config cfg = {.path = path, .format = TW_DUMP_PCAPNG, .linktype = -1};
    tw_live_out *lo = tw_live_out_new(&cfg, 64u << 20);
    assert_non_null(lo);
    struct tw_sink inner = {.attempt = no_attempt, .rst = no_rst, .correlation = no_correlation,
                            .summary = no_summary, .free = no_free};
    struct tw_sink sink;
    tw_live_out_sink(lo, &sink, &inner);
    struct tw_error err;
    memset(&err, 0, sizeof err);
    tw_capture *cap = tw_capture_open_file(INPUT, NULL, &err);
    assert_non_null(cap);
    const struct tw_frame *fr;
    while ((fr = tw_capture_next(cap, &err)) != NULL) {
        if (fr->number == rst->frame)
            sink.attempt(sink.ctx, &early);
        tw_live_out_frame(lo, fr);
        if (fr->number == rst->frame)
            sink.rst(sink.ctx, &late);
    }
    tw_capture_free(cap);
    struct tw_live_out_counts counts;
    assert_int_equal(tw_live_out_close(lo, &counts, &err), TW_OK);
    sink.free(sink.ctx);
    tw_live_out_free(lo);
    int n_rsts = 0;
    assert_int_equal(frames_in(path, &n_rsts), counts.n_written);
    assert_int_equal(n_rsts, is_same_attempt ? 1 : 0);
}

static void test_rst_after_verdict(void **state)
{
    (void)state;
    char path[32];
    temp_path(path, sizeof path);
    replay_rst_after_verdict(path, true);
    replay_rst_after_verdict(path, false);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_budget),
        cmocka_unit_test(test_small_budget),
        cmocka_unit_test(test_rst_after_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
