/* Bounds-checked reading of packet bytes.
 *
 * A cursor is a window on captured bytes. Every read checks the window; a read
 * past the end returns 0, moves the cursor to the end and sets short_read,
 * which stays set. A decoder therefore reads a whole header and checks once.
 * The cursor borrows the bytes: it never owns or frees them. */
#ifndef TW_BASE_CURSOR_H
#define TW_BASE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tw_cursor {
    const uint8_t *p; /* first byte of the window */
    size_t len;       /* captured bytes in the window */
    size_t pos;       /* next byte to read (pos <= len) */
    bool short_read;  /* a read went past len; stays set */
};

static inline struct tw_cursor tw_cursor_make(const uint8_t *p, size_t len)
{
    struct tw_cursor c = {p, len, 0, false};
    return c;
}

static inline size_t tw_left(const struct tw_cursor *c) { return c->len - c->pos; }

static inline const uint8_t *tw_here(const struct tw_cursor *c) { return c->p + c->pos; }

static inline bool tw_need(struct tw_cursor *c, size_t n)
{
    if (c->len - c->pos < n) {
        c->short_read = true;
        c->pos = c->len;
        return false;
    }
    return true;
}

static inline uint8_t tw_get_u8(struct tw_cursor *c)
{
    if (!tw_need(c, 1))
        return 0;
    return c->p[c->pos++];
}

static inline uint16_t tw_get_be16(struct tw_cursor *c)
{
    if (!tw_need(c, 2))
        return 0;
    c->pos += 2;
    return (uint16_t)(c->p[c->pos - 2] << 8 | c->p[c->pos - 1]);
}

static inline uint16_t tw_get_le16(struct tw_cursor *c)
{
    if (!tw_need(c, 2))
        return 0;
    c->pos += 2;
    return (uint16_t)(c->p[c->pos - 1] << 8 | c->p[c->pos - 2]);
}

static inline uint32_t tw_get_be32(struct tw_cursor *c)
{
    if (!tw_need(c, 4))
        return 0;
    const uint8_t *b = c->p + c->pos;
    c->pos += 4;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint32_t tw_get_le32(struct tw_cursor *c)
{
    if (!tw_need(c, 4))
        return 0;
    const uint8_t *b = c->p + c->pos;
    c->pos += 4;
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* Copies n bytes into out (zeroes on a short read). */
static inline void tw_get_bytes(struct tw_cursor *c, void *out, size_t n)
{
    if (!tw_need(c, n)) {
        memset(out, 0, n);
        return;
    }
    memcpy(out, c->p + c->pos, n);
    c->pos += n;
}

static inline void tw_skip(struct tw_cursor *c, size_t n)
{
    if (tw_need(c, n))
        c->pos += n;
}

/* A narrower window of up to n bytes starting here; the parent moves past it.
 * When fewer than n bytes are captured, the sub-window holds what there is
 * (the parent is then at its end, and short_read is set on the parent only,
 * since the caller may legitimately read a packet cut by the snap length). */
static inline struct tw_cursor tw_sub(struct tw_cursor *c, size_t n)
{
    size_t have = c->len - c->pos;
    size_t take = n < have ? n : have;
    struct tw_cursor s = {c->p + c->pos, take, 0, false};
    c->pos += take;
    if (take < n)
        c->short_read = true;
    return s;
}

#endif
