/* Grouping attempts into connects. */
#include "diagnose/connect.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"

const int64_t tw_connect_bucket_ns[TW_CONNECT_BUCKETS - 1] = {
    10000000LL, 100000000LL, 500000000LL, 1000000000LL, 3000000000LL, 10000000000LL,
};
const char *const tw_connect_bucket_name[TW_CONNECT_BUCKETS] = {
    "<10ms", "<100ms", "<500ms", "<1s", "<3s", "<10s", ">=10s",
};

/* A server endpoint's attempts so far. */
struct server_entry {
    struct tw_addr server;
    uint16_t server_port;
    uint64_t failed;               /* failed attempts; the two below when not 0 */
    enum tw_verdict first_verdict; /* of its earliest failed attempt */
    int64_t since_ns;              /* that attempt's first packet */
    uint64_t attempts_since;       /* worked out by tw_server_tally_failures */
};

/* One attempt, as much as the count of attempts since a failure needs. */
struct server_attempt {
    uint32_t server;               /* index in entries */
    int64_t first_ns;
};

struct tw_server_tally {
    size_t budget_bytes;
    uint64_t seed;                 /* servers are the capture's to choose: keyed */
    struct server_entry *entries;
    size_t n_entries, cap_entries;
    uint32_t *slots;               /* open addressing: entry index + 1, 0 empty */
    size_t n_slots;                /* a power of two, at least twice n_entries */
    struct server_attempt *attempts;
    size_t n_attempts, cap_attempts;
    struct tw_server_failures *out;
    size_t cap_out;
    bool is_partial;
};

tw_server_tally *tw_server_tally_new(size_t budget_bytes)
{
    tw_server_tally *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->budget_bytes = budget_bytes;
    t->seed = tw_hash_seed(t);
    return t;
}

void tw_server_tally_free(tw_server_tally *t)
{
    if (!t)
        return;
    free(t->entries);
    free(t->slots);
    free(t->attempts);
    free(t->out);
    free(t);
}

void tw_server_tally_clear(tw_server_tally *t)
{
    t->n_entries = 0;
    t->n_attempts = 0;
    t->is_partial = false;
    if (t->slots)
        memset(t->slots, 0, t->n_slots * sizeof *t->slots);
}

bool tw_server_tally_is_partial(const tw_server_tally *t) { return t->is_partial; }

static size_t endpoint_slot(const tw_server_tally *t, const struct tw_addr *a, uint16_t port)
{
    size_t i = (size_t)tw_endpoint_hash(t->seed, a, port) & (t->n_slots - 1);
    while (t->slots[i]) {
        const struct server_entry *e = &t->entries[t->slots[i] - 1];
        if (tw_endpoint_cmp(&e->server, e->server_port, a, port) == 0)
            break;
        i = (i + 1) & (t->n_slots - 1);
    }
    return i;
}

/* Room for one more endpoint in the hash: twice as many slots as entries. */
static bool grow_slots(tw_server_tally *t)
{
    if (2 * (t->n_entries + 1) <= t->n_slots)
        return true;
    size_t n = t->n_slots ? 2 * t->n_slots : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    free(t->slots);
    t->slots = slots;
    t->n_slots = n;
    for (size_t k = 0; k < t->n_entries; k++) {
        const struct server_entry *e = &t->entries[k];
        t->slots[endpoint_slot(t, &e->server, e->server_port)] = (uint32_t)(k + 1);
    }
    return true;
}

/* What is left of the budget. */
static size_t budget_left(const tw_server_tally *t)
{
    size_t used = t->cap_entries * sizeof *t->entries + t->n_slots * sizeof *t->slots +
                  t->cap_attempts * sizeof *t->attempts;
    return t->budget_bytes > used ? t->budget_bytes - used : 0;
}

void tw_server_tally_add(tw_server_tally *t, const struct tw_attempt_brief *b)
{
    /* each array may double within what is left of the budget */
    size_t i = t->n_slots ? endpoint_slot(t, &b->server, b->server_port) : 0;
    if (!t->n_slots || !t->slots[i]) {
        if (t->n_entries >= UINT32_MAX - 1 ||
            !tw_grow((void **)&t->entries, &t->cap_entries, t->n_entries, sizeof *t->entries, 64,
                     t->cap_entries + budget_left(t) / sizeof *t->entries) ||
            !grow_slots(t)) {
            t->is_partial = true;
            return;
        }
        i = endpoint_slot(t, &b->server, b->server_port);
        t->entries[t->n_entries] = (struct server_entry){.server = b->server,
                                                         .server_port = b->server_port};
        t->slots[i] = (uint32_t)++t->n_entries;
    }
    if (!tw_grow((void **)&t->attempts, &t->cap_attempts, t->n_attempts, sizeof *t->attempts,
                 1024, t->cap_attempts + budget_left(t) / sizeof *t->attempts)) {
        t->is_partial = true;
        return;
    }
    uint32_t k = t->slots[i] - 1;
    t->attempts[t->n_attempts++] = (struct server_attempt){k, b->first_ns};
    struct server_entry *e = &t->entries[k];
    if (tw_verdict_is_failure(b->verdict)) {
        /* the earliest by first packet; of two at once, the one judged first */
        if (!e->failed || b->first_ns < e->since_ns) {
            e->since_ns = b->first_ns;
            e->first_verdict = b->verdict;
        }
        e->failed++;
    }
}

static int by_endpoint(const void *pa, const void *pb)
{
    const struct tw_server_failures *a = pa, *b = pb;
    return tw_endpoint_cmp(&a->server, a->server_port, &b->server, b->server_port);
}

size_t tw_server_tally_failures(tw_server_tally *t, const struct tw_server_failures **out)
{
    *out = NULL;
    size_t n = 0;
    for (size_t k = 0; k < t->n_entries; k++) {
        n += t->entries[k].failed > 0;
        t->entries[k].attempts_since = 0;
    }
    if (!n || !tw_grow((void **)&t->out, &t->cap_out, n - 1, sizeof *t->out, 16, SIZE_MAX))
        return 0;
    for (size_t i = 0; i < t->n_attempts; i++) {
        const struct server_attempt *a = &t->attempts[i];
        struct server_entry *e = &t->entries[a->server];
        e->attempts_since += e->failed && a->first_ns >= e->since_ns;
    }
    size_t m = 0;
    for (size_t k = 0; k < t->n_entries; k++) {
        const struct server_entry *e = &t->entries[k];
        if (e->failed)
            t->out[m++] = (struct tw_server_failures){
                .server = e->server,
                .server_port = e->server_port,
                .since_ns = e->since_ns,
                .attempts_since = e->attempts_since,
                .failed_since = e->failed,
                .first_verdict = e->first_verdict,
            };
    }
    qsort(t->out, m, sizeof *t->out, by_endpoint);
    *out = t->out;
    return m;
}

int tw_connect_bucket(int64_t duration_ns)
{
    for (int i = 0; i < TW_CONNECT_BUCKETS - 1; i++)
        if (duration_ns < tw_connect_bucket_ns[i])
            return i;
    return TW_CONNECT_BUCKETS - 1;
}

/* A verdict after which the client held an established connection. */
static bool client_connected(enum tw_verdict v)
{
    return v == TW_VERDICT_OK || v == TW_VERDICT_OK_AFTER_RETRANS ||
           v == TW_VERDICT_PORT_REUSE_CHALLENGE || v == TW_VERDICT_ACCEPT_QUEUE_FULL;
}

void tw_attempt_brief_of(const struct tw_attempt_record *rec, struct tw_attempt_brief *b)
{
    memset(b, 0, sizeof *b);
    b->client = rec->key.client;
    b->server = rec->key.server;
    b->client_port = rec->key.client_port;
    b->server_port = rec->key.server_port;
    b->is_isn_known = rec->is_isn_known;
    b->isn = rec->isn;
    b->verdict = rec->diag.verdict;
    b->first_ns = rec->first_ns;
    b->done_ns = rec->last_ns;
    b->last_syn_ns = rec->last_syn_ns;
    b->is_completed = client_connected(rec->diag.verdict);
    /* The client's ACK as its own capture saw it: with two captures the
     * record holds the other capture's copy too, on that capture's clock. */
    if (b->is_completed)
        for (int i = 0; i < rec->diag.n_evidence; i++) {
            const struct tw_evidence *e = &rec->diag.evidence[i];
            bool is_own_file = !e->file || !rec->file || strcmp(e->file, rec->file) == 0;
            if (is_own_file && strcmp(e->role, "ack") == 0)
                b->done_ns = e->ts_ns;
        }
}

static bool same_endpoints(const struct tw_attempt_brief *a, const struct tw_attempt_brief *b)
{
    return a->server_port == b->server_port && tw_addr_cmp(&a->client, &b->client) == 0 &&
           tw_addr_cmp(&a->server, &b->server) == 0;
}

int tw_attempt_brief_cmp(const void *pa, const void *pb)
{
    const struct tw_attempt_brief *a = pa, *b = pb;
    int c = tw_addr_cmp(&a->client, &b->client);
    if (!c)
        c = tw_addr_cmp(&a->server, &b->server);
    if (!c)
        c = (a->server_port > b->server_port) - (a->server_port < b->server_port);
    if (!c)
        c = (a->first_ns > b->first_ns) - (a->first_ns < b->first_ns);
    if (!c)
        c = (a->client_port > b->client_port) - (a->client_port < b->client_port);
    return c;
}

void tw_attempt_briefs_sort(struct tw_attempt_brief *briefs, size_t n)
{
    if (n)
        qsort(briefs, n, sizeof *briefs, tw_attempt_brief_cmp);
}

bool tw_connect_is_retry(const struct tw_attempt_brief *prev, const struct tw_attempt_brief *b)
{
    /* A retry: same client and server, the previous try failed (the
     * application saw no connection), its SYNs had stopped (an application
     * gives a try up by closing its socket, and Linux then sends nothing
     * more: lab connect_retry_new_ports; SYNs still sent after this one
     * began are a connection made at the same time) and this one began soon
     * after. An attempt whose SYN is not in the capture starts nothing new. */
    return same_endpoints(prev, b) && !prev->is_completed && prev->verdict != TW_VERDICT_UNKNOWN &&
           prev->last_syn_ns < b->first_ns &&
           b->first_ns - prev->done_ns <= TW_CONNECT_RETRY_WINDOW_NS;
}

bool tw_connect_is_final(const struct tw_attempt_brief *last, int64_t now_ns,
                         const struct tw_attempt_brief *open, size_t n_open)
{
    int64_t until_ns = last->is_completed || last->verdict == TW_VERDICT_UNKNOWN
                           ? last->first_ns
                           : last->done_ns + TW_CONNECT_RETRY_WINDOW_NS;
    if (now_ns <= until_ns)
        return false;
    /* the first open attempt between the same endpoints (open is sorted) */
    size_t lo = 0, hi = n_open;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct tw_attempt_brief key = *last;
        key.first_ns = INT64_MIN;
        key.client_port = 0;
        if (tw_attempt_brief_cmp(&open[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == n_open || !same_endpoints(&open[lo], last) || open[lo].first_ns > until_ns;
}

size_t tw_connects_group(struct tw_attempt_brief *briefs, size_t n, struct tw_connect *out,
                         size_t max_connects)
{
    tw_attempt_briefs_sort(briefs, n);
    size_t n_connects = 0;
    for (size_t i = 0; i < n; i++) {
        bool is_retry = i && n_connects && tw_connect_is_retry(&briefs[i - 1], &briefs[i]);
        if (!is_retry) {
            if (n_connects < max_connects) {
                struct tw_connect *c = &out[n_connects];
                c->first = i;
                c->n = 0;
                c->start_ns = briefs[i].first_ns;
            }
            n_connects++;
        }
        briefs[i].connect = (uint32_t)(n_connects - 1);
        if (n_connects <= max_connects) {
            struct tw_connect *c = &out[n_connects - 1];
            c->n++;
            c->end_ns = briefs[i].done_ns;
            c->is_connected = briefs[i].is_completed;
        }
    }
    return n_connects;
}
