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
#include "base/seq.h"
#include "correlate/internal.h"

#define NS 1e9

/* Added to the widest deviation seen: jitter not yet seen. */
#define TW_WINDOW_MARGIN_S 0.2
/* Without any match in the first packets: centre 0, this deviation. */
#define TW_UNKNOWN_DEV_S 5.0
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
/* Handshake packets of each side remembered while searching for the offset
 * (window.c, "searching"); a power of two. */
#define TW_SEARCH_SLOTS 65536
/* Median of deltas: exact up to this many, then of a sample. */
#define TW_DELTA_SAMPLE 65536

/* ---- a FIFO of packets with two hash chains ---------------------------------
 * Entries are numbered by ticket (slot = ticket & (cap - 1)); the chains (by
 * fingerprint, or by attempt and sender for held packets; and by "the same
 * bytes") link each entry to the previous one in its bucket, newest first,
 * and end at a ticket that has left. */
struct entry {
    struct tw_seen s;
    int64_t t_ns;               /* merged time (a's clock) */
    uint64_t prev_fp, prev_key; /* ticket + 1 of the previous entry in the chain; 0: none */
    bool is_matched;
};

struct fifo {
    struct entry *v;
    size_t cap, max_cap;
    uint64_t head, tail; /* tickets */
    uint64_t *fp_bucket, *key_bucket;
    size_t mask;
    bool is_by_attempt; /* the first chain by attempt and sender, not fingerprint */
};

static void fifo_free(struct fifo *q)
{
    free(q->v);
    free(q->fp_bucket);
    free(q->key_bucket);
}

static bool fifo_alloc(struct fifo *q, size_t cap)
{
    size_t nb = 16;
    while (nb < 2 * cap)
        nb *= 2;
    q->v = malloc(cap * sizeof *q->v);
    q->fp_bucket = calloc(nb, sizeof *q->fp_bucket);
    q->key_bucket = calloc(nb, sizeof *q->key_bucket);
    q->cap = cap;
    q->mask = nb - 1;
    return q->v && q->fp_bucket && q->key_bucket;
}

/* Starts small: memory follows what the window holds, up to max_cap
 * (rounded down to a power of two). */
static bool fifo_init(struct fifo *q, size_t max_cap, bool is_by_attempt)
{
    memset(q, 0, sizeof *q);
    q->max_cap = 1;
    while (q->max_cap * 2 <= max_cap)
        q->max_cap *= 2;
    max_cap = q->max_cap;
    q->is_by_attempt = is_by_attempt;
    return fifo_alloc(q, max_cap < 4096 ? max_cap : 4096);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* The same bytes: a retransmission of the packet, whatever its TSval. */
static uint64_t bytes_key(const struct tw_seen *s)
{
    return mix(
        ((uint64_t)s->isn << 32 | s->seq) ^
        mix((uint64_t)s->payload_len << 16 | (uint64_t)(s->tcp_flags & 0x07) << 8 | s->side));
}

static bool same_bytes(const struct tw_seen *a, const struct tw_seen *b)
{
    return a->side == b->side && a->seq == b->seq && a->payload_len == b->payload_len &&
           a->isn == b->isn && (a->tcp_flags & 0x07) == (b->tcp_flags & 0x07);
}

/* cap is a power of two: a mask, not a division, on every access */
static struct entry *at(const struct fifo *q, uint64_t ticket)
{
    return &q->v[ticket & (q->cap - 1)];
}

static void link_entry(struct fifo *q, uint64_t t);

/* Twice the room, entries and chains kept (their links are tickets). */
static bool fifo_grow(struct fifo *q)
{
    struct fifo g = *q;
    size_t cap = q->cap * 2 > q->max_cap ? q->max_cap : q->cap * 2;
    if (cap <= q->cap || !fifo_alloc(&g, cap)) {
        if (g.v != q->v)
            fifo_free(&g);
        return false;
    }
    for (uint64_t t = q->head; t < q->tail; t++) {
        *at(&g, t) = *at(q, t);
        link_entry(&g, t);
    }
    fifo_free(q);
    *q = g;
    return true;
}

/* No room left, even after growing. */
static bool fifo_full(struct fifo *q) { return q->tail - q->head == q->cap && !fifo_grow(q); }

static uint64_t attempt_key(uint32_t isn, int side)
{
    return mix((uint64_t)isn << 1 | (unsigned)side);
}

static uint64_t first_key(const struct fifo *q, const struct tw_seen *s)
{
    return q->is_by_attempt ? attempt_key(s->isn, s->side) : mix(s->fp);
}

static void link_entry(struct fifo *q, uint64_t t)
{
    struct entry *e = at(q, t);
    uint64_t *fb = &q->fp_bucket[first_key(q, &e->s) & q->mask];
    uint64_t *kb = &q->key_bucket[bytes_key(&e->s) & q->mask];
    e->prev_fp = *fb;
    e->prev_key = *kb;
    *fb = *kb = t + 1;
}

/* Call only when !fifo_full(q). */
static struct entry *fifo_push(struct fifo *q, const struct tw_seen *s, int64_t t_ns)
{
    uint64_t t = q->tail++;
    struct entry *e = at(q, t);
    e->s = *s;
    e->t_ns = t_ns;
    e->is_matched = false;
    link_entry(q, t);
    return e;
}

/* The chain link, or 0 when it points to an entry that has left. */
static uint64_t live(const struct fifo *q, uint64_t link) { return link > q->head ? link : 0; }

/* The oldest unmatched entry with this fingerprint. */
static struct entry *fifo_find(const struct fifo *q, uint64_t fp)
{
    struct entry *found = NULL;
    for (uint64_t l = live(q, q->fp_bucket[mix(fp) & q->mask]); l;
         l = live(q, at(q, l - 1)->prev_fp)) {
        struct entry *e = at(q, l - 1);
        if (e->s.fp == fp && !e->is_matched)
            found = e;
    }
    return found;
}

/* The bytes behind s end here (SYN and FIN count one). */
static uint32_t end_seq(const struct tw_seen *s)
{
    return s->seq + s->payload_len + ((s->tcp_flags & 0x02) ? 1 : 0) +
           ((s->tcp_flags & 0x01) ? 1 : 0);
}

/* An ack the other capture holds: the held packets of that attempt, sent
 * the other way, whose bytes it covers were received (held: by attempt). */
static void note_acked(const struct fifo *held, const struct tw_seen *ack)
{
    if (!ack->has_isn || !(ack->tcp_flags & 0x10) || (ack->tcp_flags & 0x04))
        return;
    int sender = !ack->side;
    for (uint64_t l = live(held, held->fp_bucket[attempt_key(ack->isn, sender) & held->mask]); l;
         l = live(held, at(held, l - 1)->prev_fp)) {
        struct entry *e = at(held, l - 1);
        uint32_t end = end_seq(&e->s);
        if (e->s.isn == ack->isn && e->s.side == sender && e->s.has_isn &&
            !(e->s.tcp_flags & 0x04) && end != e->s.seq && tw_seq_le(end, ack->ack))
            e->s.is_acked = true;
    }
}

/* A packet of the same bytes reached the other point at s->ts_ns: the
 * earlier unmatched copies held in q were retransmitted. */
static void note_retransmitted(const struct fifo *q, const struct tw_seen *s)
{
    if (q->head == q->tail)
        return;
    for (uint64_t l = live(q, q->key_bucket[bytes_key(s) & q->mask]); l;
         l = live(q, at(q, l - 1)->prev_key)) {
        struct entry *e = at(q, l - 1);
        if (e->s.ts_ns < s->ts_ns && same_bytes(&e->s, s))
            e->s.is_retransmitted = true;
    }
}

/* Does q hold a matched packet of the same bytes as s, later than t_ns
 * (merged time)? Either capture's copy of a later retransmission is in its
 * window while s leaves unmatched. */
static bool has_matched_copy(const struct fifo *q, const struct tw_seen *s, int64_t t_ns)
{
    for (uint64_t l = live(q, q->key_bucket[bytes_key(s) & q->mask]); l;
         l = live(q, at(q, l - 1)->prev_key)) {
        const struct entry *e = at(q, l - 1);
        if (e->is_matched && e->t_ns > t_ns && same_bytes(&e->s, s))
            return true;
    }
    return false;
}

/* ---- the highest ack each side sent, per attempt ----------------------------
 * Open addressing; rebuilt without the entries quiet for longer than the
 * hold when it fills. */
/* What one capture holds from one sender of one attempt: the highest ack
 * it sent, and the data bytes (as sequence ranges). */
struct ack_slot {
    int64_t last_ns;
    uint32_t isn, max_ack;
    uint8_t side;
    bool is_used, has_ack;
    bool has_wide;             /* a data segment too big for a 1500-byte frame */
    struct tw_seq_ranges data;
};

/* The most TCP payload a 1500-byte Ethernet frame carries (IPv4 and TCP
 * headers without options): a bigger segment in a capture was cut (TSO/GSO)
 * or glued (GRO) by the capture host's NIC and never crossed a link so. */
#define TW_WIRE_PAYLOAD_MAX 1460

struct acks {
    struct ack_slot *v;
    size_t cap, n, max_cap;
};

static struct ack_slot *ack_find(const struct acks *m, uint32_t isn, uint8_t side)
{
    size_t i = mix((uint64_t)isn << 1 | side) & (m->cap - 1);
    while (m->v[i].is_used && (m->v[i].isn != isn || m->v[i].side != side))
        i = (i + 1) & (m->cap - 1);
    return &m->v[i];
}

static bool ack_rebuild(struct acks *m, int64_t keep_after_ns)
{
    size_t n_keep = 0;
    for (size_t i = 0; i < m->cap; i++)
        n_keep += m->v[i].is_used && m->v[i].last_ns >= keep_after_ns;
    size_t cap = m->cap;
    while (cap < 3 * n_keep && cap * 2 <= m->max_cap)
        cap *= 2;
    if (n_keep * 2 > cap)
        return false;
    struct ack_slot *old = m->v;
    size_t old_cap = m->cap;
    m->v = calloc(cap, sizeof *m->v);
    if (!m->v) {
        m->v = old;
        return false;
    }
    m->cap = cap;
    m->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].is_used && old[i].last_ns >= keep_after_ns) {
            *ack_find(m, old[i].isn, old[i].side) = old[i];
            m->n++;
        }
    free(old);
    return true;
}

/* Notes the ack a packet carries; entries quiet since keep_after_ns may go
 * to make room. False when the table has no room. */
/* The first data byte of s and one past its last (a SYN's data follows
 * the SYN's own sequence number). */
static void data_range(const struct tw_seen *s, uint32_t *start, uint32_t *end)
{
    *start = s->seq + ((s->tcp_flags & 0x02) ? 1 : 0);
    *end = *start + s->payload_len;
}

static bool ack_note(struct acks *m, const struct tw_seen *s, int64_t now_ns, int64_t keep_after_ns)
{
    bool has_ack = (s->tcp_flags & 0x10) != 0;
    if (!s->has_isn || (s->tcp_flags & 0x04) || (!has_ack && !s->payload_len))
        return true;
    if (2 * (m->n + 1) > m->cap && !ack_rebuild(m, keep_after_ns))
        return false;
    struct ack_slot *a = ack_find(m, s->isn, s->side);
    if (!a->is_used) {
        *a = (struct ack_slot){.isn = s->isn, .side = s->side, .is_used = true};
        m->n++;
    }
    if (has_ack && (!a->has_ack || tw_seq_lt(a->max_ack, s->ack))) {
        a->max_ack = s->ack;
        a->has_ack = true;
    }
    if (s->payload_len) {
        uint32_t start, end;
        data_range(s, &start, &end);
        tw_seq_ranges_add(&a->data, start, end);
        a->has_wide |= s->payload_len > TW_WIRE_PAYLOAD_MAX;
    }
    a->last_ns = now_ns;
    return true;
}

/* Was data segment s (no copy in the other capture, whose table is m)
 * cut or glued by a capture host's NIC? A sender's capture holds what its
 * kernel handed the NIC (up to 64 kB with TSO/GSO), a receiver's what the
 * NIC handed back (glued with GRO): the same bytes in different packets.
 * Either s is too big to have crossed a link and m holds its bytes, or m
 * holds them and its host cuts or glues this connection's segments. Where
 * neither capture does, bytes m holds from a retransmission do not count:
 * s was lost. */
static bool bytes_held(const struct acks *m, const struct tw_seen *s)
{
    if (!s->payload_len || !s->has_isn)
        return false;
    const struct ack_slot *a = ack_find(m, s->isn, s->side);
    uint32_t start, end;
    data_range(s, &start, &end);
    if (!a->is_used)
        return false;
    return (s->payload_len > TW_WIRE_PAYLOAD_MAX || a->has_wide) &&
           tw_seq_ranges_hold(&a->data, start, end);
}

/* Did the receiver of s acknowledge the bytes behind it, in the capture
 * whose acks m holds? */
static bool ack_covers(const struct acks *m, const struct tw_seen *s)
{
    if (!s->has_isn || (s->tcp_flags & 0x04))
        return false;
    const struct ack_slot *a = ack_find(m, s->isn, (uint8_t)!s->side);
    uint32_t end = end_seq(s);
    return a->is_used && a->has_ack && end != s->seq && tw_seq_le(end, a->max_ack);
}

/* ---- one side of the window -------------------------------------------------- */
struct side {
    tw_capture_run *run;
    struct tw_seen in[TW_RUN_BATCH]; /* taken from the run's queue */
    size_t n_in, i_in;
    bool is_done;
    struct fifo pending, held;
    struct acks acks; /* the acks this capture holds */
    int64_t last_ts_ns; /* of the last packet walked, on this capture's clock */
    /* counted here, copied to the run at the end: the run's counters share
     * cache lines with what its reader writes for every packet */
    struct tw_run_matched matched[2];
};

static const struct tw_seen *head(struct side *s)
{
    if (s->i_in == s->n_in && !s->is_done) {
        s->n_in = tw_run_take(s->run, s->in, TW_RUN_BATCH);
        s->i_in = 0;
        s->is_done = s->n_in == 0;
    }
    return s->is_done ? NULL : &s->in[s->i_in];
}

/* Each side's handshake packets by fingerprint, direct-mapped (a newer one
 * takes an older one's slot): bounded, and a SYN is looked up only once. */
struct search {
    uint64_t fp[2][TW_SEARCH_SLOTS];
    int64_t ts_ns[2][TW_SEARCH_SLOTS]; /* INT64_MIN: empty */
};

struct window {
    struct side x[2]; /* a, b */
    struct tw_window_result *res;
    double centre_s, max_dev_s;
    bool has_estimate; /* some match gave the centre */
    struct search *search; /* while the first estimate found nothing, and no match since */
    bool has_compare_from;
    int64_t compare_from_ns; /* on a's clock: what comes before is left out */
    double half_width_s;
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
    return w->has_fit ? w->fit_icpt + w->fit_slope * ((double)(t_ns - w->res->seg0_ns) / NS)
                      : w->centre_s;
}

static int64_t merged_time(const struct window *w, int k, const struct tw_seen *s)
{
    if (k == 0)
        return s->ts_ns;
    double c = centre_at(w, s->ts_ns - (int64_t)(w->centre_s * NS));
    return s->ts_ns - (int64_t)llround(c * NS);
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

/* The deltas tB - tA of the packets among a[0, na) and b[0, nb) (sorted by
 * fingerprint) that appear in both; returns how many, written to d. */
static size_t deltas_of_shared(const struct tw_seen_key *a, size_t na,
                               const struct tw_seen_key *b, size_t nb, double *d)
{
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
        size_t na_first = first_span(a, na), nb_first = first_span(b, nb);
        qsort(a, na_first, sizeof *a, by_fp);
        qsort(b, nb_first, sizeof *b, by_fp);
        n = deltas_of_shared(a, na_first, b, nb_first, d);
        if (n == 0) {
            na = tw_run_peek(w->x[0].run, a, max_a);
            nb = tw_run_peek(w->x[1].run, b, max_b);
            qsort(a, na, sizeof *a, by_fp);
            qsort(b, nb, sizeof *b, by_fp);
            n = deltas_of_shared(a, na, b, nb, d);
        }
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
     * one stray match does not widen the window */
    w->has_estimate = n > 0;
    if (n) {
        double med = nth_smallest(d, n, n / 2), lo = nth_smallest(d, n, n / 100),
               hi = nth_smallest(d, n, n - 1 - n / 100);
        w->centre_s = med;
        w->max_dev_s = fmax(hi - med, med - lo);
    } else {
        w->centre_s = 0;
        w->max_dev_s = TW_UNKNOWN_DEV_S;
    }
    free(d);
    w->half_width_s = w->max_dev_s + TW_WINDOW_MARGIN_S;
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
        w->centre_s = d;
        w->max_dev_s = 0;
        free(w->search); /* matched within the window: no need to search */
        w->search = NULL;
    }
    double dev = fabs(d - centre_at(w, sa->ts_ns));
    if (dev > w->max_dev_s)
        w->max_dev_s = dev;
    w->half_width_s = w->max_dev_s + TW_WINDOW_MARGIN_S;
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
    const struct acks *other = &w->x[!k].acks;
    int64_t hold_ns = (int64_t)(TW_HOLD_S * NS);
    while (s->held.head < s->held.tail) {
        struct entry *e = at(&s->held, s->held.head);
        if (!is_all && e->t_ns + hold_ns >= now_ns && !fifo_full(&s->held))
            break;
        e->s.is_acked |= ack_covers(other, &e->s);
        e->s.is_resegmented |= bytes_held(other, &e->s);
        keep_unmatched(s->run, &e->s);
        s->held.head++;
    }
}

/* The oldest pending packet of side k leaves the window: unmatched, it is
 * held (is_early: before its time, for room). */
static void leave(struct window *w, int k, int64_t now_ns, bool is_early)
{
    struct side *s = &w->x[k];
    struct entry *e = at(&s->pending, s->pending.head);
    if (!e->is_matched) {
        w->res->is_cut |= is_early;
        if (fifo_full(&s->held))
            release_held(w, k, now_ns, false);
        /* acked already, or retransmitted and matched already; what comes
         * later finds it held (note_acked, note_retransmitted) */
        e->s.is_acked = ack_covers(&w->x[!k].acks, &e->s);
        e->s.is_resegmented = bytes_held(&w->x[!k].acks, &e->s);
        e->s.is_retransmitted = has_matched_copy(&s->pending, &e->s, e->t_ns) ||
                                has_matched_copy(&w->x[!k].pending, &e->s, e->t_ns);
        fifo_push(&s->held, &e->s, e->t_ns);
    }
    s->pending.head++;
}

/* Pending packets of side k more than the half-width behind now leave the
 * window (all of them when is_all). */
static void expire(struct window *w, int k, int64_t now_ns, bool is_all)
{
    struct side *s = &w->x[k];
    int64_t hw_ns = (int64_t)(w->half_width_s * NS);
    while (s->pending.head < s->pending.tail &&
           (is_all || at(&s->pending, s->pending.head)->t_ns + hw_ns < now_ns))
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
    __builtin_prefetch(&other->pending.fp_bucket[mix(s->fp) & other->pending.mask]);
    __builtin_prefetch(&other->held.fp_bucket[attempt_key(s->isn, !s->side) & other->held.mask]);
    __builtin_prefetch(&me->acks.v[mix((uint64_t)s->isn << 1 | s->side) & (me->acks.cap - 1)]);
    __builtin_prefetch(&me->pending.fp_bucket[mix(s->fp) & me->pending.mask]);
    __builtin_prefetch(&me->pending.key_bucket[bytes_key(s) & me->pending.mask]);
    /* on a match, both held FIFOs are asked for earlier copies of these bytes */
    __builtin_prefetch(&me->held.key_bucket[bytes_key(s) & me->held.mask]);
    __builtin_prefetch(&other->held.key_bucket[bytes_key(s) & other->held.mask]);
}

TW_PREFETCHER prefetch_entry(const struct window *w, int k, const struct tw_seen *s)
{
    const struct fifo *q = &w->x[!k].pending;
    uint64_t l = live(q, q->fp_bucket[mix(s->fp) & q->mask]);
    if (l) {
        const char *e = (const char *)at(q, l - 1);
        __builtin_prefetch(e);
        __builtin_prefetch(e + sizeof *at(q, l - 1) - 1);
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

/* ---- searching ------------------------------------------------------------------
 * When the first estimate found no packet in both queues (one capture began
 * long before the other, on a busy link), the walk starts at offset 0 with
 * a 5 s deviation: it finds nothing when the clocks differ by more, or by
 * more than the window holds at the packet rate. Meanwhile each side's
 * handshake packets (SYN and SYN+ACK: fingerprints that carry an ISN) are
 * remembered; the first found in both gives the offset. What was walked
 * until then was walked on the wrong clock: it is left out of the
 * comparison (neither lost nor missed by a capture), as is every packet,
 * of either capture, before the point both had reached. */
static bool search_start(struct window *w)
{
    w->search = malloc(sizeof *w->search);
    if (!w->search)
        return false;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < TW_SEARCH_SLOTS; i++)
            w->search->ts_ns[k][i] = INT64_MIN;
    return true;
}

/* Leaves out every packet still pending or held on side k. */
static void forget_walked(struct window *w, int k)
{
    struct side *s = &w->x[k];
    w->res->n_uncompared += (s->pending.tail - s->pending.head) + (s->held.tail - s->held.head);
    s->pending.head = s->pending.tail;
    s->held.head = s->held.tail;
}

/* tB - tA = d for a packet seen by both: the centre from now on, and the
 * comparison starts where both walks had reached. */
static void found_offset(struct window *w, double d)
{
    int64_t reached_a = w->x[0].last_ts_ns;
    int64_t reached_b = w->x[1].last_ts_ns - (int64_t)llround(d * NS);
    w->compare_from_ns = (reached_a > reached_b ? reached_a : reached_b) + 1;
    w->has_compare_from = true;
    forget_walked(w, 0);
    forget_walked(w, 1);
    w->has_estimate = true;
    w->centre_s = d;
    w->max_dev_s = 0;
    w->half_width_s = TW_WINDOW_MARGIN_S;
    w->res->is_cut = true;
    free(w->search);
    w->search = NULL;
}

/* Remembers in (side k) if it is a handshake packet, or finds the offset
 * from its copy on the other side; true when found. */
static bool search_step(struct window *w, int k, const struct tw_seen *in)
{
    if (!(in->tcp_flags & 0x02))
        return false;
    struct search *s = w->search;
    size_t i = mix(in->fp) & (TW_SEARCH_SLOTS - 1);
    if (s->ts_ns[!k][i] != INT64_MIN && s->fp[!k][i] == in->fp) {
        int64_t t_a = k ? s->ts_ns[0][i] : in->ts_ns, t_b = k ? in->ts_ns : s->ts_ns[1][i];
        found_offset(w, ((double)t_b - (double)t_a) / NS);
        return true;
    }
    s->fp[k][i] = in->fp;
    s->ts_ns[k][i] = in->ts_ns;
    return false;
}

/* ---- the loop ------------------------------------------------------------------ */
static void step(struct window *w, int k, const struct tw_seen *in)
{
    struct side *me = &w->x[k], *other = &w->x[!k];
    look_ahead(w, k);
    me->last_ts_ns = in->ts_ns;
    if (w->search)
        (void)search_step(w, k, in);
    int64_t t = merged_time(w, k, in);
    if (w->has_compare_from && t < w->compare_from_ns) {
        w->res->n_uncompared++;
        return;
    }
    expire(w, 0, t, false);
    expire(w, 1, t, false);
    release_held(w, 0, t, false);
    release_held(w, 1, t, false);
    double memory_s = 2 * w->half_width_s + TW_ACK_MEMORY_S;
    if (!ack_note(&me->acks, in, t, t - (int64_t)(memory_s * NS)))
        w->res->is_cut = true;
    note_acked(&other->held, in);
    struct entry *copy = fifo_find(&other->pending, in->fp);
    if (copy) {
        copy->is_matched = true;
        me->matched[in->side].n++;
        me->matched[in->side].n_data += in->payload_len > 0;
        other->matched[copy->s.side].n++;
        other->matched[copy->s.side].n_data += copy->s.payload_len > 0;
        learn(w, k == 0 ? in : &copy->s, k == 0 ? &copy->s : in);
        /* earlier copies of these bytes, on either side, were retransmitted */
        note_retransmitted(&me->held, in);
        note_retransmitted(&other->held, &copy->s);
        return;
    }
    if (fifo_full(&me->pending))
        leave(w, k, t, true);
    fifo_push(&me->pending, in, t);
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
    size_t per = sizeof(struct entry) + 4 * sizeof(uint64_t);
    /* FIFOs hold a power of two: the held one rounded up (its room decides
     * how long suspects wait for their acks), the pending one within what
     * is left of the two shares (rounded down by fifo_init) */
    size_t n_held = 1024;
    while (n_held < room / 8 / per)
        n_held *= 2;
    size_t shares = room / 2 + room / 8, held_bytes = n_held * per;
    size_t n_pending = shares > held_bytes ? (shares - held_bytes) / per : 0;
    n_pending = n_pending < 1024 ? 1024 : n_pending;
    s->acks.max_cap = room / 4 / sizeof(struct ack_slot);
    s->acks.cap = 1024;
    s->acks.v = calloc(s->acks.cap, sizeof *s->acks.v);
    return fifo_init(&s->pending, n_pending, false) && fifo_init(&s->held, n_held, true) &&
           s->acks.v;
}

static void side_free(struct side *s)
{
    fifo_free(&s->pending);
    fifo_free(&s->held);
    free(s->acks.v);
}

/* Empties both queues (the readers must not wait on a full queue for ever). */
static void drain(struct window *w)
{
    for (int k = 0; k < 2; k++)
        while (head(&w->x[k]))
            w->x[k].i_in++;
}

bool tw_window_match(tw_capture_run *a, tw_capture_run *b, struct tw_window_result *res)
{
    struct window *w = calloc(1, sizeof *w);
    memset(res, 0, sizeof *res);
    if (!w)
        return false;
    w->res = res;
    w->rng = 0x853c49e6748fea9bULL;
    w->sample[0] = malloc(TW_DELTA_SAMPLE * sizeof(double));
    w->sample[1] = malloc(TW_DELTA_SAMPLE * sizeof(double));
    bool ok = side_init(&w->x[0], a) && side_init(&w->x[1], b) && w->sample[0] && w->sample[1] &&
              first_estimate(w) && (w->has_estimate || search_start(w));
    if (ok) {
        res->window_s = w->half_width_s;
        for (;;) {
            const struct tw_seen *pa = head(&w->x[0]), *pb = head(&w->x[1]);
            if (!pa && !pb)
                break;
            int k = !pa ? 1 : !pb ? 0 : merged_time(w, 1, pb) < pa->ts_ns;
            step(w, k, k ? pb : pa);
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
    free(w->search);
    free(w->sample[0]);
    free(w->sample[1]);
    side_free(&w->x[0]);
    side_free(&w->x[1]);
    free(w);
    return ok;
}
