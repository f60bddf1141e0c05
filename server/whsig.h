/* Standard Webhooks signatures (https://www.standardwebhooks.com): "v1," + base64 of
 * HMAC-SHA256(key, id "." timestamp "." body), the key being the base64 after "whsec_". */
#ifndef TANDEM_WHSIG_H
#define TANDEM_WHSIG_H

#include <stdbool.h>
#include <stddef.h>

/* Writes "v1,<base64>" for one secret into out (at least WHSIG_MAX bytes). A secret without the
 * "whsec_" prefix (from before V005) is used as raw key bytes. False if the secret does not decode.
 */
#define WHSIG_MAX 64
bool whsig_sign(const char *secret, const char *id, const char *timestamp, const char *body,
                size_t body_len, char out[WHSIG_MAX]) __attribute__((warn_unused_result));

#endif
