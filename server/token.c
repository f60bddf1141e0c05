/* Token generation from getrandom(), hashing (OpenSSL's SHA-256) and shape checks. */
#include "token.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static const char token_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char *const token_prefixes[] = {TOKEN_PREFIX_WRITE, TOKEN_PREFIX_READ,
                                             TOKEN_PREFIX_SESSION};

bool
token_generate(char *buf, size_t len)
{
	return token_generate_prefixed(buf, len, TOKEN_PREFIX_WRITE);
}

bool
token_generate_prefixed(char *buf, size_t len, const char *prefix)
{
	unsigned char raw[33];
	size_t o = 4;

	if (len < TOKEN_LEN + 1 || strlen(prefix) != 4 || getrandom(raw, 32, 0) != 32)
		return false;
	raw[32] = 0;
	memcpy(buf, prefix, 4);
	for (size_t i = 0; i < 33 && o < TOKEN_LEN; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)(i + 1 < 33 ? raw[i + 1] : 0) << 8 |
		             (unsigned)(i + 2 < 33 ? raw[i + 2] : 0);

		for (int k = 3; k >= 0 && o < TOKEN_LEN; k--)
			buf[o++] = token_alphabet[(v >> (6 * k)) & 63];
	}
	buf[TOKEN_LEN] = '\0';
	return true;
}

static EVP_MD *token_sha256; /* fetched once: an implicit fetch at every call costs a lookup */
static pthread_key_t token_ctx_key; /* each thread's digest context, freed when the thread ends */
static bool token_ctx_key_made;
static pthread_once_t token_sha256_once = PTHREAD_ONCE_INIT;

/* Frees a thread's digest context when the thread ends. */
static void
token_ctx_free_cb(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

/* Fetches OpenSSL's SHA-256 implementation for every later token_hash (NULL if unavailable), and
 * makes the key of the per-thread contexts. */
static void
token_sha256_fetch(void)
{
	token_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	token_ctx_key_made = pthread_key_create(&token_ctx_key, token_ctx_free_cb) == 0;
}

/* This thread's digest context, made at its first hash and reused after: a context allocated
 * and freed at every call (EVP_Digest) was half of the hash's time on every request (perf). */
static EVP_MD_CTX *
token_ctx(void)
{
	EVP_MD_CTX *ctx = pthread_getspecific(token_ctx_key);

	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) != NULL &&
	    pthread_setspecific(token_ctx_key, ctx) != 0) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

bool
token_hash(const char *token, char out[TOKEN_HASH_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_MD_CTX *ctx;

	if (pthread_once(&token_sha256_once, token_sha256_fetch) != 0 || token_sha256 == NULL ||
	    !token_ctx_key_made || (ctx = token_ctx()) == NULL ||
	    EVP_DigestInit_ex2(ctx, token_sha256, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, token, strlen(token)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32)
		return false;
	memcpy(out, "\\x", 2);
	for (unsigned int i = 0; i < len; i++) {
		out[2 + 2 * i] = hex[md[i] >> 4];
		out[3 + 2 * i] = hex[md[i] & 15];
	}
	out[2 + 2 * len] = '\0';
	return true;
}

bool
token_has_prefix(const char *token, const char *prefix)
{
	return token != NULL && strncmp(token, prefix, 4) == 0;
}

bool
token_well_formed(const char *s)
{
	bool known = false;

	if (s == NULL || strlen(s) != TOKEN_LEN)
		return false;
	for (size_t i = 0; i < sizeof(token_prefixes) / sizeof(token_prefixes[0]); i++)
		known = known || token_has_prefix(s, token_prefixes[i]);
	if (!known)
		return false;
	for (size_t i = 4; i < TOKEN_LEN; i++)
		if (strchr(token_alphabet, s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

const char *
token_from_header(const char *header)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	return token_well_formed(header) ? header : NULL;
}
