/* The routes of every resource, declared as rows (tmux's cmd_entry is the model): each row says
 * method, path, who may call it, the body's rules, the one SQL statement it runs and how the reply
 * is made; router.c's generic code parses, checks, runs the statement and replies. Hand-written
 * handlers remain where there is real logic. Each resource file exports its table. */
#ifndef TANDEM_HANDLERS_H
#define TANDEM_HANDLERS_H

#include "request.h"
#include "validate.h"

/* Who may call a route. The route's api function enforces it from the token's hash, in the same
 * statement; the router only requires a token for anything but AUTH_NONE. */
enum route_auth { AUTH_NONE, AUTH_EMPLOYEE, AUTH_HR, AUTH_ANY };
enum route_body { BODY_NONE, BODY_REQUIRED, BODY_OPTIONAL };

/* One parameter of a route's statement, in order ($1, $2, ...). */
enum route_arg {
	ARG_END,          /* no more parameters */
	ARG_TOKEN,        /* the SHA-256 of the bearer token (bytea text) */
	ARG_PARAM,        /* the {} path segment */
	ARG_BODY,         /* the validated body as JSON text ("{}" when none was sent) */
	ARG_BASE_URL,     /* --public-base-url */
	ARG_ISSUER_NAME,  /* --issuer-name */
	ARG_ISSUER_EMAIL, /* --issuer-email */
	ARG_STALL_DAYS,   /* --stall-days, as decimal text */
	ARG_SSO,          /* "true" when single sign-on is on (--oidc-issuer), else "false" */
	ARG_VIA_COOKIE,   /* "true" when the token came from the session cookie, else "false" */
};
#define ROUTE_MAX_ARGS 5

struct route {
	const char *method;
	/* "{}" matches one path segment, captured in request.param; a final "{*}" matches the rest
	 * of the path (one or more segments), not captured */
	const char *pattern;
	enum route_auth auth;
	enum route_body body;
	const char *id_of;         /* the {} segment must be the id of a <id_of> (404 otherwise) */
	const struct vrule *rules; /* the body's rules, or NULL */
	size_t nrules;
	bool partial;                     /* every rule optional (PATCH) */
	bool (*check)(struct request *r); /* further checks; false once it has replied */
	const char *sql;                  /* the one statement the route runs */
	enum route_arg args[ROUTE_MAX_ARGS];
	request_result_fn done;             /* makes the reply from the statement's result */
	void (*handler)(struct request *r); /* instead of sql: real logic, after the checks */
	bool large_body; /* the body is held to --max-import-bytes, not --max-body-bytes */
	const char *const *except; /* NULL-terminated path prefixes the pattern does not match */
	bool no_db;                /* answers without the database (before migrations are ready) */
};

/* A resource file's routes. */
struct route_table {
	const struct route *routes;
	size_t n;
};
#define ROUTE_TABLE(name, rows)                                                                    \
	const struct route_table name = {rows, sizeof(rows) / sizeof(rows[0])}

/* Result continuation replying 204 No Content. */
void route_empty_cb(struct request *r, const PGresult *res);

extern const struct route_table health_routes;       /* health.c */
extern const struct route_table employees_routes;    /* employees.c: /v1/employees, /v1/me */
extern const struct route_table skills_routes;       /* skills.c */
extern const struct route_table rounds_routes;       /* rounds.c */
extern const struct route_table pairs_routes;        /* pairs.c */
extern const struct route_table sessions_routes;     /* sessions.c, and skill progress */
extern const struct route_table badges_routes;       /* badges.c: catalogue, awards, achievements */
extern const struct route_table leaderboards_routes; /* leaderboards.c */
extern const struct route_table activity_routes;     /* activity.c: the feed and private events */
extern const struct route_table stats_routes;        /* stats.c: JSON and CSV */
extern const struct route_table tokens_routes;       /* tokens.c */
extern const struct route_table webhooks_routes;     /* webhooks.c */
extern const struct route_table openbadges_routes;   /* openbadges.c */
extern const struct route_table hr_import_routes;    /* hr_import.c: the HR system's extract */
extern const struct route_table scim_routes;         /* scim.c: SCIM 2.0 provisioning */
extern const struct route_table esn_routes;          /* esn.c: ESN activity in, givers, impact */
extern const struct route_table static_routes;       /* static.c: the web app, searched last */
extern const struct route_table auth_routes;         /* auth.c: single sign-on, browser sessions */

#endif
