/* Aggregates (see aggregate.h): four bounded keyed tables and a timeline.
 *
 * Each table is open-addressed on a fixed key of KEY_BYTES; its slots name
 * rows kept dense in order of first sight, so memory is touched only for
 * the rows made. It never grows, so a capture with a million servers costs
 * the same memory as one with ten, and what does not fit is counted in the
 * others row. */
#include "report/aggregate.h"

#include <stdlib.h>
#include <string.h>

#include "base/ns.h"

#define KEY_BYTES 18
#define NS_PER_MIN (60 * 1000000000LL)

/* Rows per grouping: servers and client subnets seen in a day of a busy
 * edge fit; minutes: a day and a half. Each table has twice as many slots
 * as rows, so that with linear probing a key not in a full table is found
 * missing after a few probes, not after a walk over the whole table. */
static const size_t table_rows[TW_AGG_BY_COUNT] = {8192, 8192, 2048, 1024};
#define MAX_ROWS 8192

struct table {
    size_t n_slots, max_used, n_used;
    uint32_t *slot;               /* 0: empty; else 1 + the row's index */
    uint8_t (*key)[KEY_BYTES];    /* per row */
    struct tw_agg_row *row;       /* n_used of max_used */
    struct tw_agg_row others;
};

struct tw_aggregate {
    struct table by[TW_AGG_BY_COUNT];
    struct tw_agg_row *sorted;    /* MAX_ROWS + 1, for tw_aggregate_rows() */
    struct tw_agg_timeline timeline;
};

static const char *const by_names[] = {
#define X(id, name) name,
    TW_AGG_BY_LIST(X)
#undef X
};

const char *tw_agg_by_name(enum tw_agg_by by) { return by_names[by]; }

void tw_aggregate_free(tw_aggregate *agg)
{
    if (!agg)
        return;
    for (int by = 0; by < TW_AGG_BY_COUNT; by++) {
        free(agg->by[by].slot);
        free(agg->by[by].key);
        free(agg->by[by].row);
    }
    free(agg->sorted);
    free(agg);
}

/* The tables are zeroed memory the kernel hands out on first touch, so a
 * capture with few keys costs little of it. */
tw_aggregate *tw_aggregate_new(void)
{
    tw_aggregate *agg = calloc(1, sizeof *agg);
    if (!agg)
        return NULL;
    bool ok = (agg->sorted = calloc(MAX_ROWS + 1, sizeof *agg->sorted)) != NULL;
    for (int by = 0; ok && by < TW_AGG_BY_COUNT; by++) {
        struct table *t = &agg->by[by];
        t->max_used = table_rows[by];
        t->n_slots = 2 * table_rows[by];
        t->slot = calloc(t->n_slots, sizeof *t->slot);
        t->key = calloc(t->max_used, sizeof *t->key);
        t->row = calloc(t->max_used, sizeof *t->row);
        ok = t->slot && t->key && t->row;
    }
    if (!ok) {
        tw_aggregate_free(agg);
        return NULL;
    }
    return agg;
}

size_t tw_aggregate_max_bytes(void)
{
    size_t n = sizeof(tw_aggregate) + (MAX_ROWS + 1) * sizeof(struct tw_agg_row);
    for (int by = 0; by < TW_AGG_BY_COUNT; by++)
        n += 2 * table_rows[by] * sizeof(uint32_t) +
             table_rows[by] * (KEY_BYTES + sizeof(struct tw_agg_row));
    return n;
}

/* Clears the used rows only: many small files must not each clear megabytes. */
void tw_aggregate_reset(tw_aggregate *agg)
{
    for (int by = 0; by < TW_AGG_BY_COUNT; by++) {
        struct table *t = &agg->by[by];
        if (t->n_used) {
            memset(t->slot, 0, t->n_slots * sizeof *t->slot);
            memset(t->row, 0, t->n_used * sizeof *t->row);
        }
        t->n_used = 0;
        memset(&t->others, 0, sizeof t->others);
    }
    memset(&agg->timeline, 0, sizeof agg->timeline);
}

/* The row for key, made on first sight; the others row when the table holds
 * its rows already. */
static struct tw_agg_row *row_for(struct table *t, const uint8_t key[KEY_BYTES], bool *is_new)
{
    uint32_t h = 2166136261u; /* FNV-1a: keys are not chosen by an attacker to collide here,
                                 and a collision only costs a probe */
    for (int i = 0; i < KEY_BYTES; i++)
        h = (h ^ key[i]) * 16777619u;
    *is_new = false;
    for (size_t probe = 0; probe < t->n_slots; probe++) {
        size_t i = (h + probe) % t->n_slots;
        if (!t->slot[i]) {
            if (t->n_used == t->max_used)
                break;
            size_t r = t->n_used++;
            t->slot[i] = (uint32_t)r + 1;
            memcpy(t->key[r], key, KEY_BYTES);
            *is_new = true;
            return &t->row[r];
        }
        size_t r = t->slot[i] - 1;
        if (memcmp(t->key[r], key, KEY_BYTES) == 0)
            return &t->row[r];
    }
    t->others.is_others = true;
    return &t->others;
}

static void count_attempt(struct tw_agg_row *row, const struct tw_attempt_record *r)
{
    if (!row->attempts || r->first_ns < row->first_ns)
        row->first_ns = r->first_ns;
    row->attempts++;
    row->verdicts[r->diag.verdict]++;
    for (int k = 0; k < TW_AGG_LOST_KINDS; k++)
        row->lost[k] += (r->diag.lost >> k) & 1;
    if (!tw_verdict_is_failure(r->diag.verdict))
        return;
    if (!row->failed || r->first_ns < row->first_failure_ns)
        row->first_failure_ns = r->first_ns;
    if (!row->failed || r->first_ns > row->last_failure_ns)
        row->last_failure_ns = r->first_ns;
    row->failed++;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Bin widths, each a multiple of the one before, so that bins merge exactly. */
static const int64_t bin_widths_ms[] = {1,     2,      10,     20,      100,     200,
                                        1000,  2000,   10000,  20000,   60000,   120000,
                                        600000, 1200000, 3600000, 7200000, 21600000, 43200000,
                                        86400000};
#define N_WIDTHS (sizeof bin_widths_ms / sizeof bin_widths_ms[0])

static int64_t next_width(int64_t ns)
{
    for (size_t i = 0; i < N_WIDTHS; i++)
        if (bin_widths_ms[i] * 1000000LL > ns)
            return bin_widths_ms[i] * 1000000LL;
    return 2 * ns; /* past a day: days double */
}

/* Re-bins the timeline at width ns (a multiple of the current one). */
static void widen(struct tw_agg_timeline *tl, int64_t ns)
{
    uint64_t old[TW_TIMELINE_BINS][TW_VERDICT_COUNT];
    memcpy(old, tl->verdicts, sizeof old);
    memset(tl->verdicts, 0, sizeof tl->verdicts);
    int64_t first = floor_div(tl->first_bin * tl->bin_ns, ns);
    for (int i = 0; i < tl->n_bins; i++) {
        int64_t j = floor_div((tl->first_bin + i) * tl->bin_ns, ns) - first;
        for (int v = 0; v < TW_VERDICT_COUNT; v++)
            tl->verdicts[j][v] += old[i][v];
    }
    tl->n_bins = (int)(floor_div((tl->first_bin + tl->n_bins - 1) * tl->bin_ns, ns) - first + 1);
    tl->first_bin = first;
    tl->bin_ns = ns;
}

static void timeline_add(struct tw_agg_timeline *tl, int64_t t_ns, enum tw_verdict v)
{
    t_ns = tw_ns_clamp(t_ns); /* bin arithmetic cannot overflow (base/ns.h) */
    if (!tl->bin_ns) {
        tl->bin_ns = bin_widths_ms[0] * 1000000LL;
        tl->first_bin = floor_div(t_ns, tl->bin_ns);
        tl->n_bins = 1;
    }
    for (;;) {
        int64_t i = floor_div(t_ns, tl->bin_ns);
        int64_t lo = i < tl->first_bin ? i : tl->first_bin;
        int64_t hi = i > tl->first_bin + tl->n_bins - 1 ? i : tl->first_bin + tl->n_bins - 1;
        if (hi - lo + 1 > TW_TIMELINE_BINS) {
            widen(tl, next_width(tl->bin_ns));
            continue;
        }
        if (i < tl->first_bin) { /* earlier than all so far: shift the bins up */
            int64_t by = tl->first_bin - i;
            memmove(tl->verdicts[by], tl->verdicts[0], (size_t)tl->n_bins * sizeof tl->verdicts[0]);
            memset(tl->verdicts[0], 0, (size_t)by * sizeof tl->verdicts[0]);
            tl->first_bin = i;
            tl->n_bins += (int)by;
        }
        if (i >= tl->first_bin + tl->n_bins)
            tl->n_bins = (int)(i - tl->first_bin + 1);
        tl->verdicts[i - tl->first_bin][v]++;
        return;
    }
}

void tw_aggregate_attempt(tw_aggregate *agg, const struct tw_attempt_record *r)
{
    uint8_t key[KEY_BYTES];
    bool is_new;
    struct tw_agg_row *row;

    memset(key, 0, sizeof key);
    memcpy(key, r->key.server.b, 16);
    key[16] = (uint8_t)(r->key.server_port >> 8);
    key[17] = (uint8_t)r->key.server_port;
    row = row_for(&agg->by[TW_AGG_SERVER], key, &is_new);
    if (is_new) {
        row->addr = r->key.server;
        row->port = r->key.server_port;
    }
    count_attempt(row, r);

    /* the client's /24 (IPv4, whose mapped form ends in its 4 bytes) or /64 */
    bool is_v4 = tw_addr_is_v4(&r->key.client);
    memset(key, 0, sizeof key);
    memcpy(key, r->key.client.b, is_v4 ? 15 : 8);
    row = row_for(&agg->by[TW_AGG_CLIENT_SUBNET], key, &is_new);
    if (is_new) {
        memcpy(row->addr.b, key, 16);
        row->prefix_bits = is_v4 ? 24 : 64;
    }
    count_attempt(row, r);

    int64_t minute = floor_div(r->first_ns, NS_PER_MIN);
    memset(key, 0, sizeof key);
    memcpy(key, &minute, sizeof minute);
    row = row_for(&agg->by[TW_AGG_MINUTE], key, &is_new);
    if (is_new)
        row->minute = minute;
    count_attempt(row, r);

    timeline_add(&agg->timeline, r->first_ns, r->diag.verdict);
}

void tw_aggregate_rst(tw_aggregate *agg, const struct tw_rst_record *r)
{
    /* RSTs forged in the path are one sender whatever address they claim */
    uint8_t key[KEY_BYTES];
    memset(key, 0, sizeof key);
    if (r->res.sender != TW_SENDER_MIDDLE)
        memcpy(key, r->src.b, 16);
    key[16] = (uint8_t)r->res.sender;
    bool is_new;
    struct tw_agg_row *row = row_for(&agg->by[TW_AGG_RST_SENDER], key, &is_new);
    if (is_new) {
        memcpy(row->addr.b, key, 16);
        row->role = r->res.sender;
    }
    if (!row->rsts || r->ts_ns < row->first_ns)
        row->first_ns = r->ts_ns;
    row->rsts++;
    row->rst_causes[r->res.cause]++;
}

static int by_time(const void *pa, const void *pb)
{
    const struct tw_agg_row *a = pa, *b = pb;
    return (a->minute > b->minute) - (a->minute < b->minute);
}

static int by_weight(const void *pa, const void *pb)
{
    const struct tw_agg_row *a = pa, *b = pb;
    uint64_t wa = a->failed + a->rsts, wb = b->failed + b->rsts;
    if (wa != wb)
        return wa > wb ? -1 : 1;
    if (a->attempts != b->attempts)
        return a->attempts > b->attempts ? -1 : 1;
    int c = tw_addr_cmp(&a->addr, &b->addr);
    if (c)
        return c;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    return (int)a->role - (int)b->role;
}

size_t tw_aggregate_rows(tw_aggregate *agg, enum tw_agg_by by, const struct tw_agg_row **rows)
{
    const struct table *t = &agg->by[by];
    size_t n = t->n_used;
    memcpy(agg->sorted, t->row, n * sizeof *t->row);
    qsort(agg->sorted, n, sizeof agg->sorted[0], by == TW_AGG_MINUTE ? by_time : by_weight);
    if (t->others.is_others)
        agg->sorted[n++] = t->others;
    *rows = agg->sorted;
    return n;
}

const struct tw_agg_timeline *tw_aggregate_timeline(const tw_aggregate *agg)
{
    return &agg->timeline;
}
