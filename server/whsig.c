/* Standard Webhooks signing with OpenSSL's HMAC (EVP_MAC) and base64 codec. */
#include "whsig.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#define WHSIG_PREFIX "whsec_"

/* Decodes the key of a "whsec_" secret into key (its decoded length in *len); raw bytes otherwise.
 */
static bool
whsig_key(const char *secret, unsigned char *key, size_t cap, size_t *len)
{
	size_t n, pad = 0;
	int got;

	if (strncmp(secret, WHSIG_PREFIX, strlen(WHSIG_PREFIX)) != 0) {
		n = strlen(secret);
		if (n > cap)
			return false;
		memcpy(key, secret, n);
		*len = n;
		return true;
	}
	secret += strlen(WHSIG_PREFIX);
	n = strlen(secret);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return false;
	got = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)n);
	if (got < 0)
		return false;
	pad = (secret[n - 1] == '=') + (secret[n - 2] == '=');
	*len = (size_t)got - pad; /* EVP_DecodeBlock counts padding as zero bytes */
	return true;
}

bool
whsig_sign(const char *secret, const char *id, const char *timestamp, const char *body,
           size_t body_len, char out[WHSIG_MAX])
{
	unsigned char key[256], mac[EVP_MAX_MD_SIZE];
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t keylen, maclen = 0;
	bool ok = false;

	if (!whsig_key(secret, key, sizeof(key), &keylen))
		goto out;
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	if (ctx == NULL || EVP_MAC_init(ctx, key, keylen, params) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)id, strlen(id)) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)timestamp, strlen(timestamp)) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)body, body_len) != 1 ||
	    EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) != 1 || maclen != 32)
		goto out;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen); /* 44 chars + NUL */
	ok = true;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}
