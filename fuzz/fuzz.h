/* The fuzz targets' entry points.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput for libFuzzer. Built for
 * replay.c (a plain main, part of the normal build and of ctest), the same
 * files are compiled with TW_FUZZ_REPLAY and the entry points take the names
 * below, so that one program runs every saved input through all of them. */
#ifndef TW_FUZZ_FUZZ_H
#define TW_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int tw_fuzz_decode(const uint8_t *data, size_t size);
int tw_fuzz_capture(const uint8_t *data, size_t size);
int tw_fuzz_track(const uint8_t *data, size_t size);
int tw_fuzz_pair(const uint8_t *data, size_t size);

#ifdef TW_FUZZ_REPLAY
#define TW_FUZZ_ENTRY(name) tw_fuzz_##name
#else
#define TW_FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif

#endif
