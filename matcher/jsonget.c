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

static bool
is_string(const json_t *v)
{
	return json_is_string(v);
}

static bool
is_integer(const json_t *v)
{
	return json_is_integer(v);
}

static bool
is_finite_number(const json_t *v)
{
	return json_is_number(v) && isfinite(json_number_value(v));
}

static bool
is_boolean(const json_t *v)
{
	return json_is_boolean(v);
}

static bool
is_array(const json_t *v)
{
	return json_is_array(v);
}

static bool
is_object(const json_t *v)
{
	return json_is_object(v);
}

/* Looks a member up like member() and checks its type, reporting "ctx.key: must be <what>";
 * *v is NULL when an optional member is absent. */
static bool
typed_member(json_t *obj, const char *key, bool required, const char *ctx,
             bool (*ok)(const json_t *), const char *what, json_t **v, char **err)
{
	if (!member(obj, key, required, ctx, v, err))
		return false;
	if (*v != NULL && !ok(*v)) {
		util_errf(err, "%s.%s: must be %s", ctx, key, what);
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

	if (!typed_member(obj, key, required, ctx, is_string, "a string", &v, err))
		return false;
	if (v != NULL)
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

	if (!typed_member(obj, key, required, ctx, is_integer, "an integer", &v, err))
		return false;
	if (v == NULL)
		return true;
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

	if (!typed_member(obj, key, required, ctx, is_finite_number, "a number", &v, err))
		return false;
	if (v != NULL)
		*out = json_number_value(v);
	return true;
}

/* Reads a boolean member. */
bool
jsonget_bool(json_t *obj, const char *key, bool required, const char *ctx, bool *out, char **err)
{
	json_t *v;

	if (!typed_member(obj, key, required, ctx, is_boolean, "true or false", &v, err))
		return false;
	if (v != NULL)
		*out = json_is_true(v);
	return true;
}

/* Reads an array member. */
bool
jsonget_array(json_t *obj, const char *key, bool required, const char *ctx, json_t **out,
              char **err)
{
	bool ok = typed_member(obj, key, required, ctx, is_array, "an array", out, err);

	if (!ok)
		*out = NULL;
	return ok;
}

/* Reads an object member. */
bool
jsonget_object(json_t *obj, const char *key, bool required, const char *ctx, json_t **out,
               char **err)
{
	bool ok = typed_member(obj, key, required, ctx, is_object, "an object", out, err);

	if (!ok)
		*out = NULL;
	return ok;
}
