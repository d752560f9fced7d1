/* A capture's packets and judgments, kept for correlation. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "correlate/internal.h"

tw_capture_run *tw_capture_run_new(const char *file, size_t budget_bytes, struct tw_error *err)
{
    tw_capture_run *run = calloc(1, sizeof *run);
    if (!run || pthread_mutex_init(&run->lock, NULL) != 0) {
        free(run);
        tw_fail(err, TW_E_NOMEM, file, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    if (pthread_cond_init(&run->changed, NULL) != 0) {
        pthread_mutex_destroy(&run->lock);
        free(run);
        tw_fail(err, TW_E_NOMEM, file, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    run->file = file;
    run->budget_bytes = budget_bytes;
    /* half the budget for the packets (a quarter of it queued, the rest in
     * the window and the unmatched ones: window.c), a quarter for the records */
    run->max_queue = budget_bytes / 8 / sizeof(struct tw_seen);
    if (run->max_queue < 4 * TW_RUN_BATCH)
        run->max_queue = 4 * TW_RUN_BATCH;
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
    pthread_mutex_destroy(&run->lock);
    pthread_cond_destroy(&run->changed);
    free(run->queue);
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

bool tw_capture_run_stream(tw_capture_run *run)
{
    run->queue = malloc(run->max_queue * sizeof *run->queue);
    run->q_cap = run->queue ? run->max_queue : 0;
    run->is_streaming = run->queue != NULL;
    return run->is_streaming;
}

/* ---- the queue: the reader's side ---------------------------------------------- */

/* The queue is a ring of q_cap packets: copied in at most two pieces (not
 * a division per packet). */
static void put(tw_capture_run *run, const struct tw_seen *in, size_t n)
{
    if (!n)
        return;
    size_t at = (run->q_head + run->q_count) % run->q_cap;
    size_t n_first = n < run->q_cap - at ? n : run->q_cap - at;
    memcpy(&run->queue[at], in, n_first * sizeof *in);
    memcpy(run->queue, in + n_first, (n - n_first) * sizeof *in);
}

static void get(const tw_capture_run *run, struct tw_seen *out, size_t n)
{
    if (!n)
        return;
    size_t n_first = n < run->q_cap - run->q_head ? n : run->q_cap - run->q_head;
    memcpy(out, &run->queue[run->q_head], n_first * sizeof *out);
    memcpy(out + n_first, run->queue, (n - n_first) * sizeof *out);
}

/* Hands the reader's batch to the queue. Streaming, waits for room;
 * otherwise grows the queue, and past its maximum drops the packets. */
static void hand_over(tw_capture_run *run)
{
    pthread_mutex_lock(&run->lock);
    if (run->is_streaming) {
        while (run->q_cap - run->q_count < run->n_batch)
            pthread_cond_wait(&run->changed, &run->lock);
    } else if (run->q_cap - run->q_count < run->n_batch) {
        /* nobody reads yet (q_head is 0): grow in place */
        size_t want = run->q_count + run->n_batch;
        if (want > run->max_queue ||
            !tw_grow((void **)&run->queue, &run->q_cap, want - 1, sizeof *run->queue, 4096,
                     run->max_queue)) {
            run->is_whole = false;
            run->n_batch = 0;
            pthread_mutex_unlock(&run->lock);
            return;
        }
    }
    put(run, run->batch, run->n_batch);
    run->q_count += run->n_batch;
    run->n_batch = 0;
    pthread_cond_broadcast(&run->changed);
    pthread_mutex_unlock(&run->lock);
}

void tw_capture_run_finish(tw_capture_run *run)
{
    if (run->n_batch)
        hand_over(run);
    pthread_mutex_lock(&run->lock);
    run->is_finished = true;
    pthread_cond_broadcast(&run->changed);
    pthread_mutex_unlock(&run->lock);
}

/* ---- the queue: the window's side ---------------------------------------------- */

size_t tw_run_take(tw_capture_run *run, struct tw_seen *out, size_t max)
{
    pthread_mutex_lock(&run->lock);
    while (run->q_count == 0 && !run->is_finished)
        pthread_cond_wait(&run->changed, &run->lock);
    size_t n = run->q_count < max ? run->q_count : max;
    get(run, out, n);
    if (n) {
        run->q_head = (run->q_head + n) % run->q_cap;
        run->q_count -= n;
        pthread_cond_broadcast(&run->changed);
    }
    pthread_mutex_unlock(&run->lock);
    return n;
}

size_t tw_run_peek_max(const tw_capture_run *run)
{
    return run->is_streaming ? run->q_cap - TW_RUN_BATCH : run->q_count;
}

size_t tw_run_peek(tw_capture_run *run, struct tw_seen_key *out, size_t n)
{
    pthread_mutex_lock(&run->lock);
    while (run->q_count < n && !run->is_finished)
        pthread_cond_wait(&run->changed, &run->lock);
    if (n > run->q_count)
        n = run->q_count;
    for (size_t i = 0; i < n; i++) {
        const struct tw_seen *s = &run->queue[(run->q_head + i) % run->q_cap];
        out[i] = (struct tw_seen_key){s->fp, s->ts_ns};
    }
    pthread_mutex_unlock(&run->lock);
    return n;
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
    struct tw_seen *e = &run->batch[run->n_batch++];
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
    run->n_noted++;
    run->n_client_syns += side == TW_FROM_CLIENT && (e->tcp_flags & 0x12) == 0x02;
    if (run->n_batch == TW_RUN_BATCH)
        hand_over(run);
}

/* Keeps a RST record on the run's temporary file (memory stays bounded);
 * false when even that fails. Records hold only pointers to strings that live as
 * long as the process (file names from argv, static names). */
static bool spill(FILE **f, const void *rec, size_t size)
{
    if (!*f)
        *f = tmpfile();
    return *f && fwrite(rec, size, 1, *f) == 1;
}

void tw_capture_run_attempt(tw_capture_run *run, const struct tw_attempt_record *rec)
{
    if (run->n_atts >= run->max_records ||
        !tw_grow((void **)&run->atts, &run->cap_atts, run->n_atts, sizeof *run->atts, 64,
                 run->max_records)) {
        run->n_spilled_atts += tw_spill_attempt(run, rec);
        return;
    }
    bool *m = realloc(run->merged, run->cap_atts * sizeof *m);
    if (!m)
        return;
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
    else
        run->n_spilled_rsts += spill(&run->spill_rsts, rec, sizeof *rec);
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
