/* Unit tests for live reporting (issue 9): when a verdict is final
 * (tw_diagnose_settled_at) and the table's settle list (tw_table_settle):
 * each attempt is reported once, as soon as it is final, with bounded work
 * per call. Timelines are hand-built (timeline.h); settle() below does what
 * analyze/analyzer.c's settle_flow does, minus the reporting. */
#include "timeline.h"

#define X 0x1a2b3c4du
#define S 0x0badf00du

struct reported {
    uint16_t port;
    enum tw_verdict verdict;
};

struct settler {
    struct tl *t;
    int64_t now_ns;
    struct reported out[16];
    size_t n_out;
    size_t n_calls;
};

static int64_t settle(void *ctx, struct tw_flow *flow, int *n_reported)
{
    struct settler *s = ctx;
    s->n_calls++;
    while (*n_reported < flow->n_attempts) {
        struct tw_judge_input in = {flow, *n_reported, TW_VANTAGE_CLIENT, s->now_ns, false};
        struct tw_diagnosis d;
        tw_diagnose_attempt(&in, &d);
        int64_t at = tw_diagnose_settled_at(&in, &d);
        if (at > s->now_ns)
            return at;
        assert_true(s->n_out < 16);
        s->out[s->n_out++] = (struct reported){flow->key.client_port, d.verdict};
        (*n_reported)++;
    }
    return INT64_MAX;
}

static void settle_at(struct settler *s, double t_ms)
{
    s->now_ns = TL_MS(t_ms);
    tw_table_settle(s->t->table, s->now_ns, 1000, settle, s);
}

/* Refused at once; ok 3 s after its ACK; a lone SYN times out once quiet
 * for more than 2 s (twice the initial RTO); nothing twice. */
static void test_settle_when_final(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tw_table_incremental(t->table);
    struct settler s = {.t = t};
    t->client_port = 40001;
    tl_syn(t, 0, X, 100);
    tl_server_rstack(t, 1, X + 1);
    t->client_port = 40002;
    tl_syn(t, 10, X + 10, 110);
    tl_synack(t, 11, S, X + 11, 500, 110);
    tl_ack(t, 12, X + 11, S + 1, 111, 500);
    t->client_port = 40003;
    tl_syn(t, 20, X + 20, 120);
    assert_int_equal(tw_table_n_unsettled(t->table), 3);

    settle_at(&s, 100);
    assert_int_equal(s.n_out, 1);
    assert_int_equal(s.out[0].port, 40001);
    assert_int_equal(s.out[0].verdict, TW_VERDICT_REFUSED);
    assert_int_equal(tw_table_n_unsettled(t->table), 2);

    settle_at(&s, 2020); /* the SYN at 20 ms: quiet for exactly 2 s, not yet */
    assert_int_equal(s.n_out, 1);
    settle_at(&s, 2021);
    assert_int_equal(s.n_out, 2);
    assert_int_equal(s.out[1].port, 40003);
    assert_int_equal(s.out[1].verdict, TW_VERDICT_TIMEOUT);

    settle_at(&s, 3011); /* ACK at 12 ms: final at 3012 ms */
    assert_int_equal(s.n_out, 2);
    settle_at(&s, 3012);
    assert_int_equal(s.n_out, 3);
    assert_int_equal(s.out[2].port, 40002);
    assert_int_equal(s.out[2].verdict, TW_VERDICT_OK);
    assert_int_equal(tw_table_n_unsettled(t->table), 0);

    /* More packets on reported flows: looked at again, never reported twice. */
    t->client_port = 40002;
    tl_data(t, 4000, true, X + 11, S + 1, 10);
    assert_int_equal(tw_table_n_unsettled(t->table), 1);
    settle_at(&s, 4001);
    assert_int_equal(s.n_out, 3);
    assert_int_equal(tw_table_n_reported(t->table, t->flow), 1);
    assert_int_equal(tw_table_n_unsettled(t->table), 0);
    tl_free(t);
}

/* A SYN+ACK repeated after the ACK pushes the ok back: it may become
 * accept_queue_full (two of them at the client). */
static void test_settle_waits_for_repeated_synacks(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tw_table_incremental(t->table);
    struct settler s = {.t = t};
    tl_syn(t, 0, X, 100);
    tl_synack(t, 1, S, X + 1, 500, 100);
    tl_ack(t, 2, X + 1, S + 1, 101, 500);
    settle_at(&s, 1500);
    tl_synack(t, 1001, S, X + 1, 1500, 100);
    settle_at(&s, 3500); /* would have been final at 3002 without it */
    assert_int_equal(s.n_out, 0);
    tl_synack(t, 3001, S, X + 1, 3500, 100);
    settle_at(&s, 3600);
    assert_int_equal(s.n_out, 1);
    assert_int_equal(s.out[0].verdict, TW_VERDICT_ACCEPT_QUEUE_FULL);
    tl_free(t);
}

/* Bounded work: max_visits flows per call, each at most once; a flow not
 * due yet is passed over without being judged. */
static void test_settle_bounded(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tw_table_incremental(t->table);
    struct settler s = {.t = t};
    for (int k = 0; k < 10; k++) {
        t->client_port = (uint16_t)(41000 + k);
        tl_syn(t, k, X + (uint32_t)k, 100);
        tl_server_rstack(t, k + 0.5, X + (uint32_t)k + 1);
    }
    s.now_ns = TL_MS(100);
    assert_int_equal(tw_table_settle(t->table, s.now_ns, 4, settle, &s), 4);
    assert_int_equal(s.n_out, 4);
    assert_int_equal(tw_table_settle(t->table, s.now_ns, 100, settle, &s), 6);
    assert_int_equal(s.n_out, 10);
    for (int k = 0; k < 10; k++)
        assert_int_equal(s.out[k].port, 41000 + k); /* oldest first */
    /* Not due: visited, not judged. */
    t->client_port = 42000;
    tl_syn(t, 200, X + 100, 100);
    settle_at(&s, 300);
    size_t calls = s.n_calls;
    settle_at(&s, 400);
    assert_int_equal(s.n_calls, calls);
    assert_int_equal(tw_table_n_unsettled(t->table), 1);
    tl_free(t);
}

/* Without tw_table_incremental() nothing is listed (offline). */
static void test_offline_lists_nothing(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 100);
    assert_int_equal(tw_table_n_unsettled(t->table), 0);
    assert_int_equal(tw_table_n_reported(t->table, t->flow), 0);
    tl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settle_when_final),
        cmocka_unit_test(test_settle_waits_for_repeated_synacks),
        cmocka_unit_test(test_settle_bounded),
        cmocka_unit_test(test_offline_lists_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
