/* Single sign-on routes: GET /v1/auth/login sends the browser to the identity provider, GET
 * /v1/auth/callback finishes the sign-in and opens a browser session (cookie), POST
 * /v1/auth/logout ends it (and names the provider's URL ending the provider's session:
 * RP-Initiated Logout). Also the session cookie and CSRF checks the router applies. */
#include "auth.h"
#include "validate.h"
#include "handlers.h"
#include "log.h"
#include "oidc.h"
#include "request.h"
#include "server.h"
#include "token.h"

#include <cjose/base64.h>
#include <cjose/util.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_SESSION_COOKIE "tandem_session"
#define AUTH_CSRF_COOKIE "tandem_csrf"
/* binds a sign-in's state to the browser that began it */
#define AUTH_LOGIN_COOKIE "tandem_login"
/* seconds a sign-in may take at the provider */
#define AUTH_LOGIN_TTL 600
/* base64url values: 43 characters */
#define AUTH_VALUE_LEN 64

/* The languages of Tandem's web app (its dictionaries, web/src/strings.js), the default first: what
 * the sign-in may ask the provider's login page to speak (ui_locales). */
static const char *const auth_ui_locales[] = {"en", "fr", NULL};

/* A sign-in in progress (r->data), freed by auth_flow_end before any reply. */
struct auth_flow {
	char state[AUTH_VALUE_LEN];
	char nonce[AUTH_VALUE_LEN];
	char verifier[AUTH_VALUE_LEN];
	char session[TOKEN_LEN + 1];
	char *url;              /* where the browser goes next */
	char *id_token;         /* sign-out: the ID token the session was opened with */
	const char *ui_locales; /* sign-in: an entry of auth_ui_locales */
};

/* Frees the request's sign-in state. */
static void
auth_flow_end(struct request *r)
{
	struct auth_flow *f = r->data;

	if (f == NULL)
		return;
	free(f->url);
	free(f->id_token);
	explicit_bzero(f, sizeof(*f));
	free(f);
	r->data = NULL;
}

/* Replies with an error after freeing the sign-in state. */
#define auth_fail(r, status, code, field, ...)                                                     \
	do {                                                                                       \
		auth_flow_end(r);                                                                  \
		request_reply_error(r, status, code, field, __VA_ARGS__);                          \
	} while (0)

/* Copies the value of cookie name from the request's Cookie header into out; false if absent. */
static bool
auth_cookie(struct request *r, const char *name, char *out, size_t len)
{
	const char *h = request_header(r, "Cookie");
	size_t nlen = strlen(name);

	while (h != NULL && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		if (strncmp(h, name, nlen) == 0 && h[nlen] == '=') {
			const char *v = h + nlen + 1;
			size_t vlen = strcspn(v, ";");

			if (vlen >= len)
				return false;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		h = strchr(h, ';');
	}
	return false;
}

bool
auth_cookie_session(struct request *r, char *out, size_t len)
{
	return auth_cookie(r, AUTH_SESSION_COOKIE, out, len) && token_well_formed(out) &&
	       token_has_prefix(out, TOKEN_PREFIX_SESSION);
}

/* The CSRF value of a session: base64url(SHA-256("tandem-csrf:" + session)); derived, so a cookie
 * planted by someone else cannot pass, and nothing more is stored. */
static bool
auth_csrf_value(const char *session, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *b64 = NULL;
	size_t blen = 0;
	cjose_err err;
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(ctx, "tandem-csrf:", 12) == 1 &&
	          EVP_DigestUpdate(ctx, session, strlen(session)) == 1 &&
	          EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	          cjose_base64url_encode(md, mdlen, &b64, &blen, &err) && blen < len;

	if (ok) {
		memcpy(out, b64, blen);
		out[blen] = '\0';
	}
	if (b64 != NULL)
		cjose_get_dealloc()(b64);
	EVP_MD_CTX_free(ctx);
	return ok;
}

bool
auth_csrf_ok(struct request *r, const char *session)
{
	const char *got = request_header(r, "X-CSRF-Token");
	char want[AUTH_VALUE_LEN];

	return got != NULL && auth_csrf_value(session, want, sizeof(want)) &&
	       strlen(got) == strlen(want) && CRYPTO_memcmp(got, want, strlen(want)) == 0;
}

/* Adds a Set-Cookie header: value (NULL deletes the cookie), attributes for every cookie of ours,
 * Secure when the public base URL is https. */
static void
auth_set_cookie(struct request *r, const char *name, const char *value, const char *path,
                bool http_only, int max_age)
{
	char line[512];

	if (r->gone)
		return;
	snprintf(line, sizeof(line), "%s=%s; Path=%s; Max-Age=%d; SameSite=Lax%s%s", name,
	         value ? value : "", path, value ? max_age : 0, http_only ? "; HttpOnly" : "",
	         strncmp(r->srv->cfg->public_base_url, "https://", 8) == 0 ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Set-Cookie", line);
}

/* Replies status (302 or 303) to location. */
static void
auth_redirect(struct request *r, int status, const char *location)
{
	if (!r->gone) {
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location", location);
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Cache-Control",
		                  "no-store");
	}
	request_reply_raw(r, status, "text/plain", NULL, 0);
}

/* Writes the web app's URL for path (which starts with '/') under the public base URL. */
static void
auth_app_url(struct request *r, const char *path, char *out, size_t len)
{
	const char *base = r->srv->cfg->public_base_url;
	size_t n = strlen(base);

	snprintf(out, len, "%.*s%s", (int)(n > 0 && base[n - 1] == '/' ? n - 1 : n), base, path);
}

/* A refused sign-in seen by a browser: back to the web app's sign-in page, which explains the
 * error's code in the user's language (the message, which may name the user, goes to the log). */
static void
auth_divert_cb(struct request *r, int status, const char *code, const char *message)
{
	char path[128], location[1024];

	log_msg("info", "single sign-on refused (%d %s): %s", status, code, message);
	auth_flow_end(r);
	snprintf(path, sizeof(path), "/signin?sso_error=%s", code);
	auth_app_url(r, path, location, sizeof(location));
	auth_redirect(r, 303, location);
}

/* Browsers navigating to the sign-in routes (they accept HTML) get their errors as a redirect to
 * the web app; API clients keep the JSON error. */
static void
auth_divert_browser(struct request *r)
{
	const char *accept = request_header(r, "Accept");

	if (accept != NULL && strstr(accept, "text/html") != NULL)
		r->divert_error = auth_divert_cb;
}

/* Refuses the sign-in routes when single sign-on is off. */
static bool
auth_check_enabled(struct request *r)
{
	if (oidc_enabled())
		return true;
	request_reply_error(r, 404, "sso_not_configured", NULL,
	                    "single sign-on is not configured on this server (--oidc-issuer)");
	return false;
}

/* ---- GET /v1/auth/methods ---------------------------------------------------------------- */

/* GET /v1/auth/methods: how people sign in here, for the web app's sign-in page. Unlike a probe of
 * /v1/auth/login it starts nothing: no recorded sign-in, no tandem_login cookie overwriting the
 * one of a sign-in under way in another tab. */
static void
auth_methods(struct request *r)
{
	request_reply_value(r, 200,
	                    json_pack("{s:b, s:b}", "sso", oidc_enabled(), "signup",
	                              r->srv->cfg->signup_mode != SIGNUP_CLOSED));
}

/* ---- GET /v1/auth/login ------------------------------------------------------------------ */

/* The sign-in is recorded: the browser goes to the provider. */
static void
auth_login_stored_cb(struct request *r, const PGresult *res)
{
	struct auth_flow *f = r->data;
	char *url = f->url;

	(void)res;
	f->url = NULL;
	auth_set_cookie(r, AUTH_LOGIN_COOKIE, f->state, "/v1/auth", true, AUTH_LOGIN_TTL);
	auth_flow_end(r);
	auth_redirect(r, 302, url);
	free(url);
}

/* The provider's metadata is at hand: records state, nonce and verifier, then redirects. */
static void
auth_login_ready_cb(void *arg, const char *error)
{
	struct request *r = arg;
	struct auth_flow *f = r->data;
	char hash[TOKEN_HASH_LEN], ttl[16];
	const char *params[4] = {hash, f->nonce, f->verifier, ttl};

	if (error != NULL) {
		auth_fail(r, 502, "sso_provider_unavailable", NULL, "single sign-on: %s", error);
		return;
	}
	f->url = oidc_authorize_url(f->state, f->nonce, f->verifier, f->ui_locales);
	if (f->url == NULL || !token_hash(f->state, hash)) {
		auth_fail(r, 500, "internal", NULL, "cannot build the sign-in request");
		return;
	}
	snprintf(ttl, sizeof(ttl), "%d", AUTH_LOGIN_TTL);
	request_query(r, "SELECT api.oidc_login_begin($1, $2, $3, $4)", 4, params,
	              auth_login_stored_cb);
}

/* Parses an HTTP quality value of n characters ("0", "0.5", "1.000": RFC 9110, 12.4.2) into *q,
 * in thousandths. */
static bool
auth_qvalue(const char *s, size_t n, int *q)
{
	int v, scale = 100;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.') || n > 5)
		return false;
	v = (s[0] - '0') * 1000;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v += (s[i] - '0') * scale;
	}
	if (v > 1000)
		return false;
	*q = v;
	return true;
}

/* The language of auth_ui_locales the request's Accept-Language header prefers (by primary subtag:
 * "fr-CA" is fr; the highest q, the first on a tie; q=0 refuses), or NULL when it names none. */
static const char *
auth_accept_language(struct request *r)
{
	const char *h = request_header(r, "Accept-Language");
	const char *best = NULL;
	int bestq = 0;

	while (h != NULL && *h != '\0') {
		size_t n = strcspn(h, ","), tag, sub;
		const char *item = h, *end = h + n, *p;
		int q = 1000;
		bool ok = true;

		h = *end == ',' ? end + 1 : end;
		while (item < end && (*item == ' ' || *item == '\t'))
			item++;
		tag = strcspn(item, " \t;,");
		sub = strcspn(item, "- \t;,");
		/* parameters (";q=0.8"): only q counts */
		for (p = memchr(item + tag, ';', (size_t)(end - item - tag)); ok && p != NULL;
		     p = memchr(p, ';', (size_t)(end - p))) {
			p++;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				p += 2;
				ok = auth_qvalue(p, strcspn(p, " \t;,"), &q);
			}
		}
		for (size_t i = 0; ok && auth_ui_locales[i] != NULL; i++)
			if (sub == strlen(auth_ui_locales[i]) &&
			    strncasecmp(item, auth_ui_locales[i], sub) == 0 && q > bestq) {
				best = auth_ui_locales[i];
				bestq = q;
			}
	}
	return best;
}

/* The language the provider's login page should speak (ui_locales): the web app's choice (the
 * ui_locales parameter, one of auth_ui_locales, else 400), else the browser's Accept-Language,
 * else Tandem's default; false once it has replied. */
static bool
auth_login_language(struct request *r, const char **out)
{
	const char *asked;

	if (!request_arg_choice(r, "ui_locales", auth_ui_locales, NULL, &asked))
		return false;
	*out = auth_ui_locales[0];
	if (asked == NULL) {
		asked = auth_accept_language(r);
		if (asked == NULL)
			return true;
	}
	for (size_t i = 0; auth_ui_locales[i] != NULL; i++)
		if (strcmp(asked, auth_ui_locales[i]) == 0)
			*out = auth_ui_locales[i];
	return true;
}

/* GET /v1/auth/login[?ui_locales]: fresh state, nonce and PKCE verifier, then the provider. */
static void
auth_login(struct request *r)
{
	struct auth_flow *f;
	const char *lang;

	auth_divert_browser(r);
	if (!auth_login_language(r, &lang))
		return;
	f = calloc(1, sizeof(*f));
	r->data = f;
	r->data_free = auth_flow_end;
	if (f != NULL)
		f->ui_locales = lang;
	if (f == NULL || !oidc_random(f->state, sizeof(f->state)) ||
	    !oidc_random(f->nonce, sizeof(f->nonce)) ||
	    !oidc_random(f->verifier, sizeof(f->verifier))) {
		auth_fail(r, 500, "internal", NULL, "cannot draw random values");
		return;
	}
	oidc_discover(r->srv->base, auth_login_ready_cb, r);
}

/* ---- GET /v1/auth/callback --------------------------------------------------------------- */

/* The session is open: cookies, then the web app. */
static void
auth_callback_done_cb(struct request *r, const PGresult *res)
{
	struct auth_flow *f = r->data;
	const struct settings *cfg = r->srv->cfg;
	char csrf[AUTH_VALUE_LEN];
	char location[1024];

	(void)res;
	if (!auth_csrf_value(f->session, csrf, sizeof(csrf))) {
		auth_fail(r, 500, "internal", NULL, "cannot derive the CSRF token");
		return;
	}
	auth_set_cookie(r, AUTH_SESSION_COOKIE, f->session, "/", true,
	                cfg->session_max_hours * 3600);
	auth_set_cookie(r, AUTH_CSRF_COOKIE, csrf, "/", false, cfg->session_max_hours * 3600);
	auth_set_cookie(r, AUTH_LOGIN_COOKIE, NULL, "/v1/auth", true, 0);
	auth_app_url(r, "/", location, sizeof(location));
	auth_flow_end(r);
	auth_redirect(r, 302, location);
}

/* True when the claim named name is value, or an array holding value. */
static bool
auth_claim_has(json_t *claims, const char *name, const char *value)
{
	json_t *c = json_object_get(claims, name), *v;
	size_t i;

	if (json_is_string(c))
		return strcmp(json_string_value(c), value) == 0;
	json_array_foreach(c, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return true;
	}
	return false;
}

/* The ID token is valid (or not): maps its claims to an employee or HR account, opens a session.
 */
static void
auth_callback_claims_cb(void *arg, json_t *claims, const char *id_token, int status,
                        const char *code, const char *message)
{
	struct request *r = arg;
	struct auth_flow *f = r->data;
	const struct settings *cfg = r->srv->cfg;
	const char *email, *name;
	json_t *verified;
	char hash[TOKEN_HASH_LEN], idle[16], max[16];
	const char *params[8];
	bool hr;

	if (claims == NULL) {
		auth_fail(r, status, code, NULL, "single sign-on: %s", message);
		return;
	}
	email = json_string_value(json_object_get(claims, cfg->oidc_email_claim));
	name = json_string_value(json_object_get(claims, "name"));
	/* the name claim is often the user's to edit at the provider: one with a control character
	 * (validate.c's one rule) is not used, and the profile is named from the email instead */
	if (name != NULL && !validate_no_controls(name))
		name = NULL;
	verified = json_object_get(claims, "email_verified");
	if (email == NULL) {
		auth_fail(r, 403, "sso_no_email", cfg->oidc_email_claim,
		          "single sign-on: the ID token has no \"%s\" claim (--oidc-email-claim)",
		          cfg->oidc_email_claim);
		return;
	}
	if (json_is_false(verified) && strcmp(cfg->oidc_email_claim, "email") == 0) {
		auth_fail(r, 403, "sso_email_unverified", "email",
		          "single sign-on: the identity provider has not verified %s", email);
		return;
	}
	hr = cfg->oidc_hr_claim != NULL &&
	     auth_claim_has(claims, cfg->oidc_hr_claim, cfg->oidc_hr_value);
	if (!token_generate_prefixed(f->session, sizeof(f->session), TOKEN_PREFIX_SESSION) ||
	    !token_hash(f->session, hash)) {
		auth_fail(r, 500, "internal", NULL, "cannot create the session");
		return;
	}
	snprintf(idle, sizeof(idle), "%d", cfg->session_idle_minutes * 60);
	snprintf(max, sizeof(max), "%d", cfg->session_max_hours * 3600);
	params[0] = hash;
	params[1] = email;
	params[2] = name;
	params[3] = hr ? "true" : "false";
	params[4] = cfg->oidc_jit ? "true" : "false";
	params[5] = idle;
	params[6] = max;
	params[7] = id_token;
	request_query(r, "SELECT api.oidc_sign_in($1, $2, $3, $4, $5, $6, $7, $8)", 8, params,
	              auth_callback_done_cb);
}

/* The sign-in of this state was taken: exchanges the code. */
static void
auth_callback_taken_cb(struct request *r, const PGresult *res)
{
	struct auth_flow *f = r->data;
	json_t *row = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	const char *nonce = json_string_value(json_object_get(row, "nonce"));
	const char *verifier = json_string_value(json_object_get(row, "code_verifier"));

	if (nonce == NULL || verifier == NULL || strlen(nonce) >= sizeof(f->nonce) ||
	    strlen(verifier) >= sizeof(f->verifier)) {
		json_decref(row);
		auth_fail(r, 500, "internal", NULL, "the stored sign-in is unreadable");
		return;
	}
	strcpy(f->nonce, nonce);
	strcpy(f->verifier, verifier);
	json_decref(row);
	oidc_exchange(r->srv->base, request_arg(r, "code"), f->verifier, f->nonce,
	              auth_callback_claims_cb, r);
}

/* GET /v1/auth/callback?code&state: the provider sent the browser back. */
static void
auth_callback(struct request *r)
{
	const char *state = request_arg(r, "state"), *code = request_arg(r, "code");
	const char *perr = request_arg(r, "error"), *pdesc = request_arg(r, "error_description");
	struct auth_flow *f;
	char hash[TOKEN_HASH_LEN];
	char cookie[AUTH_VALUE_LEN];
	const char *params[1] = {hash};

	auth_divert_browser(r);
	if (perr != NULL) {
		request_reply_error(r, 401, "sso_denied", NULL,
		                    "the identity provider did not sign you in: %.100s%s%.200s",
		                    perr, pdesc ? ": " : "", pdesc ? pdesc : "");
		return;
	}
	if (state == NULL || state[0] == '\0' || strlen(state) >= AUTH_VALUE_LEN) {
		request_reply_error(
		    r, 400, "invalid_parameter", "state",
		    "state: the provider's redirect must carry this sign-in's state");
		return;
	}
	if (code == NULL || code[0] == '\0' || strlen(code) > 2048) {
		request_reply_error(
		    r, 400, "invalid_parameter", "code",
		    "code: the provider's redirect must carry an authorization code");
		return;
	}
	if (!auth_cookie(r, AUTH_LOGIN_COOKIE, cookie, sizeof(cookie)) ||
	    strlen(cookie) != strlen(state) || CRYPTO_memcmp(cookie, state, strlen(state)) != 0) {
		request_reply_error(r, 400, "sso_state_invalid", "state",
		                    "this sign-in was not started in this browser: start again at "
		                    "/v1/auth/login");
		return;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL || !token_hash(state, hash)) {
		free(f);
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	r->data = f;
	r->data_free = auth_flow_end;
	request_query(r, "SELECT api.oidc_login_take($1)", 1, params, auth_callback_taken_cb);
}

/* ---- POST /v1/auth/logout --------------------------------------------------------------- */

/* Ends the sign-out: 200 with the URL ending the provider's session (url, freed here), or 204
 * without one, after freeing the sign-out state. */
static void
auth_logout_reply(struct request *r, char *url)
{
	auth_flow_end(r);
	if (url == NULL) {
		request_reply_empty(r);
		return;
	}
	if (!r->gone)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Cache-Control",
		                  "no-store");
	request_reply_value(r, 200, json_pack("{s:s}", "end_session_url", url));
	free(url);
}

/* The provider's metadata is at hand (or not): 200 with the URL ending the provider's session
 * when it advertises an end_session_endpoint, else 204 as for any other token (Tandem's session is
 * revoked either way; an unreachable provider is logged, not an error of the sign-out). */
static void
auth_logout_ready_cb(void *arg, const char *error)
{
	struct request *r = arg;
	struct auth_flow *f = r->data;
	char *url = NULL;

	if (error != NULL)
		log_msg("warn", "sign-out: the provider's session is left open: %s", error);
	else if (!oidc_end_session_url(f->id_token, &url))
		log_msg("warn", "sign-out: out of memory building the provider's logout URL");
	auth_logout_reply(r, url);
}

/* The token is revoked (the row, and the ID token kept with it, deleted), or the session cookie
 * named a session gone already (revoked elsewhere, or expired and purged: no ID token then): the
 * browser forgets its cookies; a browser session, even an expired or gone one, also learns where
 * to end the provider's: from
 * the end_session_endpoint already known, whatever the age of the provider's metadata (a sign-out
 * must not wait on a provider that cannot be reached), else after fetching it. */
static void
auth_logout_done_cb(struct request *r, const PGresult *res)
{
	struct auth_flow *f;
	char *url = NULL;

	auth_set_cookie(r, AUTH_SESSION_COOKIE, NULL, "/", true, 0);
	auth_set_cookie(r, AUTH_CSRF_COOKIE, NULL, "/", false, 0);
	/* columns is_session, hint (the ID token, NULL once the upkeep tick cleared it) */
	if (!oidc_enabled() || PQntuples(res) != 1 || PQnfields(res) != 2 ||
	    strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		request_reply_empty(r);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL ||
	    (!PQgetisnull(res, 0, 1) && (f->id_token = strdup(PQgetvalue(res, 0, 1))) == NULL)) {
		free(f);
		log_msg("warn", "sign-out: out of memory: the provider's session is left open");
		request_reply_empty(r);
		return;
	}
	r->data = f;
	r->data_free = auth_flow_end;
	if (!oidc_end_session_url(f->id_token, &url)) {
		log_msg("warn", "sign-out: out of memory building the provider's logout URL");
		auth_logout_reply(r, NULL);
	} else if (url != NULL) {
		auth_logout_reply(r, url);
	} else {
		oidc_discover(r->srv->base, auth_logout_ready_cb, r);
	}
}

static const struct route auth_rows[] = {
    {.method = "GET", .pattern = "/v1/auth/methods", .auth = AUTH_NONE, .handler = auth_methods},
    {.method = "GET",
     .pattern = "/v1/auth/login",
     .auth = AUTH_NONE,
     .check = auth_check_enabled,
     .handler = auth_login},
    {.method = "GET",
     .pattern = "/v1/auth/callback",
     .auth = AUTH_NONE,
     .check = auth_check_enabled,
     .handler = auth_callback},
    {.method = "POST",
     .pattern = "/v1/auth/logout",
     .auth = AUTH_ANY,
     .sql = "SELECT * FROM api.oidc_logout($1, $2)",
     .args = {ARG_TOKEN, ARG_VIA_COOKIE},
     .done = auth_logout_done_cb},
};
ROUTE_TABLE(auth_routes, auth_rows);
