/* Unit tests for src/base/spillsort.c: more items than memory holds, in
 * sorted runs on a temporary file, merged in order; more runs than it keeps
 * at once (merged a level at a time); equal items in the order they were
 * added (runs sorted stably, merged oldest first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/spillsort.h"

struct item {
    uint32_t key;
    uint32_t added; /* order of adding, for ties */
    uint32_t pad;
};

static int by_key(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    return (a->key > b->key) - (a->key < b->key);
}

struct out {
    size_t n;
    struct item last;
    bool is_ordered;
};

static void take(void *ctx, const void *p)
{
    struct out *o = ctx;
    const struct item *it = p;
    if (o->n && (it->key < o->last.key || (it->key == o->last.key && it->added < o->last.added)))
        o->is_ordered = false;
    o->last = *it;
    o->n++;
}

/* n items, budget in memory: keys repeat (ties across runs) */
static void sort_through(size_t n, size_t budget, size_t *n_on_file)
{
    /* keys only: equal keys must come out in the order they were added */
    tw_spillsort *s = tw_spillsort_new(sizeof(struct item), by_key);
    assert_non_null(s);
    struct item *mem = calloc(budget, sizeof *mem);
    assert_non_null(mem);
    size_t in_mem = 0;
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        if (in_mem == budget) {
            assert_true(tw_spillsort_add_run(s, mem, in_mem));
            in_mem = 0;
        }
        x = x * 1103515245u + 12345u;
        mem[in_mem++] = (struct item){(x >> 16) % 1000, (uint32_t)i, 0};
    }
    *n_on_file = tw_spillsort_n_items(s);
    struct out o = {0, {0, 0, 0}, true};
    assert_true(tw_spillsort_merge(s, mem, in_mem, take, &o));
    assert_int_equal(o.n, n);
    assert_true(o.is_ordered);
    assert_int_equal(tw_spillsort_n_items(s), 0);
    free(mem);
    tw_spillsort_free(s);
}

static void test_runs_merged(void **state)
{
    (void)state;
    size_t on_file;
    sort_through(5000, 100, &on_file); /* 49 runs and 100 in memory */
    assert_int_equal(on_file, 4900);
}

static void test_more_runs_than_kept(void **state)
{
    (void)state;
    size_t on_file;
    sort_through(30000, 100, &on_file); /* 299 runs: 64 at a time into the next level */
    assert_int_equal(on_file, 29900);
}

static void test_levels_cascade(void **state)
{
    (void)state;
    size_t on_file;
    sort_through(50000, 10, &on_file); /* 4,999 runs: a level merged into the next 78 times */
    assert_int_equal(on_file, 49990);
}

static void test_nothing_on_file(void **state)
{
    (void)state;
    size_t on_file;
    sort_through(50, 100, &on_file);
    assert_int_equal(on_file, 0);
}

/* Equal items of different runs: the older run's first, the array's last. */
static void test_ties_oldest_run_first(void **state)
{
    (void)state;
    tw_spillsort *s = tw_spillsort_new(sizeof(struct item), by_key);
    assert_non_null(s);
    for (uint32_t run = 0; run < 3; run++) {
        struct item two[2] = {{5, run, 0}, {run, 100 + run, 0}};
        assert_true(tw_spillsort_add_run(s, two, 2));
    }
    struct item last = {5, 3, 0};
    struct out o = {0, {0, 0, 0}, true};
    assert_true(tw_spillsort_merge(s, &last, 1, take, &o));
    assert_int_equal(o.n, 7);
    assert_true(o.is_ordered);
    assert_int_equal(o.last.added, 3);
    tw_spillsort_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_merged),
        cmocka_unit_test(test_more_runs_than_kept),
        cmocka_unit_test(test_levels_cascade),
        cmocka_unit_test(test_nothing_on_file),
        cmocka_unit_test(test_ties_oldest_run_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
