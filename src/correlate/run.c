/* A capture's packets and judgments, kept for correlation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/tmpfile.h"
#include "correlate/internal.h"

tw_capture_run *tw_capture_run_new(const char *file, size_t budget_bytes, struct tw_error *err)
{
    tw_capture_run *run = calloc(1, sizeof *run);
    if (!run) {
        tw_fail(err, TW_E_NOMEM, file, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    run->file = file;
    run->budget_bytes = budget_bytes;
    /* half the budget for the packets (a quarter of it queued, the rest in
     * the window and the unmatched ones: window.c), a quarter for the records */
    run->n_batches = budget_bytes / 8 / sizeof(struct tw_run_batch);
    if (run->n_batches < 4)
        run->n_batches = 4;
    run->max_seen = budget_bytes / 8 / sizeof(struct tw_seen);
    run->max_records = budget_bytes / 4 / sizeof(struct tw_attempt_record);
    run->is_whole = true;
    return run;
}

void tw_capture_run_set_localized(tw_capture_run *run, bool is_localized)
{
    run->is_localized = is_localized;
}

void tw_capture_run_free(tw_capture_run *run)
{
    if (!run)
        return;
    tw_queue_free(run->queue);
    free(run->seen);
    free(run->atts);
    free(run->merged);
    free(run->spill_merged);
    tw_merge_later_free(run->merge_later);
    free(run->rsts);
    if (run->spill_atts)
        fclose(run->spill_atts);
    if (run->spill_rsts)
        fclose(run->spill_rsts);
    free(run);
}

/* Not streaming, the run is fed before it is read: the queue is made at the
 * first packet, and what does not fit is only counted. Its memory is
 * reserved, not written, until packets fill it. */
static bool make_queue(tw_capture_run *run)
{
    if (!run->queue)
        run->queue = tw_queue_new(run->n_batches, sizeof(struct tw_run_batch));
    return run->queue != NULL;
}

bool tw_capture_run_stream(tw_capture_run *run)
{
    run->is_streaming = make_queue(run);
    return run->is_streaming;
}

/* ---- the queue: the reader's side ---------------------------------------------- */

/* A batch for the reader to fill: streaming, waiting for room; otherwise
 * at once, or none when the queue is full (then it stops noting packets). */
static bool reserve(tw_capture_run *run)
{
    if (run->is_streaming)
        run->filling = tw_queue_reserve(run->queue);
    else if (make_queue(run))
        run->filling = tw_queue_try_reserve(run->queue);
    if (!run->filling) {
        run->is_whole = false;
        run->is_stopped = true;
        return false;
    }
    run->filling->n = 0;
    return true;
}

static void push(tw_capture_run *run)
{
    run->n_queued += run->filling->n;
    run->filling = NULL;
    tw_queue_push(run->queue);
}

void tw_capture_run_finish(tw_capture_run *run)
{
    if (run->filling && run->filling->n)
        push(run);
    if (make_queue(run))
        tw_queue_close(run->queue);
}

/* ---- the queue: the window's side ---------------------------------------------- */

const struct tw_seen *tw_run_front(tw_capture_run *run, size_t *n)
{
    const struct tw_run_batch *b = run->queue ? tw_queue_take(run->queue) : NULL;
    *n = b ? b->n : 0;
    return b ? b->v : NULL;
}

void tw_run_release(tw_capture_run *run) { tw_queue_release(run->queue); }

void tw_run_drain(tw_capture_run *run)
{
    size_t n;
    while (tw_run_front(run, &n))
        tw_run_release(run);
}

size_t tw_run_peek_max(const tw_capture_run *run)
{
    return run->is_streaming ? (run->n_batches - 1) * TW_RUN_BATCH : run->n_queued;
}

size_t tw_run_peek(tw_capture_run *run, struct tw_seen_key *out, size_t n)
{
    if (!run->queue)
        return 0;
    /* every batch but the last is full */
    size_t n_pushed = tw_queue_wait_pushed(run->queue, (n + TW_RUN_BATCH - 1) / TW_RUN_BATCH);
    size_t k = 0;
    for (size_t i = 0; i < n_pushed && k < n; i++) {
        const struct tw_run_batch *b = tw_queue_pushed_at(run->queue, i);
        for (size_t j = 0; j < b->n && k < n; j++, k++)
            out[k] = (struct tw_seen_key){b->v[j].fp, b->v[j].ts_ns};
    }
    return k;
}

static void note_addr(tw_capture_run *run, const struct tw_addr *a)
{
    for (size_t i = 0; i < run->n_addrs; i++)
        if (memcmp(run->addrs[i].b, a->b, 16) == 0)
            return;
    if (run->n_addrs < TW_RUN_ADDRS)
        run->addrs[run->n_addrs++] = *a;
}

void tw_capture_run_packet(tw_capture_run *run, const struct tw_packet *pkt, uint64_t fp,
                           enum tw_side side, const struct tw_attempt *a)
{
    if (run->n_frames == 0 || pkt->ts_ns < run->first_ns)
        run->first_ns = pkt->ts_ns;
    if (run->n_frames == 0 || pkt->ts_ns > run->last_ns)
        run->last_ns = pkt->ts_ns;
    run->n_frames++;
    /* The addresses only relate a capture that holds no TCP to another
     * (match.c): SYNs name both ends of every attempt, and other packets
     * are few; scanning the list for every segment would cost per packet. */
    bool is_syn = pkt->l4 == TW_L4_TCP && (pkt->tcp.flags & (TW_TCP_SYN | TW_TCP_ACK)) == TW_TCP_SYN;
    if (pkt->ip_version && (pkt->l4 != TW_L4_TCP || is_syn)) {
        note_addr(run, &pkt->src);
        note_addr(run, &pkt->dst);
    }
    if (!a || pkt->l4 != TW_L4_TCP)
        return;
    bool is_client_syn = side == TW_FROM_CLIENT && (pkt->tcp.flags & 0x12) == 0x02;
    run->n_noted++;
    run->n_client_syns += is_client_syn;
    if (run->is_stopped || (!run->filling && !reserve(run)))
        return;
    struct tw_run_batch *b = run->filling;
    struct tw_seen *e = &b->v[b->n++];
    memset(e, 0, sizeof *e);
    e->ts_ns = pkt->ts_ns;
    e->frame = pkt->frame;
    e->fp = fp;
    e->isn = a->isn;
    e->has_isn = a->has_syn;
    e->is_fp_unique = pkt->tcp.has_ts || pkt->has_ip_id;
    e->payload_len = pkt->tcp.payload_len;
    e->seq = pkt->tcp.seq;
    e->ack = pkt->tcp.ack;
    e->side = (uint8_t)side;
    e->tcp_flags = pkt->tcp.flags;
    e->src = pkt->src;
    e->sport = pkt->tcp.sport;
    e->dport = pkt->tcp.dport;
    /* The role the tracker gave it: the attempt's newest event, if it is this frame. */
    e->role = TW_EV_COUNT;
    if (a->n_events && a->events[a->n_events - 1].frame == pkt->frame)
        e->role = a->events[a->n_events - 1].kind;
    if (b->n == TW_RUN_BATCH)
        push(run);
}

/* Keeps a RST record on the run's temporary file (memory stays bounded);
 * false when even that fails. Records hold only pointers to strings that live as
 * long as the process (file names from argv, static names). */
static bool spill(FILE **f, const void *rec, size_t size)
{
    if (!*f)
        *f = tw_tmpfile();
    return *f && fwrite(rec, size, 1, *f) == 1;
}

/* A record neither memory nor a temporary file could hold: counted, with
 * why the first one could not (errno), for the warning. */
static void note_dropped(tw_capture_run *run)
{
    if (!run->n_dropped++)
        run->drop_errno = errno;
    run->is_whole = false;
}

void tw_capture_run_attempt(tw_capture_run *run, const struct tw_attempt_record *rec)
{
    if (run->n_atts >= run->max_records ||
        !tw_grow((void **)&run->atts, &run->cap_atts, run->n_atts, sizeof *run->atts, 64,
                 run->max_records)) {
        if (tw_spill_attempt(run, rec))
            run->n_spilled_atts++;
        else
            note_dropped(run);
        return;
    }
    bool *m = realloc(run->merged, run->cap_atts * sizeof *m);
    if (!m) {
        note_dropped(run);
        return;
    }
    run->merged = m;
    run->merged[run->n_atts] = false;
    run->atts[run->n_atts++] = *rec;
}

void tw_capture_run_rst(tw_capture_run *run, const struct tw_rst_record *rec)
{
    if (run->n_rsts < run->max_records &&
        tw_grow((void **)&run->rsts, &run->cap_rsts, run->n_rsts, sizeof *run->rsts, 64,
                run->max_records))
        run->rsts[run->n_rsts++] = *rec;
    else if (spill(&run->spill_rsts, rec, sizeof *rec))
        run->n_spilled_rsts++;
    else
        note_dropped(run);
}

uint64_t tw_capture_run_n_dropped(const tw_capture_run *run, int *first_errno)
{
    *first_errno = run->drop_errno;
    return run->n_dropped;
}

const char *tw_capture_run_file(const tw_capture_run *run) { return run->file; }
bool tw_capture_run_is_whole(const tw_capture_run *run) { return run->is_whole; }
size_t tw_capture_run_n_attempts(const tw_capture_run *run) { return run->n_atts; }
struct tw_attempt_record *tw_capture_run_attempt_at(tw_capture_run *run, size_t i)
{
    return &run->atts[i];
}
size_t tw_capture_run_n_rsts(const tw_capture_run *run) { return run->n_rsts; }
struct tw_rst_record *tw_capture_run_rst_at(tw_capture_run *run, size_t i)
{
    return &run->rsts[i];
}
bool tw_correlate_is_merged(const tw_capture_run *run, size_t i) { return run->merged[i]; }
