/* Grouping attempts into connects (diagnose/connect.c), on hand-built briefs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "diagnose/connect.h"
#include "report/sink.h"

#define MS 1000000LL

static struct tw_attempt_brief brief(uint8_t client, uint16_t port, int64_t first_ms,
                                     int64_t done_ms, enum tw_verdict v, bool completed)
{
    struct tw_attempt_brief b;
    memset(&b, 0, sizeof b);
    b.client.b[15] = client;
    b.server.b[15] = 9;
    b.client_port = port;
    b.server_port = 8080;
    b.is_isn_known = true;
    b.isn = (uint32_t)first_ms;
    b.verdict = v;
    b.first_ns = first_ms * MS;
    b.done_ns = done_ms * MS;
    b.is_completed = completed;
    return b;
}

static void test_retries_group(void **state)
{
    (void)state;
    struct tw_attempt_brief b[] = {
        /* client 1: the seed case, same port, new ISN 0.7 s after the last SYN */
        brief(1, 40000, 0, 2000, TW_VERDICT_SYNACK_LOST_RST, false),
        brief(1, 40000, 2700, 2712, TW_VERDICT_OK_AFTER_RETRANS, true),
        /* client 2: new ports, two timeouts then success */
        brief(2, 50001, 0, 1000, TW_VERDICT_TIMEOUT, false),
        brief(2, 50002, 1200, 2200, TW_VERDICT_LATE_SYNACK_RST, false),
        brief(2, 50003, 2400, 2401, TW_VERDICT_OK, true),
        /* client 2 again much later: a new connect */
        brief(2, 50004, 60000, 60001, TW_VERDICT_OK, true),
        /* client 3: after a success, the next attempt is a new connect */
        brief(3, 40000, 0, 1, TW_VERDICT_OK, true),
        brief(3, 40001, 5, 6, TW_VERDICT_REFUSED, false),
    };
    size_t n = sizeof b / sizeof b[0];
    struct tw_connect c[8];
    size_t nc = tw_connects_group(b, n, c, 8);
    assert_int_equal(nc, 5);
    assert_int_equal(c[0].n, 2); /* client 1 */
    assert_true(c[0].is_connected);
    assert_int_equal(c[0].end_ns - c[0].start_ns, 2712 * MS);
    assert_int_equal(c[1].n, 3); /* client 2's first connect */
    assert_true(c[1].is_connected);
    assert_int_equal(c[2].n, 1); /* client 2, a minute later */
    assert_int_equal(c[3].n, 1); /* client 3 ok */
    assert_int_equal(c[4].n, 1); /* client 3 refused: its own connect */
    assert_false(c[4].is_connected);
}

/* Counted as attempts are judged, not in time order: the failure that
 * began it all may come after attempts that followed it. */
static void test_server_failures_since(void **state)
{
    (void)state;
    struct tw_attempt_brief b[] = {
        brief(4, 40003, 300, 301, TW_VERDICT_OK, true),
        brief(5, 40004, 400, 1400, TW_VERDICT_SYNACK_LOST_RST, false),
        brief(1, 40000, 0, 1, TW_VERDICT_OK, true),
        brief(2, 40001, 100, 101, TW_VERDICT_OK, true),
        brief(3, 40002, 200, 1200, TW_VERDICT_TIMEOUT, false), /* the first failure, judged last */
        brief(6, 40005, 50, 51, TW_VERDICT_OK, true),
    };
    b[5].server.b[15] = 8; /* another server, which never failed */
    tw_server_tally *t = tw_server_tally_new(1 << 20);
    assert_non_null(t);
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        tw_server_tally_add(t, &b[i]);
    const struct tw_server_failures *f;
    size_t n = tw_server_tally_failures(t, &f);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].server.b[15], 9);
    assert_int_equal(f[0].server_port, 8080);
    assert_int_equal(f[0].since_ns, 200 * MS);
    assert_int_equal(f[0].first_verdict, TW_VERDICT_TIMEOUT);
    assert_int_equal(f[0].attempts_since, 3);
    assert_int_equal(f[0].failed_since, 2);
    assert_false(tw_server_tally_is_partial(t));
    /* the next file starts afresh */
    tw_server_tally_clear(t);
    assert_int_equal(tw_server_tally_failures(t, &f), 0);
    tw_server_tally_free(t);
}

/* Many endpoints (the hash grows) come out in endpoint order; past the
 * budget the tally says it is partial. */
static void test_server_failures_many(void **state)
{
    (void)state;
    tw_server_tally *t = tw_server_tally_new(1 << 20);
    assert_non_null(t);
    for (int i = 999; i >= 0; i--) {
        struct tw_attempt_brief ok = brief(1, 40000, i, i + 1, TW_VERDICT_OK, true);
        struct tw_attempt_brief bad = brief(1, 40001, i + 10, i + 11, TW_VERDICT_REFUSED, false);
        ok.server_port = bad.server_port = (uint16_t)(1000 + i);
        tw_server_tally_add(t, &ok);
        tw_server_tally_add(t, &bad);
    }
    const struct tw_server_failures *f;
    size_t n = tw_server_tally_failures(t, &f);
    assert_int_equal(n, 1000);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f[i].server_port, 1000 + i);
        assert_int_equal(f[i].attempts_since, 1);
        assert_int_equal(f[i].failed_since, 1);
        assert_int_equal(f[i].since_ns, ((int64_t)i + 10) * MS);
    }
    assert_false(tw_server_tally_is_partial(t));
    tw_server_tally_free(t);
    t = tw_server_tally_new(16 * 1024);
    assert_non_null(t);
    for (int i = 0; i < 2000; i++) {
        struct tw_attempt_brief bad = brief(1, 40001, i, i + 1, TW_VERDICT_REFUSED, false);
        tw_server_tally_add(t, &bad);
    }
    assert_true(tw_server_tally_is_partial(t));
    n = tw_server_tally_failures(t, &f);
    assert_int_equal(n, 1);
    assert_true(f[0].failed_since < 2000);
    tw_server_tally_free(t);
}

static void test_histogram_buckets(void **state)
{
    (void)state;
    assert_int_equal(tw_connect_bucket(1 * MS), 0);
    assert_int_equal(tw_connect_bucket(50 * MS), 1);
    assert_int_equal(tw_connect_bucket(2712 * MS), 4);
    assert_int_equal(tw_connect_bucket(20000 * MS), TW_CONNECT_BUCKETS - 1);
}

/* Live: a connect is final once no open attempt between its endpoints began
 * before its last one when it ended in a connection, and once its 3 s retry
 * window has passed with no open attempt begun within it when it failed;
 * open attempts between other endpoints do not matter. */
static void test_connect_final(void **state)
{
    (void)state;
    struct tw_attempt_brief ok = brief(1, 40000, 1000, 1010, TW_VERDICT_OK, true);
    assert_false(tw_connect_is_final(&ok, 1000 * MS, NULL, 0));
    assert_true(tw_connect_is_final(&ok, 1001 * MS, NULL, 0));
    struct tw_attempt_brief refused = brief(1, 40001, 1000, 1001, TW_VERDICT_REFUSED, false);
    assert_false(tw_connect_is_final(&refused, 4001 * MS, NULL, 0));
    assert_true(tw_connect_is_final(&refused, 4002 * MS, NULL, 0));
    struct tw_attempt_brief unknown = brief(1, 40002, 1000, 1500, TW_VERDICT_UNKNOWN, false);
    assert_true(tw_connect_is_final(&unknown, 1001 * MS, NULL, 0));
    struct tw_attempt_brief open[] = {
        brief(1, 50000, 900, 0, TW_VERDICT_UNKNOWN, false),  /* same endpoints, began before */
        brief(1, 50001, 3500, 0, TW_VERDICT_UNKNOWN, false), /* same endpoints, within the window */
        brief(2, 50002, 0, 0, TW_VERDICT_UNKNOWN, false),    /* another client */
    };
    tw_attempt_briefs_sort(open, 3);
    assert_false(tw_connect_is_final(&ok, 5000 * MS, open, 3));
    struct tw_attempt_brief later[] = {
        brief(1, 50001, 3500, 0, TW_VERDICT_UNKNOWN, false),
        brief(2, 50002, 0, 0, TW_VERDICT_UNKNOWN, false),
    };
    tw_attempt_briefs_sort(later, 2);
    assert_true(tw_connect_is_final(&ok, 5000 * MS, later, 2));       /* 3.5 s is after its start */
    assert_false(tw_connect_is_final(&refused, 5000 * MS, later, 2)); /* within 1.001 + 3 s */
    struct tw_attempt_brief other[] = {brief(2, 50002, 0, 0, TW_VERDICT_UNKNOWN, false)};
    assert_true(tw_connect_is_final(&refused, 5000 * MS, other, 1));
}

/* The wrapper, fed as the live analyzer feeds it: attempts as their
 * verdicts settle (not in start order), settled() now and then. */
struct seen {
    size_t n_connects, n_attempts_last;
    int64_t start_last_ns;
    struct tw_file_summary sum;
};

static void seen_attempt(void *ctx, const struct tw_attempt_record *r) { (void)ctx, (void)r; }
static void seen_rst(void *ctx, const struct tw_rst_record *r) { (void)ctx, (void)r; }
static void seen_free(void *ctx) { (void)ctx; }
static void seen_connect(void *ctx, const struct tw_connect_record *c)
{
    struct seen *s = ctx;
    s->n_connects++;
    s->n_attempts_last = c->n_attempts;
    s->start_last_ns = c->start_ns;
}
static void seen_summary(void *ctx, const struct tw_file_summary *sum)
{
    ((struct seen *)ctx)->sum = *sum;
}

static void feed(struct tw_sink *sink, uint16_t port, int64_t first_ms, int64_t last_ms,
                 enum tw_verdict v)
{
    struct tw_attempt_record r;
    memset(&r, 0, sizeof r);
    r.file = "eth0";
    r.key.client.b[15] = 1;
    r.key.server.b[15] = 9;
    r.key.client_port = port;
    r.key.server_port = 8080;
    r.is_isn_known = true;
    r.first_ns = first_ms * MS;
    r.last_ns = last_ms * MS;
    r.diag.verdict = v;
    sink->attempt(sink->ctx, &r);
}

static void test_connects_live(void **state)
{
    (void)state;
    struct seen seen;
    memset(&seen, 0, sizeof seen);
    struct tw_sink inner = {.ctx = &seen, .attempt = seen_attempt, .rst = seen_rst,
                            .connect = seen_connect, .summary = seen_summary,
                            .free = seen_free};
    struct tw_sink sink;
    assert_true(tw_report_connects(&sink, inner, 0, 1 << 20, true));
    /* a refused connect() at 0 s, retried at 1 s: the retry times out
     * (reported at 5 s), then a third try at 5.5 s is refused */
    feed(&sink, 40001, 0, 1, TW_VERDICT_REFUSED);
    struct tw_attempt_brief retry = brief(1, 40002, 1000, 0, TW_VERDICT_UNKNOWN, false);
    struct tw_attempt_brief other = brief(2, 40009, 0, 0, TW_VERDICT_UNKNOWN, false);
    sink.settled(sink.ctx, 500 * MS, &other, 1);
    assert_int_equal(seen.n_connects, 0);   /* a retry may still come */
    sink.settled(sink.ctx, 4000 * MS, &retry, 1); /* it began, and is open */
    assert_int_equal(seen.n_connects, 0);
    feed(&sink, 40002, 1000, 3000, TW_VERDICT_TIMEOUT);
    feed(&sink, 40003, 5500, 5501, TW_VERDICT_REFUSED);
    sink.settled(sink.ctx, 8000 * MS, &other, 1); /* window after 5.501 s open */
    assert_int_equal(seen.n_connects, 0);
    sink.settled(sink.ctx, 8502 * MS, NULL, 0);   /* not all listed: wait */
    assert_int_equal(seen.n_connects, 0);
    sink.settled(sink.ctx, 8502 * MS, &other, 1);
    assert_int_equal(seen.n_connects, 1);
    assert_int_equal(seen.n_attempts_last, 3);
    assert_int_equal(seen.start_last_ns, 0);
    /* a connect that succeeded goes out once no older attempt of its endpoints is open */
    feed(&sink, 40004, 20000, 20001, TW_VERDICT_OK);
    sink.settled(sink.ctx, 20000 * MS, &other, 1);
    assert_int_equal(seen.n_connects, 1);
    sink.settled(sink.ctx, 20001 * MS, &other, 1);
    assert_int_equal(seen.n_connects, 2);
    /* what is left at the end goes out before the summary, which counts all */
    feed(&sink, 40005, 30000, 30001, TW_VERDICT_REFUSED);
    struct tw_file_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.file = "eth0";
    sink.summary(sink.ctx, &sum);
    assert_int_equal(seen.n_connects, 3);
    assert_int_equal(seen.sum.connects, 3);
    assert_int_equal(seen.sum.connects_retried, 1);
    assert_int_equal(seen.sum.connects_failed, 2);
    sink.free(sink.ctx);
}

/* Live, the failures per server go out as they change, once a second at
 * most: a server's first failure, then only when it failed again; all of
 * them, with their final counts, before the summary. */
struct failures_seen {
    size_t n;
    uint64_t failed_last, attempts_last;
};

static void failures_seen(void *ctx, const struct tw_server_failures_record *r)
{
    struct failures_seen *s = ctx;
    s->n++;
    s->failed_last = r->failed_since;
    s->attempts_last = r->attempts_since;
}

static void no_connect(void *ctx, const struct tw_connect_record *c) { (void)ctx, (void)c; }
static void no_summary(void *ctx, const struct tw_file_summary *sum) { (void)ctx, (void)sum; }

static void test_server_failures_live(void **state)
{
    (void)state;
    struct failures_seen fs;
    memset(&fs, 0, sizeof fs);
    struct tw_sink inner = {.ctx = &fs, .attempt = seen_attempt, .rst = seen_rst,
                            .connect = no_connect, .server_failures = failures_seen,
                            .summary = no_summary, .free = seen_free};
    struct tw_sink sink;
    assert_true(tw_report_connects(&sink, inner, 0, 1 << 20, true));
    struct tw_attempt_brief other = brief(2, 40009, 0, 0, TW_VERDICT_UNKNOWN, false);
    feed(&sink, 40001, 0, 1, TW_VERDICT_OK);
    sink.settled(sink.ctx, 100 * MS, &other, 1);
    assert_int_equal(fs.n, 0); /* no failure yet */
    feed(&sink, 40002, 200, 201, TW_VERDICT_REFUSED);
    sink.settled(sink.ctx, 300 * MS, &other, 1);
    assert_int_equal(fs.n, 0); /* looked at 100 ms ago: next at 1.1 s */
    sink.settled(sink.ctx, 1100 * MS, &other, 1);
    assert_int_equal(fs.n, 1);
    assert_int_equal(fs.failed_last, 1);
    feed(&sink, 40003, 1200, 1201, TW_VERDICT_OK);
    sink.settled(sink.ctx, 2200 * MS, &other, 1);
    assert_int_equal(fs.n, 1); /* no new failure: nothing new to say */
    feed(&sink, 40004, 2300, 2301, TW_VERDICT_REFUSED);
    sink.settled(sink.ctx, 3300 * MS, &other, 1);
    assert_int_equal(fs.n, 2);
    assert_int_equal(fs.failed_last, 2);
    assert_int_equal(fs.attempts_last, 3);
    struct tw_file_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.file = "eth0";
    sink.summary(sink.ctx, &sum);
    assert_int_equal(fs.n, 3); /* the final counts, before the summary */
    sink.free(sink.ctx);
}

/* Past the budget the attempts go to a temporary file in sorted runs and
 * are merged at the end: the connects are those of an unbounded budget. */
static void feed_client(struct tw_sink *sink, uint8_t client, uint16_t port, int64_t first_ms,
                        int64_t last_ms, enum tw_verdict v)
{
    struct tw_attempt_record r;
    memset(&r, 0, sizeof r);
    r.file = "big.pcap";
    r.key.client.b[14] = client;
    r.key.server.b[15] = 9;
    r.key.client_port = port;
    r.key.server_port = 8080;
    r.is_isn_known = true;
    r.isn = (uint32_t)first_ms;
    r.first_ns = first_ms * MS;
    r.last_ns = last_ms * MS;
    r.last_syn_ns = first_ms * MS;
    r.diag.verdict = v;
    sink->attempt(sink->ctx, &r);
}

static void grouped(size_t budget_bytes, bool is_live, struct seen *out)
{
    memset(out, 0, sizeof *out);
    struct tw_sink inner = {.ctx = out, .attempt = seen_attempt, .rst = seen_rst,
                            .connect = seen_connect, .summary = seen_summary, .free = seen_free};
    struct tw_sink sink;
    assert_true(tw_report_connects(&sink, inner, 0, budget_bytes, is_live));
    /* 250 clients, judged out of order: a refused try, then a retry from
     * the next port 1 s later that succeeds (one connect of two attempts),
     * and an attempt a minute later (a connect of its own) */
    for (int round = 2; round >= 0; round--)
        for (int k = 0; k < 250; k++) {
            uint8_t client = (uint8_t)((k * 7) % 250);
            if (round == 0)
                feed_client(&sink, client, 40000, 100 + k, 101 + k, TW_VERDICT_REFUSED);
            else if (round == 1)
                feed_client(&sink, client, 40001, 1100 + k, 1102 + k, TW_VERDICT_OK);
            else
                feed_client(&sink, client, 40002, 60000 + k, 60001 + k, TW_VERDICT_OK);
        }
    /* live, once briefs went to the file, nothing goes out before the end */
    if (is_live) {
        sink.settled(sink.ctx, INT64_MAX / 2, NULL, 0);
        struct tw_attempt_brief none = brief(200, 1, 0, 0, TW_VERDICT_UNKNOWN, false);
        sink.settled(sink.ctx, INT64_MAX / 2, &none, 1);
        assert_int_equal(out->n_connects, 0);
    }
    struct tw_file_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.file = "big.pcap";
    sink.summary(sink.ctx, &sum);
    sink.free(sink.ctx);
}

static void test_connects_spilled(void **state)
{
    (void)state;
    struct seen all, spilled, live;
    grouped(1 << 20, false, &all);
    grouped(4096, false, &spilled); /* 21 briefs in memory: 36 runs on file */
    grouped(4096, true, &live);
    assert_int_equal(all.sum.connects, 500);
    assert_int_equal(all.sum.connects_retried, 250);
    assert_false(all.sum.is_connects_partial);
    assert_int_equal(spilled.sum.connects, all.sum.connects);
    assert_int_equal(spilled.sum.connects_retried, all.sum.connects_retried);
    assert_int_equal(spilled.sum.connects_failed, all.sum.connects_failed);
    assert_memory_equal(spilled.sum.connect_histogram, all.sum.connect_histogram,
                        sizeof all.sum.connect_histogram);
    assert_false(spilled.sum.is_connects_partial);
    assert_int_equal(spilled.n_connects, all.n_connects); /* records: the retried ones */
    assert_int_equal(spilled.n_attempts_last, all.n_attempts_last);
    assert_int_equal(spilled.start_last_ns, all.start_last_ns);
    assert_int_equal(live.sum.connects, all.sum.connects);
    assert_int_equal(live.n_connects, all.n_connects);
    assert_false(live.sum.is_connects_partial);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retries_group),
        cmocka_unit_test(test_server_failures_since),
        cmocka_unit_test(test_server_failures_many),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_connect_final),
        cmocka_unit_test(test_connects_live),
        cmocka_unit_test(test_server_failures_live),
        cmocka_unit_test(test_connects_spilled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
