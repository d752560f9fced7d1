/* Grouping attempts into connects (diagnose/connect.c), on hand-built briefs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "diagnose/connect.h"

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

static void test_server_failures_since(void **state)
{
    (void)state;
    struct tw_attempt_brief b[] = {
        brief(1, 40000, 0, 1, TW_VERDICT_OK, true),
        brief(2, 40001, 100, 101, TW_VERDICT_OK, true),
        brief(3, 40002, 200, 1200, TW_VERDICT_TIMEOUT, false),
        brief(4, 40003, 300, 301, TW_VERDICT_OK, true),
        brief(5, 40004, 400, 1400, TW_VERDICT_SYNACK_LOST_RST, false),
    };
    struct tw_server_failures f[4];
    size_t n = tw_server_failures_group(b, 5, f, 4);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].since_ns, 200 * MS);
    assert_int_equal(f[0].first_verdict, TW_VERDICT_TIMEOUT);
    assert_int_equal(f[0].attempts_since, 3);
    assert_int_equal(f[0].failed_since, 2);
}

static void test_histogram_buckets(void **state)
{
    (void)state;
    assert_int_equal(tw_connect_bucket(1 * MS), 0);
    assert_int_equal(tw_connect_bucket(50 * MS), 1);
    assert_int_equal(tw_connect_bucket(2712 * MS), 4);
    assert_int_equal(tw_connect_bucket(20000 * MS), TW_CONNECT_BUCKETS - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retries_group),
        cmocka_unit_test(test_server_failures_since),
        cmocka_unit_test(test_histogram_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
