/* Fuzz target: the packet decoders, one frame at a time.
 *
 * The first byte picks a link type from the ones tcpwhy decodes (and one it
 * does not), the second and third give how many bytes were on the wire
 * beyond those captured (so the snap-length paths run too), and the rest is
 * the frame. The frame is copied to a heap buffer of exactly its size, so
 * AddressSanitizer sees any read past the capture. */
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "fuzz/fuzz.h"

static const int link_types[] = {
    DLT_EN10MB,
    DLT_LINUX_SLL,
    DLT_LINUX_SLL2,
    DLT_RAW,
    101,
    DLT_IPV4,
    DLT_IPV6,
    DLT_NULL,
    DLT_LOOP,
    DLT_PPP,
    DLT_PPP_SERIAL,
    DLT_PPP_ETHER,
    DLT_C_HDLC,
    DLT_IPOIB,
    DLT_ARCNET,
    DLT_ARCNET_LINUX,
    DLT_IEEE802_11,
    DLT_PPI,
    DLT_IEEE802_11_RADIO,
};

int TW_FUZZ_ENTRY(decode)(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    int dlt = link_types[data[0] % (sizeof link_types / sizeof link_types[0])];
    uint32_t extra = (uint32_t)data[1] << 8 | data[2];
    size_t caplen = size - 3;
    uint8_t *frame = malloc(caplen ? caplen : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 3, caplen);
    struct tw_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    tw_decode_frame(dlt, frame, (uint32_t)caplen, (uint32_t)caplen + extra, &pkt);
    /* What the rest of the pipeline relies on. */
    if (pkt.anomaly >= TW_ANOM_COUNT || pkt.l4 > TW_L4_OTHER)
        abort();
    if ((pkt.l4 == TW_L4_TCP || pkt.l4 == TW_L4_ICMP_ERROR) && pkt.ip_version != 4 &&
        pkt.ip_version != 6)
        abort();
    char buf[64];
    tw_addr_format(&pkt.src, buf, sizeof buf);
    (void)tw_anomaly_name(pkt.anomaly);
    free(frame);
    return 0;
}
