/*
 * test.h - the smallest test harness that does the job.
 *
 * A test file defines its cases with PL_TEST(name) and lists them once in
 * PL_TEST_MAIN(...). The executable runs one case when given its name (that is
 * how ctest calls it: one ctest entry per case) and every case with no
 * argument. A failed check prints file, line and the expression and fails the
 * case; `--list` prints the names.
 */
#ifndef PL_TEST_H
#define PL_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  void (*fn)(void);
} pl_test_case;

extern int pl_test_failed;

#define PL_TEST(name) static void test_##name(void)
#define PL_CASE(name) {#name, test_##name}

#define CHECK(expr)                                                            \
  do {                                                                         \
    if (!(expr)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    long long pl__a = (long long)(a), pl__b = (long long)(b);                  \
    if (pl__a != pl__b) {                                                      \
      fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n",        \
              __FILE__, __LINE__, #a, #b, pl__a, pl__b);                       \
      pl_test_failed = 1;                                                      \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

#define PL_TEST_MAIN(...)                                                      \
  int pl_test_failed;                                                          \
  static const pl_test_case pl__cases[] = {__VA_ARGS__};                       \
  int main(int argc, char **argv) {                                            \
    size_t n = sizeof(pl__cases) / sizeof(pl__cases[0]);                       \
    int ran = 0, failed = 0;                                                   \
    for (size_t i = 0; i < n; i++) {                                           \
      if (argc > 1 && strcmp(argv[1], "--list") == 0) {                       \
        printf("%s\n", pl__cases[i].name);                                     \
        continue;                                                              \
      }                                                                        \
      if (argc > 1 && strcmp(argv[1], pl__cases[i].name) != 0)                 \
        continue;                                                              \
      pl_test_failed = 0;                                                      \
      pl__cases[i].fn();                                                       \
      ran++;                                                                   \
      if (pl_test_failed)                                                      \
        failed++;                                                              \
      fprintf(stderr, "%s %s\n", pl_test_failed ? "FAIL" : "ok",               \
              pl__cases[i].name);                                              \
    }                                                                          \
    if (argc > 1 && strcmp(argv[1], "--list") == 0)                           \
      return 0;                                                                \
    if (ran == 0) {                                                            \
      fprintf(stderr, "no such case: %s\n", argv[1]);                          \
      return 2;                                                                \
    }                                                                          \
    return failed ? 1 : 0;                                                     \
  }

#endif /* PL_TEST_H */
