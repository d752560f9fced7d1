/* TCP header and option decoder (RFC 9293 section 3.1; RFC 7323 for window
 * scale and timestamps; RFC 2018 for SACK-permitted).
 *
 * c is the TCP segment as captured (never beyond the IP payload), and
 * tcp_wire_len its length on the wire from the IP lengths, so the payload
 * length is right even when the snap length cut the segment. The packet is
 * TW_L4_TCP as soon as ports, sequence and acknowledgment numbers, flags and
 * a plausible data offset were read: that is all the tracker needs, and a
 * header cut after them is still worth tracking. The anomaly says what else was wrong. */
#include "decode/decode.h"

#include <string.h>

#include "decode/ip_internal.h"

enum { TCP_MIN_HLEN = 20 };
enum { OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3, OPT_SACK_OK = 4, OPT_TS = 8 };

/* One option's value; false when its length is not the one its RFC gives. */
static bool read_option(uint8_t kind, uint8_t len, struct tw_cursor *v, struct tw_segment *seg)
{
    switch (kind) {
    case OPT_MSS: /* RFC 9293 section 3.2 */
        if (len != 4)
            return false;
        seg->mss = tw_get_be16(v);
        seg->has_mss = true;
        return true;
    case OPT_WSCALE: /* RFC 7323 section 2.2; a shift > 14 is kept raw for diagnosis */
        if (len != 3)
            return false;
        seg->wscale = tw_get_u8(v);
        seg->has_wscale = true;
        return true;
    case OPT_SACK_OK: /* RFC 2018 section 2 */
        if (len != 2)
            return false;
        seg->has_sack_ok = true;
        return true;
    case OPT_TS: /* RFC 7323 section 3.2 */
        if (len != 10)
            return false;
        seg->tsval = tw_get_be32(v);
        seg->tsecr = tw_get_be32(v);
        seg->has_ts = true;
        return true;
    default: /* SACK blocks, MD5, TCP-AO, MPTCP, Fast Open...: skipped by length */
        return true;
    }
}

/* RFC 9293 section 3.2: every option but EOL and NOP is kind, length (counting
 * both), value. wire_len is the option space the data offset declares; o holds
 * the part of it that was captured. An option running past the declared space
 * is malformed; one running past the capture was cut by the snap length and is
 * simply absent. Options read before a malformed one are kept. */
static void decode_options(struct tw_cursor *o, size_t wire_len, struct tw_packet *pkt)
{
    while (tw_left(o) > 0) {
        size_t at = o->pos;
        uint8_t kind = tw_get_u8(o);
        if (kind == OPT_EOL)
            return;
        if (kind == OPT_NOP)
            continue;
        if (at + 2 > wire_len) {
            tw_anomaly_set(pkt, TW_ANOM_TCP_BAD_OPTION);
            return;
        }
        uint8_t len = tw_get_u8(o);
        if (o->short_read)
            return; /* length byte cut by the snap length */
        if (len < 2 || at + len > wire_len) {
            tw_anomaly_set(pkt, TW_ANOM_TCP_BAD_OPTION);
            return;
        }
        if (at + len > o->len)
            return; /* value cut by the snap length */
        struct tw_cursor v = tw_sub(o, (size_t)len - 2);
        if (!read_option(kind, len, &v, &pkt->tcp))
            tw_anomaly_set(pkt, TW_ANOM_TCP_BAD_OPTION); /* skipped; later options still read */
    }
}

void tw_decode_tcp(struct tw_cursor *c, uint32_t tcp_wire_len, struct tw_packet *pkt)
{
    struct tw_segment *seg = &pkt->tcp;
    memset(seg, 0, sizeof *seg);

    /* A short read returns 0, so each field is either wholly read or 0. */
    seg->sport = tw_get_be16(c);
    seg->dport = tw_get_be16(c);
    seg->seq = tw_get_be32(c);
    seg->ack = tw_get_be32(c);
    uint8_t doff_byte = tw_get_u8(c);
    seg->flags = tw_get_u8(c);
    bool has_flags = !c->short_read;
    seg->window = tw_get_be16(c);
    tw_skip(c, 4); /* checksum, urgent pointer */

    /* Data offset counts 32-bit words; 5 is the minimum, and the header can't
     * be longer than the segment the IP layer says it carries. A data offset
     * below 5 is dropped by the receiving TCP before it looks at the flags
     * (RFC 9293 section 3.1; Linux tcp_v4_rcv() "bad_packet"), so it is no
     * segment to track or count: TW_L4_OTHER, its fields kept for whoever
     * looks (Wireshark, too, stops at a "bogus TCP header length" before the
     * flags). A header longer than the IP payload is more likely a wrong IP
     * length in the capture, and stays a TCP segment with an anomaly. */
    uint32_t hlen = (uint32_t)(doff_byte >> 4) * 4;
    bool is_hlen_ok = has_flags && hlen >= TCP_MIN_HLEN && hlen <= tcp_wire_len;
    if (is_hlen_ok)
        seg->payload_len = tcp_wire_len - hlen;
    if (has_flags)
        pkt->l4 = hlen >= TCP_MIN_HLEN ? TW_L4_TCP : TW_L4_OTHER;

    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TCP_SHORT);
        return;
    }
    if (!is_hlen_ok) {
        tw_anomaly_set(pkt, TW_ANOM_TCP_BAD_OFFSET);
        return;
    }
    struct tw_cursor opts = tw_sub(c, hlen - TCP_MIN_HLEN);
    decode_options(&opts, hlen - TCP_MIN_HLEN, pkt);
}
