/* jsonget: typed, validating accessors for instance fields; each sets *err on failure. */
#ifndef TANDEM_MATCHER_JSONGET_H
#define TANDEM_MATCHER_JSONGET_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

/* Reads a string member; absent is an error when required, else leaves *out untouched. */
bool jsonget_string(json_t *obj, const char *key, bool required, const char *ctx, const char **out,
                    char **err) WUR;

/* Reads an integer member (JSON integer only) within [min, max]; null counts as absent. */
bool jsonget_int(json_t *obj, const char *key, bool required, long min, long max, const char *ctx,
                 long *out, char **err) WUR;

/* Reads a finite number member (integer or real); null counts as absent. */
bool jsonget_number(json_t *obj, const char *key, bool required, const char *ctx, double *out,
                    char **err) WUR;

/* Reads a boolean member. */
bool jsonget_bool(json_t *obj, const char *key, bool required, const char *ctx, bool *out,
                  char **err) WUR;

/* Reads an array member; absent optional arrays give *out = NULL. */
bool jsonget_array(json_t *obj, const char *key, bool required, const char *ctx, json_t **out,
                   char **err) WUR;

/* Reads an object member; absent optional objects give *out = NULL. */
bool jsonget_object(json_t *obj, const char *key, bool required, const char *ctx, json_t **out,
                    char **err) WUR;

#endif
