/* What the terminal is: whether to colour, how wide to draw.
 *
 * Colour follows --color; "auto" colours only when the stream is a terminal,
 * NO_COLOR is unset or empty (no-color.org) and TERM is not "dumb". The
 * width is --width, else the terminal's (TIOCGWINSZ, then COLUMNS), else
 * 80: output that goes to a file or a pipe does not depend on the
 * environment, so it can be compared. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/options.h"

#define DEFAULT_WIDTH 80

bool tw_cli_use_color(enum tw_color c, int fd)
{
    if (c != TW_COLOR_AUTO)
        return c == TW_COLOR_ALWAYS;
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    return isatty(fd) && !(no_color && *no_color) && !(term && strcmp(term, "dumb") == 0);
}

int tw_cli_width(int fd, int given_cols)
{
    if (given_cols > 0)
        return given_cols;
    if (!isatty(fd))
        return DEFAULT_WIDTH;
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    if (cols) {
        char *end;
        long n = strtol(cols, &end, 10);
        if (end != cols && !*end && n > 0 && n < 10000)
            return (int)n;
    }
    return DEFAULT_WIDTH;
}
