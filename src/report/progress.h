/* A progress meter on a terminal (stderr) for long runs.
 *
 * Part of the report stage. Shows, for the file being read, bytes read of
 * the total, packets per second and the time left, on one line redrawn in
 * place. It stays silent for the first two seconds of each file (short runs
 * print nothing) and when disabled (the caller enables it only when the
 * stream is a terminal and -q was not given), and erases its line when the
 * file is done, so the report is never mixed with it. Two files correlated
 * together are read at once, in two threads: one line follows both.
 * Caller-owned storage: tw_progress_init(), no _fini needed. */
#ifndef TW_REPORT_PROGRESS_H
#define TW_REPORT_PROGRESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Readers one meter follows at once: two inputs correlated together. */
#define TW_PROGRESS_LANES 2

struct tw_progress {
    FILE *out;
    bool is_enabled;
    bool is_drawn;              /* a line is on screen */
    bool is_joint;              /* readers in several threads (tw_progress_begin_joint) */
    const char *name, *name2;   /* borrowed for the duration of the file(s); name2 NULL: one */
    const char *what;
    uint64_t total_bytes;       /* 0: unknown */
    int64_t start_ns, last_draw_ns;
    /* per lane (reader), written by that reader's thread only: what it has read */
    _Atomic uint64_t lane_bytes[TW_PROGRESS_LANES], lane_frames[TW_PROGRESS_LANES];
    uint32_t n_calls[TW_PROGRESS_LANES];
    atomic_flag is_drawing;     /* one thread draws at a time; a busy meter skips a redraw */
};

void tw_progress_init(struct tw_progress *p, FILE *out, bool is_enabled);
/* A new file: name (borrowed until _end), what is being done ("reading").
 * Ignored while a joint meter runs: its owner begins and ends it. */
void tw_progress_begin(struct tw_progress *p, const char *name, const char *what,
                       uint64_t total_bytes);
/* Cheap enough to call for every frame: looks at the clock every 1024th. */
void tw_progress_update(struct tw_progress *p, uint64_t bytes_read, uint64_t frames);
/* Ignored while a joint meter runs. */
void tw_progress_end(struct tw_progress *p);

/* Two files read at the same time, each by its own thread calling
 * tw_progress_update_lane() with its lane (0 or 1): one line for both, of
 * their summed bytes (total_bytes: both sizes) and frames. The readers'
 * own begin and end calls are ignored until tw_progress_end_joint(), called
 * once they have stopped. */
void tw_progress_begin_joint(struct tw_progress *p, const char *name, const char *name2,
                             const char *what, uint64_t total_bytes);
void tw_progress_update_lane(struct tw_progress *p, int lane, uint64_t bytes_read,
                             uint64_t frames);
void tw_progress_end_joint(struct tw_progress *p);

#endif
