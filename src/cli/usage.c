/* --help text, in parts so that each translation unit stays readable. The
 * verdict list comes from diagnose/verdict.h. */
#include <stdio.h>

#include "base/i18n.h"
#include "cli/options.h"
#include "diagnose/verdict.h"

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
            "      --memcap SIZE      memory for tracking connections (default 64M)\n"
            "      --max-flows N      track at most N connections at once (default: what\n"
            "                         --memcap holds); the least recently active is judged\n"
            "                         early when a new one arrives\n"
            "      --app-timeout DUR  the application's connect timeout (e.g. 1.5s, 500ms):\n"
            "                         list the connects that took longer\n"
            "      --idle SECONDS     a connection quiet this long is finished (default 300)\n"
            "      --separate         with several files, analyse each alone (by default\n"
            "                         captures of the same traffic are correlated)\n"
            "  -v, --verbose          text: show every attempt, healthy ones too\n"
            "      --no-ladder        text: no ladder diagrams in the problem blocks\n"
            "      --color WHEN       auto (default: on a terminal, unless NO_COLOR is set),\n"
            "                         always or never: ANSI colours in the ladders\n"
            "      --width COLS       fit the ladders in COLS columns (default: the\n"
            "                         terminal's width, 80 when not a terminal)\n"
            "      --filter           instead of the report, print a Wireshark display filter\n"
            "                         selecting the evidence packets and RSTs of every failed\n"
            "                         or degraded attempt (by addresses, ports, sequence\n"
            "                         numbers), e.g. tshark -r F -Y \"$(tcpwhy --filter F)\"\n"
            "  -w, --write FILE       also write the packets of failed or degraded attempts\n"
            "                         (whole attempts, their RSTs and ICMP errors) to FILE, a\n"
            "                         pcap; with several inputs, one FILE-<input name> each.\n"
            "                         Reads the inputs twice: not with '-' or -i\n"
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
            "  -B, --buffer-size KIB  kernel capture buffer in KiB (default: libpcap's, 2 MiB)\n"
            "  -s, --snaplen BYTES    bytes kept of each packet (96 to 262144, 0: 262144; default 512)\n"
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
        printf("  %-22s %s\n", tw_verdict_name((enum tw_verdict)v),
               _(tw_verdict_help((enum tw_verdict)v)));
    fputs(_("\n"
            "Exit status: 0 when no attempt failed, 1 when at least one did (any verdict\n"
            "but ok, ok_after_retrans and unknown), 2 when the analysis could not run to\n"
            "the end (bad usage, unreadable or damaged input).\n"),
          stdout);
}
