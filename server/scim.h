/* SCIM 2.0 provisioning (scim.c): its routes are in handlers.h; this is what request.c needs to
 * answer errors under /scim/ in SCIM's own error schema. */
#ifndef TANDEM_SCIM_H
#define TANDEM_SCIM_H

#include <stdbool.h>

/* True when path is under /scim/ (its errors use the SCIM error schema and media type). */
bool scim_path(const char *path);

/* The SCIM error document (urn:ietf:params:scim:api:messages:2.0:Error) of an API error: status
 * as a string, detail = message, scimType from code when it has one. The caller frees it; NULL
 * when out of memory or message is not UTF-8. */
char *scim_error_text(int status, const char *code, const char *message)
    __attribute__((warn_unused_result));

#endif
