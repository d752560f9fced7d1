/* The progress meter (report/progress.h): one line for one file, one line
 * for two files read at once by two threads, and silence when disabled.
 * Time is made to pass by moving the meter's start back (its fields are
 * public), not by waiting. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "report/progress.h"

#define SECOND_NS 1000000000LL

/* What the meter wrote so far. */
static const char *written(FILE *f, char *buf, size_t size)
{
    fflush(f);
    long at = ftell(f);
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fseek(f, at, SEEK_SET);
    return buf;
}

/* A meter writing to a fresh temporary file, which it returns. */
static FILE *meter_on_file(struct tw_progress *p, bool is_enabled)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    tw_progress_init(p, f, is_enabled);
    return f;
}

/* The meter's last output erased its line. */
static bool ends_erased(FILE *f)
{
    char buf[2048];
    size_t n = strlen(written(f, buf, sizeof buf));
    return n >= 4 && strcmp(buf + n - 4, "\r\x1b[K") == 0;
}

/* As if the file began 3 s ago and nothing was drawn since. */
static void age(struct tw_progress *p)
{
    p->start_ns -= 3 * SECOND_NS;
    p->last_draw_ns = 0;
}

/* calls to update_lane: the meter looks at the clock every 1024th */
static void update_n(struct tw_progress *p, int lane, uint64_t bytes, uint64_t frames, int n)
{
    for (int i = 0; i < n; i++)
        tw_progress_update_lane(p, lane, bytes, frames);
}

static void test_one_file(void **state)
{
    (void)state;
    char buf[1024];
    struct tw_progress p;
    FILE *f = meter_on_file(&p, true);
    tw_progress_begin(&p, "one.pcap", "reading", 1000);
    update_n(&p, 0, 500, 100, 1024);
    assert_string_equal(written(f, buf, sizeof buf), ""); /* the first 2 s are quiet */
    age(&p);
    update_n(&p, 0, 500, 100, 1024);
    assert_non_null(strstr(written(f, buf, sizeof buf), "reading one.pcap:  50%"));
    assert_null(strstr(buf, " + "));
    tw_progress_end(&p);
    assert_true(ends_erased(f));
    fclose(f);
}

/* Two lanes, one line of their sums; the readers' own begin and end calls
 * change nothing until the owner ends the joint meter. */
static void test_two_files_one_line(void **state)
{
    (void)state;
    char buf[2048];
    struct tw_progress p;
    FILE *f = meter_on_file(&p, true);
    tw_progress_begin_joint(&p, "client.pcap", "server.pcap", "correlating", 2000);
    tw_progress_begin(&p, "client.pcap", "reading", 1000); /* a reader's: ignored */
    age(&p);
    update_n(&p, 1, 600, 100, 1024);
    assert_non_null(strstr(written(f, buf, sizeof buf),
                           "correlating client.pcap + server.pcap:  30% (0.0 MB of 0.0 MB)"));
    p.last_draw_ns = 0;
    update_n(&p, 0, 900, 100, 1024);
    assert_non_null(strstr(written(f, buf, sizeof buf), "+ server.pcap:  75%"));
    tw_progress_end(&p); /* a reader's: ignored */
    assert_false(ends_erased(f));
    tw_progress_end_joint(&p);
    assert_true(ends_erased(f));
    assert_false(p.is_joint);
    fclose(f);
}

struct lane_arg {
    struct tw_progress *p;
    int lane;
};

static void *read_lane(void *v)
{
    struct lane_arg *a = v;
    for (uint64_t i = 1; i <= 200000; i++)
        tw_progress_update_lane(a->p, a->lane, i * 10, i);
    return NULL;
}

/* Two threads at once (the ThreadSanitizer build checks that they share
 * nothing unguarded): the last line drawn never counts more than both
 * lanes' final figures. */
static void test_two_threads(void **state)
{
    (void)state;
    struct tw_progress p;
    FILE *f = meter_on_file(&p, true);
    tw_progress_begin_joint(&p, "a", "b", "correlating", 4000000);
    p.start_ns -= 3 * SECOND_NS;
    pthread_t th[2];
    struct lane_arg args[2] = {{&p, 0}, {&p, 1}};
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&th[k], NULL, read_lane, &args[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    uint64_t sum = 0;
    for (int k = 0; k < 2; k++)
        sum += atomic_load(&p.lane_bytes[k]);
    assert_true(sum <= 4000000 && sum > 0);
    tw_progress_end_joint(&p);
    fclose(f);
}

static void test_disabled_is_silent(void **state)
{
    (void)state;
    char buf[256];
    struct tw_progress p;
    FILE *f = meter_on_file(&p, false);
    tw_progress_begin_joint(&p, "a", "b", "correlating", 100);
    age(&p);
    update_n(&p, 0, 50, 10, 4096);
    tw_progress_end_joint(&p);
    assert_string_equal(written(f, buf, sizeof buf), "");
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_file),
        cmocka_unit_test(test_two_files_one_line),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_disabled_is_silent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
