/* Sequence-number arithmetic (base/seq.h): comparisons across the 2^32
 * wrap, and the merged ranges correlation keeps of each capture's data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/seq.h"

static void test_compare_across_wrap(void **state)
{
    (void)state;
    assert_true(tw_seq_lt(0xfffffff0u, 0x10u));
    assert_false(tw_seq_lt(0x10u, 0xfffffff0u));
    assert_true(tw_seq_le(5, 5));
    assert_true(tw_seq_in(0x2u, 0xfffffffeu, 8));
}

/* Segments in order merge into one range, across the wrap; a hole keeps
 * two; what one range holds is held, what straddles a hole is not. */
static void test_ranges_merge_and_hold(void **state)
{
    (void)state;
    struct tw_seq_ranges r = {0};
    tw_seq_ranges_add(&r, 0xfffffa00u, 0xfffffffeu);
    tw_seq_ranges_add(&r, 0xfffffffeu, 0x5a0u); /* touches: merges across the wrap */
    assert_int_equal(r.n, 1);
    assert_true(tw_seq_ranges_hold(&r, 0xfffffc00u, 0x100u));
    tw_seq_ranges_add(&r, 0x1000u, 0x1500u); /* a hole at [0x5a0, 0x1000) */
    assert_int_equal(r.n, 2);
    assert_false(tw_seq_ranges_hold(&r, 0x500u, 0x1100u));
    tw_seq_ranges_add(&r, 0x5a0u, 0x1000u); /* fills it */
    assert_int_equal(r.n, 1);
    assert_true(tw_seq_ranges_hold(&r, 0x500u, 0x1100u));
    tw_seq_ranges_add(&r, 0x800u, 0x900u); /* inside: nothing changes */
    assert_int_equal(r.n, 1);
}

/* Past TW_SEQ_RANGES disjoint ranges the lowest (oldest data) goes. */
static void test_ranges_forget_lowest(void **state)
{
    (void)state;
    struct tw_seq_ranges r = {0};
    for (uint32_t i = 0; i <= TW_SEQ_RANGES; i++)
        tw_seq_ranges_add(&r, 1000 * i, 1000 * i + 500);
    assert_int_equal(r.n, TW_SEQ_RANGES);
    assert_false(tw_seq_ranges_hold(&r, 0, 500));
    assert_true(tw_seq_ranges_hold(&r, 1000 * TW_SEQ_RANGES, 1000 * TW_SEQ_RANGES + 500));
    /* one added below the others, out of order, is the lowest: it goes */
    struct tw_seq_ranges s = {0};
    for (uint32_t i = 1; i <= TW_SEQ_RANGES; i++)
        tw_seq_ranges_add(&s, 1000 * i, 1000 * i + 500);
    tw_seq_ranges_add(&s, 0, 500);
    assert_int_equal(s.n, TW_SEQ_RANGES);
    assert_false(tw_seq_ranges_hold(&s, 0, 500));
    assert_true(tw_seq_ranges_hold(&s, 1000, 1500));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_across_wrap),
        cmocka_unit_test(test_ranges_merge_and_hold),
        cmocka_unit_test(test_ranges_forget_lowest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
