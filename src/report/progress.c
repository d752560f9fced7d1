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
    for (int i = 0; i < TW_PROGRESS_LANES; i++) {
        atomic_init(&p->lane_bytes[i], 0);
        atomic_init(&p->lane_frames[i], 0);
    }
    atomic_flag_clear(&p->is_drawing);
}

static void start(struct tw_progress *p, const char *name, const char *name2, const char *what,
                  uint64_t total_bytes)
{
    p->name = name;
    p->name2 = name2;
    p->what = what;
    p->total_bytes = total_bytes;
    p->start_ns = now_ns();
    p->last_draw_ns = 0;
    for (int i = 0; i < TW_PROGRESS_LANES; i++) {
        atomic_store_explicit(&p->lane_bytes[i], 0, memory_order_relaxed);
        atomic_store_explicit(&p->lane_frames[i], 0, memory_order_relaxed);
        p->n_calls[i] = 0;
    }
}

void tw_progress_begin(struct tw_progress *p, const char *name, const char *what,
                       uint64_t total_bytes)
{
    if (p->is_enabled && !p->is_joint)
        start(p, name, NULL, what, total_bytes);
}

void tw_progress_begin_joint(struct tw_progress *p, const char *name, const char *name2,
                             const char *what, uint64_t total_bytes)
{
    if (!p->is_enabled)
        return;
    start(p, name, name2, what, total_bytes);
    p->is_joint = true;
}

static void human_bytes(char *buf, size_t size, uint64_t b)
{
    if (b >= (1ull << 30))
        snprintf(buf, size, "%.1f GB", (double)b / (1ull << 30));
    else
        snprintf(buf, size, "%.1f MB", (double)b / (1ull << 20));
}

/* One line, of what the lanes have read. Called by one thread at a time. */
static void draw(struct tw_progress *p, int64_t now)
{
    uint64_t bytes_read = 0, frames = 0;
    for (int i = 0; i < TW_PROGRESS_LANES; i++) {
        bytes_read += atomic_load_explicit(&p->lane_bytes[i], memory_order_relaxed);
        frames += atomic_load_explicit(&p->lane_frames[i], memory_order_relaxed);
    }
    p->last_draw_ns = now;
    double secs = (double)(now - p->start_ns) / 1e9;
    char done[32], total[32];
    human_bytes(done, sizeof done, bytes_read);
    fprintf(p->out, "\rtcpwhy: %s %s", _(p->what), p->name);
    if (p->name2)
        fprintf(p->out, " + %s", p->name2);
    fputs(": ", p->out);
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

void tw_progress_update_lane(struct tw_progress *p, int lane, uint64_t bytes_read,
                             uint64_t frames)
{
    if (!p->is_enabled || (++p->n_calls[lane] & 1023) != 0)
        return;
    atomic_store_explicit(&p->lane_bytes[lane], bytes_read, memory_order_relaxed);
    atomic_store_explicit(&p->lane_frames[lane], frames, memory_order_relaxed);
    if (atomic_flag_test_and_set_explicit(&p->is_drawing, memory_order_acquire))
        return; /* the other lane's thread is drawing */
    int64_t now = now_ns();
    if (now - p->start_ns >= QUIET_NS && now - p->last_draw_ns >= REDRAW_NS)
        draw(p, now);
    atomic_flag_clear_explicit(&p->is_drawing, memory_order_release);
}

void tw_progress_update(struct tw_progress *p, uint64_t bytes_read, uint64_t frames)
{
    tw_progress_update_lane(p, 0, bytes_read, frames);
}

static void erase(struct tw_progress *p)
{
    if (!p->is_drawn)
        return;
    fputs("\r\x1b[K", p->out);
    fflush(p->out);
    p->is_drawn = false;
}

void tw_progress_end(struct tw_progress *p)
{
    if (p->is_enabled && !p->is_joint)
        erase(p);
}

void tw_progress_end_joint(struct tw_progress *p)
{
    if (!p->is_enabled)
        return;
    erase(p);
    p->is_joint = false;
}
