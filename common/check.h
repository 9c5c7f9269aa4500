// Invariant checks that stay on in every build: a broken invariant aborts loudly, with the
// condition and where it failed, rather than letting a replica go on from a state that can
// no longer be trusted (STYLE.md: "Invariant violations abort loudly").
#pragma once

#include <cstdio>
#include <cstdlib>

#define MERIDIAN_CHECK(condition)                                                              \
  do {                                                                                         \
    if (!(condition)) [[unlikely]] {                                                           \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
