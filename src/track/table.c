/* The bounded flow table: a preallocated pool, a keyed hash with chaining
 * through indices, a least-recently-active list, the closed flows in the
 * same order (the first to go when room is needed) and, for live reporting,
 * a list of the flows to settle (tw_table_settle). */
#include "track/table.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NONE UINT32_MAX

/* A list threaded through the slots by index (NONE at its ends): each slot
 * has a link per list it may be on. */
struct link {
    uint32_t prev, next;
};
struct list {
    uint32_t first, last;
};
/* Flows finished per tw_table_expire() call: bounds the work per packet. */
#define EXPIRE_PER_CALL 4
/* A flow's attempts after its first live in their own array (t->later),
 * on ordinary pages: most flows never hold a second attempt, so most of
 * that array is never written, never zeroed by the kernel, never in RSS. */
#define LATER_ATTEMPTS (TW_FLOW_ATTEMPTS - 1)

/* Where a flow sits in the hash chains and the LRU list. Kept apart from the
 * (large) flows so that walking a chain touches one small entry per step. */
struct slot {
    uint64_t hash;
    uint32_t hash_next;         /* next slot in the same bucket */
    struct link lru;               /* on the least-recently-active list */
    struct link closed;            /* on the closed list when is_closed */
    bool is_closed;
    /* live reporting (is_incremental) */
    struct link todo;              /* on the settle list when is_todo */
    bool is_todo;                  /* on the settle list */
    uint8_t n_reported;            /* attempts already reported, oldest first */
    int64_t due_ns;                /* settle not before this capture time */
};

struct tw_table {
    struct tw_table_limits lim;
    tw_flow_done_fn done;
    void *ctx;
    struct slot *slots;
    struct tw_flow *flows;      /* flows[i] belongs to slots[i] */
    struct tw_attempt *later;   /* flows[i].later: TW_FLOW_ATTEMPTS - 1 from [i * that] */
    uint32_t *buckets;
    uint32_t n_slots, n_buckets;
    uint32_t free_head;         /* free list through hash_next */
    uint32_t n_never_used;      /* slots [n_slots - n_never_used, n_slots) not handed out yet */
    struct list lru;            /* every flow, least recently active first */
    struct list closed;         /* closed flows, least recently active first */
    /* flows[lru.first].last_ns, read once per tail rather than at every
     * packet (a cold line): forgotten when the tail changes or is looked
     * up (its time may change next) */
    bool is_tail_time_known;
    int64_t tail_last_ns;
    struct list todo;           /* flows to settle, oldest first */
    size_t n_todo;
    bool is_incremental;        /* keep the settle list (tw_table_incremental) */
    uint64_t seed;
    struct tw_table_stats stats;
};

/* The same for both orientations of a 4-tuple (the sum of the endpoints'
 * shares), so that a packet's flow is looked for in one bucket whichever
 * side sent it; keyed with the run's seed. */
static uint64_t pair_hash(uint64_t seed, const struct tw_addr *a, uint16_t a_port,
                          const struct tw_addr *b, uint16_t b_port)
{
    return tw_mix64(tw_endpoint_hash(seed, a, a_port) + tw_endpoint_hash(seed, b, b_port));
}

static bool key_eq(const struct tw_flow_key *a, const struct tw_flow_key *b)
{
    return a->client_port == b->client_port && a->server_port == b->server_port &&
           memcmp(a->client.b, b->client.b, 16) == 0 && memcmp(a->server.b, b->server.b, 16) == 0;
}

/* Flows are a few KiB each, looked up at random among tens of MiB: with
 * 4 KiB pages nearly every lookup also missed the TLB. Huge pages where the
 * system allows them on request (transparent_hugepage "madvise"); a hint
 * only, ignored where it cannot be had. */
static void ask_huge_pages(void *p, size_t bytes)
{
    long page_bytes = sysconf(_SC_PAGESIZE);
    if (page_bytes <= 0)
        return;
    uintptr_t page = (uintptr_t)page_bytes;
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
    if (end > start)
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

tw_table *tw_table_new(const struct tw_table_limits *lim, tw_flow_done_fn done, void *ctx,
                       struct tw_error *err)
{
    tw_table *t = calloc(1, sizeof *t);
    if (!t) {
        tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0, "out of memory");
        return NULL;
    }
    t->lim = *lim;
    t->done = done;
    t->ctx = ctx;
    size_t per_flow = sizeof(struct slot) + sizeof(struct tw_flow) +
                      LATER_ATTEMPTS * sizeof(struct tw_attempt) + 2 * sizeof(uint32_t);
    size_t n = lim->memcap_bytes / per_flow;
    if (lim->max_flows && lim->max_flows < n)
        n = lim->max_flows;
    if (n < 1)
        n = 1;
    if (n > UINT32_MAX / 4)
        n = UINT32_MAX / 4;
    t->n_slots = (uint32_t)n;
    t->n_buckets = 1;
    while (t->n_buckets < 2 * t->n_slots)
        t->n_buckets <<= 1;
    t->slots = calloc(t->n_slots, sizeof *t->slots);
    t->flows = calloc(t->n_slots, sizeof *t->flows);
    t->later = calloc((size_t)t->n_slots * LATER_ATTEMPTS, sizeof *t->later);
    t->buckets = malloc((size_t)t->n_buckets * sizeof *t->buckets);
    if (!t->slots || !t->flows || !t->later || !t->buckets) {
        tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0,
                "cannot allocate the flow table (%zu bytes)", lim->memcap_bytes);
        tw_table_free(t);
        return NULL;
    }
    memset(t->buckets, 0xff, (size_t)t->n_buckets * sizeof *t->buckets);
    ask_huge_pages(t->flows, (size_t)t->n_slots * sizeof *t->flows);
    /* Slots are handed out in order first and recycled through the free list
     * after, so a small capture touches only the pages (huge or not) it uses. */
    t->free_head = NONE;
    t->n_never_used = t->n_slots;
    t->lru = t->closed = t->todo = (struct list){NONE, NONE};
    t->seed = tw_hash_seed(t);
    t->stats.capacity = t->n_slots;
    return t;
}

void tw_table_free(tw_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->flows);
    free(t->later);
    free(t->buckets);
    free(t);
}

/* Slot i's link at offset at of struct slot (offsetof: which list). */
static struct link *link_of(tw_table *t, uint32_t i, size_t at)
{
    return (struct link *)((char *)&t->slots[i] + at);
}

static void list_unlink(tw_table *t, struct list *l, size_t at, uint32_t i)
{
    struct link *k = link_of(t, i, at);
    if (k->prev != NONE)
        link_of(t, k->prev, at)->next = k->next;
    else
        l->first = k->next;
    if (k->next != NONE)
        link_of(t, k->next, at)->prev = k->prev;
    else
        l->last = k->prev;
}

static void list_push_last(tw_table *t, struct list *l, size_t at, uint32_t i)
{
    struct link *k = link_of(t, i, at);
    k->next = NONE;
    k->prev = l->last;
    if (l->last != NONE)
        link_of(t, l->last, at)->next = i;
    else
        l->first = i;
    l->last = i;
}

/* The least recently active flow, whose time expiry reads, changes when
 * it leaves the list or the list was empty: the cached time goes. */
static void lru_unlink(tw_table *t, uint32_t i)
{
    if (t->lru.first == i)
        t->is_tail_time_known = false;
    list_unlink(t, &t->lru, offsetof(struct slot, lru), i);
}

static void lru_push_newest(tw_table *t, uint32_t i)
{
    if (t->lru.first == NONE)
        t->is_tail_time_known = false;
    list_push_last(t, &t->lru, offsetof(struct slot, lru), i);
}

static void closed_unlink(tw_table *t, uint32_t i)
{
    if (!t->slots[i].is_closed)
        return;
    list_unlink(t, &t->closed, offsetof(struct slot, closed), i);
    t->slots[i].is_closed = false;
}

static void closed_push_newest(tw_table *t, uint32_t i)
{
    list_push_last(t, &t->closed, offsetof(struct slot, closed), i);
    t->slots[i].is_closed = true;
}

static void todo_unlink(tw_table *t, uint32_t i)
{
    if (!t->slots[i].is_todo)
        return;
    list_unlink(t, &t->todo, offsetof(struct slot, todo), i);
    t->slots[i].is_todo = false;
    t->n_todo--;
}

static void todo_push_tail(tw_table *t, uint32_t i)
{
    list_push_last(t, &t->todo, offsetof(struct slot, todo), i);
    t->slots[i].is_todo = true;
    t->n_todo++;
}

/* A packet came for flow i: settle it at the next walk. */
static void todo_mark(tw_table *t, uint32_t i)
{
    if (!t->is_incremental)
        return;
    t->slots[i].due_ns = INT64_MIN;
    if (!t->slots[i].is_todo)
        todo_push_tail(t, i);
}

static void finish(tw_table *t, uint32_t i, enum tw_flow_end why)
{
    struct slot *s = &t->slots[i];
    if (why == TW_END_EVICTED)
        t->flows[i].is_evicted = true;
    t->done(t->ctx, &t->flows[i], why);
    todo_unlink(t, i);
    closed_unlink(t, i);
    s->n_reported = 0;
    uint32_t *pp = &t->buckets[s->hash & (t->n_buckets - 1)];
    while (*pp != i)
        pp = &t->slots[*pp].hash_next;
    *pp = s->hash_next;
    lru_unlink(t, i);
    s->hash_next = t->free_head;
    t->free_head = i;
    t->stats.live--;
    if (why == TW_END_EVICTED)
        t->stats.evicted++;
    else if (why == TW_END_RELEASED)
        t->stats.released++;
    else if (why == TW_END_IDLE)
        t->stats.expired++;
}

/* The flow of k, else the flow of rev (*is_reversed), else NONE. */
static uint32_t find(const tw_table *t, const struct tw_flow_key *k, const struct tw_flow_key *rev,
                     uint64_t h, bool *is_reversed)
{
    uint32_t found_rev = NONE;
    for (uint32_t i = t->buckets[h & (t->n_buckets - 1)]; i != NONE; i = t->slots[i].hash_next) {
        if (t->slots[i].hash != h)
            continue;
        if (key_eq(&t->flows[i].key, k)) {
            *is_reversed = false;
            return i;
        }
        if (found_rev == NONE && key_eq(&t->flows[i].key, rev))
            found_rev = i;
    }
    *is_reversed = found_rev != NONE;
    return found_rev;
}

static uint32_t insert(tw_table *t, const struct tw_flow_key *k, uint64_t h)
{
    uint32_t i;
    if (t->free_head == NONE && t->n_never_used > 0) {
        i = t->n_slots - t->n_never_used--;
    } else {
        /* Full: a closed flow makes room before one still under way,
         * whose verdict would be judged before its time. */
        if (t->free_head == NONE && t->closed.first != NONE)
            finish(t, t->closed.first, TW_END_RELEASED);
        else if (t->free_head == NONE)
            finish(t, t->lru.first, TW_END_EVICTED);
        i = t->free_head;
        t->free_head = t->slots[i].hash_next;
    }
    struct slot *s = &t->slots[i];
    /* Attempts are cleared as they open (attempt.c) and nothing reads past
     * n_attempts: clearing the flow's own fields is enough, which spares
     * writing 1.2 KB per new flow. */
    memset(&t->flows[i], 0, offsetof(struct tw_flow, first));
    t->flows[i].key = *k;
    t->flows[i].later = &t->later[(size_t)i * LATER_ATTEMPTS];
    s->hash = h;
    s->is_todo = false;
    s->is_closed = false;
    s->n_reported = 0;
    uint32_t *b = &t->buckets[h & (t->n_buckets - 1)];
    s->hash_next = *b;
    *b = i;
    lru_push_newest(t, i);
    t->stats.live++;
    if (t->stats.live > t->stats.peak)
        t->stats.peak = t->stats.live;
    return i;
}

/* A packet came for flow i: it becomes the most recently active (its time
 * changes, so the tail's cached time goes if it is the tail too). */
static void touch(tw_table *t, uint32_t i)
{
    if (t->lru.last == i) {
        if (t->lru.first == i)
            t->is_tail_time_known = false;
        return;
    }
    lru_unlink(t, i);
    lru_push_newest(t, i);
}

static bool flow_saw_syn(const struct tw_flow *flow)
{
    for (int i = 0; i < flow->n_attempts; i++)
        if (tw_flow_attempt(flow, i)->has_syn)
            return true;
    return false;
}

static void make_key(struct tw_flow_key *k, const struct tw_addr *c, uint16_t cport,
                     const struct tw_addr *s, uint16_t sport)
{
    memset(k, 0, sizeof *k);
    k->client = *c;
    k->server = *s;
    k->client_port = cport;
    k->server_port = sport;
}

/* The two ends of the TCP segment pkt is or (an ICMP error) quotes, its
 * sender first; false when it is neither. */
struct ends {
    const struct tw_addr *src, *dst;
    uint16_t sport, dport;
};

static bool ends_of(const struct tw_packet *pkt, struct ends *e)
{
    if (pkt->l4 == TW_L4_TCP) {
        *e = (struct ends){&pkt->src, &pkt->dst, pkt->tcp.sport, pkt->tcp.dport};
        return true;
    }
    if (pkt->l4 == TW_L4_ICMP_ERROR && pkt->icmp.quoted_proto == 6) {
        /* The quoted packet was sent by the side the error goes back to. */
        *e = (struct ends){&pkt->icmp.quoted_src, &pkt->icmp.quoted_dst, pkt->icmp.quoted_sport,
                           pkt->icmp.quoted_dport};
        return true;
    }
    return false;
}

/* The keys of the flow pkt belongs to, either way round; false when it
 * belongs to none (not TCP, nor an ICMP error quoting TCP). */
static bool keys_of(const struct tw_packet *pkt, struct tw_flow_key *fwd, struct tw_flow_key *rev)
{
    struct ends e;
    if (!ends_of(pkt, &e))
        return false;
    make_key(fwd, e.src, e.sport, e.dst, e.dport);
    make_key(rev, e.dst, e.dport, e.src, e.sport);
    return true;
}

uint64_t tw_table_seed(const tw_table *t) { return t->seed; }

/* From the packet's ends, not from its keys: the reading thread works this
 * out for every packet, and building both keys first (80 bytes written and
 * read back) cost more than the hashing. */
bool tw_flow_hash(uint64_t seed, const struct tw_packet *pkt, uint64_t *h)
{
    struct ends e;
    if (!ends_of(pkt, &e))
        return false;
    *h = pair_hash(seed, e.src, e.sport, e.dst, e.dport);
    return true;
}

void tw_table_prefetch_bucket(const tw_table *t, uint64_t h)
{
    __builtin_prefetch(&t->buckets[h & (t->n_buckets - 1)]);
}

void tw_table_prefetch_flow(const tw_table *t, uint64_t h)
{
    uint32_t i = t->buckets[h & (t->n_buckets - 1)];
    if (i == NONE)
        return;
    __builtin_prefetch(&t->slots[i]);
    /* Every packet reads and writes the flow's head (key, times, both
     * sides, counts) and the start of its first attempt. */
    const char *f = (const char *)&t->flows[i];
    for (size_t at = 0; at < offsetof(struct tw_flow, first) + 64; at += 64)
        __builtin_prefetch(f + at);
}

struct tw_flow *tw_table_lookup(tw_table *t, const struct tw_packet *pkt, enum tw_side *side)
{
    uint64_t h = 0;
    if (!tw_flow_hash(t->seed, pkt, &h))
        return NULL;
    return tw_table_lookup_hashed(t, pkt, h, side);
}

struct tw_flow *tw_table_lookup_hashed(tw_table *t, const struct tw_packet *pkt, uint64_t h,
                                       enum tw_side *side)
{
    struct tw_flow_key fwd, rev;
    if (!keys_of(pkt, &fwd, &rev))
        return NULL;
    bool is_reversed = false;
    uint32_t i = find(t, &fwd, &rev, h, &is_reversed);
    bool fwd_is_client = i == NONE || !is_reversed;
    if (pkt->l4 == TW_L4_ICMP_ERROR) {
        if (i == NONE)
            return NULL;
        /* The error travels towards the quoted packet's sender. */
        *side = fwd_is_client ? TW_FROM_SERVER : TW_FROM_CLIENT;
        touch(t, i);
        todo_mark(t, i);
        return &t->flows[i];
    }
    uint8_t flags = pkt->tcp.flags;
    bool is_pure_syn = (flags & (TW_TCP_SYN | TW_TCP_ACK | TW_TCP_RST)) == TW_TCP_SYN;
    if (i != NONE && !fwd_is_client && is_pure_syn && !flow_saw_syn(&t->flows[i])) {
        finish(t, i, TW_END_REORIENTED);
        i = NONE;
    }
    if (i == NONE) {
        uint8_t f = pkt->tcp.flags;
        bool is_syn = (f & (TW_TCP_SYN | TW_TCP_ACK)) == TW_TCP_SYN;
        bool is_synack = (f & (TW_TCP_SYN | TW_TCP_ACK)) == (TW_TCP_SYN | TW_TCP_ACK);
        if (is_syn)
            fwd_is_client = true;
        else if (is_synack)
            fwd_is_client = false;
        else
            fwd_is_client = pkt->tcp.sport > pkt->tcp.dport;
        i = insert(t, fwd_is_client ? &fwd : &rev, h);
    } else {
        touch(t, i);
    }
    todo_mark(t, i);
    *side = fwd_is_client ? TW_FROM_CLIENT : TW_FROM_SERVER;
    return &t->flows[i];
}

void tw_table_note_closed(tw_table *t, const struct tw_flow *flow)
{
    uint32_t i = (uint32_t)(flow - t->flows);
    bool is_closed = tw_flow_is_closed(flow);
    if (!is_closed && !t->slots[i].is_closed)
        return;
    closed_unlink(t, i);
    if (is_closed)
        closed_push_newest(t, i);
}

void tw_table_expire(tw_table *t, int64_t now_ns)
{
    for (int n = 0; n < EXPIRE_PER_CALL && t->lru.first != NONE; n++) {
        uint32_t i = t->lru.first;
        if (!t->is_tail_time_known) {
            t->tail_last_ns = t->flows[i].last_ns;
            t->is_tail_time_known = true;
        }
        if (now_ns - t->tail_last_ns <= t->lim.idle_ns)
            break;
        finish(t, i, TW_END_IDLE);
    }
}

void tw_table_foreach(tw_table *t, void (*fn)(void *ctx, const struct tw_flow *flow), void *ctx)
{
    for (uint32_t i = t->lru.last; i != NONE; i = t->slots[i].lru.prev)
        fn(ctx, &t->flows[i]);
}

void tw_table_flush(tw_table *t)
{
    while (t->lru.first != NONE)
        finish(t, t->lru.first, TW_END_CAPTURE);
}

const struct tw_table_stats *tw_table_stats(const tw_table *t) { return &t->stats; }

void tw_table_incremental(tw_table *t) { t->is_incremental = true; }

size_t tw_table_settle(tw_table *t, int64_t now_ns, size_t max_visits, tw_flow_settle_fn settle,
                       void *ctx)
{
    /* Each flow is visited at most once per call: the ones kept go to the
     * back of the list, behind the last one this call will look at. */
    size_t n = t->n_todo < max_visits ? t->n_todo : max_visits;
    for (size_t k = 0; k < n; k++) {
        uint32_t i = t->todo.first;
        struct slot *s = &t->slots[i];
        todo_unlink(t, i);
        if (s->due_ns > now_ns) {
            todo_push_tail(t, i);
            continue;
        }
        int n_reported = s->n_reported;
        int64_t due = settle(ctx, &t->flows[i], &n_reported);
        s->n_reported = (uint8_t)n_reported;
        if (due != INT64_MAX) {
            s->due_ns = due;
            todo_push_tail(t, i);
        }
    }
    return n;
}

int tw_table_n_reported(const tw_table *t, const struct tw_flow *flow)
{
    return t->slots[flow - t->flows].n_reported;
}

void tw_table_retired_oldest(tw_table *t, const struct tw_flow *flow)
{
    struct slot *s = &t->slots[flow - t->flows];
    if (s->n_reported)
        s->n_reported--;
}

size_t tw_table_n_unsettled(const tw_table *t) { return t->n_todo; }

void tw_table_foreach_unreported(const tw_table *t,
                                 void (*fn)(void *ctx, const struct tw_flow *flow, int index),
                                 void *ctx)
{
    if (!t->is_incremental)
        return;
    for (uint32_t i = t->todo.first; i != NONE; i = t->slots[i].todo.next)
        for (int k = t->slots[i].n_reported; k < t->flows[i].n_attempts; k++)
            fn(ctx, &t->flows[i], k);
}
