/* Browser sessions from single sign-on: the session cookie the router accepts instead of a bearer
 * header, and the CSRF check writes made with it must pass. The routes are auth_routes
 * (handlers.h). */
#ifndef TANDEM_AUTH_H
#define TANDEM_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct request;

/* Copies the token of the request's tandem_session cookie (a well-formed "tds_" token) into out
 * (TOKEN_LEN + 1 bytes); false when there is none. */
bool auth_cookie_session(struct request *r, char *out, size_t len);

/* True when the request's X-CSRF-Token header carries the CSRF value of session (the one the
 * tandem_csrf cookie was given at sign-in), compared in constant time. */
bool auth_csrf_ok(struct request *r, const char *session) __attribute__((warn_unused_result));

#endif
