/* Command-line and environment configuration of tandemd. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "settings.h"
#include "netpolicy.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TANDEM_PG_BINDIR
#define TANDEM_PG_BINDIR "/usr/lib/postgresql/15/bin"
#endif
#ifndef TANDEM_WEB_DIR
#define TANDEM_WEB_DIR "/usr/local/share/tandem/web"
#endif
#ifndef TANDEM_SCHEMA_DIR
#define TANDEM_SCHEMA_DIR "/usr/local/share/tandem/schema"
#endif

enum {
	OPT_LISTEN = 1000,
	OPT_DATABASE_URL,
	OPT_STATE_DIR,
	OPT_PG_USER,
	OPT_WEBHOOK_ALLOW_PRIVATE,
	OPT_WEBHOOK_ALLOW_CIDRS,
	OPT_TRUSTED_PROXIES,
	OPT_PG_BINDIR,
	OPT_SCHEMA_DIR,
	OPT_THREADS,
	OPT_POOL_SIZE,
	OPT_MAX_CONNECTIONS,
	OPT_HEADER_TIMEOUT,
	OPT_STATEMENT_TIMEOUT,
	OPT_BULK_STATEMENT_TIMEOUT,
	OPT_QUEUE_MAX,
	OPT_MAX_BODY,
	OPT_MAX_IMPORT,
	OPT_DOMAINS,
	OPT_BASE_URL,
	OPT_DEMO,
	OPT_ISSUER_NAME,
	OPT_ISSUER_EMAIL,
	OPT_STALL_DAYS,
	OPT_WEBHOOK_CA,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_MAINTENANCE,
	OPT_SIGNUP_MODE,
	OPT_TOKEN_DAYS,
	OPT_SIGNUP_RATE,
	OPT_AUTH_FAILURE_RATE,
	OPT_ESN_SECRET,
	OPT_WEB_DIR,
	OPT_OIDC_ISSUER,
	OPT_OIDC_CLIENT_ID,
	OPT_OIDC_SECRET_FILE,
	OPT_OIDC_REDIRECT_URI,
	OPT_OIDC_EMAIL_CLAIM,
	OPT_OIDC_HR_CLAIM,
	OPT_OIDC_HR_VALUE,
	OPT_OIDC_JIT,
	OPT_OIDC_CA_FILE,
	OPT_OIDC_POST_LOGOUT_URI,
	OPT_SESSION_IDLE,
	OPT_SESSION_MAX,
	OPT_EMAIL,
	OPT_NAME,
	OPT_HELP,
};

/* Parses a decimal integer in [min, max]; false on any trailing garbage or overflow. */
bool
settings_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Parses an integer flag value in [min, max] into *out; false with a message naming flag. */
static bool
settings_int(const char *val, long min, long max, const char *flag, int *out, char *err,
             size_t errlen)
{
	long v;

	if (!settings_parse_long(val, min, max, &v)) {
		snprintf(err, errlen, "%s: expected %ld..%ld, got \"%s\"", flag, min, max, val);
		return false;
	}
	*out = (int)v;
	return true;
}

/* Whether --signup-mode was given (its default depends on the other flags). */
static bool settings_signup_mode_set;

/* Splits "host:port" into its parts; false if the port is not a valid TCP port. */
static bool
settings_parse_listen(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	long p;

	if (colon == NULL || colon == s || !settings_parse_long(colon + 1, 0, 65535, &p))
		return false;
	free(*host);
	*host = strndup(s, (size_t)(colon - s));
	*port = (int)p;
	return *host != NULL;
}

/* Splits a comma-separated domain list into a NULL-terminated lower-case array. */
static char **
settings_split_domains(const char *s)
{
	size_t n = 1, i = 0;
	char *copy, *tok, *save = NULL;
	char **list;

	for (const char *p = s; *p; p++)
		n += *p == ',';
	list = calloc(n + 1, sizeof(*list));
	copy = strdup(s);
	if (list == NULL || copy == NULL) {
		free(list);
		free(copy);
		return NULL;
	}
	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		for (char *c = tok; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		list[i++] = strdup(tok);
	}
	free(copy);
	return list;
}

/* Frees a NULL-terminated string array. */
static void
settings_free_list(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

/* Replaces *dst by a copy of src. */
static void
settings_set(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
}

/* Reads the client secret from path (first line, trailing newline dropped) into *out; the secret
 * never appears on the command line. Read before privileges are dropped. */
static bool
settings_read_secret(const char *path, char **out, char *err, size_t errlen)
{
	char buf[1024];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "--oidc-client-secret-file: cannot open %s: %s", path,
		         strerror(errno));
		return false;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		snprintf(err, errlen, "--oidc-client-secret-file: %s is empty", path);
		return false;
	}
	free(*out);
	*out = strdup(buf);
	return *out != NULL;
}

/* Applies one option value (from a flag or an environment variable) to cfg. */
static bool
settings_apply(struct settings *cfg, int opt, const char *val, char *err, size_t errlen)
{
	long v;

	switch (opt) {
	case OPT_LISTEN:
		if (!settings_parse_listen(val, &cfg->listen_host, &cfg->listen_port)) {
			snprintf(err, errlen, "--listen: expected HOST:PORT, got \"%s\"", val);
			return false;
		}
		return true;
	case OPT_DATABASE_URL:
		settings_set(&cfg->database_url, *val ? val : NULL);
		return true;
	case OPT_STATE_DIR:
		settings_set(&cfg->state_dir, val);
		return true;
	case OPT_PG_USER:
		settings_set(&cfg->pg_user, val);
		return true;
	case OPT_WEBHOOK_ALLOW_PRIVATE:
		cfg->webhook_allow_private = val == NULL || strcmp(val, "0") != 0;
		return true;
	case OPT_WEBHOOK_ALLOW_CIDRS:
		if (*val && !netpolicy_parse_list(val, "--webhook-allow-cidrs", NULL, err, errlen))
			return false;
		settings_set(&cfg->webhook_allow_cidrs, *val ? val : NULL);
		return true;
	case OPT_TRUSTED_PROXIES:
		if (*val && !netpolicy_parse_list(val, "--trusted-proxies", NULL, err, errlen))
			return false;
		netpolicy_free(cfg->trusted_proxies);
		cfg->trusted_proxies = NULL;
		if (*val && (cfg->trusted_proxies = netpolicy_new(false, val)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return false;
		}
		return true;
	case OPT_PG_BINDIR:
		settings_set(&cfg->pg_bindir, val);
		return true;
	case OPT_WEB_DIR:
		settings_set(&cfg->web_dir, val);
		return true;
	case OPT_SCHEMA_DIR:
		settings_set(&cfg->schema_dir, val);
		return true;
	case OPT_THREADS:
		if (!settings_parse_long(val, 1, 256, &v)) {
			snprintf(err, errlen, "--threads: expected 1..256, got \"%s\"", val);
			return false;
		}
		cfg->threads = (int)v;
		return true;
	case OPT_MAX_CONNECTIONS:
		if (!settings_parse_long(val, 0, 10000000, &v)) {
			snprintf(err, errlen, "--max-connections: expected 0..10000000, got \"%s\"",
			         val);
			return false;
		}
		cfg->max_connections = (int)v;
		return true;
	case OPT_HEADER_TIMEOUT:
		if (!settings_parse_long(val, 1, 3600, &v)) {
			snprintf(err, errlen, "--header-timeout: expected 1..3600, got \"%s\"",
			         val);
			return false;
		}
		cfg->header_timeout = (int)v;
		return true;
	case OPT_STATEMENT_TIMEOUT:
		if (!settings_parse_long(val, 0, 3600000, &v)) {
			snprintf(err, errlen,
			         "--statement-timeout-ms: expected 0..3600000, got \"%s\"", val);
			return false;
		}
		cfg->statement_timeout_ms = (int)v;
		return true;
	case OPT_BULK_STATEMENT_TIMEOUT:
		if (!settings_parse_long(val, 0, 3600000, &v)) {
			snprintf(err, errlen,
			         "--bulk-statement-timeout-ms: expected 0..3600000, got \"%s\"",
			         val);
			return false;
		}
		cfg->bulk_statement_timeout_ms = (int)v;
		return true;
	case OPT_POOL_SIZE:
		if (!settings_parse_long(val, 1, 64, &v)) {
			snprintf(err, errlen, "--pool-size: expected 1..64, got \"%s\"", val);
			return false;
		}
		cfg->pool_size = (int)v;
		return true;
	case OPT_QUEUE_MAX:
		if (!settings_parse_long(val, 0, 1000000, &v)) {
			snprintf(err, errlen, "--queue-max: expected 0..1000000, got \"%s\"", val);
			return false;
		}
		cfg->queue_max = (int)v;
		return true;
	case OPT_MAX_BODY:
		if (!settings_parse_long(val, 1024, 1L << 30, &v)) {
			snprintf(err, errlen, "--max-body-bytes: expected 1024..2^30, got \"%s\"",
			         val);
			return false;
		}
		cfg->max_body_bytes = (size_t)v;
		return true;
	case OPT_MAX_IMPORT:
		if (!settings_parse_long(val, 1024, 1L << 30, &v)) {
			snprintf(err, errlen, "--max-import-bytes: expected 1024..2^30, got \"%s\"",
			         val);
			return false;
		}
		cfg->max_import_bytes = (size_t)v;
		return true;
	case OPT_DOMAINS:
		settings_free_list(cfg->allowed_domains);
		cfg->allowed_domains = *val ? settings_split_domains(val) : NULL;
		return true;
	case OPT_BASE_URL:
		settings_set(&cfg->public_base_url, val);
		return true;
	case OPT_ISSUER_NAME:
		settings_set(&cfg->issuer_name, val);
		return true;
	case OPT_ISSUER_EMAIL:
		settings_set(&cfg->issuer_email, val);
		return true;
	case OPT_WEBHOOK_CA:
		settings_set(&cfg->webhook_ca_file, *val ? val : NULL);
		return true;
	case OPT_TLS_CERT:
		settings_set(&cfg->tls_cert, *val ? val : NULL);
		return true;
	case OPT_TLS_KEY:
		settings_set(&cfg->tls_key, *val ? val : NULL);
		return true;
	case OPT_STALL_DAYS:
		if (!settings_parse_long(val, 0, 365, &v)) {
			snprintf(err, errlen, "--stall-days: expected 0..365, got \"%s\"", val);
			return false;
		}
		cfg->stall_days = (int)v;
		return true;
	case OPT_MAINTENANCE:
		if (!settings_parse_long(val, 1, 86400, &v)) {
			snprintf(err, errlen,
			         "--maintenance-seconds: expected 1..86400, got \"%s\"", val);
			return false;
		}
		cfg->maintenance_seconds = (int)v;
		return true;
	case OPT_SIGNUP_MODE:
		if (strcmp(val, "open") == 0)
			cfg->signup_mode = SIGNUP_OPEN;
		else if (strcmp(val, "domain") == 0)
			cfg->signup_mode = SIGNUP_DOMAIN;
		else if (strcmp(val, "closed") == 0)
			cfg->signup_mode = SIGNUP_CLOSED;
		else {
			snprintf(err, errlen,
			         "--signup-mode: expected closed, domain or open, got \"%s\"", val);
			return false;
		}
		settings_signup_mode_set = true;
		return true;
	case OPT_TOKEN_DAYS:
		return settings_int(val, 1, 366, "--token-days", &cfg->token_days, err, errlen);
	case OPT_SIGNUP_RATE:
		return settings_int(val, 0, 1000000, "--signup-rate", &cfg->signup_rate, err,
		                    errlen);
	case OPT_AUTH_FAILURE_RATE:
		return settings_int(val, 0, 1000000, "--auth-failure-rate", &cfg->auth_failure_rate,
		                    err, errlen);
	case OPT_ESN_SECRET:
		if (*val != '\0' && strlen(val) < 16) {
			snprintf(err, errlen, "--esn-secret: at least 16 characters");
			return false;
		}
		settings_set(&cfg->esn_secret, *val ? val : NULL);
		return true;
	case OPT_OIDC_ISSUER:
		settings_set(&cfg->oidc_issuer, *val ? val : NULL);
		return true;
	case OPT_OIDC_CLIENT_ID:
		settings_set(&cfg->oidc_client_id, val);
		return true;
	case OPT_OIDC_SECRET_FILE:
		return settings_read_secret(val, &cfg->oidc_client_secret, err, errlen);
	case OPT_OIDC_REDIRECT_URI:
		settings_set(&cfg->oidc_redirect_uri, val);
		return true;
	case OPT_OIDC_EMAIL_CLAIM:
		settings_set(&cfg->oidc_email_claim, val);
		return true;
	case OPT_OIDC_HR_CLAIM:
		settings_set(&cfg->oidc_hr_claim, *val ? val : NULL);
		return true;
	case OPT_OIDC_HR_VALUE:
		settings_set(&cfg->oidc_hr_value, *val ? val : NULL);
		return true;
	case OPT_OIDC_JIT:
		cfg->oidc_jit = val == NULL || strcmp(val, "0") != 0;
		return true;
	case OPT_OIDC_CA_FILE:
		settings_set(&cfg->oidc_ca_file, *val ? val : NULL);
		return true;
	case OPT_OIDC_POST_LOGOUT_URI:
		settings_set(&cfg->oidc_post_logout, *val ? val : NULL);
		return true;
	case OPT_SESSION_IDLE:
		return settings_int(val, 1, 10080, "--session-idle-minutes",
		                    &cfg->session_idle_minutes, err, errlen);
	case OPT_SESSION_MAX:
		return settings_int(val, 1, 720, "--session-max-hours", &cfg->session_max_hours,
		                    err, errlen);
	case OPT_DEMO:
		cfg->demo = val == NULL || strcmp(val, "0") != 0;
		return true;
	case OPT_EMAIL:
		settings_set(&cfg->admin_email, val);
		return true;
	case OPT_NAME:
		settings_set(&cfg->admin_name, val);
		return true;
	default:
		snprintf(err, errlen, "unknown option");
		return false;
	}
}

static const struct {
	const char *env;
	int opt;
} settings_env[] = {
    {"TANDEM_LISTEN", OPT_LISTEN},
    {"TANDEM_DATABASE_URL", OPT_DATABASE_URL},
    {"TANDEM_STATE_DIR", OPT_STATE_DIR},
    {"TANDEM_USER", OPT_PG_USER},
    {"TANDEM_PG_USER", OPT_PG_USER},
    {"TANDEM_WEBHOOK_ALLOW_PRIVATE", OPT_WEBHOOK_ALLOW_PRIVATE},
    {"TANDEM_WEBHOOK_ALLOW_CIDRS", OPT_WEBHOOK_ALLOW_CIDRS},
    {"TANDEM_TRUSTED_PROXIES", OPT_TRUSTED_PROXIES},
    {"TANDEM_PG_BINDIR", OPT_PG_BINDIR},
    {"TANDEM_SCHEMA_DIR", OPT_SCHEMA_DIR},
    {"TANDEM_THREADS", OPT_THREADS},
    {"TANDEM_POOL_SIZE", OPT_POOL_SIZE},
    {"TANDEM_MAX_CONNECTIONS", OPT_MAX_CONNECTIONS},
    {"TANDEM_HEADER_TIMEOUT", OPT_HEADER_TIMEOUT},
    {"TANDEM_STATEMENT_TIMEOUT_MS", OPT_STATEMENT_TIMEOUT},
    {"TANDEM_BULK_STATEMENT_TIMEOUT_MS", OPT_BULK_STATEMENT_TIMEOUT},
    {"TANDEM_QUEUE_MAX", OPT_QUEUE_MAX},
    {"TANDEM_MAX_BODY_BYTES", OPT_MAX_BODY},
    {"TANDEM_MAX_IMPORT_BYTES", OPT_MAX_IMPORT},
    {"TANDEM_ALLOWED_EMAIL_DOMAINS", OPT_DOMAINS},
    {"TANDEM_PUBLIC_BASE_URL", OPT_BASE_URL},
    {"TANDEM_DEMO", OPT_DEMO},
    {"TANDEM_ISSUER_NAME", OPT_ISSUER_NAME},
    {"TANDEM_ISSUER_EMAIL", OPT_ISSUER_EMAIL},
    {"TANDEM_STALL_DAYS", OPT_STALL_DAYS},
    {"TANDEM_WEBHOOK_CA_FILE", OPT_WEBHOOK_CA},
    {"TANDEM_TLS_CERT", OPT_TLS_CERT},
    {"TANDEM_TLS_KEY", OPT_TLS_KEY},
    {"TANDEM_MAINTENANCE_SECONDS", OPT_MAINTENANCE},
    {"TANDEM_SIGNUP_MODE", OPT_SIGNUP_MODE},
    {"TANDEM_TOKEN_DAYS", OPT_TOKEN_DAYS},
    {"TANDEM_SIGNUP_RATE", OPT_SIGNUP_RATE},
    {"TANDEM_AUTH_FAILURE_RATE", OPT_AUTH_FAILURE_RATE},
    {"TANDEM_ESN_SECRET", OPT_ESN_SECRET},
    {"TANDEM_WEB_DIR", OPT_WEB_DIR},
    {"TANDEM_OIDC_ISSUER", OPT_OIDC_ISSUER},
    {"TANDEM_OIDC_CLIENT_ID", OPT_OIDC_CLIENT_ID},
    {"TANDEM_OIDC_CLIENT_SECRET_FILE", OPT_OIDC_SECRET_FILE},
    {"TANDEM_OIDC_REDIRECT_URI", OPT_OIDC_REDIRECT_URI},
    {"TANDEM_OIDC_EMAIL_CLAIM", OPT_OIDC_EMAIL_CLAIM},
    {"TANDEM_OIDC_HR_CLAIM", OPT_OIDC_HR_CLAIM},
    {"TANDEM_OIDC_HR_VALUE", OPT_OIDC_HR_VALUE},
    {"TANDEM_OIDC_JIT", OPT_OIDC_JIT},
    {"TANDEM_OIDC_CA_FILE", OPT_OIDC_CA_FILE},
    {"TANDEM_OIDC_POST_LOGOUT_REDIRECT_URI", OPT_OIDC_POST_LOGOUT_URI},
    {"TANDEM_SESSION_IDLE_MINUTES", OPT_SESSION_IDLE},
    {"TANDEM_SESSION_MAX_HOURS", OPT_SESSION_MAX},
};

/* The default number of event loops: one per online core. */
static int
settings_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

/* Picks the schema directory: the source tree's when it exists (running from a build), else the
 * installed one. */
static const char *
settings_default_schema_dir(void)
{
#ifdef TANDEM_SRC_SCHEMA_DIR
	struct stat st;

	if (stat(TANDEM_SRC_SCHEMA_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return TANDEM_SRC_SCHEMA_DIR;
#endif
	return TANDEM_SCHEMA_DIR;
}

/* The sign-up mode when none is given: closed once single sign-on is configured, domain with an
 * allow-list, open otherwise (the behaviour before sign-up modes existed). */
static enum signup_mode
settings_default_signup_mode(const struct settings *cfg)
{
	if (cfg->oidc_issuer != NULL)
		return SIGNUP_CLOSED;
	if (cfg->allowed_domains != NULL)
		return SIGNUP_DOMAIN;
	return SIGNUP_OPEN;
}

/* Derives where the provider sends the browser after ending its session: the web app's sign-in
 * page, which then says the user is signed out. Its base is taken from --oidc-redirect-uri
 * (required with single sign-on, and already registered at the provider as Tandem's public
 * address): that URI minus /v1/auth/callback, else its origin; --public-base-url only when it is
 * neither (its default is a loopback address the provider could not send anyone to). */
static bool
settings_default_post_logout_uri(struct settings *cfg)
{
	static const char callback[] = "/v1/auth/callback";
	const char *base = cfg->public_base_url, *uri = cfg->oidc_redirect_uri;
	const char *scheme = uri != NULL ? strstr(uri, "://") : NULL;
	size_t n = strlen(base);

	if (scheme != NULL) {
		size_t len = strlen(uri), cut = sizeof(callback) - 1;
		const char *path = strchr(scheme + 3, '/');

		base = uri;
		if (len > cut && strcmp(uri + len - cut, callback) == 0)
			n = len - cut;
		else
			n = path != NULL ? (size_t)(path - uri) : len;
	}
	if (n > 0 && base[n - 1] == '/')
		n--;
	if (asprintf(&cfg->oidc_post_logout, "%.*s/signin?signed_out=1", (int)n, base) < 0) {
		cfg->oidc_post_logout = NULL;
		return false;
	}
	return true;
}

/* Picks the web app directory: the source tree's built web/dist when it exists, else the installed
 * one. */
static const char *
settings_default_web_dir(void)
{
#ifdef TANDEM_SRC_WEB_DIR
	struct stat st;

	if (stat(TANDEM_SRC_WEB_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return TANDEM_SRC_WEB_DIR;
#endif
	return TANDEM_WEB_DIR;
}

enum settings_result
settings_parse(struct settings *cfg, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"database-url", required_argument, NULL, OPT_DATABASE_URL},
	    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	    {"user", required_argument, NULL, OPT_PG_USER},
	    {"pg-user", required_argument, NULL, OPT_PG_USER},
	    {"webhook-allow-private", no_argument, NULL, OPT_WEBHOOK_ALLOW_PRIVATE},
	    {"webhook-allow-cidrs", required_argument, NULL, OPT_WEBHOOK_ALLOW_CIDRS},
	    {"trusted-proxies", required_argument, NULL, OPT_TRUSTED_PROXIES},
	    {"pg-bindir", required_argument, NULL, OPT_PG_BINDIR},
	    {"schema-dir", required_argument, NULL, OPT_SCHEMA_DIR},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {"pool-size", required_argument, NULL, OPT_POOL_SIZE},
	    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
	    {"statement-timeout-ms", required_argument, NULL, OPT_STATEMENT_TIMEOUT},
	    {"bulk-statement-timeout-ms", required_argument, NULL, OPT_BULK_STATEMENT_TIMEOUT},
	    {"queue-max", required_argument, NULL, OPT_QUEUE_MAX},
	    {"max-body-bytes", required_argument, NULL, OPT_MAX_BODY},
	    {"max-import-bytes", required_argument, NULL, OPT_MAX_IMPORT},
	    {"allowed-email-domains", required_argument, NULL, OPT_DOMAINS},
	    {"public-base-url", required_argument, NULL, OPT_BASE_URL},
	    {"demo", no_argument, NULL, OPT_DEMO},
	    {"issuer-name", required_argument, NULL, OPT_ISSUER_NAME},
	    {"issuer-email", required_argument, NULL, OPT_ISSUER_EMAIL},
	    {"stall-days", required_argument, NULL, OPT_STALL_DAYS},
	    {"webhook-ca-file", required_argument, NULL, OPT_WEBHOOK_CA},
	    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	    {"maintenance-seconds", required_argument, NULL, OPT_MAINTENANCE},
	    {"signup-mode", required_argument, NULL, OPT_SIGNUP_MODE},
	    {"token-days", required_argument, NULL, OPT_TOKEN_DAYS},
	    {"signup-rate", required_argument, NULL, OPT_SIGNUP_RATE},
	    {"auth-failure-rate", required_argument, NULL, OPT_AUTH_FAILURE_RATE},
	    {"esn-secret", required_argument, NULL, OPT_ESN_SECRET},
	    {"web-dir", required_argument, NULL, OPT_WEB_DIR},
	    {"oidc-issuer", required_argument, NULL, OPT_OIDC_ISSUER},
	    {"oidc-client-id", required_argument, NULL, OPT_OIDC_CLIENT_ID},
	    {"oidc-client-secret-file", required_argument, NULL, OPT_OIDC_SECRET_FILE},
	    {"oidc-redirect-uri", required_argument, NULL, OPT_OIDC_REDIRECT_URI},
	    {"oidc-email-claim", required_argument, NULL, OPT_OIDC_EMAIL_CLAIM},
	    {"oidc-hr-claim", required_argument, NULL, OPT_OIDC_HR_CLAIM},
	    {"oidc-hr-value", required_argument, NULL, OPT_OIDC_HR_VALUE},
	    {"oidc-jit", no_argument, NULL, OPT_OIDC_JIT},
	    {"oidc-ca-file", required_argument, NULL, OPT_OIDC_CA_FILE},
	    {"oidc-post-logout-redirect-uri", required_argument, NULL, OPT_OIDC_POST_LOGOUT_URI},
	    {"session-idle-minutes", required_argument, NULL, OPT_SESSION_IDLE},
	    {"session-max-hours", required_argument, NULL, OPT_SESSION_MAX},
	    {"email", required_argument, NULL, OPT_EMAIL},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_host = strdup("127.0.0.1");
	cfg->listen_port = 8080;
	cfg->state_dir = strdup(geteuid() == 0 ? "/var/lib/tandem" : "./state");
	cfg->pg_user = strdup("tandem");
	cfg->pg_bindir = strdup(TANDEM_PG_BINDIR);
	cfg->schema_dir = strdup(settings_default_schema_dir());
	cfg->web_dir = strdup(settings_default_web_dir());
	cfg->threads = settings_default_threads();
	cfg->pool_size = 4;
	cfg->header_timeout = 10;
	cfg->statement_timeout_ms = 5000;
	cfg->bulk_statement_timeout_ms = 300000;
	cfg->queue_max = 4096;
	cfg->max_body_bytes = 1048576;
	cfg->max_import_bytes = 16777216;
	cfg->public_base_url = strdup("http://127.0.0.1:8080");
	cfg->issuer_name = strdup("Tandem reverse mentoring");
	cfg->issuer_email = strdup("tandem@example.com");
	cfg->stall_days = 21;
	cfg->maintenance_seconds = 60;
	cfg->token_days = 90;
	cfg->signup_rate = 120;
	cfg->auth_failure_rate = 60;
	cfg->oidc_email_claim = strdup("email");
	cfg->session_idle_minutes = 60;
	cfg->session_max_hours = 12;
	settings_signup_mode_set = false;

	for (size_t i = 0; i < sizeof(settings_env) / sizeof(settings_env[0]); i++) {
		const char *val = getenv(settings_env[i].env);

		if (val != NULL && !settings_apply(cfg, settings_env[i].opt, val, err, errlen))
			return SETTINGS_ERROR;
	}
	if (argc > 2 && strcmp(argv[1], "admin") == 0) {
		cfg->admin_command = strdup(argv[2]);
		argv += 2;
		argc -= 2;
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP)
			return SETTINGS_HELP;
		if (opt == '?') {
			snprintf(err, errlen, "unknown option (see --help)");
			return SETTINGS_ERROR;
		}
		if (!settings_apply(cfg, opt, optarg, err, errlen))
			return SETTINGS_ERROR;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", argv[optind]);
		return SETTINGS_ERROR;
	}
	if (!settings_signup_mode_set)
		cfg->signup_mode = settings_default_signup_mode(cfg);
	if (cfg->signup_mode == SIGNUP_DOMAIN && cfg->allowed_domains == NULL) {
		snprintf(err, errlen, "--signup-mode domain needs --allowed-email-domains");
		return SETTINGS_ERROR;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together (got only %s)",
		         cfg->tls_cert != NULL ? "--tls-cert" : "--tls-key");
		return SETTINGS_ERROR;
	}
	if (cfg->oidc_issuer != NULL &&
	    (cfg->oidc_client_id == NULL || cfg->oidc_client_secret == NULL ||
	     cfg->oidc_redirect_uri == NULL)) {
		snprintf(err, errlen,
		         "--oidc-issuer needs --oidc-client-id, "
		         "--oidc-client-secret-file and --oidc-redirect-uri");
		return SETTINGS_ERROR;
	}
	if (cfg->oidc_issuer != NULL && cfg->oidc_post_logout == NULL &&
	    !settings_default_post_logout_uri(cfg)) {
		snprintf(err, errlen, "out of memory");
		return SETTINGS_ERROR;
	}
	if ((cfg->oidc_hr_claim == NULL) != (cfg->oidc_hr_value == NULL)) {
		snprintf(err, errlen, "--oidc-hr-claim and --oidc-hr-value go together");
		return SETTINGS_ERROR;
	}
	if (cfg->admin_command != NULL && strcmp(cfg->admin_command, "create-hr") != 0 &&
	    strcmp(cfg->admin_command, "issue-token") != 0) {
		snprintf(err, errlen, "unknown admin command \"%s\"", cfg->admin_command);
		return SETTINGS_ERROR;
	}
	return SETTINGS_OK;
}

void
settings_usage(const char *argv0)
{
	printf(
	    "Usage: %s [options]                      run the Tandem API server\n"
	    "       %s admin create-hr --email E --name N  create an HR account and print its "
	    "token once\n"
	    "       %s admin issue-token --email E         print a new token for an existing "
	    "employee\n"
	    "\n"
	    "Options (each also read from the environment variable shown; flags win):\n"
	    "  --listen HOST:PORT          TANDEM_LISTEN           address to serve "
	    "(127.0.0.1:8080)\n"
	    "  --database-url URL          TANDEM_DATABASE_URL     external PostgreSQL (libpq "
	    "URL or conninfo);\n"
	    "                                                      without it, a private "
	    "embedded cluster is run\n"
	    "  --state-dir DIR             TANDEM_STATE_DIR        embedded cluster home "
	    "(/var/lib/tandem as root,\n"
	    "                                                      ./state otherwise)\n"
	    "  --user USER                 TANDEM_USER             account tandemd drops to when "
	    "started as root; it also\n"
	    "                                                      runs the embedded cluster "
	    "(tandem; alias --pg-user)\n"
	    "  --pg-bindir DIR             TANDEM_PG_BINDIR        PostgreSQL server binaries "
	    "(%s)\n"
	    "  --schema-dir DIR            TANDEM_SCHEMA_DIR       SQL migrations (%s)\n"
	    "  --web-dir DIR               TANDEM_WEB_DIR          built web app served at / "
	    "(%s)\n"
	    "  --threads N                 TANDEM_THREADS          event loops serving HTTP, "
	    "each with its own pool (cores: %d)\n"
	    "  --pool-size N               TANDEM_POOL_SIZE        database connections per "
	    "event loop (4)\n"
	    "  --queue-max N               TANDEM_QUEUE_MAX        requests waiting for a "
	    "connection before 503, per event loop (4096)\n"
	    "  --max-connections N         TANDEM_MAX_CONNECTIONS  client connections cap; 0 = "
	    "RLIMIT_NOFILE minus the\n"
	    "                                                      descriptors tandemd needs "
	    "itself (0)\n"
	    "  --header-timeout S          TANDEM_HEADER_TIMEOUT   seconds a connection has to "
	    "send "
	    "a complete request head (10)\n"
	    "  --statement-timeout-ms N    TANDEM_STATEMENT_TIMEOUT_MS  per-statement limit, 503 "
	    "timeout beyond; 0 = none (5000)\n"
	    "  --bulk-statement-timeout-ms N  TANDEM_BULK_STATEMENT_TIMEOUT_MS  the same for bulk "
	    "imports (HR, ESN),\n"
	    "                                                      run on one connection per loop "
	    "of their own (300000)\n"
	    "  --max-body-bytes N          TANDEM_MAX_BODY_BYTES   request body limit, larger "
	    "gives 413 (1048576)\n"
	    "  --max-import-bytes N        TANDEM_MAX_IMPORT_BYTES  body limit of the HR import "
	    "(POST /v1/employees/import) (16777216)\n"
	    "  --allowed-email-domains L   TANDEM_ALLOWED_EMAIL_DOMAINS  comma list of sign-up "
	    "domains (any)\n"
	    "  --public-base-url URL       TANDEM_PUBLIC_BASE_URL  base of absolute links "
	    "(http://127.0.0.1:8080)\n"
	    "  --demo                      TANDEM_DEMO=1           load the demo company at "
	    "start (idempotent)\n"
	    "  --issuer-name NAME          TANDEM_ISSUER_NAME      Open Badges issuer name "
	    "(Tandem reverse mentoring)\n"
	    "  --issuer-email EMAIL        TANDEM_ISSUER_EMAIL     Open Badges issuer email "
	    "(tandem@example.com)\n"
	    "  --tls-cert PATH             TANDEM_TLS_CERT         serve HTTPS with this PEM "
	    "certificate chain (HTTP)\n"
	    "  --tls-key PATH              TANDEM_TLS_KEY          its PEM private key (read "
	    "before dropping root)\n"
	    "  --webhook-ca-file PATH      TANDEM_WEBHOOK_CA_FILE  extra trusted CA certificates "
	    "for https webhooks (system store)\n"
	    "  --webhook-allow-private     TANDEM_WEBHOOK_ALLOW_PRIVATE=1  let webhooks reach "
	    "loopback, private,\n"
	    "                                                      link-local and metadata "
	    "addresses (refused)\n"
	    "  --webhook-allow-cidrs L     TANDEM_WEBHOOK_ALLOW_CIDRS  comma list of CIDRs "
	    "webhooks "
	    "may reach even so\n"
	    "  --trusted-proxies L         TANDEM_TRUSTED_PROXIES  comma list of CIDRs of reverse "
	    "proxies whose\n"
	    "                                                      X-Forwarded-For names the "
	    "client (none)\n"
	    "  --stall-days N              TANDEM_STALL_DAYS       days without a confirmed "
	    "session before a pair is stalled (21)\n"
	    "  --maintenance-seconds N     TANDEM_MAINTENANCE_SECONDS  period of the upkeep "
	    "tick: round ends, stalled pairs (60)\n"
	    "  --signup-mode M             TANDEM_SIGNUP_MODE      who may POST /v1/employees: "
	    "closed, "
	    "domain or open\n"
	    "                                                      (closed with SSO, domain with "
	    "an allow-list, else open)\n"
	    "  --token-days N              TANDEM_TOKEN_DAYS       lifetime of sign-up tokens, "
	    "default of personal ones (90)\n"
	    "  --signup-rate N             TANDEM_SIGNUP_RATE      sign-ups a minute per client "
	    "address, 429 beyond; 0 = none (120)\n"
	    "  --auth-failure-rate N       TANDEM_AUTH_FAILURE_RATE  failed authentications a "
	    "minute per address before 429 (60)\n"
	    "  --esn-secret KEY            TANDEM_ESN_SECRET       HMAC key (16+ characters) of "
	    "signed ESN event deliveries;\n"
	    "                                                      without it POST /v1/esn/events "
	    "answers 503 (none)\n"
	    "  --oidc-issuer URL           TANDEM_OIDC_ISSUER      single sign-on: the OpenID "
	    "Provider's issuer (off)\n"
	    "  --oidc-client-id ID         TANDEM_OIDC_CLIENT_ID   this relying party's client id\n"
	    "  --oidc-client-secret-file F TANDEM_OIDC_CLIENT_SECRET_FILE  file holding the client "
	    "secret\n"
	    "  --oidc-redirect-uri URL     TANDEM_OIDC_REDIRECT_URI  registered redirect URI "
	    "(.../v1/auth/callback)\n"
	    "  --oidc-email-claim C        TANDEM_OIDC_EMAIL_CLAIM ID token claim naming the "
	    "employee (email)\n"
	    "  --oidc-hr-claim C           TANDEM_OIDC_HR_CLAIM    claim (e.g. groups, roles) "
	    "making a user HR (none)\n"
	    "  --oidc-hr-value V           TANDEM_OIDC_HR_VALUE    value that claim must contain\n"
	    "  --oidc-jit                  TANDEM_OIDC_JIT=1       create unknown employees who "
	    "sign "
	    "in (off)\n"
	    "  --oidc-ca-file PATH         TANDEM_OIDC_CA_FILE     extra trusted CAs for the "
	    "provider (system store)\n"
	    "  --oidc-post-logout-redirect-uri URL  TANDEM_OIDC_POST_LOGOUT_REDIRECT_URI\n"
	    "                              where the provider sends the browser after sign-out\n"
	    "                              (--oidc-redirect-uri less /v1/auth/callback,\n"
	    "                              + /signin?signed_out=1)\n"
	    "  --session-idle-minutes N    TANDEM_SESSION_IDLE_MINUTES  browser session idle "
	    "limit (60)\n"
	    "  --session-max-hours N       TANDEM_SESSION_MAX_HOURS  browser session lifetime "
	    "(12)\n"
	    "  -h, --help                                          this text\n",
	    argv0, argv0, argv0, TANDEM_PG_BINDIR, settings_default_schema_dir(),
	    settings_default_web_dir(), settings_default_threads());
}

bool
settings_tls(const struct settings *cfg)
{
	return cfg->tls_cert != NULL && cfg->tls_key != NULL;
}

void
settings_free(struct settings *cfg)
{
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->listen_host);
	free(cfg->database_url);
	free(cfg->state_dir);
	free(cfg->pg_user);
	free(cfg->pg_bindir);
	free(cfg->schema_dir);
	free(cfg->web_dir);
	settings_free_list(cfg->allowed_domains);
	free(cfg->public_base_url);
	free(cfg->issuer_name);
	free(cfg->issuer_email);
	free(cfg->webhook_ca_file);
	free(cfg->webhook_allow_cidrs);
	netpolicy_free(cfg->trusted_proxies);
	free(cfg->esn_secret);
	free(cfg->oidc_issuer);
	free(cfg->oidc_client_id);
	if (cfg->oidc_client_secret != NULL)
		explicit_bzero(cfg->oidc_client_secret, strlen(cfg->oidc_client_secret));
	free(cfg->oidc_client_secret);
	free(cfg->oidc_redirect_uri);
	free(cfg->oidc_email_claim);
	free(cfg->oidc_hr_claim);
	free(cfg->oidc_hr_value);
	free(cfg->oidc_ca_file);
	free(cfg->oidc_post_logout);
	free(cfg->admin_command);
	free(cfg->admin_email);
	free(cfg->admin_name);
	memset(cfg, 0, sizeof(*cfg));
}
