/* OpenID Connect relying party: the provider's discovery document and keys (fetched without
 * blocking the event loop, cached, keys re-fetched on an unknown key id), the authorization URL
 * with PKCE, the code exchange and the ID token's checks (cjose verifies the signature). */
#ifndef TANDEM_OIDC_H
#define TANDEM_OIDC_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct settings;

/* Seconds of clock skew allowed on exp and iat. */
#define OIDC_CLOCK_SKEW 60

/* Prepares single sign-on when cfg configures it (a no-op otherwise): the TLS client context with
 * the system's CAs and --oidc-ca-file, read now (before privileges are dropped). */
bool oidc_init(const struct settings *cfg, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Releases the caches and the per-loop resolvers; call before the event bases are freed. */
void oidc_free(void);

/* True when single sign-on is configured. */
bool oidc_enabled(void);

/* Called once the discovery document is at hand (error NULL) or could not be had. */
typedef void (*oidc_ready_fn)(void *arg, const char *error);

/* Makes sure the provider's discovery document is cached, fetching it on base if needed; fn is
 * called (possibly before this returns) exactly once. */
void oidc_discover(struct event_base *base, oidc_ready_fn fn, void *arg);

/* The provider's authorization URL for this sign-in (after oidc_discover succeeded), with the
 * PKCE challenge of verifier (S256) and ui_locales (the login page's language, BCP47 tags; left
 * out when NULL); NULL on failure. Caller frees. */
char *oidc_authorize_url(const char *state, const char *nonce, const char *verifier,
                         const char *ui_locales) __attribute__((warn_unused_result));

/* The provider's RP-Initiated Logout URL ending the session opened with id_token (after
 * oidc_discover succeeded): end_session_endpoint with id_token_hint (left out when id_token is
 * NULL: an expired session's, cleared), post_logout_redirect_uri (--oidc-post-logout-redirect-uri)
 * and client_id. *url is NULL when the provider advertises no end_session_endpoint; false only
 * when out of memory. Caller frees *url. */
bool oidc_end_session_url(const char *id_token, char **url) __attribute__((warn_unused_result));

/* Writes 32 random bytes in base64url (43 characters) into buf (at least 44 bytes). */
bool oidc_random(char *buf, size_t len) __attribute__((warn_unused_result));

/* The outcome of a code exchange: the verified ID token's claims and the token itself (compact
 * JWS, kept for the logout's id_token_hint; both the callee's, valid during the call: json_incref
 * and copy to keep them), or status/code/message of the refusal (claims and id_token NULL). */
typedef void (*oidc_claims_fn)(void *arg, json_t *claims, const char *id_token, int status,
                               const char *code, const char *message);

/* Exchanges an authorization code at the token endpoint (client secret, PKCE verifier) and checks
 * the ID token it returns against nonce; fn is called exactly once. */
void oidc_exchange(struct event_base *base, const char *code, const char *verifier,
                   const char *nonce, oidc_claims_fn fn, void *arg);

/* Result of checking an ID token against a key set. */
enum oidc_verdict { OIDC_VALID, OIDC_UNKNOWN_KEY, OIDC_INVALID };

/* Checks an ID token (compact JWS) as this relying party must: alg RS256 or ES256 only, signature
 * by a key of jwks (JSON text), iss, aud (and azp), exp and iat at time now, nonce. On
 * OIDC_VALID *claims holds the payload (caller decrefs); otherwise why says what failed. Pure: no
 * I/O, used by oidc_exchange and the unit tests. */
enum oidc_verdict oidc_verify(const char *jwt, const char *jwks, const char *issuer,
                              const char *client_id, const char *nonce, time_t now, json_t **claims,
                              char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
