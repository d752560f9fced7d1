/* -w in live mode (see live_out.h).
 *
 * The kept frames are a queue in arrival order (a growable array with a
 * moving head), each with its own copy of the bytes and its 4-tuple worked
 * out once when it arrives. A problem attempt scans the queue from a
 * second before its first packet: problems are the exception, so a scan
 * per problem costs less than an index per frame.
 *
 * Live, an attempt's record comes as soon as its verdict is final, and a
 * RST of it may come later (a connection completed after a retransmission,
 * reset minutes on). -w offline writes such a RST with its attempt, so the
 * last MAX_REMEMBERED problem attempts written are remembered (4-tuple and
 * ISN), and a RST record filed under one of them writes its frame. */
#include "report/live_out.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "report/pcap_out.h"

#define MAX_KEPT 10000000
#define MAX_REMEMBERED 4096
#define SLACK_NS 1000000000
/* what a kept frame costs beyond its bytes: its entry and the allocator's */
#define KEPT_OVERHEAD_BYTES (sizeof(struct kept) + 16)

struct kept {
    struct tw_frame fr;    /* bytes: owned */
    bool has_key;
    bool is_written;
    uint8_t key[36];       /* as sent (tw_pcap_out_frame_key) */
};

/* A problem attempt written, for its later RSTs. */
struct remembered {
    uint8_t key[36];       /* client to server */
    uint32_t isn;
};

struct tw_live_out {
    struct tw_sink inner;  /* first: see tw_sink_pass_through */
    struct remembered *written; /* a ring of MAX_REMEMBERED, allocated when first needed */
    uint64_t n_remembered;
    tw_dump *dump;
    size_t budget_bytes, n_bytes;
    struct kept *q;
    size_t head, n, cap;   /* entries head .. n-1 are live */
    int64_t oldest_gone_ns; /* the newest timestamp of a frame let go */
    bool has_gone;
    bool has_failed;
    struct tw_error err;   /* the first write failure */
    struct tw_live_out_counts counts;
};

tw_live_out *tw_live_out_new(const struct tw_dump_config *cfg, size_t budget_bytes)
{
    tw_live_out *lo = calloc(1, sizeof *lo);
    if (!lo)
        return NULL;
    lo->dump = tw_dump_new(cfg);
    if (!lo->dump) {
        free(lo);
        return NULL;
    }
    lo->budget_bytes = budget_bytes;
    return lo;
}

static void let_go_oldest(tw_live_out *lo)
{
    struct kept *k = &lo->q[lo->head++];
    lo->n_bytes -= k->fr.caplen + KEPT_OVERHEAD_BYTES;
    if (!lo->has_gone || k->fr.ts_ns > lo->oldest_gone_ns)
        lo->oldest_gone_ns = k->fr.ts_ns;
    lo->has_gone = true;
    free((void *)k->fr.bytes);
    if (lo->head == lo->n) {
        lo->head = lo->n = 0;
    } else if (lo->head > lo->n / 2 && lo->head > 1024) {
        memmove(lo->q, lo->q + lo->head, (lo->n - lo->head) * sizeof *lo->q);
        lo->n -= lo->head;
        lo->head = 0;
    }
}

void tw_live_out_frame(void *ctx, const struct tw_frame *fr)
{
    tw_live_out *lo = ctx;
    while (lo->head < lo->n && lo->n_bytes + fr->caplen + KEPT_OVERHEAD_BYTES > lo->budget_bytes)
        let_go_oldest(lo);
    if (lo->n - lo->head >= MAX_KEPT)
        let_go_oldest(lo);
    if (!tw_grow((void **)&lo->q, &lo->cap, lo->n, sizeof *lo->q, 1024, MAX_KEPT))
        return;
    uint8_t *bytes = malloc(fr->caplen ? fr->caplen : 1);
    if (!bytes)
        return;
    memcpy(bytes, fr->bytes, fr->caplen);
    struct kept *k = &lo->q[lo->n++];
    k->fr = *fr;
    k->fr.bytes = bytes;
    k->is_written = false;
    k->has_key = tw_pcap_out_frame_key(fr, k->key);
    lo->n_bytes += fr->caplen + KEPT_OVERHEAD_BYTES;
}

static bool is_evidence(const struct tw_attempt_record *r, uint64_t frame)
{
    for (int i = 0; i < r->diag.n_evidence; i++)
        if (!r->diag.evidence[i].file && r->diag.evidence[i].frame == frame)
            return true;
    return false;
}

/* Writes k and counts it; false when writing failed. */
static bool dump_kept(tw_live_out *lo, struct kept *k)
{
    bool is_written;
    if (tw_dump_frame(lo->dump, &k->fr, &is_written, &lo->err) != TW_OK) {
        lo->has_failed = true;
        return false;
    }
    k->is_written = true;
    if (is_written)
        lo->counts.n_written++;
    else
        lo->counts.n_other_linktype++;
    return true;
}

static void write_attempt(tw_live_out *lo, const struct tw_attempt_record *r)
{
    uint8_t c2s[36], s2c[36];
    tw_pcap_out_attempt_key(&r->key, false, c2s);
    tw_pcap_out_attempt_key(&r->key, true, s2c);
    /* frames come in time order, give or take a little: start a second
     * before the attempt's first packet */
    size_t start = lo->n;
    while (start > lo->head && lo->q[start - 1].fr.ts_ns >= r->first_ns - SLACK_NS)
        start--;
    for (size_t i = start; i < lo->n && !lo->has_failed; i++) {
        struct kept *k = &lo->q[i];
        if (k->is_written)
            continue;
        bool is_in_range = k->fr.ts_ns >= r->first_ns && k->fr.ts_ns <= r->last_ns;
        if (!(is_in_range && k->has_key &&
              (memcmp(k->key, c2s, 36) == 0 || memcmp(k->key, s2c, 36) == 0)) &&
            !is_evidence(r, k->fr.number))
            continue;
        if (!dump_kept(lo, k))
            return;
    }
    lo->counts.n_attempts++;
    if (lo->has_gone && lo->oldest_gone_ns >= r->first_ns)
        lo->counts.n_late++;
    if (r->is_isn_known && (lo->written || (lo->written = calloc(MAX_REMEMBERED, sizeof *lo->written)))) {
        struct remembered *m = &lo->written[lo->n_remembered++ % MAX_REMEMBERED];
        memcpy(m->key, c2s, sizeof m->key);
        m->isn = r->isn;
    }
}

static bool is_remembered(const tw_live_out *lo, const uint8_t key[36], uint32_t isn)
{
    uint64_t n = lo->n_remembered < MAX_REMEMBERED ? lo->n_remembered : MAX_REMEMBERED;
    for (uint64_t i = 0; lo->written && i < n; i++)
        if (lo->written[i].isn == isn && memcmp(lo->written[i].key, key, 36) == 0)
            return true;
    return false;
}

/* Writes the kept frame numbered frame, if it is kept and not written yet
 * (a RST's frame is the newest, or nearly). */
static void write_frame(tw_live_out *lo, uint64_t frame)
{
    for (size_t i = lo->n; i > lo->head; i--) {
        struct kept *k = &lo->q[i - 1];
        if (k->fr.number != frame)
            continue;
        if (!k->is_written)
            (void)dump_kept(lo, k);
        return;
    }
}

static void lo_attempt(void *ctx, const struct tw_attempt_record *r)
{
    tw_live_out *lo = ctx;
    if (tw_report_is_problem(r) && !lo->has_failed)
        write_attempt(lo, r);
    lo->inner.attempt(lo->inner.ctx, r);
}

static void lo_rst(void *ctx, const struct tw_rst_record *r)
{
    tw_live_out *lo = ctx;
    uint8_t c2s[36];
    tw_pcap_out_attempt_key(&r->key, false, c2s);
    if (r->is_isn_known && !lo->has_failed && is_remembered(lo, c2s, r->isn))
        write_frame(lo, r->frame);
    lo->inner.rst(lo->inner.ctx, r);
}

void tw_live_out_sink(tw_live_out *lo, struct tw_sink *sink, const struct tw_sink *inner)
{
    lo->inner = *inner;
    tw_sink_pass_through(sink, lo);
    sink->attempt = lo_attempt;
    sink->rst = lo_rst;
}

enum tw_status tw_live_out_close(tw_live_out *lo, struct tw_live_out_counts *counts,
                                 struct tw_error *err)
{
    enum tw_status st = tw_dump_finish(lo->dump, lo->has_failed,
                                       lo->n > lo->head ? lo->q[lo->head].fr.ts_ns : 0,
                                       &lo->counts.files, err);
    if (lo->has_failed) {
        *err = lo->err;
        st = err->status;
    }
    *counts = lo->counts;
    return st;
}

void tw_live_out_free(tw_live_out *lo)
{
    if (!lo)
        return;
    for (size_t i = lo->head; i < lo->n; i++)
        free((void *)lo->q[i].fr.bytes);
    free(lo->q);
    free(lo->written);
    tw_dump_free(lo->dump);
    free(lo);
}
