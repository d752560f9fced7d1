/* Connects, not packets: grouping attempts into the connect() an
 * application made.
 *
 * An application that times a connect out retries, from the same 4-tuple
 * with a new ISN (the seed case) or from a new source port. Each try is an
 * attempt; together they are one connect, whose total time is what the
 * application (and its user, waiting for a 504) experienced. Attempts from
 * one client address to one server endpoint belong to one connect when each
 * starts soon after the previous one failed. Pure functions on an array;
 * the caller owns the memory. */
#ifndef TW_DIAGNOSE_CONNECT_H
#define TW_DIAGNOSE_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose/diagnose.h"

/* What grouping needs of one attempt record. */
struct tw_attempt_brief {
    struct tw_addr client, server;
    uint16_t client_port, server_port;
    bool is_isn_known;
    uint32_t isn;
    enum tw_verdict verdict;
    int64_t first_ns;        /* its first packet */
    int64_t done_ns;         /* the client's ACK when it completed, else its last packet */
    int64_t last_syn_ns;     /* the client's last SYN of it; 0: none seen */
    bool is_completed;       /* the client saw the connection established */
    uint32_t connect;        /* out: index of its connect, in start order */
};

/* A retry belongs to the same connect when it starts within this long after
 * the previous attempt's last packet (applications retry at once after their
 * timeout fires; the timeout itself runs from the previous SYN). */
#define TW_CONNECT_RETRY_WINDOW_NS (3 * 1000000000LL)

struct tw_connect {
    size_t first, n;         /* attempts [first, first + n) of the sorted array */
    int64_t start_ns, end_ns;
    bool is_connected;
};

/* Sorts briefs by (client, server, first packet) and groups them; fills up
 * to max_connects connects and returns how many there are. */
size_t tw_connects_group(struct tw_attempt_brief *briefs, size_t n, struct tw_connect *out,
                         size_t max_connects);

/* Sorts briefs by (client, server, first packet): the order of
 * tw_connects_group, and the one tw_connect_is_final wants `open` in.
 * tw_attempt_brief_cmp is that order, for qsort. */
void tw_attempt_briefs_sort(struct tw_attempt_brief *briefs, size_t n);
int tw_attempt_brief_cmp(const void *a, const void *b);

/* Whether b, next after prev in that order, is a retry of prev's connect
 * (the rule tw_connects_group applies). */
bool tw_connect_is_retry(const struct tw_attempt_brief *prev, const struct tw_attempt_brief *b);

/* Live: whether the connect whose last attempt (in start order) is `last`
 * can no longer change at capture time now_ns, when `open` (sorted) lists
 * the attempts begun but not judged yet (endpoints and first packet). A
 * connect that ended in a connection, or with an attempt that starts
 * nothing (unknown), takes no retry: final once no open attempt between the
 * same endpoints began before its last one. A failed one may still take a
 * retry until its window has passed, and then waits for the open attempts
 * between its endpoints that began within it. */
bool tw_connect_is_final(const struct tw_attempt_brief *last, int64_t now_ns,
                         const struct tw_attempt_brief *open, size_t n_open);

/* Fills a brief from an attempt record. */
void tw_attempt_brief_of(const struct tw_attempt_record *rec, struct tw_attempt_brief *b);

/* Failures per server endpoint over time: from its first failed attempt
 * on (by first packet), how many attempts there were and how many failed.
 * Counted as attempts are judged, in whatever order they come, within a
 * memory budget: a few bytes per server endpoint and 16 per attempt (its
 * endpoint and first packet, for the attempts since a failure that may
 * come later with an earlier first packet). */
struct tw_server_failures {
    struct tw_addr server;
    uint16_t server_port;
    int64_t since_ns;        /* the first failed attempt's first packet */
    uint64_t attempts_since; /* attempts whose first packet is not before since_ns */
    uint64_t failed_since;   /* failed attempts (all of them are since since_ns) */
    enum tw_verdict first_verdict;
};

typedef struct tw_server_tally tw_server_tally;

tw_server_tally *tw_server_tally_new(size_t budget_bytes);
void tw_server_tally_free(tw_server_tally *t);

/* Counts one judged attempt. Past the budget it is left out and the tally
 * is partial from then on. */
void tw_server_tally_add(tw_server_tally *t, const struct tw_attempt_brief *b);

/* True when an attempt was left out since the last clear. */
bool tw_server_tally_is_partial(const tw_server_tally *t);

/* One entry per server endpoint that had a failed attempt, ordered by
 * tw_endpoint_cmp: *out points into the tally, valid until its next call.
 * Returns how many (0 and *out NULL when memory ran short). */
size_t tw_server_tally_failures(tw_server_tally *t, const struct tw_server_failures **out);

/* Forgets every attempt and endpoint (the next file starts afresh). */
void tw_server_tally_clear(tw_server_tally *t);

/* Connect-time histogram buckets (upper bounds, ns; the last is open). */
#define TW_CONNECT_BUCKETS 7
extern const int64_t tw_connect_bucket_ns[TW_CONNECT_BUCKETS - 1];
extern const char *const tw_connect_bucket_name[TW_CONNECT_BUCKETS];
int tw_connect_bucket(int64_t duration_ns);

#endif
