/* The text report of a big capture: a few blocks per verdict, the rest
 * summed up by server, client subnet and minute. Records are hand-built:
 * this tests the report's arithmetic, not a kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/sink.h"

static void record(struct tw_attempt_record *r, uint8_t client_host, uint16_t port,
                   enum tw_verdict v, int64_t t_s)
{
    memset(r, 0, sizeof *r);
    r->file = "big.pcap";
    r->key.client.b[10] = r->key.client.b[11] = 0xff;
    r->key.client.b[12] = 10;
    r->key.client.b[15] = client_host;
    r->key.server.b[10] = r->key.server.b[11] = 0xff;
    r->key.server.b[12] = 192;
    r->key.server.b[15] = 9;
    r->key.client_port = (uint16_t)(40000 + client_host);
    r->key.server_port = port;
    r->is_isn_known = true;
    r->isn = client_host;
    r->first_ns = r->last_ns = t_s * 1000000000LL;
    r->diag.verdict = v;
    snprintf(r->diag.why, sizeof r->diag.why, "because");
}

/* A text reporter writing into memory (buf, once out is flushed). */
struct mem_report {
    char *buf;
    size_t len;
    FILE *out;
    struct tw_sink sink;
};

static void mem_report_open(struct mem_report *m, bool is_streaming)
{
    memset(m, 0, sizeof *m);
    m->out = open_memstream(&m->buf, &m->len);
    assert_non_null(m->out);
    struct tw_report_options opt;
    memset(&opt, 0, sizeof opt);
    opt.is_streaming = is_streaming;
    assert_true(tw_report_text(&m->sink, m->out, &opt));
}

/* big.pcap's summary through sink, then the sink freed and out closed. */
static void end_of_file(struct tw_sink *sink, FILE *out)
{
    struct tw_file_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.file = "big.pcap";
    sum.is_complete = true;
    sink->summary(sink->ctx, &sum);
    sink->free(sink->ctx);
    fclose(out);
}

static void test_big_capture_summed_up(void **state)
{
    (void)state;
    struct mem_report m;
    mem_report_open(&m, false);
    struct tw_sink sink = m.sink;
    FILE *out = m.out;
    struct tw_attempt_record r;
    /* in time order, as the analyzer reports them: 12 timeouts to :80 and
     * one ok in the minute from 22:13, then 30 refused to :443 from 22:14 */
    for (int i = 0; i < 12; i++) {
        record(&r, (uint8_t)(100 + i), 80, TW_VERDICT_TIMEOUT, 1699999980 + i);
        sink.attempt(sink.ctx, &r);
    }
    record(&r, 200, 80, TW_VERDICT_OK, 1699999995);
    sink.attempt(sink.ctx, &r);
    for (int i = 0; i < 30; i++) {
        record(&r, (uint8_t)i, 443, TW_VERDICT_REFUSED, 1700000040 + i);
        sink.attempt(sink.ctx, &r);
    }
    end_of_file(&sink, out);
    char *buf = m.buf;
    assert_non_null(strstr(buf, "... and 22 more attempts not shown"));
    assert_non_null(strstr(buf, "2 timeout 20 refused"));
    assert_non_null(strstr(buf, "failures by server: 192.0.0.9:443 30, 192.0.0.9:80 12"));
    assert_non_null(strstr(buf, "failures by client subnet: 10.0.0.0/24 42"));
    assert_non_null(strstr(buf, "worst minutes: 2023-11-14T22:14 30 of 30 failed, "
                                "2023-11-14T22:13 12 of 13 failed"));
    free(buf);
}

/* Live (is_streaming), a connect's line is written when the connects
 * wrapper finds it final, not kept for the summary. */
static void test_live_connect_line_at_once(void **state)
{
    (void)state;
    struct mem_report m;
    mem_report_open(&m, true);
    FILE *out = m.out;
    struct tw_sink sink;
    assert_true(tw_report_connects(&sink, m.sink, 0, 1 << 20, false));
    struct tw_attempt_record r;
    record(&r, 7, 8080, TW_VERDICT_REFUSED, 1700000000);
    sink.attempt(sink.ctx, &r);
    record(&r, 7, 8080, TW_VERDICT_REFUSED, 1700000001);
    r.key.client_port = 50000;
    sink.attempt(sink.ctx, &r);
    fflush(out);
    assert_null(strstr(m.buf, "2 attempts, failed"));
    struct tw_attempt_brief none;
    sink.settled(sink.ctx, 1700000005 * 1000000000LL, &none, 0); /* 4 s on, none open */
    fflush(out);
    assert_non_null(strstr(m.buf, "2 attempts, failed: port 40007 refused, port 50000 refused"));
    struct tw_file_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.file = "eth0";
    sum.is_complete = true;
    sink.summary(sink.ctx, &sum);
    sink.free(sink.ctx);
    fclose(out);
    char *buf = m.buf;
    const char *first = strstr(buf, "2 attempts, failed");
    assert_null(strstr(first + 1, "2 attempts, failed")); /* once */
    assert_non_null(strstr(buf, "Connects: 1 (1 needed more than one attempt, 1 failed)"));
    free(buf);
}

/* Briefs past the connects' budget with no temporary file to be had
 * ($TMPDIR missing): the text report says the connects are partial. */
static void test_connects_partial_said(void **state)
{
    (void)state;
    struct mem_report m;
    mem_report_open(&m, false);
    FILE *out = m.out;
    char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", "/nonexistent/tcpwhy-test", 1);
    struct tw_sink sink;
    assert_true(tw_report_connects(&sink, m.sink, 0, 1 << 16, false));
    struct tw_attempt_record r;
    for (int i = 0; i < 6000; i++) {
        record(&r, (uint8_t)(i % 200), 8080, TW_VERDICT_OK, 1700000000 + i);
        r.key.client_port = (uint16_t)(10000 + i);
        sink.attempt(sink.ctx, &r);
    }
    end_of_file(&sink, out);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    assert_non_null(strstr(m.buf, "partial: not every attempt past --memcap could be kept"));
    free(m.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_capture_summed_up),
        cmocka_unit_test(test_live_connect_line_at_once),
        cmocka_unit_test(test_connects_partial_said),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
