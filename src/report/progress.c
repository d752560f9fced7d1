/* The progress meter (see progress.h). Time is the monotonic clock; rates
 * are averages since the file began, which is what "time left" needs. */
#include "report/progress.h"

#include <string.h>
#include <time.h>

#include "base/i18n.h"

#define QUIET_NS 2000000000LL   /* nothing for the first 2 s */
#define REDRAW_NS 500000000LL

static int64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tw_progress_init(struct tw_progress *p, FILE *out, bool is_enabled)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->is_enabled = is_enabled;
}

void tw_progress_begin(struct tw_progress *p, const char *name, const char *what,
                       uint64_t total_bytes)
{
    if (!p->is_enabled)
        return;
    p->name = name;
    p->what = what;
    p->total_bytes = total_bytes;
    p->start_ns = now_ns();
    p->last_draw_ns = 0;
    p->n_calls = 0;
}

static void human_bytes(char *buf, size_t size, uint64_t b)
{
    if (b >= (1ull << 30))
        snprintf(buf, size, "%.1f GB", (double)b / (1ull << 30));
    else
        snprintf(buf, size, "%.1f MB", (double)b / (1ull << 20));
}

void tw_progress_update(struct tw_progress *p, uint64_t bytes_read, uint64_t frames)
{
    if (!p->is_enabled || (++p->n_calls & 1023) != 0)
        return;
    int64_t now = now_ns();
    int64_t elapsed = now - p->start_ns;
    if (elapsed < QUIET_NS || now - p->last_draw_ns < REDRAW_NS)
        return;
    p->last_draw_ns = now;
    double secs = (double)elapsed / 1e9;
    char done[32], total[32];
    human_bytes(done, sizeof done, bytes_read);
    fprintf(p->out, "\rtcpwhy: %s %s: ", _(p->what), p->name);
    if (p->total_bytes && bytes_read <= p->total_bytes) {
        human_bytes(total, sizeof total, p->total_bytes);
        fprintf(p->out, _("%3.0f%% (%s of %s)"),
                100.0 * (double)bytes_read / (double)p->total_bytes, done, total);
    } else {
        fprintf(p->out, "%s", done);
    }
    fprintf(p->out, _(", %.2f M packets/s"), (double)frames / secs / 1e6);
    if (p->total_bytes && bytes_read && bytes_read <= p->total_bytes) {
        double left = secs * (double)(p->total_bytes - bytes_read) / (double)bytes_read;
        fprintf(p->out, _(", %.0f s left"), left);
    }
    fputs("\x1b[K", p->out); /* erase what a longer line left */
    fflush(p->out);
    p->is_drawn = true;
}

void tw_progress_end(struct tw_progress *p)
{
    if (!p->is_enabled || !p->is_drawn)
        return;
    fputs("\r\x1b[K", p->out);
    fflush(p->out);
    p->is_drawn = false;
}
