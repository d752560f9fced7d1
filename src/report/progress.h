/* A progress meter on a terminal (stderr) for long runs.
 *
 * Part of the report stage. Shows, for the file being read, bytes read of
 * the total, packets per second and the time left, on one line redrawn in
 * place. It stays silent for the first two seconds of each file (short runs
 * print nothing) and when disabled (the caller enables it only when the
 * stream is a terminal and -q was not given), and erases its line when the
 * file is done, so the report is never mixed with it. Caller-owned storage:
 * tw_progress_init(), no _fini needed. */
#ifndef TW_REPORT_PROGRESS_H
#define TW_REPORT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct tw_progress {
    FILE *out;
    bool is_enabled;
    bool is_drawn;              /* a line is on screen */
    const char *name, *what;    /* borrowed for the duration of the file */
    uint64_t total_bytes;       /* 0: unknown */
    int64_t start_ns, last_draw_ns;
    uint32_t n_calls;
};

void tw_progress_init(struct tw_progress *p, FILE *out, bool is_enabled);
/* A new file: name (borrowed until _end), what is being done ("reading"). */
void tw_progress_begin(struct tw_progress *p, const char *name, const char *what,
                       uint64_t total_bytes);
/* Cheap enough to call for every frame: looks at the clock every 1024th. */
void tw_progress_update(struct tw_progress *p, uint64_t bytes_read, uint64_t frames);
void tw_progress_end(struct tw_progress *p);

#endif
