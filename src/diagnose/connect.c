/* Grouping attempts into connects. */
#include "diagnose/connect.h"

#include <stdlib.h>
#include <string.h>

const int64_t tw_connect_bucket_ns[TW_CONNECT_BUCKETS - 1] = {
    10000000LL, 100000000LL, 500000000LL, 1000000000LL, 3000000000LL, 10000000000LL,
};
const char *const tw_connect_bucket_name[TW_CONNECT_BUCKETS] = {
    "<10ms", "<100ms", "<500ms", "<1s", "<3s", "<10s", ">=10s",
};

static int by_server_then_time(const void *pa, const void *pb)
{
    const struct tw_attempt_brief *a = pa, *b = pb;
    int c = tw_endpoint_cmp(&a->server, a->server_port, &b->server, b->server_port);
    if (!c)
        c = (a->first_ns > b->first_ns) - (a->first_ns < b->first_ns);
    return c;
}

size_t tw_server_failures_group(struct tw_attempt_brief *briefs, size_t n,
                                struct tw_server_failures *out, size_t max)
{
    if (n)
        qsort(briefs, n, sizeof *briefs, by_server_then_time);
    size_t n_out = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && briefs[j].server_port == briefs[i].server_port &&
               memcmp(briefs[j].server.b, briefs[i].server.b, 16) == 0)
            j++;
        /* from the first failure of this endpoint on */
        size_t k = i;
        while (k < j && !tw_verdict_is_failure(briefs[k].verdict))
            k++;
        if (k < j && n_out < max) {
            struct tw_server_failures *f = &out[n_out++];
            f->first = i;
            f->n = j - i;
            f->since_ns = briefs[k].first_ns;
            f->first_verdict = briefs[k].verdict;
            f->attempts_since = j - k;
            f->failed_since = 0;
            for (size_t m = k; m < j; m++)
                f->failed_since += tw_verdict_is_failure(briefs[m].verdict) != 0;
        }
        i = j;
    }
    return n_out;
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

static int by_endpoints_then_time(const void *pa, const void *pb)
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

static bool same_endpoints(const struct tw_attempt_brief *a, const struct tw_attempt_brief *b)
{
    return a->server_port == b->server_port && tw_addr_cmp(&a->client, &b->client) == 0 &&
           tw_addr_cmp(&a->server, &b->server) == 0;
}

void tw_attempt_briefs_sort(struct tw_attempt_brief *briefs, size_t n)
{
    if (n)
        qsort(briefs, n, sizeof *briefs, by_endpoints_then_time);
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
        if (by_endpoints_then_time(&open[mid], &key) < 0)
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
        const struct tw_attempt_brief *prev = i ? &briefs[i - 1] : NULL;
        /* A retry: same client and server, the previous try failed (the
         * application saw no connection), its SYNs had stopped (an
         * application gives a try up by closing its socket, and Linux then
         * sends nothing more: lab connect_retry_new_ports; SYNs still sent
         * after this one began are a connection made at the same time) and
         * this one began soon after. An attempt whose SYN is not in the
         * capture starts nothing new. */
        bool is_retry = prev && n_connects && same_endpoints(prev, &briefs[i]) &&
                        !prev->is_completed && prev->verdict != TW_VERDICT_UNKNOWN &&
                        prev->last_syn_ns < briefs[i].first_ns &&
                        briefs[i].first_ns - prev->done_ns <= TW_CONNECT_RETRY_WINDOW_NS;
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
