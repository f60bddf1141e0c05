/* The generic request engine: finds the route among the resources' tables, checks what its row
 * declares, then runs its one statement (authentication included) and replies. */
#include "router.h"
#include "auth.h"
#include "handlers.h"
#include "ratelimit.h"
#include "request.h"
#include "server.h"
#include "token.h"
#include "validate.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every resource's routes, searched in this order. */
static const struct route_table *const router_tables[] = {
    &health_routes,   &employees_routes, &skills_routes,       &rounds_routes,    &pairs_routes,
    &sessions_routes, &badges_routes,    &leaderboards_routes, &activity_routes,  &stats_routes,
    &tokens_routes,   &webhooks_routes,  &openbadges_routes,   &hr_import_routes, &scim_routes,
    &esn_routes,      &auth_routes,      &static_routes, /* the web app, searched last */
};

#define ROUTER_NTABLES (sizeof(router_tables) / sizeof(router_tables[0]))

const char *
router_route_pattern(const struct route *route)
{
	return route != NULL ? route->pattern : NULL;
}

/* Whether path is one of the prefixes (itself, or below it) a route excludes. */
static bool
router_excluded(const char *const *except, const char *path)
{
	for (; except != NULL && *except != NULL; except++) {
		size_t len = strlen(*except);

		if (strncmp(path, *except, len) == 0 && (path[len] == '\0' || path[len] == '/'))
			return true;
	}
	return false;
}

/* Matches path against the route's pattern; on success *param receives a copy of the {} segment
 * (or NULL). */
static bool
router_match(const struct route *rt, const char *path, char **param)
{
	const char *p = rt->pattern, *s = path;

	*param = NULL;
	if (router_excluded(rt->except, path))
		return false;
	while (*p && *s) {
		if (strcmp(p, "{*}") == 0)
			return true; /* the rest, at least one character */
		if (p[0] == '{' && p[1] == '}') {
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);

			if (len == 0)
				goto fail;
			free(*param);
			*param = strndup(s, len);
			s += len;
			p += 2;
			continue;
		}
		if (*p != *s)
			goto fail;
		p++;
		s++;
	}
	if (*p == '\0' && *s == '\0')
		return true;
fail:
	free(*param);
	*param = NULL;
	return false;
}

/* Percent-decodes the captured path segment; false when it would hide a NUL or a '/'. */
static bool
router_decode_param(struct request *r)
{
	size_t len = 0;
	char *decoded = evhttp_uridecode(r->param, 0, &len);

	if (decoded == NULL)
		return false;
	if (len != strlen(decoded) || strchr(decoded, '/') != NULL || len == 0) {
		free(decoded);
		return false;
	}
	free(r->param);
	r->param = decoded;
	return true;
}

/* Parses the request body into r->body as a JSON object, replying 4xx when it is not one. */
static bool
router_parse_body(struct request *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *ctype =
	    evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Content-Type");
	json_error_t jerr;
	unsigned char *data;

	if (len == 0) {
		if (r->route->body == BODY_OPTIONAL)
			return true;
		request_reply_error(r, 400, "malformed_json", NULL,
		                    "a JSON object body is required");
		return false;
	}
	if (ctype != NULL && !(strncasecmp(ctype, "application/json", 16) == 0 &&
	                       (ctype[16] == '\0' || ctype[16] == ';' || ctype[16] == ' '))) {
		request_reply_error(r, 415, "unsupported_media_type", NULL,
		                    "the body must be application/json");
		return false;
	}
	data = evbuffer_pullup(in, -1);
	r->body = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->body == NULL) {
		request_reply_error(r, 400, "malformed_json", NULL,
		                    "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
		                    jerr.text);
		return false;
	}
	if (!json_is_object(r->body)) {
		request_reply_error(r, 400, "malformed_json", NULL,
		                    "the body must be a JSON object");
		return false;
	}
	return true;
}

void
route_empty_cb(struct request *r, const PGresult *res)
{
	(void)res;
	request_reply_empty(r);
}

/* Runs the route's one statement with its declared parameters. */
static void
router_statement(struct request *r)
{
	const struct route *rt = r->route;
	const struct settings *cfg = r->srv->cfg;
	const char *params[ROUTE_MAX_ARGS];
	char *body = NULL, days[16];
	int n = 0;

	for (; n < ROUTE_MAX_ARGS && rt->args[n] != ARG_END; n++) {
		switch (rt->args[n]) {
		case ARG_TOKEN:
			params[n] = r->token_hash;
			break;
		case ARG_PARAM:
			params[n] = r->param;
			break;
		case ARG_BODY:
			body = r->body ? json_dumps(r->body, JSON_COMPACT) : strdup("{}");
			if (body == NULL) {
				request_reply_error(r, 500, "internal", NULL, "out of memory");
				return;
			}
			params[n] = body;
			break;
		case ARG_BASE_URL:
			params[n] = cfg->public_base_url;
			break;
		case ARG_ISSUER_NAME:
			params[n] = cfg->issuer_name;
			break;
		case ARG_ISSUER_EMAIL:
			params[n] = cfg->issuer_email;
			break;
		case ARG_STALL_DAYS:
			snprintf(days, sizeof(days), "%d", cfg->stall_days);
			params[n] = days;
			break;
		case ARG_SSO:
			params[n] = cfg->oidc_issuer != NULL ? "true" : "false";
			break;
		case ARG_VIA_COOKIE:
			params[n] = r->via_cookie ? "true" : "false";
			break;
		case ARG_END:
			break;
		}
	}
	request_query(r, rt->sql, n, params, rt->done);
	free(body);
}

/* Runs a route: parses and checks what the row declares, then its statement or handler. */
static void
router_run(struct request *r)
{
	const struct route *rt = r->route;

	if (rt->body != BODY_NONE && !router_parse_body(r))
		return;
	if (rt->id_of != NULL && !request_param_id(r, rt->id_of))
		return;
	if (rt->rules != NULL && !request_validate(r, rt->rules, rt->nrules, rt->partial))
		return;
	if (rt->check != NULL && !rt->check(r))
		return;
	if (rt->handler != NULL)
		rt->handler(r);
	else
		router_statement(r);
}

/* The caller passed api.authorize: the request's own refusal can be told. */
static void
router_authorized_cb(struct request *r, const PGresult *res)
{
	(void)res;
	request_release_error(r);
}

/* A request was refused before its statement: check the caller first, as its api function would
 * have, so an unknown or unauthorised caller gets 401/403 rather than the refusal. */
static void
router_hold_cb(struct request *r)
{
	static const char *const needs[] = {[AUTH_NONE] = "any",
	                                    [AUTH_EMPLOYEE] = "employee",
	                                    [AUTH_HR] = "hr",
	                                    [AUTH_ANY] = "any"};
	const char *params[2] = {r->token_hash, needs[r->route->auth]};

	request_query(r, "SELECT api.authorize($1, $2)", 2, params, router_authorized_cb);
}

/* Writes the Allow header value listing the methods that exist for path. */
static bool
router_allowed(const char *path, char *allow, size_t len)
{
	char *param;

	allow[0] = '\0';
	for (size_t t = 0; t < ROUTER_NTABLES; t++) {
		for (size_t i = 0; i < router_tables[t]->n; i++) {
			const struct route *rt = &router_tables[t]->routes[i];

			if (!router_match(rt, path, &param))
				continue;
			free(param);
			if (strstr(allow, rt->method) != NULL)
				continue;
			if (allow[0] != '\0')
				strncat(allow, ", ", len - strlen(allow) - 1);
			strncat(allow, rt->method, len - strlen(allow) - 1);
		}
	}
	if (strstr(allow, "GET") != NULL)
		strncat(allow, ", HEAD", len - strlen(allow) - 1);
	return allow[0] != '\0';
}

void
router_dispatch_cb(struct evhttp_request *ev, void *arg)
{
	struct server *srv = arg;
	struct request *r = request_new(srv, ev);
	const char *token, *method, *header;
	char allow[64], cookie[TOKEN_LEN + 1];
	bool from_cookie = false;
	size_t limit;

	if (r == NULL) {
		evhttp_send_error(ev, 500, "out of memory");
		return;
	}
	/* HEAD is GET without a body (libevent leaves the body out) */
	method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	for (size_t t = 0; t < ROUTER_NTABLES && r->route == NULL; t++) {
		for (size_t i = 0; i < router_tables[t]->n; i++) {
			const struct route *rt = &router_tables[t]->routes[i];

			if (strcmp(rt->method, method) == 0 &&
			    router_match(rt, r->path, &r->param)) {
				r->route = rt;
				break;
			}
		}
	}
	if (r->route != NULL && r->param != NULL && !router_decode_param(r)) {
		request_reply_error(r, 404, "not_found", NULL, "no such endpoint");
		return;
	}
	if (r->route != NULL && r->param != NULL && !validate_utf8(r->param)) {
		request_reply_error(r, 400, "invalid_parameter", "path",
		                    "the path parameter is not valid UTF-8");
		return;
	}
	if (r->bad_query) {
		if (r->bad_arg != NULL)
			request_reply_error(r, 400, "invalid_parameter", r->bad_arg,
			                    "%s: not valid UTF-8", r->bad_arg);
		else
			request_reply_error(r, 400, "invalid_parameter", NULL,
			                    "the query string is malformed");
		return;
	}
	if (r->route == NULL) {
		if (router_allowed(r->path, allow, sizeof(allow))) {
			evhttp_add_header(evhttp_request_get_output_headers(ev), "Allow", allow);
			request_reply_error(r, 405, "method_not_allowed", NULL,
			                    "%s is not allowed here (allowed: %s)", r->method,
			                    allow);
		} else {
			request_reply_error(r, 404, "not_found", NULL, "no such endpoint");
		}
		return;
	}
	/* liveness answers without the database */
	if (!atomic_load(srv->schema_ready) && !r->route->no_db) {
		request_reply_error(r, 503, "not_ready", NULL,
		                    "the database is not reachable yet, retry shortly");
		return;
	}
	limit = r->route->large_body ? srv->cfg->max_import_bytes : srv->cfg->max_body_bytes;
	if (evbuffer_get_length(evhttp_request_get_input_buffer(ev)) > limit) {
		/* closed afterwards, as libevent's own 413 is: the client may still be sending */
		evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
		request_reply_error(r, 413, "body_too_large", NULL,
		                    "the body exceeds the limit of %zu bytes", limit);
		return;
	}
	if (r->route->auth == AUTH_NONE) {
		router_run(r);
		return;
	}
	if (!ratelimit_admit_auth(r))
		return;
	header = evhttp_find_header(evhttp_request_get_input_headers(ev), "Authorization");
	token = token_from_header(header);
	/* a browser signed in through single sign-on sends its session cookie instead */
	if (header == NULL && auth_cookie_session(r, cookie, sizeof(cookie))) {
		token = cookie;
		from_cookie = true;
	}
	if (token == NULL) {
		if (header != NULL)
			ratelimit_note_failure(r);
		request_reply_error(r, 401, "unauthorized", NULL,
		                    "a valid \"Authorization: Bearer <token>\" header is required");
		return;
	}
	if (!token_hash(token, r->token_hash)) {
		request_reply_error(r, 500, "internal", NULL, "cannot hash the token");
		return;
	}
	/* one round trip: the route's statement authenticates; a refusal before it waits for
	 * api.authorize */
	r->hold_error = router_hold_cb;
	r->via_cookie = from_cookie;
	/* the browser sends cookies with any request, a forged one too: writes must prove they come
	 * from our page (double submit of the CSRF cookie in a header) */
	if (from_cookie && strcmp(method, "GET") != 0 && !auth_csrf_ok(r, token)) {
		request_reply_error(r, 403, "csrf_failed", NULL,
		                    "a write with the session cookie needs the X-CSRF-Token header "
		                    "holding the tandem_csrf cookie's value");
		return;
	}
	if (token_has_prefix(token, TOKEN_PREFIX_READ) && strcmp(method, "GET") != 0) {
		request_reply_error(r, 403, "insufficient_scope", NULL,
		                    "this token is read-only: %s needs a token of scope write",
		                    r->method);
		return;
	}
	router_run(r);
}
