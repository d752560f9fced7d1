/* Times as the reports write them (report/format.c): the per-second memo
 * the JSON writer uses must write exactly what tw_format_time writes, in
 * the same second, across seconds, and before 1970 (not formatted by hand). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "report/sink.h"

static void check_same(struct tw_time_memo *m, int64_t ns)
{
    char want[64], got[64];
    tw_format_time(ns, want, sizeof want);
    tw_format_time_memo(m, ns, got, sizeof got);
    assert_string_equal(got, want);
}

static void test_memo_as_format_time(void **state)
{
    (void)state;
    struct tw_time_memo m;
    memset(&m, 0, sizeof m);
    const int64_t s = 1000000000;
    int64_t times[] = {
        1700000000 * s + 680359000, /* a second, twice */
        1700000000 * s + 999999999,
        1700000001 * s,             /* the next */
        1699999999 * s + 1,         /* back one */
        0,                          /* the epoch */
        -1,                         /* 1969: not by hand */
        1700000001 * s + 5,         /* by hand again, the second kept before */
        INT64_MIN,                  /* long before 1970 */
        INT64_MAX,                  /* 2262, the last a 64-bit ns time holds: by hand */
        1700000001 * s + 6,
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        check_same(&m, times[i]);
}

/* A buffer too small for the memo's form: tw_format_time decides. */
static void test_memo_small_buffer(void **state)
{
    (void)state;
    struct tw_time_memo m;
    memset(&m, 0, sizeof m);
    char want[16], got[16];
    tw_format_time(1700000000LL * 1000000000LL, want, sizeof want);
    tw_format_time_memo(&m, 1700000000LL * 1000000000LL, got, sizeof got);
    assert_string_equal(got, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memo_as_format_time),
        cmocka_unit_test(test_memo_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
