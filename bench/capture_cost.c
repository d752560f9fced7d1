/* What reading a capture costs before tracking: the capture layer alone
 * (each record's first byte touched), then with decoding, then with the
 * sums the reading thread works out (fingerprint and flow hash), one thread.
 * Benchmark only (bench/README.md, "Where the start of a run goes"); built
 * against the build tree's libraries:
 *   L="build/libtw_analyze.a build/libtw_report.a build/libtw_correlate.a
 *      build/libtw_diagnose.a build/libtw_track.a build/libtw_decode.a
 *      build/libtw_capture.a build/libtw_base.a"
 *   cc -O2 -std=c11 -Isrc -Ibuild -o build/bench/capture_cost bench/capture_cost.c \
 *      -Wl,--start-group $L -Wl,--end-group -lpcap -lpthread -lm
 *   build/bench/capture_cost build/bench/big.pcap 0   (1: decode too, 2: and sums) */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analyze/reader.h"
#include "capture/capture.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: capture_cost FILE 0|1|2\n");
        return 2;
    }
    int level = atoi(argv[2]);
    struct tw_error err = {0};
    tw_capture *cap = tw_capture_open_file(argv[1], NULL, &err);
    if (!cap) {
        fprintf(stderr, "capture_cost: cannot open %s\n", argv[1]);
        return 1;
    }
    static struct tw_packet pkts[256];
    uint64_t n = 0, sink = 0;
    double t0 = now_s();
    const struct tw_frame *fr;
    while ((fr = tw_capture_next(cap, &err)) != NULL) {
        struct tw_packet *p = &pkts[n & 255];
        if (level >= 1)
            tw_reader_decode(fr, p);
        else
            sink += fr->caplen ? fr->bytes[0] : 0;
        if (level >= 2)
            sink += tw_packet_sums_of(42, p).hash;
        n++;
    }
    double s = now_s() - t0;
    printf("level %d: %llu packets in %.3f s, %.1f ns a packet (%llu)\n", level,
           (unsigned long long)n, s, s / (double)n * 1e9, (unsigned long long)(sink & 1));
    return 0;
}
