/* pcap2pcapng: rewrites a classic pcap file as pcapng, so that the lab can
 * record fixtures in both formats (tcpdump 4.99 writes only pcap).
 *
 * Usage: pcap2pcapng IN.pcap OUT.pcapng [IFNAME [COMMENT]]
 *
 * Output: one Section Header Block (shb_userappl, optional opt_comment), one
 * Interface Description Block (link type and snap length of the input,
 * if_name, if_tsresol 6 or 9 to keep the input's micro- or nanosecond
 * timestamps exactly) and one Enhanced Packet Block per record, all in host
 * byte order (pcapng spec, draft-ietf-opsawg-pcapng, sections 4.1, 4.2, 4.3).
 * Reads either byte order of pcap and both timestamp magics. Only libc. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SNAP 262144u

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

static int put32(FILE *f, uint32_t v) { return fwrite(&v, 4, 1, f) == 1 ? 0 : -1; }
static int put16(FILE *f, uint16_t v) { return fwrite(&v, 2, 1, f) == 1 ? 0 : -1; }

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* One option: code, length, value padded to 32 bits. */
static int put_opt(FILE *f, uint16_t code, const void *val, uint16_t len)
{
    static const uint8_t zeros[4];
    if (put16(f, code) || put16(f, len))
        return -1;
    if (len > 0 && fwrite(val, len, 1, f) != 1)
        return -1;
    size_t pad = pad4(len) - len;
    return pad > 0 && fwrite(zeros, pad, 1, f) != 1 ? -1 : 0;
}

static size_t opt_size(size_t len) { return 4 + pad4(len); }

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: pcap2pcapng IN.pcap OUT.pcapng [IFNAME [COMMENT]]\n");
        return 2;
    }
    const char *ifname = argc > 3 ? argv[3] : NULL;
    const char *comment = argc > 4 ? argv[4] : NULL;
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    uint32_t gh[6];
    if (fread(gh, 4, 6, in) != 6) {
        fprintf(stderr, "pcap2pcapng: %s: byte 0: short pcap header\n", argv[1]);
        return 1;
    }
    int swapped = 0, nano = 0;
    switch (gh[0]) {
    case 0xa1b2c3d4u: break;
    case 0xa1b23c4du: nano = 1; break;
    case 0xd4c3b2a1u: swapped = 1; break;
    case 0x4d3cb2a1u: swapped = 1; nano = 1; break;
    default:
        fprintf(stderr, "pcap2pcapng: %s: byte 0: not a pcap file\n", argv[1]);
        return 1;
    }
    uint32_t snaplen = swapped ? swap32(gh[4]) : gh[4];
    uint32_t linktype = (swapped ? swap32(gh[5]) : gh[5]) & 0xffffu;
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        return 1;
    }
    int bad = 0;

    /* Section Header Block */
    static const char appl[] = "tcpwhy lab (pcap2pcapng)";
    size_t shb_len = 28 + opt_size(sizeof appl - 1) + 4;
    if (comment)
        shb_len += opt_size(strlen(comment));
    bad |= put32(out, 0x0A0D0D0Au) | put32(out, (uint32_t)shb_len) | put32(out, 0x1A2B3C4Du);
    bad |= put16(out, 1) | put16(out, 0) | put32(out, 0xffffffffu) | put32(out, 0xffffffffu);
    if (comment)
        bad |= put_opt(out, 1, comment, (uint16_t)strlen(comment));
    bad |= put_opt(out, 4, appl, sizeof appl - 1) | put_opt(out, 0, NULL, 0);
    bad |= put32(out, (uint32_t)shb_len);

    /* Interface Description Block */
    uint8_t tsresol = nano ? 9 : 6;
    size_t idb_len = 20 + opt_size(1) + 4;
    if (ifname)
        idb_len += opt_size(strlen(ifname));
    bad |= put32(out, 1) | put32(out, (uint32_t)idb_len);
    bad |= put16(out, (uint16_t)linktype) | put16(out, 0) | put32(out, snaplen);
    if (ifname)
        bad |= put_opt(out, 2, ifname, (uint16_t)strlen(ifname));
    bad |= put_opt(out, 9, &tsresol, 1) | put_opt(out, 0, NULL, 0);
    bad |= put32(out, (uint32_t)idb_len);

    /* One Enhanced Packet Block per record */
    static uint8_t data[MAX_SNAP + 4];
    uint64_t offset = 24;
    uint32_t rh[4];
    while (fread(rh, 4, 4, in) == 4) {
        for (int i = 0; swapped && i < 4; i++)
            rh[i] = swap32(rh[i]);
        if (rh[2] > MAX_SNAP) {
            fprintf(stderr, "pcap2pcapng: %s: byte %llu: record of %u bytes\n", argv[1],
                    (unsigned long long)offset, rh[2]);
            return 1;
        }
        if (fread(data, 1, rh[2], in) != rh[2]) {
            fprintf(stderr, "pcap2pcapng: %s: byte %llu: truncated record\n", argv[1],
                    (unsigned long long)offset);
            return 1;
        }
        uint64_t ts = (uint64_t)rh[0] * (nano ? 1000000000u : 1000000u) + rh[1];
        size_t len = 32 + pad4(rh[2]);
        memset(data + rh[2], 0, pad4(rh[2]) - rh[2]);
        bad |= put32(out, 6) | put32(out, (uint32_t)len) | put32(out, 0);
        bad |= put32(out, (uint32_t)(ts >> 32)) | put32(out, (uint32_t)ts);
        bad |= put32(out, rh[2]) | put32(out, rh[3]);
        if (fwrite(data, 1, pad4(rh[2]), out) != pad4(rh[2]))
            bad = 1;
        bad |= put32(out, (uint32_t)len);
        offset += 16 + rh[2];
    }
    fclose(in);
    if (fclose(out) != 0 || bad) {
        fprintf(stderr, "pcap2pcapng: %s: write error\n", argv[2]);
        return 1;
    }
    return 0;
}
