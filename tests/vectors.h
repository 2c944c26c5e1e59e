/*
 * vectors.h - reading the known-answer vectors in tests/vectors/ (JSON).
 */
#ifndef PL_VECTORS_H
#define PL_VECTORS_H

#include <cjson/cJSON.h>

/* Parses PL_VECTORS_DIR/<file>; NULL when missing or malformed. Free with
 * cJSON_Delete. */
cJSON *load_vectors(const char *file);

/* The string member `key` of `v`, or NULL. */
const char *vstr(const cJSON *v, const char *key);

#endif /* PL_VECTORS_H */
