/* IP over InfiniBand link decoder (RFC 4391; tcpdump.org/linktypes/
 * LINKTYPE_IPOIB.html, as tcpdump's print-ipoib.c reads it).
 *
 * A 44-byte header: the 40-byte address information that the capturing
 * stack prepends, then the 4-byte IPoIB encapsulation header of RFC 4391
 * section 6 (an EtherType and 2 reserved bytes). The addresses are
 * InfiniBand GIDs, of no use for telling the two sides of a middlebox apart,
 * so no link-layer source is recorded. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

void tw_decode_ipoib(struct tw_cursor *c, struct tw_packet *pkt)
{
    tw_skip(c, 40);
    uint16_t ethertype = tw_get_be16(c);
    tw_skip(c, 2); /* reserved */
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    tw_decode_ethertype(c, ethertype, 0, pkt);
}
