/* Configuration of tandemd from command-line flags and TANDEM_* environment variables. */
#ifndef TANDEM_SETTINGS_H
#define TANDEM_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

struct netpolicy;

/* Who may sign up with POST /v1/employees. */
enum signup_mode {
	SIGNUP_OPEN,   /* anyone (reveals whether an email exists: 409) */
	SIGNUP_DOMAIN, /* emails of --allowed-email-domains only */
	SIGNUP_CLOSED, /* nobody: employees come from single sign-on or the HR import */
};

struct settings {
	char *listen_host;       /* address to bind */
	int listen_port;         /* TCP port */
	char *database_url;      /* external PostgreSQL, or NULL for the embedded cluster */
	char *state_dir;         /* embedded cluster location */
	char *pg_user;           /* account tandemd drops to when root (--user); runs the cluster */
	char *pg_bindir;         /* PostgreSQL server binaries */
	char *schema_dir;        /* numbered SQL migrations */
	char *web_dir;           /* the built web app (web/dist) served at / */
	int threads;             /* event loops serving HTTP, each with its own pool */
	int pool_size;           /* database connections per event loop */
	int queue_max;           /* requests waiting for a connection before 503, per event loop */
	size_t max_body_bytes;   /* request body limit */
	size_t max_import_bytes; /* body limit of the routes marked large_body (HR import) */
	int max_connections;     /* client connections cap (0: derived from RLIMIT_NOFILE) */
	int header_timeout;      /* seconds a connection has to deliver a complete request head */
	int statement_timeout_ms;      /* PostgreSQL statement_timeout of the pool connections */
	int bulk_statement_timeout_ms; /* the same for the bulk imports' connection of each loop */
	char **allowed_domains;        /* NULL-terminated, or NULL for any */
	char *public_base_url;         /* base of absolute links */
	char *issuer_name;             /* Open Badges issuer */
	char *issuer_email;
	char *tls_cert;             /* PEM certificate chain served over HTTPS, or NULL (HTTP) */
	char *tls_key;              /* its PEM private key, or NULL */
	char *webhook_ca_file;      /* extra trusted CAs for https webhooks, or NULL */
	bool webhook_allow_private; /* webhooks may reach loopback/private/link-local/metadata */
	char *webhook_allow_cidrs;  /* comma list of CIDRs allowed anyway, or NULL */
	struct netpolicy *trusted_proxies; /* proxies whose X-Forwarded-For is believed, or NULL */
	int stall_days;          /* a pair without confirmed session this long is stalled */
	int maintenance_seconds; /* period of the upkeep tick */
	bool demo;               /* load the demo company at start */
	enum signup_mode signup_mode;
	int token_days;        /* lifetime of sign-up tokens, default of personal tokens */
	int signup_rate;       /* sign-ups a minute per client address (burst too); 0 = no limit */
	int auth_failure_rate; /* failed authentications a minute per client address; 0 = none */
	char *esn_secret;      /* HMAC key of signed ESN deliveries, or NULL (endpoint off) */
	/* single sign-on (OpenID Connect); oidc_issuer NULL = off */
	char *oidc_issuer;        /* issuer URL, its discovery document under /.well-known */
	char *oidc_client_id;     /* this relying party's client id */
	char *oidc_client_secret; /* read from --oidc-client-secret-file at start */
	char *oidc_redirect_uri;  /* registered redirect URI ({public base}/v1/auth/callback) */
	char *oidc_email_claim;   /* claim naming the employee (email) */
	char *oidc_hr_claim;      /* claim (string or array) that makes a user HR, or NULL */
	char *oidc_hr_value;      /* the value it must contain */
	bool oidc_jit;            /* create employees who sign in but are unknown */
	char *oidc_ca_file;       /* extra trusted CAs for the provider, or NULL */
	char *oidc_post_logout;   /* registered post_logout_redirect_uri (derived by default) */
	int session_idle_minutes; /* a browser session ends after this long unused */
	int session_max_hours;    /* and this long after sign-in whatever happens */
	/* admin sub-command */
	char *admin_command; /* "create-hr" or NULL when serving */
	char *admin_email;
	char *admin_name;
};

enum settings_result { SETTINGS_OK, SETTINGS_HELP, SETTINGS_ERROR };

/* Fills cfg from defaults, then the environment, then argv; on SETTINGS_ERROR err holds a message.
 */
enum settings_result settings_parse(struct settings *cfg, int argc, char **argv, char *err,
                                    size_t errlen) __attribute__((warn_unused_result));

/* Parses a decimal integer in [min, max] into *out; false (and *out untouched) on anything else:
 * empty, trailing garbage, overflow, out of range (what to use instead of atoi). */
bool settings_parse_long(const char *s, long min, long max, long *out)
    __attribute__((warn_unused_result));

/* Whether tandemd serves HTTPS itself (--tls-cert and --tls-key given): the one place other
 * modules ask (HSTS, Secure cookies). */
bool settings_tls(const struct settings *cfg);

/* Prints the usage text, listing every flag with its environment variable and default. */
void settings_usage(const char *argv0);

/* Releases the strings held by cfg. */
void settings_free(struct settings *cfg);

#endif
