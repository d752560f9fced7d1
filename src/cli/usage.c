/* --help text, in parts so that each translation unit stays readable. The
 * verdict list comes from diagnose/verdict.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/i18n.h"
#include "cli/options.h"
#include "diagnose/verdict.h"

/* Prints "  NAME  TEXT" with TEXT folded at spaces so that no line passes
 * HELP_COLS columns; continuation lines start under TEXT. A word wider than
 * the room (Chinese text has no spaces) stays whole. */
#define HELP_COLS 80
#define HELP_TEXT_COL 25

static void print_item(const char *name, const char *text)
{
    int col = printf("  %-22s ", name); /* names are ASCII */
    bool is_line_start = true;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char word[256];
        if (n >= sizeof word)
            n = sizeof word - 1;
        memcpy(word, p, n);
        word[n] = '\0';
        int cols = tw_text_cols(word);
        if (!is_line_start && col + 1 + cols > HELP_COLS) {
            printf("\n%*s", HELP_TEXT_COL, "");
            col = HELP_TEXT_COL;
            is_line_start = true;
        }
        printf("%s%s", is_line_start ? "" : " ", word);
        col += cols + !is_line_start;
        is_line_start = false;
        p += end ? (size_t)(end - p) + 1 : strlen(p);
    }
    putchar('\n');
}

void tw_cli_usage(void)
{
    fputs(_("Usage: tcpwhy [OPTIONS] FILE... [FILTER]\n"
            "       tcpwhy [OPTIONS] -r FILE [FILTER]\n"
            "       tcpwhy [OPTIONS] -i INTERFACE [FILTER]\n"
            "\n"
            "Tell why TCP connection attempts in packet captures failed. FILE is a pcap or\n"
            "pcapng capture, '-' for standard input; FILTER is a BPF expression as in\n"
            "tcpdump (e.g. 'port 443').\n"),
          stdout);
    fputs(_("\n"
            "Options:\n"
            "  -r, --read FILE        read FILE (every word after the options is filter)\n"
            "  -i, --interface IFACE  capture live from IFACE until interrupted\n"
            "      --format FMT       text (default) or json (JSON Lines)\n"
            "      --vantage WHERE    client, server or middle: where the capture was taken\n"
            "                         (default: inferred from TTLs and timing)\n"
            "      --memcap SIZE      memory for tracking connections (default 64M); what\n"
            "                         is past it goes to temporary files in $TMPDIR\n"
            "      --max-flows N      track at most N connections at once (default: what\n"
            "                         --memcap holds); the least recently active is judged\n"
            "                         early when a new one arrives\n"
            "      --app-timeout DUR  the application's connect timeout (e.g. 1.5s, 500ms):\n"
            "                         list the connects that took longer\n"
            "      --idle SECONDS     a connection quiet this long is finished (default 300)\n"
            "      --threads N        1: read a file in one thread; more (the default on\n"
            "                         several cores): read, judge and write in three\n"
            "                         threads at once. The output is the same for any N\n"
            "      --separate         with several files, analyse each alone (by default\n"
            "                         captures of the same traffic are correlated)\n"
            "  -v, --verbose          text: show every attempt, healthy ones too\n"
            "      --no-ladder        text: no ladder diagrams in the problem blocks\n"
            "      --color WHEN       auto (default: on a terminal, unless NO_COLOR is set),\n"
            "                         always or never: ANSI colours in the ladders\n"
            "      --width COLS       fit the ladders in COLS columns (default: the\n"
            "                         terminal's width, 80 when not a terminal)\n"
            "      --filter[=FILE]    instead of the report, print a Wireshark display filter\n"
            "                         selecting the packets -w writes (failed or degraded\n"
            "                         attempts by addresses, ports and time range, their\n"
            "                         evidence and RSTs by sequence numbers), e.g.\n"
            "                         tshark -r F -Y \"$(tcpwhy --filter F)\"; with several\n"
            "                         inputs one line per input, FILE<tab>FILTER (each with\n"
            "                         the addresses that capture saw), or with =FILE only\n"
            "                         that input's filter\n"
            "  -w, --write FILE       also write the packets of failed or degraded attempts\n"
            "                         (whole attempts, their RSTs and ICMP errors) to FILE:\n"
            "                         pcapng for a pcapng input, else pcap; with several\n"
            "                         inputs, one FILE-<input name> each. Reads the inputs\n"
            "                         twice: not with '-'. Live (-i): as verdicts come,\n"
            "                         pcapng if FILE ends in .pcapng, else pcap; packets\n"
            "                         wait in memory (up to --memcap) for their verdict\n"
            "  -C, --file-size SIZE   with -w: a new file before one would pass SIZE\n"
            "                         (millions of bytes, or with k, m, g: KiB, MiB, GiB);\n"
            "                         files are numbered FILE-1, FILE-2... before the\n"
            "                         extension\n"
            "  -G, --rotate-seconds SECONDS\n"
            "                         with -w: a new file for each period of SECONDS of\n"
            "                         packet time; strftime conversions in FILE (UTC), e.g.\n"
            "                         -w 'p-%H%M.pcap' -G 60, else numbered\n"
            "  -W, --file-count N     with -C or -G: keep only the newest N files (a ring)\n"
            "      --html FILE        also write a report to FILE as one self-contained HTML\n"
            "                         page (charts, tables, ladders; opens from disk with\n"
            "                         no network)\n"
            "      --aggregates       json: before each summary, failures per server, client\n"
            "                         subnet and minute, RSTs per sender, and a timeline of\n"
            "                         verdicts (records \"aggregate\" and \"timeline\")\n"
            "  -q, --quiet            no progress meter (shown on a terminal for runs longer\n"
            "                         than 2 s) and no note of what -w wrote\n"
            "      --lang LANG        text, help and messages in LANG (en, zh_CN) whatever\n"
            "                         the locale says\n"),
          stdout);
    fputs(_("\n"
            "Live capture (-i), until Ctrl-C or SIGTERM; each verdict is written as soon as\n"
            "it is final (a completed handshake 3 s after its ACK, a timeout once the\n"
            "retransmissions have stopped), line by line; the summary comes at the end:\n"
            "  -B, --buffer-size KIB  kernel capture buffer, KiB (default: libpcap's, 2 MiB)\n"
            "  -s, --snaplen BYTES    bytes kept of each packet, 96 to 262144 (0: 262144;\n"
            "                         default 512)\n"
            "  -Z, --relinquish-privileges USER\n"
            "                         once the interface is open, become USER (its groups\n"
            "                         too); as root an unknown USER is an error\n"
            "      --stats-interval SECONDS\n"
            "                         every SECONDS, counters so far: packets, verdicts,\n"
            "                         packets the kernel or the interface dropped, flows\n"
            "                         tracked (json: a {\"type\":\"stats\"} record on standard\n"
            "                         output; text: one line on standard error)\n"
            "      --no-default-filter\n"
            "                         without FILTER, capture everything; by default only\n"
            "                         what the verdicts and RST explanations need: SYN, FIN,\n"
            "                         RST and PSH segments, segments without payload, ICMP\n"
            "                         and ICMPv6 (see tcpwhy(1), LIVE MODE)\n"),
          stdout);
    fputs(_("\n"
            "  -h, --help             this help\n"
            "      --version          print the version\n"
            "\n"
            "Verdicts:\n"),
          stdout);
    for (int v = 0; v < TW_VERDICT_COUNT; v++)
        print_item(tw_verdict_name((enum tw_verdict)v), _(tw_verdict_help((enum tw_verdict)v)));
    fputs(_("\n"
            "Exit status: 0 when no attempt failed, 1 when at least one did (any verdict\n"
            "but ok, ok_after_retrans and unknown), 2 when the analysis could not run to\n"
            "the end (bad usage, unreadable or damaged input).\n"),
          stdout);
}
