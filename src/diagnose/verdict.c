/* Names of the closed sets in verdict.h. */
#include "diagnose/verdict.h"

#include <string.h>

static const char *const verdict_names[] = {
#define X(id, name, help) name,
    TW_VERDICT_LIST(X)
#undef X
};

static const char *const verdict_help[] = {
#define X(id, name, help) help,
    TW_VERDICT_LIST(X)
#undef X
};

static const char *const vantage_names[] = {
#define X(id, name) name,
    TW_VANTAGE_LIST(X)
#undef X
};

const char *tw_verdict_name(enum tw_verdict v)
{
    return (unsigned)v < TW_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

const char *tw_verdict_help(enum tw_verdict v)
{
    return (unsigned)v < TW_VERDICT_COUNT ? verdict_help[v] : "";
}

const char *tw_vantage_name(enum tw_vantage v)
{
    return (unsigned)v < TW_VANTAGE_COUNT ? vantage_names[v] : "middle";
}

int tw_vantage_parse(const char *name)
{
    for (int i = 0; i < TW_VANTAGE_COUNT; i++)
        if (strcmp(name, vantage_names[i]) == 0)
            return i;
    return -1;
}

int tw_verdict_is_failure(enum tw_verdict v)
{
    return v != TW_VERDICT_OK && v != TW_VERDICT_OK_AFTER_RETRANS && v != TW_VERDICT_UNKNOWN;
}
