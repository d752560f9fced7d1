/* labsyn: sends TCP SYNs made by hand, as hping or scapy do: a bare 20-byte
 * TCP header (no options at all, so no MSS), a new random ISN each, from one
 * source port. For the lab only (lab/README.md): the kernel's own SYNs
 * always carry options, so a scenario needs this to show a crafted SYN on a
 * real kernel's wire. IPv4 or IPv6 (the addresses say which), through a
 * raw socket (root); the kernel adds the IP header.
 *
 *   labsyn SRC_IP DST_IP DST_PORT SRC_PORT COUNT GAP_MS
 *
 * Only libc; C11 plus POSIX. Bounded: COUNT SYNs at most 1000, GAP_MS apart. */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint16_t checksum(const uint8_t *b, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        sum += (uint32_t)(b[n - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: labsyn SRC_IP DST_IP DST_PORT SRC_PORT COUNT GAP_MS\n");
        return 2;
    }
    /* addresses in network order; 4 or 16 bytes */
    uint8_t src[16], dst[16];
    int family = strchr(argv[1], ':') ? AF_INET6 : AF_INET;
    size_t addr_len = family == AF_INET6 ? 16 : 4;
    int dport = atoi(argv[3]), sport = atoi(argv[4]), count = atoi(argv[5]), gap_ms = atoi(argv[6]);
    if (inet_pton(family, argv[1], src) != 1 || inet_pton(family, argv[2], dst) != 1 ||
        dport < 1 || dport > 65535 || sport < 1 || sport > 65535 || count < 1 || count > 1000 ||
        gap_ms < 0 || gap_ms > 10000) {
        fprintf(stderr, "labsyn: bad arguments\n");
        return 2;
    }
    int fd = socket(family, SOCK_RAW, IPPROTO_TCP);
    if (fd < 0) {
        perror("labsyn: socket");
        return 1;
    }
    struct sockaddr_in to4 = {.sin_family = AF_INET};
    struct sockaddr_in6 to6 = {.sin6_family = AF_INET6};
    memcpy(&to4.sin_addr, dst, 4);
    memcpy(&to6.sin6_addr, dst, 16);
    const struct sockaddr *to = family == AF_INET6 ? (const struct sockaddr *)&to6
                                                   : (const struct sockaddr *)&to4;
    socklen_t to_len = family == AF_INET6 ? sizeof to6 : sizeof to4;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int i = 0; i < count; i++) {
        uint8_t tcp[20];
        memset(tcp, 0, sizeof tcp);
        uint32_t isn = (uint32_t)rand() << 16 ^ (uint32_t)rand();
        put16(tcp, (uint16_t)sport);
        put16(tcp + 2, (uint16_t)dport);
        put32(tcp + 4, isn);
        tcp[12] = 5 << 4;   /* data offset: 5 words, no options */
        tcp[13] = 0x02;     /* SYN */
        put16(tcp + 14, 1024);
        /* pseudo-header (RFC 9293 section 3.1; RFC 8200 section 8.1):
         * IPv4: source, destination, zero, protocol, TCP length (16 bits);
         * IPv6: source, destination, TCP length (32 bits), 3 zeros, next header */
        uint8_t pseudo[40];
        memset(pseudo, 0, sizeof pseudo);
        memcpy(pseudo, src, addr_len);
        memcpy(pseudo + addr_len, dst, addr_len);
        size_t n_pseudo;
        if (family == AF_INET6) {
            put32(pseudo + 32, sizeof tcp);
            pseudo[39] = IPPROTO_TCP;
            n_pseudo = 40;
        } else {
            pseudo[9] = IPPROTO_TCP;
            put16(pseudo + 10, sizeof tcp);
            n_pseudo = 12;
        }
        uint32_t sum = 0;
        for (size_t k = 0; k < n_pseudo; k += 2)
            sum += (uint32_t)(pseudo[k] << 8 | pseudo[k + 1]);
        put16(tcp + 16, checksum(tcp, sizeof tcp, sum));
        if (sendto(fd, tcp, sizeof tcp, 0, to, to_len) != (ssize_t)sizeof tcp) {
            perror("labsyn: sendto");
            return 1;
        }
        printf("syn %d isn=%u\n", i + 1, isn);
        fflush(stdout);
        if (i + 1 < count && gap_ms > 0) {
            struct timespec ts = {gap_ms / 1000, (long)(gap_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    close(fd);
    return 0;
}
