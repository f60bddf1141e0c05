/* Which network addresses outgoing webhooks may reach: loopback, private, link-local, unique-local,
 * multicast, reserved and cloud-metadata addresses are refused unless allowed by configuration. */
#ifndef TANDEM_NETPOLICY_H
#define TANDEM_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct netpolicy;

/* Parses a comma-separated CIDR list ("10.1.0.0/16,fd00::/8"); with np non-NULL, adds each to its
 * list. False with a message naming the setting what (e.g. "--webhook-allow-cidrs") in err on the
 * first bad entry. */
bool netpolicy_parse_list(const char *list, const char *what, struct netpolicy *np, char *err,
                          size_t errlen) __attribute__((warn_unused_result));

/* A policy refusing internal addresses unless allow_private; cidrs (or NULL) are allowed anyway.
 * Returns NULL when out of memory or cidrs does not parse; free with netpolicy_free. */
struct netpolicy *netpolicy_new(bool allow_private, const char *cidrs)
    __attribute__((warn_unused_result));
void netpolicy_free(struct netpolicy *np);

/* Whether a connection to the IPv4/IPv6 address sa may be made (other families: false). */
bool netpolicy_allows_addr(const struct netpolicy *np, const struct sockaddr *sa)
    __attribute__((warn_unused_result));

/* Whether text is an IPv4 or IPv6 address literal (*valid) lying in one of np's configured CIDRs;
 * trusted proxies use it on X-Forwarded-For entries. */
bool netpolicy_lists(const struct netpolicy *np, const char *text, bool *valid);

/* For a URL's host: false when it is an IP literal (bracketed IPv6 too) the policy refuses; true
 * for allowed literals and for names (checked after resolution, at delivery). */
bool netpolicy_allows_host(const struct netpolicy *np, const char *host)
    __attribute__((warn_unused_result));

#endif
