/* RST causes (diagnose/rst.c) on hand-built timelines, for the signatures
 * the lab's Linux cannot send: an abort without the ACK flag, as RFC 9293
 * section 3.10.4 writes it and Windows sends it (a suricata-verify capture,
 * ssl_version_negated, has them), and a BSD-like host's RST to data that
 * came after its FIN. What Linux sends is tested on lab
 * captures (tests/fixtures/rst_*). */
#include "timeline.h"

#include <stdio.h>

#include "base/error.h"
#include "diagnose/rst.h"
#include "track/hosts.h"

#define X 71355730u   /* client ISN */
#define S 1273358899u /* server ISN */

/* Feeds the RST and explains it. */
static struct tw_rst_result rst_from_client(struct tl *t, double t_ms, uint32_t seq, uint8_t flags,
                                            uint64_t *frame)
{
    struct tw_packet p = tl_tcp_packet(t, t_ms, true, flags, seq, 0);
    *frame = tl_feed(t, &p);
    struct tw_error err;
    memset(&err, 0, sizeof err);
    tw_hosts *hosts = tw_hosts_new(&err);
    assert_non_null(hosts);
    struct tw_rst_input in = {t->flow, tw_flow_attempt(t->flow, t->flow->n_attempts - 1), &p,
                              TW_FROM_CLIENT, hosts, false};
    struct tw_rst_result res;
    tw_rst_explain(&in, &res);
    tw_hosts_free(hosts);
    return res;
}

/* An established connection with data both ways; the client's last data
 * ends at X + 1 + 100 + 37, not yet acknowledged. */
static struct tl *established(void)
{
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 0);
    tl_synack(t, 1, S, X + 1, 0, 0);
    tl_ack(t, 2, X + 1, S + 1, 0, 0);
    tl_data(t, 3, true, X + 1, S + 1, 100);
    tl_data(t, 4, false, S + 1, X + 101, 50);
    tl_data(t, 5, true, X + 101, S + 51, 37);
    return t;
}

static void test_abort_without_ack(void **state)
{
    (void)state;
    struct tl *t = established();
    uint64_t frame;
    struct tw_rst_result r = rst_from_client(t, 5.1, X + 138, TW_TCP_RST, &frame);
    assert_int_equal(r.cause, TW_RST_APP_ABORT);
    assert_non_null(strstr(r.why, "continues the client's own data (SND.NXT)"));
    tl_free(t);
}

/* After its abort, the client answers the server's next segment as a host
 * without the connection, and the explanation says why it has none. */
static void test_no_connection_after_own_abort(void **state)
{
    (void)state;
    struct tl *t = established();
    uint64_t abort_frame, frame;
    (void)rst_from_client(t, 5.1, X + 138, TW_TCP_RST, &abort_frame);
    tl_server_ack(t, 5.2, S + 51, X + 138);
    struct tw_rst_result r = rst_from_client(t, 5.3, X + 138, TW_TCP_RST, &frame);
    assert_int_equal(r.cause, TW_RST_NO_CONNECTION);
    char part[96];
    snprintf(part, sizeof part, "the client had reset the connection itself (frame %llu)",
             (unsigned long long)abort_frame);
    assert_non_null(strstr(r.why, part));
    tl_free(t);
}

/* seq equal to both the sender's SND.NXT and the receiver's last ack: the
 * answer of a host without the connection, the more specific reading. */
static void test_bare_rst_answering_ack_is_no_connection(void **state)
{
    (void)state;
    struct tl *t = established();
    tl_server_ack(t, 5.2, S + 51, X + 138);
    uint64_t frame;
    struct tw_rst_result r = rst_from_client(t, 5.3, X + 138, TW_TCP_RST, &frame);
    assert_int_equal(r.cause, TW_RST_NO_CONNECTION);
    assert_non_null(strstr(r.why, "so it lost it"));
    tl_free(t);
}

/* The client closes (FIN, ack still at the server's ISN+1) while the
 * server's data and FIN are on the way; the data arrives after the close
 * and is answered with a RST (RFC 1122 section 4.2.2.13), even though the
 * server's last segment, an ACK of the FIN, carries none (suricata-verify
 * output-eve-ftp-data). The next RST is a host without the connection. */
static void test_data_after_close_before_last_segment(void **state)
{
    (void)state;
    struct tl *t = tl_new();
    tl_syn(t, 0, X, 0);
    tl_synack(t, 1, S, X + 1, 0, 0);
    tl_ack(t, 2, X + 1, S + 1, 0, 0);
    tl_data(t, 3, true, X + 1, S + 1, 722);
    tl_send(t, 3.5, false, TW_TCP_FIN | TW_TCP_PSH | TW_TCP_ACK, S + 1, X + 723, 125, 0, 0);
    tl_send(t, 4, true, TW_TCP_FIN | TW_TCP_ACK, X + 723, S + 1, 0, 0, 0);
    tl_server_ack(t, 4.1, S + 127, X + 724);
    uint64_t first, second;
    struct tw_rst_result r = rst_from_client(t, 10, X + 723, TW_TCP_RST, &first);
    assert_int_equal(r.cause, TW_RST_DATA_AFTER_CLOSE);
    assert_non_null(strstr(r.why, "before it acknowledged the server's data"));
    r = rst_from_client(t, 16, X + 724, TW_TCP_RST, &second);
    assert_int_equal(r.cause, TW_RST_NO_CONNECTION);
    assert_non_null(strstr(r.why, "the client had reset the connection itself"));
    tl_free(t);
}

/* A RST with ACK whose seq goes back to the client's first data byte
 * after the client sent 137 bytes, the server's window open past them: no
 * endpoint's own reset (suricata-verify bug-4903 has such). No signature,
 * and the explanation says where the seq lies. */
static void test_rst_behind_own_data(void **state)
{
    (void)state;
    struct tl *t = established();
    uint64_t frame;
    struct tw_rst_result r = rst_from_client(t, 5.1, X + 1, TW_TCP_RST | TW_TCP_ACK, &frame);
    assert_int_equal(r.cause, TW_RST_UNKNOWN);
    assert_non_null(strstr(r.why, "it lies 137 bytes behind data the client had already sent"));
    assert_non_null(strstr(r.why, "made from an older packet"));
    tl_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abort_without_ack),
        cmocka_unit_test(test_no_connection_after_own_abort),
        cmocka_unit_test(test_bare_rst_answering_ack_is_no_connection),
        cmocka_unit_test(test_data_after_close_before_last_segment),
        cmocka_unit_test(test_rst_behind_own_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
