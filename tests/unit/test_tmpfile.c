/* Temporary files (base/tmpfile.h): made in $TMPDIR, nameless, readable
 * back; none when $TMPDIR does not exist. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/tmpfile.h"

static void test_made_in_tmpdir(void **state)
{
    (void)state;
    char dir[] = "/tmp/tcpwhy-tmpdir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("TMPDIR", dir, 1);
    assert_string_equal(tw_tmp_dir(), dir);
    FILE *f = tw_tmpfile();
    assert_non_null(f);
    /* the open file lives in dir, with no name left there */
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fileno(f));
    ssize_t n = readlink(link, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_memory_equal(target, dir, strlen(dir));
    assert_non_null(strstr(target, "(deleted)"));
    assert_int_equal(rmdir(dir), 0); /* empty: the file has no name */
    assert_int_equal(fputs("records", f) >= 0, 1);
    rewind(f);
    char back[16] = {0};
    assert_non_null(fgets(back, sizeof back, f));
    assert_string_equal(back, "records");
    fclose(f);
    unsetenv("TMPDIR");
}

static void test_default_and_missing(void **state)
{
    (void)state;
    unsetenv("TMPDIR");
    assert_string_equal(tw_tmp_dir(), "/tmp");
    setenv("TMPDIR", "", 1);
    assert_string_equal(tw_tmp_dir(), "/tmp"); /* empty: as if unset */
    setenv("TMPDIR", "/nonexistent/tcpwhy-test", 1);
    errno = 0;
    assert_null(tw_tmpfile());
    assert_int_equal(errno, ENOENT);
    unsetenv("TMPDIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_in_tmpdir),
        cmocka_unit_test(test_default_and_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
