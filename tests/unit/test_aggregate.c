/* Aggregates (report/aggregate.c) on hand-built attempt records: counts per
 * server, client subnet and minute, the others row of a full table, and a
 * timeline whose bins do not depend on the order attempts arrive in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "report/aggregate.h"

#define MS 1000000LL
#define T0 (1764167520LL * 1000 * MS) /* 2025-11-26T14:32:00Z */

static struct tw_attempt_record attempt(uint8_t client_net, uint16_t server_port, int64_t at_ms,
                                        enum tw_verdict v)
{
    struct tw_attempt_record r;
    memset(&r, 0, sizeof r);
    /* IPv4-mapped: 10.0.<client_net>.7 -> 192.0.2.10 */
    r.key.client.b[10] = r.key.client.b[11] = 0xff;
    r.key.client.b[12] = 10;
    r.key.client.b[14] = client_net;
    r.key.client.b[15] = 7;
    r.key.server.b[10] = r.key.server.b[11] = 0xff;
    r.key.server.b[12] = 192;
    r.key.server.b[14] = 2;
    r.key.server.b[15] = 10;
    r.key.server_port = server_port;
    r.first_ns = T0 + at_ms * MS;
    r.diag.verdict = v;
    return r;
}

static void test_groups(void **state)
{
    (void)state;
    tw_aggregate *agg = tw_aggregate_new();
    assert_non_null(agg);
    struct tw_attempt_record in[] = {
        attempt(1, 443, 0, TW_VERDICT_OK),
        attempt(1, 443, 1000, TW_VERDICT_TIMEOUT),
        attempt(2, 443, 61000, TW_VERDICT_REFUSED),
        attempt(2, 80, 62000, TW_VERDICT_OK_AFTER_RETRANS),
    };
    for (size_t i = 0; i < 4; i++)
        tw_aggregate_attempt(agg, &in[i]);
    const struct tw_agg_row *rows;
    size_t n = tw_aggregate_rows(agg, TW_AGG_SERVER, &rows);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].port, 443); /* most failures first */
    assert_int_equal(rows[0].attempts, 3);
    assert_int_equal(rows[0].failed, 2);
    assert_int_equal(rows[0].first_failure_ns, T0 + 1000 * MS);
    assert_int_equal(rows[0].last_failure_ns, T0 + 61000 * MS);
    assert_int_equal(rows[1].failed, 0); /* ok_after_retrans is degraded, not failed */
    assert_int_equal(rows[1].verdicts[TW_VERDICT_OK_AFTER_RETRANS], 1);
    n = tw_aggregate_rows(agg, TW_AGG_CLIENT_SUBNET, &rows);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].prefix_bits, 24);
    assert_int_equal(rows[0].addr.b[15], 0); /* 10.0.x.0/24 */
    n = tw_aggregate_rows(agg, TW_AGG_MINUTE, &rows);
    assert_int_equal(n, 2); /* in time order */
    assert_int_equal(rows[0].minute * 60 * 1000 * MS, T0);
    assert_int_equal(rows[0].attempts, 2);
    assert_int_equal(rows[1].attempts, 2);
    tw_aggregate_reset(agg);
    assert_int_equal(tw_aggregate_rows(agg, TW_AGG_SERVER, &rows), 0);
    assert_int_equal(tw_aggregate_timeline(agg)->bin_ns, 0);
    tw_aggregate_free(agg);
}

/* 70000 distinct servers cannot all have a row: the rest is counted, not lost. */
static void test_others(void **state)
{
    (void)state;
    tw_aggregate *agg = tw_aggregate_new();
    assert_non_null(agg);
    for (uint32_t i = 0; i < 70000; i++) {
        struct tw_attempt_record r = attempt(1, (uint16_t)(i % 65536), (int64_t)i, TW_VERDICT_TIMEOUT);
        r.key.server.b[13] = (uint8_t)(i >> 16);
        tw_aggregate_attempt(agg, &r);
    }
    const struct tw_agg_row *rows;
    size_t n = tw_aggregate_rows(agg, TW_AGG_SERVER, &rows);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rows[i].failed;
    assert_int_equal(total, 70000);
    assert_int_equal(n, 8192 + 1); /* the documented bound, then the others row */
    assert_true(rows[n - 1].is_others);
    tw_aggregate_free(agg);
}

static void timeline_of(const int64_t *at_ms, size_t n, struct tw_agg_timeline *out)
{
    tw_aggregate *agg = tw_aggregate_new();
    assert_non_null(agg);
    for (size_t i = 0; i < n; i++) {
        struct tw_attempt_record r = attempt(1, 443, at_ms[i], i % 2 ? TW_VERDICT_OK : TW_VERDICT_TIMEOUT);
        tw_aggregate_attempt(agg, &r);
    }
    *out = *tw_aggregate_timeline(agg);
    tw_aggregate_free(agg);
}

static void test_timeline(void **state)
{
    (void)state;
    /* 3 s apart at most: 120 bins of 100 ms would not do for 30 s, 1 s bins do */
    int64_t forward[] = {0, 5, 1500, 2999, 30000};
    int64_t backward[] = {30000, 2999, 1500, 5, 0}; /* widening to the left, then shifting */
    struct tw_agg_timeline a, b;
    timeline_of(forward, 5, &a);
    timeline_of(backward, 5, &b);
    /* 30 s do not fit in 120 bins of 200 ms; in 1 s bins they do */
    assert_int_equal(a.bin_ns, 1000 * MS);
    assert_int_equal(a.n_bins, 31);
    assert_int_equal(a.first_bin * a.bin_ns, T0);
    assert_int_equal(a.verdicts[0][TW_VERDICT_TIMEOUT], 1); /* 0 ms */
    assert_int_equal(a.verdicts[0][TW_VERDICT_OK], 1);      /* 5 ms */
    assert_int_equal(a.verdicts[30][TW_VERDICT_TIMEOUT], 1);
    assert_int_equal(b.bin_ns, a.bin_ns);
    assert_int_equal(b.first_bin, a.first_bin);
    assert_int_equal(b.n_bins, a.n_bins);
    for (int i = 0; i < a.n_bins; i++) {
        uint64_t na = 0, nb = 0;
        for (int v = 0; v < TW_VERDICT_COUNT; v++) {
            na += a.verdicts[i][v];
            nb += b.verdicts[i][v];
        }
        assert_int_equal(na, nb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_others),
        cmocka_unit_test(test_timeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
