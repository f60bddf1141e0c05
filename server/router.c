/* The route table, and the steps every request goes through before its handler. */
#include "router.h"
#include "handlers.h"
#include "request.h"
#include "server.h"
#include "token.h"
#include "validate.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum route_auth { AUTH_NONE, AUTH_EMPLOYEE, AUTH_HR, AUTH_ANY };
enum route_body { BODY_NONE, BODY_REQUIRED, BODY_OPTIONAL };

struct route {
	const char *method;
	const char *pattern; /* "{}" matches one path segment, captured in request.param */
	enum route_auth auth;
	enum route_body body;
	void (*handler)(struct request *r);
};

static const struct route router_routes[] = {
    {"GET", "/healthz", AUTH_NONE, BODY_NONE, health_live},
    {"GET", "/readyz", AUTH_NONE, BODY_NONE, health_ready},
    {"POST", "/v1/employees", AUTH_NONE, BODY_REQUIRED, employees_signup},
    {"GET", "/v1/employees", AUTH_HR, BODY_NONE, employees_list},
    {"GET", "/v1/employees/{}", AUTH_ANY, BODY_NONE, employees_get},
    {"GET", "/v1/me", AUTH_EMPLOYEE, BODY_NONE, me_get},
    {"PATCH", "/v1/me", AUTH_EMPLOYEE, BODY_REQUIRED, me_patch},
    {"DELETE", "/v1/me", AUTH_EMPLOYEE, BODY_NONE, me_delete},
    {"GET", "/v1/me/teaching", AUTH_EMPLOYEE, BODY_NONE, me_get_teaching},
    {"PUT", "/v1/me/teaching", AUTH_EMPLOYEE, BODY_REQUIRED, me_put_teaching},
    {"GET", "/v1/me/learning", AUTH_EMPLOYEE, BODY_NONE, me_get_learning},
    {"PUT", "/v1/me/learning", AUTH_EMPLOYEE, BODY_REQUIRED, me_put_learning},
    {"GET", "/v1/me/availability", AUTH_EMPLOYEE, BODY_NONE, me_get_availability},
    {"PUT", "/v1/me/availability", AUTH_EMPLOYEE, BODY_REQUIRED, me_put_availability},
    {"GET", "/v1/me/pairs", AUTH_EMPLOYEE, BODY_NONE, pairs_mine},
    {"GET", "/v1/me/pairs/{}/invite.ics", AUTH_EMPLOYEE, BODY_NONE, pairs_invite},
    {"GET", "/v1/skills", AUTH_NONE, BODY_NONE, skills_list},
    {"POST", "/v1/skills", AUTH_HR, BODY_REQUIRED, skills_create},
    {"PATCH", "/v1/skills/{}", AUTH_HR, BODY_REQUIRED, skills_patch},
    {"POST", "/v1/rounds", AUTH_HR, BODY_REQUIRED, rounds_create},
    {"GET", "/v1/rounds", AUTH_HR, BODY_NONE, rounds_list},
    {"GET", "/v1/rounds/{}", AUTH_HR, BODY_NONE, rounds_get},
    {"PATCH", "/v1/rounds/{}", AUTH_HR, BODY_REQUIRED, rounds_patch},
    {"PUT", "/v1/rounds/{}/pins", AUTH_HR, BODY_REQUIRED, rounds_put_pins},
    {"PUT", "/v1/rounds/{}/forbidden", AUTH_HR, BODY_REQUIRED, rounds_put_forbidden},
    {"POST", "/v1/rounds/{}/solve", AUTH_HR, BODY_OPTIONAL, rounds_solve},
    {"POST", "/v1/rounds/{}/publish", AUTH_HR, BODY_OPTIONAL, rounds_publish},
    {"POST", "/v1/rounds/{}/cancel", AUTH_HR, BODY_OPTIONAL, rounds_cancel},
    {"GET", "/v1/pairs/{}", AUTH_ANY, BODY_NONE, pairs_get},
    {"POST", "/v1/pairs/{}/sessions", AUTH_EMPLOYEE, BODY_REQUIRED, sessions_log},
    {"GET", "/v1/pairs/{}/sessions", AUTH_ANY, BODY_NONE, sessions_list},
    {"POST", "/v1/pairs/{}/end", AUTH_ANY, BODY_OPTIONAL, pairs_end},
    {"POST", "/v1/sessions/{}/confirm", AUTH_EMPLOYEE, BODY_OPTIONAL, sessions_confirm},
    {"POST", "/v1/sessions/{}/dispute", AUTH_EMPLOYEE, BODY_REQUIRED, sessions_dispute},
    {"POST", "/v1/me/progress", AUTH_EMPLOYEE, BODY_REQUIRED, me_progress},
    {"GET", "/v1/me/achievements", AUTH_EMPLOYEE, BODY_NONE, me_achievements},
    {"GET", "/v1/me/ledger", AUTH_EMPLOYEE, BODY_NONE, me_ledger},
    {"GET", "/v1/me/export", AUTH_EMPLOYEE, BODY_NONE, me_export},
    {"POST", "/v1/tokens", AUTH_ANY, BODY_OPTIONAL, tokens_issue},
    {"DELETE", "/v1/tokens/current", AUTH_ANY, BODY_NONE, tokens_revoke_current},
    {"DELETE", "/v1/tokens/all", AUTH_ANY, BODY_NONE, tokens_revoke_all},
    {"GET", "/v1/badges", AUTH_NONE, BODY_NONE, badges_list},
    {"POST", "/v1/badges", AUTH_HR, BODY_REQUIRED, badges_create},
    {"POST", "/v1/awards/{}/revoke", AUTH_HR, BODY_REQUIRED, awards_revoke},
    {"GET", "/v1/leaderboards", AUTH_ANY, BODY_NONE, leaderboards_get},
    {"GET", "/v1/activity", AUTH_ANY, BODY_NONE, activity_list},
    {"GET", "/v1/events", AUTH_ANY, BODY_NONE, events_list},
    {"GET", "/v1/stats", AUTH_HR, BODY_NONE, stats_get},
    {"POST", "/v1/webhooks", AUTH_HR, BODY_REQUIRED, webhooks_create},
    {"GET", "/v1/webhooks", AUTH_HR, BODY_NONE, webhooks_list},
    {"DELETE", "/v1/webhooks/{}", AUTH_HR, BODY_NONE, webhooks_delete},
    {"GET", "/ob/issuer", AUTH_NONE, BODY_NONE, ob_issuer},
    {"GET", "/ob/badges/{}", AUTH_NONE, BODY_NONE, ob_badge},
    {"GET", "/ob/badges/{}/image.svg", AUTH_NONE, BODY_NONE, ob_badge_image},
    {"GET", "/ob/assertions/{}", AUTH_NONE, BODY_NONE, ob_assertion},
};

#define ROUTER_NROUTES (sizeof(router_routes) / sizeof(router_routes[0]))

const char *
router_route_pattern(const struct route *route)
{
	return route != NULL ? route->pattern : NULL;
}

/* Matches path against pattern; on success *param receives a copy of the {} segment (or NULL). */
static bool
router_match(const char *pattern, const char *path, char **param)
{
	const char *p = pattern, *s = path;

	*param = NULL;
	while (*p && *s) {
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

/* Runs the handler once the caller is known and allowed: parses the body first. */
static void
router_run(struct request *r)
{
	if (r->route->body != BODY_NONE && !router_parse_body(r))
		return;
	r->route->handler(r);
}

/* Authentication result: sets the caller, enforces the route's role, then runs the handler. */
static void
router_auth_cb(struct request *r, const PGresult *res)
{
	enum route_auth need = r->route->auth;

	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
		r->caller = CALLER_EMPLOYEE;
		snprintf(r->caller_id, sizeof(r->caller_id), "%s", PQgetvalue(res, 0, 0));
	} else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 1)) {
		r->caller = CALLER_HR;
		snprintf(r->caller_id, sizeof(r->caller_id), "%s", PQgetvalue(res, 0, 1));
	} else {
		request_reply_error(r, 401, "unauthorized", NULL, "unknown or revoked token");
		return;
	}
	if ((need == AUTH_EMPLOYEE && r->caller != CALLER_EMPLOYEE) ||
	    (need == AUTH_HR && r->caller != CALLER_HR)) {
		request_reply_error(r, 403, "forbidden", NULL,
		                    need == AUTH_HR ? "this endpoint is for HR accounts"
		                                    : "this endpoint is for employees");
		return;
	}
	router_run(r);
}

/* Writes the Allow header value listing the methods that exist for path. */
static bool
router_allowed(const char *path, char *allow, size_t len)
{
	char *param;

	allow[0] = '\0';
	for (size_t i = 0; i < ROUTER_NROUTES; i++) {
		if (!router_match(router_routes[i].pattern, path, &param))
			continue;
		free(param);
		if (strstr(allow, router_routes[i].method) != NULL)
			continue;
		if (allow[0] != '\0')
			strncat(allow, ", ", len - strlen(allow) - 1);
		strncat(allow, router_routes[i].method, len - strlen(allow) - 1);
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
	const char *token;
	char allow[64];

	if (r == NULL) {
		evhttp_send_error(ev, 500, "out of memory");
		return;
	}
	for (size_t i = 0; i < ROUTER_NROUTES; i++) {
		/* HEAD is GET without a body (libevent leaves the body out) */
		const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;

		if (strcmp(router_routes[i].method, method) == 0 &&
		    router_match(router_routes[i].pattern, r->path, &r->param)) {
			r->route = &router_routes[i];
			break;
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
	if (!atomic_load(srv->schema_ready) && r->route->handler != health_live) {
		request_reply_error(r, 503, "not_ready", NULL,
		                    "the database is not reachable yet, retry shortly");
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(ev)) > srv->cfg->max_body_bytes) {
		request_reply_error(r, 413, "body_too_large", NULL,
		                    "the body exceeds the limit of %zu bytes",
		                    srv->cfg->max_body_bytes);
		return;
	}
	if (r->route->auth == AUTH_NONE) {
		router_run(r);
		return;
	}
	token = token_from_header(
	    evhttp_find_header(evhttp_request_get_input_headers(ev), "Authorization"));
	if (token == NULL) {
		request_reply_error(r, 401, "unauthorized", NULL,
		                    "a valid \"Authorization: Bearer <token>\" header is required");
		return;
	}
	r->token = token;
	request_query(r, "SELECT employee_id, hr_id FROM api_authenticate($1)", 1, &token,
	              router_auth_cb);
}
