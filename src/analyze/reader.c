/* Batches of decoded packets, read in a thread or inline (reader.h). */
#include "analyze/reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/queue.h"
#include "correlate/correlate.h"
#include "track/table.h"

struct tw_reader {
    tw_capture *cap;
    volatile int *stop_flag;
    uint64_t flow_seed;
    struct tw_error err;          /* the reader's own: the thread writes it */
    bool is_at_end;               /* inline: nothing more to read */
    /* threaded */
    tw_queue *queue;
    pthread_t thread;
    bool has_thread;
    bool has_slot;                /* the caller holds a slot taken from the queue */
    /* inline */
    struct tw_packet_batch *batch;
};

void tw_reader_decode(const struct tw_frame *fr, struct tw_packet *pkt)
{
    /* tw_decode_frame clears the rest and keeps these two */
    pkt->frame = fr->number;
    pkt->ts_ns = fr->ts_ns;
    tw_decode_frame(fr->linktype, fr->bytes, fr->caplen, fr->wirelen, pkt);
}

struct tw_packet_sums tw_packet_sums_of(uint64_t flow_seed, const struct tw_packet *pkt)
{
    struct tw_packet_sums s = {0};
    s.fp = pkt->l4 == TW_L4_TCP ? tw_packet_fingerprint(pkt) : 0;
    s.has_hash = tw_flow_hash(flow_seed, pkt, &s.hash);
    return s;
}

/* Fills b; false when nothing more will come (b may still hold packets). */
static bool fill(tw_reader *rd, struct tw_packet_batch *b)
{
    b->n = 0;
    while (b->n < TW_READER_BATCH) {
        const struct tw_frame *fr = tw_capture_next(rd->cap, &rd->err);
        if (!fr) {
            b->bytes_read = tw_capture_bytes_read(rd->cap);
            return false;
        }
        tw_reader_decode(fr, &b->pkts[b->n]);
        b->sums[b->n] = tw_packet_sums_of(rd->flow_seed, &b->pkts[b->n]);
        b->n++;
        if (rd->stop_flag && *rd->stop_flag)
            break;
    }
    b->bytes_read = tw_capture_bytes_read(rd->cap);
    return !(rd->stop_flag && *rd->stop_flag);
}

static void *run(void *arg)
{
    tw_reader *rd = arg;
    for (;;) {
        struct tw_packet_batch *b = tw_queue_reserve(rd->queue);
        if (!b)
            break; /* the caller wants no more */
        bool has_more = fill(rd, b);
        if (b->n)
            tw_queue_push(rd->queue);
        if (!has_more)
            break;
    }
    tw_queue_close(rd->queue);
    return NULL;
}

tw_reader *tw_reader_start(tw_capture *cap, bool is_threaded, volatile int *stop_flag,
                           uint64_t flow_seed, struct tw_error *err)
{
    tw_reader *rd = calloc(1, sizeof *rd);
    if (!rd) {
        tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    rd->cap = cap;
    rd->flow_seed = flow_seed;
    /* The thread never looks at stop_flag (a signal handler's, set in
     * another thread): the caller stops it by closing the queue. */
    if (is_threaded) {
        rd->queue = tw_queue_new(TW_READER_SLOTS, sizeof(struct tw_packet_batch));
        if (rd->queue)
            tw_queue_wake_in_halves(rd->queue);
        if (rd->queue && pthread_create(&rd->thread, NULL, run, rd) == 0) {
            rd->has_thread = true;
            return rd;
        }
        tw_queue_free(rd->queue);
        rd->queue = NULL;
    }
    rd->stop_flag = stop_flag;
    rd->batch = malloc(sizeof *rd->batch);
    if (!rd->batch) {
        free(rd);
        tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    return rd;
}

const struct tw_packet_batch *tw_reader_next(tw_reader *rd)
{
    if (rd->has_thread) {
        if (rd->has_slot)
            tw_queue_release(rd->queue);
        const struct tw_packet_batch *b = tw_queue_take(rd->queue);
        rd->has_slot = b != NULL;
        return b;
    }
    if (rd->is_at_end)
        return NULL;
    rd->is_at_end = !fill(rd, rd->batch);
    return rd->batch->n ? rd->batch : NULL;
}

void tw_reader_finish(tw_reader *rd, struct tw_error *err)
{
    if (!rd)
        return;
    if (rd->has_thread) {
        tw_queue_close(rd->queue); /* stops the thread if it is still reading */
        pthread_join(rd->thread, NULL);
        tw_queue_free(rd->queue);
    }
    if (rd->err.status != TW_OK && err->status == TW_OK)
        *err = rd->err;
    free(rd->batch);
    free(rd);
}
