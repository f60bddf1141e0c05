/* HMAC-SHA256 signatures of ESN deliveries (OpenSSL EVP_MAC; CRYPTO_memcmp to compare). */
#include "esnsig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

bool
esnsig_compute(const char *secret, const char *ts, const unsigned char *body, size_t len,
               unsigned char out[ESNSIG_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t outlen = 0;
	bool ok = false;

	if (ctx == NULL)
		goto fail;
	if (!EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
	    (len > 0 && !EVP_MAC_update(ctx, body, len)) ||
	    !EVP_MAC_final(ctx, out, &outlen, ESNSIG_LEN) || outlen != ESNSIG_LEN)
		goto fail;
	ok = true;
fail:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok;
}

/* Value of one hex digit, or -1. */
static int
esnsig_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
esnsig_parse(const char *header, unsigned char out[ESNSIG_LEN])
{
	if (header == NULL || strncmp(header, "sha256=", 7) != 0 ||
	    strlen(header + 7) != 2 * ESNSIG_LEN)
		return false;
	for (size_t i = 0; i < ESNSIG_LEN; i++) {
		int hi = esnsig_hex(header[7 + 2 * i]), lo = esnsig_hex(header[8 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool
esnsig_verify(const char *secret, const char *ts, const unsigned char *body, size_t len,
              const char *header)
{
	unsigned char want[ESNSIG_LEN], got[ESNSIG_LEN];

	if (!esnsig_parse(header, got) || !esnsig_compute(secret, ts, body, len, want))
		return false;
	return CRYPTO_memcmp(want, got, ESNSIG_LEN) == 0;
}

bool
esnsig_parse_ts(const char *ts, long long *out)
{
	long long v = 0;

	if (ts == NULL || *ts == '\0' || strlen(ts) > 12)
		return false;
	for (const char *p = ts; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}
