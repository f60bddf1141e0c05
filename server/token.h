/* Bearer tokens: random generation and format checks (the database stores only their SHA-256). */
#ifndef TANDEM_TOKEN_H
#define TANDEM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_LEN 47 /* a 4-character prefix + 43 base64url characters */

/* The prefixes say what a token is; they are part of what is hashed, so cannot be altered. */
#define TOKEN_PREFIX_WRITE "tdm_"   /* personal or sign-up token: the role's reads and writes */
#define TOKEN_PREFIX_READ "tdr_"    /* personal token of scope read: GET and HEAD only */
#define TOKEN_PREFIX_SESSION "tds_" /* browser session (cookie), from single sign-on */

/* Size of a token's hash as a bytea parameter: "\\x" + 64 hex digits + NUL. */
#define TOKEN_HASH_LEN 67

/* Writes a fresh "tdm_" token of 32 random bytes from the kernel into buf (TOKEN_LEN + 1 bytes). */
bool token_generate(char *buf, size_t len) __attribute__((warn_unused_result));

/* Like token_generate with one of the TOKEN_PREFIX_* prefixes. */
bool token_generate_prefixed(char *buf, size_t len, const char *prefix)
    __attribute__((warn_unused_result));

/* True when the token (well formed) has the given prefix. */
bool token_has_prefix(const char *token, const char *prefix);

/* Writes the SHA-256 of token into out as PostgreSQL bytea text ("\\x" + hex), the form in which
 * every SQL function receives tokens: the one place a token is hashed. */
bool token_hash(const char *token, char out[TOKEN_HASH_LEN]) __attribute__((warn_unused_result));

/* True when s has the shape of a token (a known prefix), so malformed ones are refused without a
 * query. */
bool token_well_formed(const char *s);

/* Extracts the token of an "Authorization: Bearer <token>" header value; NULL if malformed. */
const char *token_from_header(const char *header);

#endif
