/* The language of the human-facing text: the locale's (LANGUAGE, LC_ALL,
 * LC_MESSAGES, LANG, as for other GNU programs), or --lang's.
 *
 * Only LC_MESSAGES and LC_CTYPE follow the environment: LC_NUMERIC stays
 * "C", so numbers keep their '.' whatever the locale (JSON must not
 * change). glibc ignores LANGUAGE while LC_MESSAGES is "C", and a locale
 * that is not generated on the machine (say zh_CN.UTF-8 without
 * locale-gen) leaves it "C": LANG=zh_CN.UTF-8 then gives English, as it
 * does for every other programme. --lang works even then: it sets
 * LANGUAGE and falls back to the always present C.UTF-8 for LC_MESSAGES
 * and LC_CTYPE, so that the catalogue is read and its UTF-8 is written as
 * it is. */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/i18n.h"
#include "cli/options.h"

/* The catalogues: $TCPWHY_LOCALEDIR; else locale/ next to the executable
 * when it is there (the build tree, so that tests run the uninstalled
 * binary); else the installed ones. */
static void locale_dir(char *buf, size_t size)
{
    const char *env = getenv("TCPWHY_LOCALEDIR");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, size, "%s/locale", exe);
            if (access(buf, R_OK | X_OK) == 0)
                return;
        }
    }
    snprintf(buf, size, "%s", TCPWHY_LOCALEDIR);
}

/* --lang VALUE or --lang=VALUE before "--", or NULL. */
static const char *find_lang(int argc, char **argv)
{
    const char *lang = NULL;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            lang = argv[++i];
        else if (strncmp(argv[i], "--lang=", 7) == 0)
            lang = argv[i] + 7;
    }
    return lang;
}

static bool is_c_locale(const char *name)
{
    return !name || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0;
}

void tw_cli_set_language(int argc, char **argv)
{
    setlocale(LC_CTYPE, "");
    setlocale(LC_MESSAGES, "");
    const char *lang = find_lang(argc, argv);
    if (lang && *lang) {
        setenv("LANGUAGE", lang, 1);
        if (is_c_locale(setlocale(LC_MESSAGES, NULL)))
            setlocale(LC_MESSAGES, "C.UTF-8");
        if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
            setlocale(LC_CTYPE, "C.UTF-8");
    }
    char dir[PATH_MAX + 16];
    locale_dir(dir, sizeof dir);
    bindtextdomain("tcpwhy", dir);
    textdomain("tcpwhy");
}

/* JSON's texts are English; libpcap's errors quote strerror(), which glibc
 * translates from its own "libc" catalogue: pointing that domain nowhere
 * keeps them English too (tcpwhy's own messages on stderr still follow the
 * language). */
void tw_cli_english_system_messages(void) { bindtextdomain("libc", "/nonexistent"); }
