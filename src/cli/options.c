/* Parsing the command line, tcpdump style: options, then capture files, then
 * an optional BPF filter expression. With -r FILE or -i IFACE every remaining
 * word is filter; otherwise words naming existing files (or "-") are inputs
 * and the first word that is not starts the filter. */
#include "cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/i18n.h"
#include "diagnose/verdict.h"

#define DEFAULT_MEMCAP (64u << 20)
#define DEFAULT_IDLE_S 300

enum { OPT_SEPARATE = 300, OPT_COLOR, OPT_WIDTH, OPT_NO_LADDER, OPT_WSFILTER, OPT_APP_TIMEOUT };
enum { OPT_STATS_INTERVAL = 400, OPT_NO_DEFAULT_FILTER, OPT_LANG };
enum { OPT_HTML = 500, OPT_AGGREGATES };
enum { OPT_FORMAT = 256, OPT_VANTAGE, OPT_MEMCAP, OPT_MAX_FLOWS, OPT_IDLE, OPT_VERSION };
enum { OPT_THREADS = 600 };

static const struct option long_options[] = {
    {"format", required_argument, NULL, OPT_FORMAT},
    {"vantage", required_argument, NULL, OPT_VANTAGE},
    {"memcap", required_argument, NULL, OPT_MEMCAP},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"idle", required_argument, NULL, OPT_IDLE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"app-timeout", required_argument, NULL, OPT_APP_TIMEOUT},
    {"verbose", no_argument, NULL, 'v'},
    {"separate", no_argument, NULL, OPT_SEPARATE},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"no-ladder", no_argument, NULL, OPT_NO_LADDER},
    {"filter", optional_argument, NULL, OPT_WSFILTER},
    {"write", required_argument, NULL, 'w'},
    {"html", required_argument, NULL, OPT_HTML},
    {"aggregates", no_argument, NULL, OPT_AGGREGATES},
    {"file-size", required_argument, NULL, 'C'},
    {"rotate-seconds", required_argument, NULL, 'G'},
    {"file-count", required_argument, NULL, 'W'},
    {"quiet", no_argument, NULL, 'q'},
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"buffer-size", required_argument, NULL, 'B'},
    {"snaplen", required_argument, NULL, 's'},
    {"relinquish-privileges", required_argument, NULL, 'Z'},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"no-default-filter", no_argument, NULL, OPT_NO_DEFAULT_FILTER},
    {"lang", required_argument, NULL, OPT_LANG},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* --lang: a language tcpwhy has messages in (English is the source), as
 * a locale names it (zh_CN, zh_CN.UTF-8, en_GB, C), or a LANGUAGE list
 * that starts with one (zh_CN:en). */
static bool is_known_language(const char *lang)
{
    size_t n = strcspn(lang, ":");
    size_t base = strcspn(lang, "_.@:");
    if (n == 1 && lang[0] == 'C')
        return true;
    if (n == 5 && strncmp(lang, "POSIX", 5) == 0)
        return true;
    if (base == 2 && strncmp(lang, "en", 2) == 0)
        return true;
    return strncmp(lang, "zh_CN", 5) == 0 && (n == 5 || lang[5] == '.' || lang[5] == '@');
}

/* "64M", "1G", "65536" -> bytes; 0 on error (strtoull takes "-1" for the
 * largest value, and a shift can carry a number past 64 bits). */
static size_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *s == '-' || errno == ERANGE)
        return 0;
    int shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (v > (SIZE_MAX >> shift))
        return 0;
    v <<= shift;
    if (*end == 'i' || *end == 'B')
        end++;
    if (*end == 'B')
        end++;
    return *end ? 0 : (size_t)v;
}

/* -C as tcpdump takes it: "2" is 2,000,000 bytes; "2k", "2m", "2g" are
 * KiB, MiB, GiB. 0 on error. */
static uint64_t parse_file_size(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *s == '-' || v > (1ull << 40))
        return 0;
    if (!*end)
        return v * 1000000;
    if (end[1])
        return 0;
    switch (*end) {
    case 'k': case 'K': return v << 10;
    case 'm': case 'M': return v << 20;
    case 'g': case 'G': return v << 30;
    default: return 0;
    }
}

/* "1.5s", "500ms", "3" (seconds), "2m" -> ns; 0 on error. */
static int64_t parse_duration_ns(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0 && v <= 1e6)) /* NaN too */
        return 0;
    double scale = 1e9;
    if (strcmp(end, "ms") == 0)
        scale = 1e6;
    else if (strcmp(end, "us") == 0)
        scale = 1e3;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        scale = 60e9;
    else if (*end && strcmp(end, "s") != 0)
        return 0;
    return (int64_t)(v * scale);
}

static bool is_input(const char *word)
{
    struct stat st;
    return strcmp(word, "-") == 0 || stat(word, &st) == 0;
}

/* A word no BPF expression starts with: a path ("./a", "dir/b") or a
 * capture file's name ("c.pcap", "d.pcapng.gz"). "net 10.0.0.0/8" starts
 * with "net"; a lone CIDR is no filter either. */
static bool looks_like_path(const char *word)
{
    static const char *const exts[] = {".pcap", ".pcapng", ".cap", ".ntar", ".erf", ".gz"};
    if (strpbrk(word, " \t()"))
        return false;
    if (strncmp(word, "./", 2) == 0 || strncmp(word, "../", 3) == 0 || word[0] == '/' ||
        word[0] == '~')
        return true;
    if (strchr(word, '/') && strspn(word, "0123456789abcdefABCDEF.:/") != strlen(word))
        return true;
    size_t n = strlen(word);
    for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++) {
        size_t e = strlen(exts[k]);
        if (n > e && strcmp(word + n - e, exts[k]) == 0)
            return true;
    }
    return false;
}

static char *join_words(char **words, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, words[i]);
    }
    return s;
}

int tw_cli_parse(int argc, char **argv, struct tw_cli_options *o, struct tw_error *err)
{
    memset(o, 0, sizeof *o);
    o->vantage = -1;
    o->memcap_bytes = DEFAULT_MEMCAP;
    o->idle_ns = (int64_t)DEFAULT_IDLE_S * 1000000000;
    o->has_ladder = true;
    const char *read_file = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hvqr:i:w:C:G:W:B:s:Z:", long_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            tw_cli_usage();
            return 1;
        case OPT_VERSION:
            printf("tcpwhy %s\n", TCPWHY_VERSION);
            return 1;
        case 'v':
            o->is_verbose = true;
            break;
        case OPT_SEPARATE:
            o->is_separate = true;
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") == 0)
                o->color = TW_COLOR_AUTO;
            else if (strcmp(optarg, "always") == 0)
                o->color = TW_COLOR_ALWAYS;
            else if (strcmp(optarg, "never") == 0)
                o->color = TW_COLOR_NEVER;
            else
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--color takes auto, always or never, not '%s'", optarg);
            break;
        case OPT_WIDTH: {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 40 || n > 1000)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--width takes a column count from 40 to 1000, not '%s'", optarg);
            o->width_cols = (int)n;
            break;
        }
        case OPT_NO_LADDER:
            o->has_ladder = false;
            break;
        case OPT_WSFILTER:
            o->is_wsfilter = true;
            o->wsfilter_file = optarg;
            break;
        case 'w':
            o->write_file = optarg;
            break;
        case 'C':
            o->rotate_bytes = parse_file_size(optarg);
            if (!o->rotate_bytes)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "-C takes a size in millions of bytes, or with a suffix k, m or "
                               "g (KiB, MiB, GiB), not '%s'",
                               optarg);
            break;
        case 'G': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 100000000)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "-G takes whole seconds from 1 to 100000000, not '%s'", optarg);
            o->rotate_ns = (int64_t)n * 1000000000;
            break;
        }
        case 'W': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 100000)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "-W takes a file count from 1 to 100000, not '%s'", optarg);
            o->max_files = (unsigned)n;
            break;
        }
        case 'q':
            o->is_quiet = true;
            break;
        case OPT_HTML:
            if (strcmp(optarg, "-") == 0)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--html writes a file; '-' (standard output) holds the report");
            o->html_file = optarg;
            break;
        case OPT_AGGREGATES:
            o->has_aggregates = true;
            break;
        case 'r':
            read_file = optarg;
            break;
        case 'i':
            o->interface = optarg;
            break;
        case 'B': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 4 * 1024 * 1024)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "-B takes a buffer size in KiB from 1 to 4194304, not '%s'", optarg);
            o->buffer_kib = (int)n;
            break;
        }
        case 's': {
            char *end;
            long n = strtol(optarg, &end, 10);
            /* 0 means the largest, as in tcpdump; less than 96 bytes cannot
             * hold an IPv6 and a TCP header with options behind a link header */
            if (end == optarg || *end || n < 0 || n > 262144 || (n > 0 && n < 96))
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "-s takes a snap length from 96 to 262144 bytes (0: 262144), not "
                               "'%s'",
                               optarg);
            o->snaplen = n ? (int)n : 262144;
            break;
        }
        case 'Z':
            o->user = optarg;
            break;
        case OPT_STATS_INTERVAL: {
            char *end;
            double sec = strtod(optarg, &end);
            if (end == optarg || *end || !(sec >= 0.2 && sec <= 86400)) /* NaN too */
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--stats-interval takes seconds from 0.2 to 86400, not '%s'",
                               optarg);
            o->stats_interval_ns = (int64_t)(sec * 1e9);
            break;
        }
        case OPT_LANG: /* applied before parsing (lang.c); here only checked */
            if (!is_known_language(optarg))
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--lang takes en or zh_CN, not '%s'", optarg);
            break;
        case OPT_NO_DEFAULT_FILTER:
            o->is_default_filter_off = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0 || strcmp(optarg, "jsonl") == 0)
                o->format = TW_FORMAT_JSON;
            else if (strcmp(optarg, "text") == 0)
                o->format = TW_FORMAT_TEXT;
            else
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--format takes text or json, not '%s'", optarg);
            break;
        case OPT_VANTAGE:
            o->vantage = tw_vantage_parse(optarg);
            if (o->vantage < 0 || o->vantage == TW_VANTAGE_BOTH)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--vantage takes client, server or middle, not '%s'", optarg);
            break;
        case OPT_MEMCAP:
            o->memcap_bytes = parse_size(optarg);
            if (o->memcap_bytes < (1u << 20))
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--memcap takes a size such as 64M (at least 1M), not '%s'", optarg);
            break;
        case OPT_MAX_FLOWS: {
            char *end;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 100000000ULL)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--max-flows takes a count from 1 to 100000000, not '%s'", optarg);
            o->max_flows = (size_t)n;
            break;
        }
        case OPT_THREADS: {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 64)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--threads takes a count from 1 to 64, not '%s'", optarg);
            o->n_threads = (int)n;
            break;
        }
        case OPT_APP_TIMEOUT: {
            int64_t ns = parse_duration_ns(optarg);
            if (ns <= 0)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--app-timeout takes a duration such as 1.5s, 500ms or 3, not "
                               "'%s'",
                               optarg);
            o->app_timeout_ns = ns;
            break;
        }
        case OPT_IDLE: {
            char *end;
            double s = strtod(optarg, &end);
            if (end == optarg || *end || !(s > 0 && s <= 1e6)) /* NaN too */
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "--idle takes seconds, not '%s'", optarg);
            o->idle_ns = (int64_t)(s * 1e9);
            break;
        }
        case ':':
            return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0, "%s needs an argument",
                           argv[optind - 1]);
        default:
            return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0, "unknown option '%s'",
                           argv[optind - 1]);
        }
    }
    o->files = calloc((size_t)argc + 1, sizeof *o->files);
    if (!o->files)
        return tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0, "out of memory");
    int i = optind;
    if (read_file)
        o->files[o->n_files++] = (char *)read_file;
    else if (!o->interface)
        while (i < argc && is_input(argv[i]))
            o->files[o->n_files++] = argv[i++];
    if (i < argc) {
        o->filter = join_words(argv + i, argc - i);
        if (!o->filter)
            return tw_fail(err, TW_E_NOMEM, NULL, TW_OFFSET_UNKNOWN, 0, "out of memory");
    }
    if (o->interface && read_file)
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0, "-i and -r exclude each other");
    if (!o->interface && (o->buffer_kib || o->snaplen || o->user || o->stats_interval_ns ||
                          o->is_default_filter_off))
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "-B, -s, -Z, --stats-interval and --no-default-filter are for live "
                       "capture (-i)");
    if (!o->write_file && (o->rotate_bytes || o->rotate_ns || o->max_files))
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "-C, -G and -W rotate the files of -w, which is not given");
    if (o->max_files && !o->rotate_bytes && !o->rotate_ns)
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "-W keeps the last files of a rotation: it needs -C or -G");
    if (o->wsfilter_file) {
        bool is_input = false;
        for (size_t k = 0; k < o->n_files && !is_input; k++)
            is_input = strcmp(o->files[k], o->wsfilter_file) == 0;
        if (!is_input)
            return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                           "--filter=%s names none of the input files", o->wsfilter_file);
    }
    /* Standard input is read once. More than two inputs are read once per
     * pair to choose the pairs, then again (main.c). */
    size_t n_stdin = 0;
    for (size_t k = 0; k < o->n_files; k++)
        n_stdin += strcmp(o->files[k], "-") == 0;
    if (n_stdin > 1)
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "standard input ('-') can be given only once");
    if (n_stdin && o->n_files > 2 && !o->is_separate)
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "with more than two inputs each is read several times to pair them; "
                       "standard input cannot be read again: save it to a file first (or "
                       "use --separate)");
    if (o->write_file) {
        /* Problems are known only at the end: -w reads each file twice
         * (live, it keeps the packets in memory instead). */
        for (size_t k = 0; k < o->n_files; k++)
            if (strcmp(o->files[k], "-") == 0)
                return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                               "-w needs capture files (it reads them twice); standard input "
                               "cannot be read again: save it to a file first");
        if (strcmp(o->write_file, "-") == 0)
            return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                           "-w writes a file; '-' (standard output) holds the report");
    }
    /* "a.pcap ./missing.pcap": the second word would be taken for a filter
     * and fail as one; a word that reads as a path is a missing file */
    if (!read_file && !o->interface && o->n_files > 0 && i < argc && looks_like_path(argv[i]))
        return tw_fail(err, TW_E_IO, argv[i], TW_OFFSET_UNKNOWN, 0,
                       "no such file (it reads as a capture file's name, not as a filter)");
    if (!o->interface && o->n_files == 0) {
        if (i < argc)
            return tw_fail(err, TW_E_IO, argv[optind], TW_OFFSET_UNKNOWN, 0,
                           "no such file (and no capture file was named before it)");
        return tw_fail(err, TW_E_USAGE, NULL, TW_OFFSET_UNKNOWN, 0,
                       "no capture file given (use '-' for standard input)");
    }
    return 0;
}

void tw_cli_options_fini(struct tw_cli_options *o)
{
    free(o->files);
    free(o->filter);
    memset(o, 0, sizeof *o);
}
