/* jsonget: typed accessors producing "ctx.key: problem" messages for bad instances. */
#include "jsonget.h"

#include <math.h>

/* Looks a member up, treating JSON null as absent, and reports a missing required member. */
static bool
member(json_t *obj, const char *key, bool required, const char *ctx, json_t **v, char **err)
{
	*v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (*v != NULL && json_is_null(*v))
		*v = NULL;
	if (*v == NULL && required) {
		util_errf(err, "%s: missing field \"%s\"", ctx, key);
		return false;
	}
	return true;
}

/* Reads a string member. */
bool
jsonget_string(json_t *obj, const char *key, bool required, const char *ctx, const char **out,
               char **err)
{
	json_t *v;

	if (!member(obj, key, required, ctx, &v, err))
		return false;
	if (v == NULL)
		return true;
	if (!json_is_string(v)) {
		util_errf(err, "%s.%s: must be a string", ctx, key);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

/* Reads an integer member within a range. */
bool
jsonget_int(json_t *obj, const char *key, bool required, long min, long max, const char *ctx,
            long *out, char **err)
{
	json_t *v;
	long x;

	if (!member(obj, key, required, ctx, &v, err))
		return false;
	if (v == NULL)
		return true;
	if (!json_is_integer(v)) {
		util_errf(err, "%s.%s: must be an integer", ctx, key);
		return false;
	}
	x = (long)json_integer_value(v);
	if (x < min || x > max) {
		util_errf(err, "%s.%s: %ld out of range [%ld, %ld]", ctx, key, x, min, max);
		return false;
	}
	*out = x;
	return true;
}

/* Reads a finite number member. */
bool
jsonget_number(json_t *obj, const char *key, bool required, const char *ctx, double *out,
               char **err)
{
	json_t *v;

	if (!member(obj, key, required, ctx, &v, err))
		return false;
	if (v == NULL)
		return true;
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		util_errf(err, "%s.%s: must be a number", ctx, key);
		return false;
	}
	*out = json_number_value(v);
	return true;
}

/* Reads a boolean member. */
bool
jsonget_bool(json_t *obj, const char *key, bool required, const char *ctx, bool *out, char **err)
{
	json_t *v;

	if (!member(obj, key, required, ctx, &v, err))
		return false;
	if (v == NULL)
		return true;
	if (!json_is_boolean(v)) {
		util_errf(err, "%s.%s: must be true or false", ctx, key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

/* Reads an array member. */
bool
jsonget_array(json_t *obj, const char *key, bool required, const char *ctx, json_t **out,
              char **err)
{
	json_t *v;

	*out = NULL;
	if (!member(obj, key, required, ctx, &v, err))
		return false;
	if (v != NULL && !json_is_array(v)) {
		util_errf(err, "%s.%s: must be an array", ctx, key);
		return false;
	}
	*out = v;
	return true;
}

/* Reads an object member. */
bool
jsonget_object(json_t *obj, const char *key, bool required, const char *ctx, json_t **out,
               char **err)
{
	json_t *v;

	*out = NULL;
	if (!member(obj, key, required, ctx, &v, err))
		return false;
	if (v != NULL && !json_is_object(v)) {
		util_errf(err, "%s.%s: must be an object", ctx, key);
		return false;
	}
	*out = v;
	return true;
}
