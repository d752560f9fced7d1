/* Shared between the decoders in src/decode only; not part of the decode
 * contract (decode.h). Holds the step from IP to the transport layer, the
 * IPv6 extension-header walk (used for the outer header in ipv6.c and for the
 * packet quoted in an ICMPv6 error in icmp.c), and two small helpers. */
#ifndef TW_DECODE_IP_INTERNAL_H
#define TW_DECODE_IP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/cursor.h"
#include "decode/decode.h"

/* IANA protocol numbers used here. */
enum {
    TW_PROTO_ICMP = 1,
    TW_PROTO_IPIP = 4,      /* IPv4 in IP (RFC 2003) */
    TW_PROTO_TCP = 6,
    TW_PROTO_UDP = 17,
    TW_PROTO_DCCP = 33,
    TW_PROTO_IPV6 = 41,     /* IPv6 in IP (RFC 4213 section 3.5, RFC 2473) */
    TW_PROTO_GRE = 47,      /* RFC 2784 */
    TW_PROTO_AH = 51,       /* RFC 4302 */
    TW_PROTO_ICMPV6 = 58,
    TW_PROTO_SCTP = 132,
    TW_PROTO_UDPLITE = 136
};

/* Records the first problem met; later ones are consequences of it. */
static inline void tw_anomaly_set(struct tw_packet *pkt, enum tw_anomaly a)
{
    if (pkt->anomaly == TW_ANOM_NONE)
        pkt->anomaly = a;
}

/* Enters one more nested layer; false (and TOO_MANY_LAYERS) past
 * TW_MAX_LAYERS, so that no input can make decoding recurse without end. */
static inline bool tw_layer_enter(int *depth, struct tw_packet *pkt)
{
    if (++*depth > TW_MAX_LAYERS) {
        tw_anomaly_set(pkt, TW_ANOM_TOO_MANY_LAYERS);
        return false;
    }
    return true;
}

/* a.b.c.d as ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2). */
static inline void tw_addr_set_v4(struct tw_addr *a, const uint8_t v4[4])
{
    memset(a->b, 0, 10);
    a->b[10] = 0xff;
    a->b[11] = 0xff;
    memcpy(a->b + 12, v4, 4);
}

/* Bytes of the frame that were on the wire but not captured (snap length),
 * so that a layer can tell a truncated capture from a length field that lies.
 * 0 when the caller did not say (wirelen <= caplen). */
static inline uint32_t tw_snapped_bytes(const struct tw_packet *pkt)
{
    return pkt->wirelen > pkt->caplen ? pkt->wirelen - pkt->caplen : 0;
}

/* Continues from an IP header into its payload: c is the payload window as
 * captured, l4_wire_len its length on the wire (from the IP length fields),
 * depth the layers decoded so far (for tunnels). */
void tw_decode_l4(struct tw_cursor *c, uint8_t proto, uint8_t ip_version, uint32_t l4_wire_len,
                  int depth, struct tw_packet *pkt);

/* Result of walking IPv6 extension headers (RFC 8200 section 4). */
struct tw_ipv6_walk {
    uint8_t proto;           /* the upper-layer protocol reached (or 59, or one we can't walk) */
    uint32_t ext_bytes;      /* bytes of extension headers consumed */
    bool is_later_fragment;  /* a Fragment header with offset != 0: no upper-layer header */
    int depth;               /* layers decoded, the walked extension headers included */
    enum tw_anomaly anomaly; /* IPV6_EXT_SHORT, TOO_MANY_LAYERS or NONE */
};

/* Walks the extension headers starting with next header `next` at c, with
 * `depth` layers already decoded, and leaves c at the upper-layer header. */
struct tw_ipv6_walk tw_ipv6_walk_ext(struct tw_cursor *c, uint8_t next, int depth);

#endif
