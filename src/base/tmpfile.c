/* Temporary files in $TMPDIR (tmpfile.h). */
#define _GNU_SOURCE /* O_TMPFILE */
#include "base/tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *tw_tmp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && dir[0] ? dir : "/tmp";
}

FILE *tw_tmpfile(void)
{
    const char *dir = tw_tmp_dir();
    /* nameless from the start where the file system allows it */
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && errno != ENOENT && errno != ENOTDIR && errno != EACCES) {
        size_t n = strlen(dir) + sizeof "/tcpwhy-XXXXXX";
        char *path = malloc(n);
        if (!path)
            return NULL;
        snprintf(path, n, "%s/tcpwhy-XXXXXX", dir);
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0)
            unlink(path);
        free(path);
    }
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}
