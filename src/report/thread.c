/* The reporting thread (thread.h). */
#include "report/thread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/queue.h"

#define BATCH 16 /* records per slot */
#define SLOTS 32

enum item_kind { ITEM_ATTEMPT, ITEM_FOLDED, ITEM_RST };

struct item {
    enum item_kind kind;
    union {
        struct tw_attempt_record attempt;
        struct tw_rst_record rst;
    } u;
};

struct batch {
    size_t n;
    struct item items[BATCH];
};

struct writer {
    struct tw_sink *inner;
    tw_queue *queue;
    pthread_t thread;
    bool is_running;
    struct batch *cur; /* being filled, NULL: none reserved */
};

/* The writing thread yields to the reading and tracking threads: its queue
 * absorbs a delay, theirs is the run's critical path. On two cores the three
 * threads share, and at the same priority the scheduler often ran the writer
 * in the tracker's place (big.pcap JSON, --threads 2: 0.51 s -> 0.48 s side
 * by side with nice 5; nice 10, once the writer also sorted the connects'
 * briefs: 0.44 -> 0.43 s, 15 runs each, and nice 0 took 0.46 s). When its
 * queue fills, the tracker waits and the writer gets the core anyway.
 * Linux keeps a nice value per thread; failing to set it is harmless. */
#define WRITER_NICE 10

static void *run(void *arg)
{
    struct writer *w = arg;
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WRITER_NICE);
    struct batch *b;
    while ((b = tw_queue_take(w->queue)) != NULL) {
        for (size_t i = 0; i < b->n; i++) {
            const struct item *it = &b->items[i];
            if (it->kind == ITEM_RST)
                w->inner->rst(w->inner->ctx, &it->u.rst);
            else if (it->kind == ITEM_FOLDED)
                w->inner->folded(w->inner->ctx, &it->u.attempt);
            else
                w->inner->attempt(w->inner->ctx, &it->u.attempt);
        }
        tw_queue_release(w->queue);
    }
    return NULL;
}

/* Waits until everything queued was passed on, and stops the thread. */
static void drain(struct writer *w)
{
    if (!w->is_running)
        return;
    if (w->cur)
        tw_queue_push(w->queue);
    w->cur = NULL;
    tw_queue_close(w->queue);
    pthread_join(w->thread, NULL);
    w->is_running = false;
}

/* Room for one more record, or NULL when the thread is stopped. */
static struct item *next_item(struct writer *w)
{
    if (!w->is_running)
        return NULL;
    if (!w->cur) {
        w->cur = tw_queue_reserve(w->queue);
        if (!w->cur)
            return NULL;
        w->cur->n = 0;
    }
    return &w->cur->items[w->cur->n];
}

static void queued(struct writer *w)
{
    if (++w->cur->n == BATCH) {
        tw_queue_push(w->queue);
        w->cur = NULL;
    }
}

static void queue_attempt(struct writer *w, enum item_kind kind,
                          const struct tw_attempt_record *rec)
{
    struct item *it = next_item(w);
    if (!it) {
        (kind == ITEM_FOLDED ? w->inner->folded : w->inner->attempt)(w->inner->ctx, rec);
        return;
    }
    it->kind = kind;
    it->u.attempt = *rec;
    queued(w);
}

static void on_attempt(void *ctx, const struct tw_attempt_record *rec)
{
    queue_attempt(ctx, ITEM_ATTEMPT, rec);
}

static void on_folded(void *ctx, const struct tw_attempt_record *rec)
{
    queue_attempt(ctx, ITEM_FOLDED, rec);
}

static void on_rst(void *ctx, const struct tw_rst_record *rec)
{
    struct writer *w = ctx;
    struct item *it = next_item(w);
    if (!it) {
        w->inner->rst(w->inner->ctx, rec);
        return;
    }
    it->kind = ITEM_RST;
    it->u.rst = *rec;
    queued(w);
}

static void on_correlation(void *ctx, const struct tw_correlation *c)
{
    struct writer *w = ctx;
    drain(w);
    if (w->inner->correlation)
        w->inner->correlation(w->inner->ctx, c);
}

static void on_connect(void *ctx, const struct tw_connect_record *rec)
{
    struct writer *w = ctx;
    drain(w);
    if (w->inner->connect)
        w->inner->connect(w->inner->ctx, rec);
}

static void on_server_failures(void *ctx, const struct tw_server_failures_record *rec)
{
    struct writer *w = ctx;
    drain(w);
    if (w->inner->server_failures)
        w->inner->server_failures(w->inner->ctx, rec);
}

static void on_summary(void *ctx, const struct tw_file_summary *sum)
{
    struct writer *w = ctx;
    drain(w);
    w->inner->summary(w->inner->ctx, sum);
}

static void on_finish(void *ctx)
{
    struct writer *w = ctx;
    drain(w);
    if (w->inner->finish)
        w->inner->finish(w->inner->ctx);
}

static void on_free(void *ctx)
{
    struct writer *w = ctx;
    drain(w);
    tw_queue_free(w->queue);
    free(w);
}

bool tw_report_thread(struct tw_sink *sink, struct tw_sink *inner)
{
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        return false;
    w->inner = inner;
    w->queue = tw_queue_new(SLOTS, sizeof(struct batch));
    if (w->queue)
        tw_queue_wake_in_halves(w->queue);
    if (!w->queue || pthread_create(&w->thread, NULL, run, w) != 0) {
        tw_queue_free(w->queue);
        free(w);
        return false;
    }
    w->is_running = true;
    memset(sink, 0, sizeof *sink);
    sink->ctx = w;
    sink->attempt = on_attempt;
    sink->folded = inner->folded ? on_folded : NULL;
    sink->rst = on_rst;
    sink->correlation = on_correlation;
    sink->connect = on_connect;
    sink->server_failures = on_server_failures;
    sink->summary = on_summary;
    sink->finish = on_finish;
    sink->free = on_free;
    return true;
}
