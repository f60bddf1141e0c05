/* One HTTP request's life: its context, JSON replies and errors, and database queries on its
 * behalf. */
#ifndef TANDEM_REQUEST_H
#define TANDEM_REQUEST_H

#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct server;
struct route;

struct request {
	struct evhttp_request *ev;
	struct server *srv;
	const char *method;     /* "GET", "POST", ... */
	char *path;             /* decoded path without query */
	struct evkeyvalq query; /* parsed query string */
	char *param;            /* the {id} or {slug} path segment, if the route has one */
	json_t *body;           /* parsed JSON object, or NULL when no body was sent */
	double start_ms;
	bool gone;           /* connection freed (server shutdown): drop the reply */
	bool bad_query;      /* the query string could not be parsed, or is not UTF-8 */
	const char *bad_arg; /* the parameter whose value is not UTF-8 (query storage), or NULL */
	/* the SHA-256 of the bearer token as bytea text ("\\x..."), "" when the route takes none:
	 * every api function authenticates from it in the request's one statement */
	char token_hash[67];
	bool via_cookie; /* the token is the browser's session cookie (no Authorization header) */
	const struct route *route; /* the matched route */
	/* set while the caller is not yet verified: a client error (4xx) replied then is held and
	 * hold_error called instead, so the router can check the caller before sending it */
	void (*hold_error)(struct request *r);
	int held_status;
	char *held_error; /* JSON text of the held error */
	/* when set, request_reply_error hands every error to this instead, which replies and frees
	 * r (the sign-in routes send a browser back to the web app rather than show it JSON) */
	void (*divert_error)(struct request *r, int status, const char *code, const char *message);
	void *data; /* handler-owned state, freed by the handler before replying */
	void (*data_free)(struct request *r); /* or, when set, by this whenever r is freed */
};

/* Handler continuation receiving a successful query result (tuples or command OK). */
typedef void (*request_result_fn)(struct request *r, const PGresult *res);

/* Creates the context for an incoming request; the caller frees it through a request_reply_* call.
 */
struct request *request_new(struct server *srv, struct evhttp_request *ev)
    __attribute__((warn_unused_result));

/* Sends a JSON text body with status, logs the access line and frees r. */
void request_reply_json(struct request *r, int status, const char *json_text);

/* Sends a jansson value (stolen reference) with status and frees r. */
void request_reply_value(struct request *r, int status, json_t *value);

/* Sends a non-JSON body with the given content type and frees r. */
void request_reply_raw(struct request *r, int status, const char *content_type, const char *body,
                       size_t len);

/* Sends 204 No Content and frees r. */
void request_reply_empty(struct request *r);

/* Sends the one error shape {status, code, message, field} and frees r; field may be NULL. A client
 * error while r->hold_error is set is held instead (see request_release_error). */
void request_reply_error(struct request *r, int status, const char *code, const char *field,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Sends the error held by request_reply_error and frees r. */
void request_release_error(struct request *r);

/* Runs a parameterised query for r (it clears r->hold_error: the statement checks the caller); on
 * success calls fn, on failure replies with the mapped error
 * (database errors, 503 when overloaded or unavailable). Either way r is eventually replied to. */
void request_query(struct request *r, const char *sql, int nparams, const char *const *params,
                   request_result_fn fn);

/* Like request_query, on the loop's bulk connection: its own statement timeout
 * (--bulk-statement-timeout-ms), so a large import neither times out nor holds a pool connection.
 */
void request_query_bulk(struct request *r, const char *sql, int nparams, const char *const *params,
                        request_result_fn fn);

/* Result continuation replying 200 with the JSON text the SQL built (404 when it is NULL). */
void request_ok_cb(struct request *r, const PGresult *res);

/* Result continuation replying 201 with the JSON text the SQL built. */
void request_created_cb(struct request *r, const PGresult *res);

/* True when the path parameter is a positive decimal id; otherwise replies 404 "no such <what>". */
bool request_param_id(struct request *r, const char *what) __attribute__((warn_unused_result));

/* Like request_query, with the request body as JSON text ("{}" when none was sent) appended as
 * the last parameter, the way every write hands its validated body to its SQL function. */
void request_query_body(struct request *r, const char *sql, int nparams, const char *const *params,
                        request_result_fn fn);

/* Replies with the JSON text held in row 0, column 0 of res (the SQL builds the body). */
void request_reply_first(struct request *r, int status, const PGresult *res);

/* Returns the query-string value for name, or NULL. */
const char *request_arg(struct request *r, const char *name);

struct vrule;
struct verr;

/* Validates the body against rules (all required ones present unless partial); on failure
 * replies 400 with the first problem and returns false. */
bool request_validate(struct request *r, const struct vrule *rules, size_t nrules, bool partial)
    __attribute__((warn_unused_result));

/* Replies 400 with a validation error (code, field, message). */
void request_reply_verr(struct request *r, const struct verr *err);

/* Reads an optional query parameter that must be one of choices (NULL-terminated); *out gets it,
 * or def when absent. Replies 400 and returns false for any other value. */
bool request_arg_choice(struct request *r, const char *name, const char *const *choices,
                        const char *def, const char **out) __attribute__((warn_unused_result));

/* Reads the optional "limit" parameter (1..max, default def) as decimal text into buf; replies 400
 * and returns false when it is not one. */
bool request_arg_limit(struct request *r, long long def, long long max, char *buf, size_t len)
    __attribute__((warn_unused_result));

/* Reads the optional "cursor" parameter (an id this server issued) into *out, NULL when absent;
 * replies 400 and returns false when it is malformed. */
bool request_arg_cursor(struct request *r, const char **out) __attribute__((warn_unused_result));

/* Returns the request header value for name, or NULL. */
const char *request_header(struct request *r, const char *name);

#endif
