/*
 * vectors.c - see vectors.h.
 */
#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>

cJSON *load_vectors(const char *file) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", PL_VECTORS_DIR, file);
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  buf[n] = '\0';
  cJSON *j = cJSON_Parse(buf);
  free(buf);
  return j;
}

const char *vstr(const cJSON *v, const char *key) {
  return cJSON_GetStringValue(cJSON_GetObjectItem(v, key));
}
