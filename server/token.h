/* Bearer tokens: random generation and format checks (the database stores only their SHA-256). */
#ifndef TANDEM_TOKEN_H
#define TANDEM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_LEN 47 /* "tdm_" + 43 base64url characters */

/* Size of a token's hash as a bytea parameter: "\\x" + 64 hex digits + NUL. */
#define TOKEN_HASH_LEN 67

/* Writes a fresh token of 32 random bytes from the kernel into buf (TOKEN_LEN + 1 bytes). */
bool token_generate(char *buf, size_t len) __attribute__((warn_unused_result));

/* Writes the SHA-256 of token into out as PostgreSQL bytea text ("\\x" + hex), the form in which
 * every SQL function receives tokens: the one place a token is hashed. */
bool token_hash(const char *token, char out[TOKEN_HASH_LEN]) __attribute__((warn_unused_result));

/* True when s has the shape of a token, so malformed ones are refused without a query. */
bool token_well_formed(const char *s);

/* Extracts the token of an "Authorization: Bearer <token>" header value; NULL if malformed. */
const char *token_from_header(const char *header);

#endif
