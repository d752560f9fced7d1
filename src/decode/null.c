/* BSD loopback encapsulation: a 4-byte address family, then the IP packet
 * (tcpdump.org/linktypes/LINKTYPE_NULL.html and LINKTYPE_LOOP.html).
 *
 * DLT_NULL writes the family in the byte order of the capturing host, which
 * need not be ours, so a value with bits set in the upper half is read the
 * other way round (as tcpdump's print-null.c does). DLT_LOOP (OpenBSD) writes
 * it in network byte order. There is no link-layer address. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

/* AF_INET is 2 everywhere; AF_INET6 differs between the systems that write
 * these captures, so the values are spelled out rather than taken from our
 * own <sys/socket.h>. */
enum {
    BSD_AF_INET = 2,
    LINUX_AF_INET6 = 10,
    BSD_AF_INET6 = 24,
    FREEBSD_AF_INET6 = 28,
    DARWIN_AF_INET6 = 30
};

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

void tw_decode_null(struct tw_cursor *c, struct tw_packet *pkt, bool is_loop)
{
    uint32_t family = is_loop ? tw_get_be32(c) : tw_get_le32(c);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    if (!is_loop && (family & 0xffff0000u) != 0)
        family = swap32(family); /* written on a big-endian host */
    switch (family) {
    case BSD_AF_INET:
        tw_decode_ipv4(c, 0, pkt);
        break;
    case LINUX_AF_INET6:
    case BSD_AF_INET6:
    case FREEBSD_AF_INET6:
    case DARWIN_AF_INET6:
        tw_decode_ipv6(c, 0, pkt);
        break;
    default:
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        break;
    }
}
