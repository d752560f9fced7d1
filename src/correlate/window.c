/* The streaming matcher: two captures' packets, read at the same time, are
 * matched in time order within a sliding window, so that memory depends on
 * the window (and --memcap), not on the size of the files.
 *
 * 1. A first estimate of the clock offset: the first packets of each
 *    capture (what fits in its queue) are matched by fingerprint alone; the
 *    deltas tB - tA of those matches give a centre (offset) and a spread.
 * 2. Both queues are then read merged in time, b's packets moved onto a's
 *    clock by the centre. A packet looks for its copy among the other
 *    capture's pending packets (same fingerprint, oldest first); unmatched,
 *    it waits in its own pending window.
 * 3. A pending packet leaves the window once the merged time is more than
 *    half_width past it: its copy, if any, would have come by then. It is
 *    then a suspect: held for TW_HOLD_S more, so that a retransmission of
 *    the same bytes that does reach the other point, or its receiver's
 *    acknowledgement there, can still be noticed; then it goes, with those
 *    two facts, to the run's list of unmatched packets. Which of them were
 *    lost is decided at the end (loss.c), once the orientation is known.
 * 4. Each match refines the estimate: the window's half-width is the widest
 *    deviation of a delta from the centre seen so far plus a margin, and the
 *    centre follows the drift (a line fitted through the midpoints of
 *    per-segment delta ranges).
 * A copy that arrives more than half_width from where the centre says is
 * not matched: both packets are unmatched (one counts as lost, the other as
 * the upstream capture's loss). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "base/ns.h"
#include "base/seq.h"
#include "correlate/acks.h"
#include "correlate/fifo.h"
#include "correlate/internal.h"

#define NS 1e9

/* Added to the widest deviation seen: jitter not yet seen. */
#define TW_WINDOW_MARGIN_S 0.2
/* Without any match in the first packets: centre 0, this deviation. */
#define TW_UNKNOWN_DEV_S 5.0
/* The first estimate leaves out deltas further than this from the median:
 * more than a path's queues delay a packet (milliseconds, at worst
 * seconds when a buffer is bloated). */
#define TW_MAX_DEV_S 10.0
/* How long an unmatched packet waits for a retransmission or an ack. */
#define TW_HOLD_S 30.0
/* How long an attempt's highest ack is remembered past twice the window:
 * for the packets leaving it unmatched (later acks reach them while they
 * are held). */
#define TW_ACK_MEMORY_S 1.0
/* The first estimate looks at up to this many packets of each capture,
 * within this long from its first (a drifting clock moves little there). */
#define TW_FIRST_PACKETS 32768
#define TW_FIRST_SPAN_S 60.0
/* Handshake packets of each side remembered, to search for the offset and
 * to see the clock jump ("searching, and clock steps"); a power of two. */
#define TW_SEARCH_SLOTS 65536
/* Median of deltas: exact up to this many, then of a sample. */
#define TW_DELTA_SAMPLE 65536

/* ---- one side of the window -------------------------------------------------- */
struct side {
    tw_capture_run *run;
    const struct tw_seen *in; /* the run's front batch, read in place; NULL: none yet */
    size_t n_in, i_in;
    bool is_done;
    struct tw_fifo pending, held;
    struct tw_acks acks; /* the acks this capture holds */
    int64_t last_ts_ns; /* of the last packet walked, on this capture's clock */
    /* counted here, copied to the run at the end: the run's counters share
     * cache lines with what its reader writes for every packet */
    struct tw_run_matched matched[2];
};

static const struct tw_seen *head(struct side *s)
{
    if (s->i_in == s->n_in && !s->is_done) {
        if (s->in)
            tw_run_release(s->run);
        s->in = tw_run_front(s->run, &s->n_in);
        s->i_in = 0;
        s->is_done = s->in == NULL;
    }
    return s->is_done ? NULL : &s->in[s->i_in];
}

/* Each side's handshake packets by fingerprint, direct-mapped (a newer one
 * takes an older one's slot): bounded, and a SYN is looked up only once. */
struct syn_index {
    struct syn_slot {
        uint64_t fp;
        int64_t ts_ns; /* INT64_MIN: empty */
    } v[2][TW_SEARCH_SLOTS]; /* a probe reads one line */
};

struct window {
    struct side x[2]; /* a, b */
    struct tw_window_result *res;
    double centre_s, max_dev_s;
    int64_t centre_ns;      /* centre_s, in ns (clamped: base/ns.h) */
    uint64_t clock_version; /* changes whenever merged_time() would */
    bool has_estimate; /* some match gave the centre; false: searching */
    struct syn_index *syns; /* both sides' handshake packets (searching, steps) */
    double step_candidate_s; /* a handshake packet's shift from the centre, not yet confirmed */
    bool has_step_candidate;
    int64_t last_match_ns;  /* merged time of the last match */
    int64_t compare_from_ns; /* on a's clock: what comes before is left out */
    double half_width_s;
    int64_t half_width_ns;  /* the same, in ns (clamped) */
    /* drift: lines through segment midpoints */
    double fit_n, fit_t, fit_m, fit_tt, fit_tm;
    bool has_fit;
    double fit_slope, fit_icpt;
    /* the medians' samples */
    double *sample[2];
    size_t n_sample[2];
    uint64_t rng;
};

static double centre_at(const struct window *w, int64_t t_ns)
{
    return w->has_fit ? w->fit_icpt + w->fit_slope * ((double)tw_ns_add(t_ns, -w->res->seg0_ns) / NS)
                      : w->centre_s;
}

static int64_t merged_time(const struct window *w, int k, const struct tw_seen *s)
{
    if (k == 0)
        return s->ts_ns;
    double c = centre_at(w, tw_ns_add(s->ts_ns, -w->centre_ns));
    return tw_ns_add(s->ts_ns, -(int64_t)llround(tw_ns_clamp_d(c * NS)));
}

/* The centre and the half-width are kept in ns too: times meet them for
 * every packet. */
static void set_centre(struct window *w, double centre_s)
{
    w->centre_s = centre_s;
    w->centre_ns = (int64_t)tw_ns_clamp_d(centre_s * NS);
    w->clock_version++;
}

static void set_half_width(struct window *w, double half_width_s)
{
    w->half_width_s = half_width_s;
    w->half_width_ns = (int64_t)tw_ns_clamp_d(half_width_s * NS);
}

/* ---- the first estimate ------------------------------------------------------ */
/* The k-th smallest of v[0..n) (k < n), v reordered: what a sort would put
 * at k, in linear time (the medians are taken of up to 65536 deltas, at the
 * end of the walk while nothing else runs). */
static double nth_smallest(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i++] = v[j];
                v[j] = t;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

static int by_fp(const void *pa, const void *pb)
{
    const struct tw_seen_key *a = pa, *b = pb;
    if (a->fp != b->fp)
        return a->fp < b->fp ? -1 : 1;
    return (a->ts_ns > b->ts_ns) - (a->ts_ns < b->ts_ns);
}

/* How many of the n packets (in capture order) lie within the first span. */
static size_t first_span(const struct tw_seen_key *v, size_t n)
{
    size_t k = 0;
    while (k < n && v[k].ts_ns - v[0].ts_ns < (int64_t)(TW_FIRST_SPAN_S * NS))
        k++;
    return k;
}

/* The deltas tB - tA of the packets among a[0, na) and b[0, nb) that
 * appear in both (both sorted by fingerprint here); returns how many,
 * written to d. */
static size_t deltas_of_shared(struct tw_seen_key *a, size_t na, struct tw_seen_key *b,
                               size_t nb, double *d)
{
    qsort(a, na, sizeof *a, by_fp);
    qsort(b, nb, sizeof *b, by_fp);
    size_t n = 0;
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (a[i].fp < b[j].fp) {
            i++;
        } else if (b[j].fp < a[i].fp) {
            j++;
        } else {
            d[n++] = ((double)b[j].ts_ns - (double)a[i].ts_ns) / NS;
            i++;
            j++;
        }
    }
    return n;
}

/* The shared packets' deltas, from the first span of each capture; when
 * those share nothing, from all that each queue holds: one capture began
 * long before the other (a minute, or more packets than the first look
 * takes), and its first packets have no copy in the other. */
static size_t first_deltas(struct window *w, double **out)
{
    size_t max_a = tw_run_peek_max(w->x[0].run), max_b = tw_run_peek_max(w->x[1].run);
    struct tw_seen_key *a = malloc((max_a ? max_a : 1) * sizeof *a);
    struct tw_seen_key *b = malloc((max_b ? max_b : 1) * sizeof *b);
    double *d = malloc((max_a ? max_a : 1) * sizeof *d);
    size_t n = 0;
    bool is_allocated = a && b && d;
    if (is_allocated) {
        size_t na = tw_run_peek(w->x[0].run, a, max_a < TW_FIRST_PACKETS ? max_a : TW_FIRST_PACKETS);
        size_t nb = tw_run_peek(w->x[1].run, b, max_b < TW_FIRST_PACKETS ? max_b : TW_FIRST_PACKETS);
        n = deltas_of_shared(a, first_span(a, na), b, first_span(b, nb), d);
        if (n == 0)
            n = deltas_of_shared(a, tw_run_peek(w->x[0].run, a, max_a), b,
                                 tw_run_peek(w->x[1].run, b, max_b), d);
    }
    free(a);
    free(b);
    if (!is_allocated) {
        free(d);
        return SIZE_MAX;
    }
    *out = d;
    return n;
}

static bool first_estimate(struct window *w)
{
    double *d = NULL;
    size_t n = first_deltas(w, &d);
    if (n == SIZE_MAX)
        return false;
    /* centre: the median; spread: to the 1st and 99th percentiles, so that
     * one stray match does not widen the window, of the deltas within
     * TW_MAX_DEV_S of the median: no path delays a packet that long, so a
     * delta further off comes from a damaged timestamp (few packets have no
     * percentiles to leave it out) */
    w->has_estimate = n > 0;
    if (n) {
        double med = nth_smallest(d, n, n / 2);
        size_t n_near = 0;
        for (size_t i = 0; i < n; i++)
            if (fabs(d[i] - med) <= TW_MAX_DEV_S)
                d[n_near++] = d[i];
        n = n_near; /* the median itself is near */
        double lo = nth_smallest(d, n, n / 100), hi = nth_smallest(d, n, n - 1 - n / 100);
        set_centre(w, med);
        w->max_dev_s = fmax(hi - med, med - lo);
    } else {
        set_centre(w, 0);
        w->max_dev_s = TW_UNKNOWN_DEV_S;
    }
    free(d);
    set_half_width(w, w->max_dev_s + TW_WINDOW_MARGIN_S);
    return true;
}

/* ---- learning from a match ---------------------------------------------------- */
static struct tw_span *segment_for(struct tw_window_result *r, int64_t t_ns)
{
    if (r->n_segments == 0) {
        r->seg0_ns = t_ns;
        r->seg_len_ns = 1000000000LL;
    }
    int64_t k = (t_ns - r->seg0_ns) / r->seg_len_ns;
    if (t_ns < r->seg0_ns)
        k = 0;
    while (k >= TW_SPANS) {
        /* twice as long segments: fold pairs together */
        for (int i = 0; i < TW_SPANS / 2; i++) {
            struct tw_span *p = &r->seg[2 * i], *q = &r->seg[2 * i + 1];
            struct tw_span m = *p;
            for (int s = 0; s < 2; s++) {
                m.min_delta[s] = fmin(p->min_delta[s], q->min_delta[s]);
                m.max_delta[s] = fmax(p->max_delta[s], q->max_delta[s]);
            }
            m.t_sum_s += q->t_sum_s;
            if (q->n) {
                m.t_min_s = p->n ? fmin(p->t_min_s, q->t_min_s) : q->t_min_s;
                m.t_max_s = p->n ? fmax(p->t_max_s, q->t_max_s) : q->t_max_s;
            }
            m.n += q->n;
            r->seg[i] = m;
        }
        for (int i = TW_SPANS / 2; i < TW_SPANS; i++)
            r->seg[i] = (struct tw_span){{INFINITY, INFINITY}, {-INFINITY, -INFINITY}, 0, 0, 0, 0};
        r->seg_len_ns *= 2;
        k = (t_ns - r->seg0_ns) / r->seg_len_ns;
    }
    while (r->n_segments <= (size_t)k)
        r->seg[r->n_segments++] =
            (struct tw_span){{INFINITY, INFINITY}, {-INFINITY, -INFINITY}, 0, 0, 0, 0};
    return &r->seg[k];
}

/* The centre follows the drift: a least-squares line through the midpoints
 * of the segments before the current one (each spans both directions). */
static void refit(struct window *w)
{
    const struct tw_window_result *r = w->res;
    double n = 0, st = 0, sm = 0, stt = 0, stm = 0;
    for (size_t i = 0; i + 1 < r->n_segments; i++) {
        const struct tw_span *g = &r->seg[i];
        if (!g->n)
            continue;
        double lo = fmin(g->min_delta[0], g->min_delta[1]);
        double hi = fmax(g->max_delta[0], g->max_delta[1]);
        double t = g->t_sum_s / (double)g->n, m = (lo + hi) / 2;
        n++;
        st += t;
        sm += m;
        stt += t * t;
        stm += t * m;
    }
    double den = n * stt - st * st;
    w->has_fit = n >= 2 && den > 0;
    w->clock_version++;
    if (w->has_fit) {
        w->fit_slope = (n * stm - st * sm) / den;
        w->fit_icpt = (sm - w->fit_slope * st) / n;
    }
}

static void sample_delta(struct window *w, int side, double d)
{
    size_t *n = &w->n_sample[side];
    uint64_t seen = w->res->delta[side].n; /* including this one */
    if (*n < TW_DELTA_SAMPLE) {
        w->sample[side][(*n)++] = d;
        return;
    }
    /* reservoir sampling, with a fixed generator: same input, same output */
    w->rng = w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t k = (w->rng >> 11) % seen;
    if (k < TW_DELTA_SAMPLE)
        w->sample[side][k] = d;
}

static void learn(struct window *w, const struct tw_seen *sa, const struct tw_seen *sb)
{
    struct tw_window_result *r = w->res;
    double d = ((double)sb->ts_ns - (double)sa->ts_ns) / NS;
    int side = sa->side;
    struct tw_delta_stats *st = &r->delta[side];
    if (st->n == 0 || d < st->min)
        st->min = d;
    if (st->n == 0 || d > st->max)
        st->max = d;
    st->n++;
    sample_delta(w, side, d);
    r->n_matched++;
    if (!r->has_nat)
        r->has_nat = memcmp(sa->src.b, sb->src.b, 16) != 0 || sa->sport != sb->sport ||
                     sa->dport != sb->dport;

    size_t n_before = r->n_segments;
    struct tw_span *g = segment_for(r, sa->ts_ns);
    g->min_delta[side] = fmin(g->min_delta[side], d);
    g->max_delta[side] = fmax(g->max_delta[side], d);
    double t_s = (double)(sa->ts_ns - r->seg0_ns) / NS;
    g->t_sum_s += t_s;
    g->t_min_s = g->n ? fmin(g->t_min_s, t_s) : t_s;
    g->t_max_s = g->n ? fmax(g->t_max_s, t_s) : t_s;
    g->n++;
    if (r->n_segments != n_before)
        refit(w);
    if (!w->has_estimate) {
        w->has_estimate = true;
        set_centre(w, d);
        w->max_dev_s = 0;
    }
    double dev = fabs(d - centre_at(w, sa->ts_ns));
    if (dev > w->max_dev_s)
        w->max_dev_s = dev;
    if (w->max_dev_s + TW_WINDOW_MARGIN_S != w->half_width_s)
        set_half_width(w, w->max_dev_s + TW_WINDOW_MARGIN_S);
    if (w->half_width_s > r->window_s)
        r->window_s = w->half_width_s;
}

/* ---- leaving ------------------------------------------------------------------ */

/* The run keeps the packet as unmatched (false: no room, it is only counted). */
static void keep_unmatched(tw_capture_run *run, const struct tw_seen *s)
{
    if (!tw_grow((void **)&run->seen, &run->cap_seen, run->n_seen, sizeof *run->seen, 64,
                 run->max_seen)) {
        run->is_whole = false;
        return;
    }
    run->seen[run->n_seen++] = *s;
}

/* Suspects of side k whose hold is over: judged against the other side's acks. */
static void release_held(struct window *w, int k, int64_t now_ns, bool is_all)
{
    struct side *s = &w->x[k];
    const struct tw_acks *other = &w->x[!k].acks;
    int64_t hold_ns = (int64_t)(TW_HOLD_S * NS);
    while (s->held.head < s->held.tail) {
        struct tw_fifo_entry *e = tw_fifo_at(&s->held, s->held.head);
        if (!is_all && tw_ns_add(e->t_ns, hold_ns) >= now_ns && !tw_fifo_full(&s->held))
            break;
        s->held.head++;
        if (e->is_uncompared) {
            w->res->n_uncompared++;
            continue;
        }
        e->s.is_acked |= tw_acks_cover(other, &e->s);
        e->s.is_resegmented |= tw_acks_hold_bytes(other, &e->s);
        keep_unmatched(s->run, &e->s);
    }
}

/* The oldest pending packet of side k leaves the window: unmatched, it is
 * held (is_early: before its time, for room). */
static void leave(struct window *w, int k, int64_t now_ns, bool is_early)
{
    struct side *s = &w->x[k];
    struct tw_fifo_entry *e = tw_fifo_at(&s->pending, s->pending.head);
    if (!e->is_matched && e->is_uncompared) {
        w->res->n_uncompared++;
    } else if (!e->is_matched) {
        w->res->is_cut |= is_early;
        if (tw_fifo_full(&s->held))
            release_held(w, k, now_ns, false);
        /* acked already, or retransmitted and matched already; what comes
         * later finds it held (note_acked, note_retransmitted) */
        e->s.is_acked = tw_acks_cover(&w->x[!k].acks, &e->s);
        e->s.is_resegmented = tw_acks_hold_bytes(&w->x[!k].acks, &e->s);
        e->s.is_retransmitted = tw_fifo_has_matched_copy(&s->pending, &e->s, e->t_ns) ||
                                tw_fifo_has_matched_copy(&w->x[!k].pending, &e->s, e->t_ns);
        tw_fifo_push(&s->held, &e->s, e->t_ns);
    }
    s->pending.head++;
}

/* Pending packets of side k more than the half-width behind now leave the
 * window (all of them when is_all). */
static void expire(struct window *w, int k, int64_t now_ns, bool is_all)
{
    struct side *s = &w->x[k];
    int64_t hw_ns = w->half_width_ns;
    while (s->pending.head < s->pending.tail &&
           (is_all || tw_ns_add(tw_fifo_at(&s->pending, s->pending.head)->t_ns, hw_ns) < now_ns))
        leave(w, k, now_ns, false);
}

/* ---- looking ahead -------------------------------------------------------------
 * A step costs a few cache misses (the other side's fingerprint bucket and
 * the entry it points to, this side's ack slot, the other side's held
 * bucket, and this side's two buckets when it waits): asked for a few
 * packets ahead, they arrive while earlier packets are matched. Hints
 * only: the tables may change meanwhile.
 * Always inlined: GCC takes a function holding only prefetches for a pure
 * one and drops the call. */
#define TW_AHEAD_BUCKETS 8 /* packets ahead: the buckets and the ack slot */
#define TW_AHEAD_ENTRIES 4 /* packets ahead: the entries the buckets point to */
#define TW_PREFETCHER static inline __attribute__((always_inline)) void

TW_PREFETCHER prefetch_buckets(const struct window *w, int k, const struct tw_seen *s)
{
    const struct side *me = &w->x[k], *other = &w->x[!k];
    __builtin_prefetch(&other->pending.fp_bucket[tw_mix_key(s->fp) & other->pending.mask]);
    __builtin_prefetch(&other->held.fp_bucket[tw_fifo_attempt_key(s->isn, !s->side) & other->held.mask]);
    __builtin_prefetch(tw_acks_bucket(&me->acks, s->isn, s->side));
    __builtin_prefetch(&me->pending.fp_bucket[tw_mix_key(s->fp) & me->pending.mask]);
    __builtin_prefetch(&me->pending.key_bucket[tw_fifo_bytes_key(s) & me->pending.mask]);
    /* on a match, both held FIFOs are asked for earlier copies of these bytes */
    __builtin_prefetch(&me->held.key_bucket[tw_fifo_bytes_key(s) & me->held.mask]);
    __builtin_prefetch(&other->held.key_bucket[tw_fifo_bytes_key(s) & other->held.mask]);
}

TW_PREFETCHER prefetch_entry(const struct window *w, int k, const struct tw_seen *s)
{
    const struct tw_fifo *q = &w->x[!k].pending;
    uint64_t l = tw_fifo_live(q, q->fp_bucket[tw_mix_key(s->fp) & q->mask]);
    if (l) {
        const char *e = (const char *)tw_fifo_at(q, l - 1);
        __builtin_prefetch(e);
        __builtin_prefetch(e + sizeof *tw_fifo_at(q, l - 1) - 1);
    }
}

TW_PREFETCHER look_ahead(const struct window *w, int k)
{
    const struct side *s = &w->x[k];
    if (s->i_in + TW_AHEAD_BUCKETS < s->n_in)
        prefetch_buckets(w, k, &s->in[s->i_in + TW_AHEAD_BUCKETS]);
    if (s->i_in + TW_AHEAD_ENTRIES < s->n_in)
        prefetch_entry(w, k, &s->in[s->i_in + TW_AHEAD_ENTRIES]);
}

/* ---- searching, and clock steps ----------------------------------------------
 * When the first estimate found no packet in both queues (one capture began
 * long before the other, on a busy link), the walk starts at offset 0 with
 * a 5 s deviation: it finds nothing when the clocks differ by more, or by
 * more than the window holds at the packet rate. And a clock that jumps in
 * the middle of a capture (NTP stepping it, a virtual machine resumed)
 * moves every copy out of the window from then on. Each side's handshake
 * packets (SYN and SYN+ACK: fingerprints that carry an ISN) are remembered
 * for a long time, so either shows: searching, the first found in both
 * gives the offset; later, two found in both that agree on a new offset
 * outside the window (and whose fingerprints tell them from
 * retransmissions) are a step. What was walked on the wrong clock is left
 * out of the comparison (neither lost nor missed by a capture), as is every
 * packet, of either capture, before the point both walks had reached. */
static bool syns_start(struct window *w)
{
    w->syns = malloc(sizeof *w->syns);
    if (!w->syns)
        return false;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < TW_SEARCH_SLOTS; i++)
            w->syns->v[k][i].ts_ns = INT64_MIN;
    return true;
}

/* Leaves out the packets of side k still pending or held that were walked
 * after merged time after_ns (all: INT64_MIN). */
static void forget_walked(struct window *w, int k, int64_t after_ns)
{
    struct tw_fifo *q[2] = {&w->x[k].pending, &w->x[k].held};
    for (int f = 0; f < 2; f++)
        for (uint64_t t = q[f]->tail; t > q[f]->head; t--) {
            struct tw_fifo_entry *e = tw_fifo_at(q[f], t - 1);
            if (e->t_ns <= after_ns)
                break;
            e->is_uncompared = true;
        }
}

/* tB - tA = d from now on: the comparison starts where both walks had
 * reached; what was walked after after_ns is left out. */
static void restart_at(struct window *w, double d, int64_t after_ns)
{
    int64_t reached_a = w->x[0].last_ts_ns;
    int64_t reached_b = tw_ns_add(w->x[1].last_ts_ns, -(int64_t)llround(tw_ns_clamp_d(d * NS)));
    w->compare_from_ns = tw_ns_add(reached_a > reached_b ? reached_a : reached_b, 1);
    forget_walked(w, 0, after_ns);
    forget_walked(w, 1, after_ns);
    w->has_estimate = true;
    w->has_step_candidate = false;
    set_centre(w, d);
    w->max_dev_s = 0;
    set_half_width(w, TW_WINDOW_MARGIN_S);
    w->res->is_cut = true;
}

/* A step of the clock: the deltas, spans and drift seen before it describe
 * the old clock; the clock record gives the offset after it. */
static void clock_step(struct window *w, double d, int64_t t_ns)
{
    struct tw_window_result *r = w->res;
    r->n_clock_steps++;
    r->last_step_s = d - centre_at(w, t_ns);
    r->last_step_ns = t_ns;
    memset(r->delta, 0, sizeof r->delta);
    r->n_segments = 0;
    w->n_sample[0] = w->n_sample[1] = 0;
    w->has_fit = false;
    w->clock_version++;
    restart_at(w, d, w->last_match_ns);
}

/* Remembers in (side k) if it is a handshake packet, or finds its copy on
 * the other side: the offset when searching, or a clock step. */
static void syn_step(struct window *w, int k, const struct tw_seen *in)
{
    if (!(in->tcp_flags & 0x02))
        return;
    size_t i = tw_mix_key(in->fp) & (TW_SEARCH_SLOTS - 1);
    const struct syn_slot *copy = &w->syns->v[!k][i];
    if (copy->ts_ns == INT64_MIN || copy->fp != in->fp) {
        w->syns->v[k][i] = (struct syn_slot){in->fp, in->ts_ns};
        return;
    }
    int64_t t_a = k ? copy->ts_ns : in->ts_ns, t_b = k ? in->ts_ns : copy->ts_ns;
    double d = ((double)t_b - (double)t_a) / NS;
    if (!w->has_estimate) { /* searching */
        restart_at(w, d, INT64_MIN);
        return;
    }
    double shift = d - centre_at(w, t_a);
    if (!in->is_fp_unique || fabs(shift) <= w->half_width_s)
        return; /* within the window: the walk matches it */
    /* the two directions differ by the delays: agree within a margin */
    double tolerance = TW_WINDOW_MARGIN_S + 2 * w->max_dev_s;
    if (w->has_step_candidate && fabs(shift - w->step_candidate_s) <= tolerance) {
        clock_step(w, d, t_a);
        return;
    }
    w->step_candidate_s = shift;
    w->has_step_candidate = true;
}

/* ---- the loop ------------------------------------------------------------------ */
/* b's head on a's clock, as the loop worked it out to choose the side. */
struct merged_head {
    const struct tw_seen *s; /* NULL: none */
    int64_t t_ns;
    uint64_t clock_version;  /* w->clock_version then */
};

static int64_t merged_head_time(const struct window *w, struct merged_head *h,
                                const struct tw_seen *s)
{
    if (h->s != s || h->clock_version != w->clock_version)
        *h = (struct merged_head){s, merged_time(w, 1, s), w->clock_version};
    return h->t_ns;
}

/* One packet of side k walked. h: b's head's merged time, if known. */
static void step(struct window *w, int k, const struct tw_seen *in, struct merged_head *h)
{
    struct side *me = &w->x[k], *other = &w->x[!k];
    look_ahead(w, k);
    me->last_ts_ns = in->ts_ns;
    syn_step(w, k, in); /* may move the clock */
    int64_t t = k ? merged_head_time(w, h, in) : in->ts_ns;
    if (t < w->compare_from_ns) {
        w->res->n_uncompared++;
        return;
    }
    expire(w, 0, t, false);
    expire(w, 1, t, false);
    release_held(w, 0, t, false);
    release_held(w, 1, t, false);
    double memory_s = 2 * w->half_width_s + TW_ACK_MEMORY_S;
    if (!tw_acks_note(&me->acks, in, t, tw_ns_add(t, -(int64_t)tw_ns_clamp_d(memory_s * NS))))
        w->res->is_cut = true;
    tw_fifo_note_acked(&other->held, in);
    struct tw_fifo_entry *copy = tw_fifo_find(&other->pending, in->fp);
    /* a copy more than the half-width later (this packet's time went back:
     * a damaged or crafted timestamp) is not this packet's: the ones more
     * than the half-width earlier have left the window already */
    if (copy && tw_ns_add(copy->t_ns, -w->half_width_ns) > t)
        copy = NULL;
    if (copy) {
        copy->is_matched = true;
        me->matched[in->side].n++;
        me->matched[in->side].n_data += in->payload_len > 0;
        other->matched[copy->s.side].n++;
        other->matched[copy->s.side].n_data += copy->s.payload_len > 0;
        w->last_match_ns = t;
        learn(w, k == 0 ? in : &copy->s, k == 0 ? &copy->s : in);
        /* earlier copies of these bytes, on either side, were retransmitted */
        tw_fifo_note_retransmitted(&me->held, in);
        tw_fifo_note_retransmitted(&other->held, &copy->s);
        return;
    }
    if (tw_fifo_full(&me->pending))
        leave(w, k, t, true);
    tw_fifo_push(&me->pending, in, t);
}

static int by_frame(const void *pa, const void *pb)
{
    const struct tw_seen *a = pa, *b = pb;
    return (a->frame > b->frame) - (a->frame < b->frame);
}

/* Entries a window side may hold: the run's packet budget, less its
 * queue, over its two FIFOs and the ack table. */
static bool side_init(struct side *s, tw_capture_run *run)
{
    memset(s, 0, sizeof *s);
    s->run = run;
    size_t room = run->budget_bytes / 2;
    size_t per = sizeof(struct tw_fifo_entry) + 4 * sizeof(uint64_t);
    /* FIFOs hold a power of two: the held one rounded up (its room decides
     * how long suspects wait for their acks), the pending one within what
     * is left of the two shares (rounded down by tw_fifo_init) */
    size_t n_held = 1024;
    while (n_held < room / 8 / per)
        n_held *= 2;
    size_t shares = room / 2 + room / 8, held_bytes = n_held * per;
    size_t n_pending = shares > held_bytes ? (shares - held_bytes) / per : 0;
    n_pending = n_pending < 1024 ? 1024 : n_pending;
    return tw_fifo_init(&s->pending, n_pending, false) && tw_fifo_init(&s->held, n_held, true) &&
           tw_acks_init(&s->acks, room / 4);
}

static void side_free(struct side *s)
{
    tw_fifo_free(&s->pending);
    tw_fifo_free(&s->held);
    tw_acks_free(&s->acks);
}

/* Empties both queues (the readers must not wait on a full queue for ever). */
static void drain(struct window *w)
{
    for (int k = 0; k < 2; k++)
        while (head(&w->x[k]))
            w->x[k].i_in = w->x[k].n_in;
}

bool tw_window_match(tw_capture_run *a, tw_capture_run *b, struct tw_window_result *res)
{
    struct window *w = calloc(1, sizeof *w);
    memset(res, 0, sizeof *res);
    if (!w)
        return false;
    w->res = res;
    w->compare_from_ns = INT64_MIN; /* nothing left out yet */
    w->rng = 0x853c49e6748fea9bULL;
    w->sample[0] = malloc(TW_DELTA_SAMPLE * sizeof(double));
    w->sample[1] = malloc(TW_DELTA_SAMPLE * sizeof(double));
    bool ok = side_init(&w->x[0], a) && side_init(&w->x[1], b) && w->sample[0] && w->sample[1] &&
              first_estimate(w) && syns_start(w);
    if (ok) {
        res->window_s = w->half_width_s;
        /* b's head's merged time is worked out once while a's packets go
         * past it (a batch slot is reused: forgotten once b moves on) */
        struct merged_head h = {NULL, 0, 0};
        for (;;) {
            const struct tw_seen *pa = head(&w->x[0]), *pb = head(&w->x[1]);
            if (!pa && !pb)
                break;
            int k = !pa ? 1 : !pb ? 0 : merged_head_time(w, &h, pb) < pa->ts_ns;
            step(w, k, k ? pb : pa, &h);
            if (k)
                h.s = NULL;
            w->x[k].i_in++;
        }
        for (int k = 0; k < 2; k++) {
            expire(w, k, INT64_MAX, true);
            release_held(w, k, INT64_MAX, true);
            tw_capture_run *run = w->x[k].run;
            memcpy(run->matched, w->x[k].matched, sizeof run->matched);
            if (run->n_seen)
                qsort(run->seen, run->n_seen, sizeof *run->seen, by_frame);
        }
        for (int s = 0; s < 2; s++) {
            if (w->n_sample[s]) {
                res->delta[s].median =
                    nth_smallest(w->sample[s], w->n_sample[s], w->n_sample[s] / 2);
            }
        }
    } else {
        drain(w);
    }
    free(w->syns);
    free(w->sample[0]);
    free(w->sample[1]);
    side_free(&w->x[0]);
    side_free(&w->x[1]);
    free(w);
    return ok;
}
