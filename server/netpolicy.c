/* Address policy of outgoing webhooks (SSRF protection): a declared table of refused ranges plus a
 * configured allow-list, checked on the address a connection is actually made to. */
#include "netpolicy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One network: 16 bytes (IPv4 as ::ffff:a.b.c.d) and a prefix length over those 128 bits. */
struct netpolicy_net {
	uint8_t addr[16];
	int bits;
};

struct netpolicy {
	bool allow_private;
	struct netpolicy_net *allow; /* allowed anyway */
	size_t nallow;
};

/* Ranges no webhook may reach by default (IPv4 written mapped, so one table serves both). */
static const struct {
	const char *cidr;
	const char *what;
} netpolicy_refused[] = {
    {"::ffff:0.0.0.0/104", "this network"},
    {"::ffff:10.0.0.0/104", "private"},
    {"::ffff:100.64.0.0/106", "carrier-grade NAT (and Alibaba metadata)"},
    {"::ffff:127.0.0.0/104", "loopback"},
    {"::ffff:169.254.0.0/112", "link-local (and cloud metadata 169.254.169.254)"},
    {"::ffff:172.16.0.0/108", "private"},
    {"::ffff:192.0.0.0/120", "IETF protocol assignments"},
    {"::ffff:192.168.0.0/112", "private"},
    {"::ffff:198.18.0.0/111", "benchmarking"},
    {"::ffff:224.0.0.0/100", "multicast"},
    {"::ffff:240.0.0.0/100", "reserved and broadcast"},
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"fc00::/7", "unique-local (and metadata fd00:ec2::254)"},
    {"fe80::/10", "link-local"},
    {"fec0::/10", "site-local"},
    {"ff00::/8", "multicast"},
};

/* Parses "a.b.c.d[/n]" or "x::y[/n]" into a 128-bit network (IPv4 mapped). */
static bool
netpolicy_parse_net(const char *text, struct netpolicy_net *out)
{
	char buf[64];
	char *slash, *end;
	struct in_addr v4;
	long bits;
	int max;

	if (strlen(text) >= sizeof(buf))
		return false;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(out->addr + 12, &v4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		max = 128;
	} else {
		return false;
	}
	bits = max;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || bits < 0 || bits > max)
			return false;
	}
	out->bits = (int)bits + (128 - max);
	return true;
}

/* Whether the 16-byte address lies in net. */
static bool
netpolicy_in(const uint8_t addr[16], const struct netpolicy_net *net)
{
	int full = net->bits / 8, rest = net->bits % 8;

	if (memcmp(addr, net->addr, (size_t)full) != 0)
		return false;
	return rest == 0 || ((addr[full] ^ net->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

bool
netpolicy_parse_list(const char *list, const char *what, struct netpolicy *np, char *err,
                     size_t errlen)
{
	char *copy = strdup(list), *tok, *save = NULL;
	struct netpolicy_net net;
	bool ok = false;

	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		if (!netpolicy_parse_net(tok, &net)) {
			snprintf(err, errlen, "%s: \"%s\" is not an IPv4 or IPv6 CIDR", what, tok);
			goto out;
		}
		if (np != NULL) {
			struct netpolicy_net *grown =
			    realloc(np->allow, (np->nallow + 1) * sizeof(*grown));

			if (grown == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			np->allow = grown;
			np->allow[np->nallow++] = net;
		}
	}
	ok = true;
out:
	free(copy);
	return ok;
}

struct netpolicy *
netpolicy_new(bool allow_private, const char *cidrs)
{
	struct netpolicy *np = calloc(1, sizeof(*np));
	char err[160];

	if (np == NULL)
		return NULL;
	np->allow_private = allow_private;
	if (cidrs != NULL && !netpolicy_parse_list(cidrs, "cidrs", np, err, sizeof(err))) {
		netpolicy_free(np);
		return NULL;
	}
	return np;
}

void
netpolicy_free(struct netpolicy *np)
{
	if (np == NULL)
		return;
	free(np->allow);
	free(np);
}

/* The policy on a 16-byte address; NAT64 (64:ff9b::/96) is judged by the IPv4 address it embeds. */
static bool
netpolicy_allows16(const struct netpolicy *np, const uint8_t in[16])
{
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	struct netpolicy_net net;
	uint8_t addr[16];
	size_t i;

	memcpy(addr, in, 16);
	if (memcmp(addr, nat64, 12) == 0) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
	}
	if (np->allow_private)
		return true;
	for (i = 0; i < np->nallow; i++)
		if (netpolicy_in(addr, &np->allow[i]))
			return true;
	for (i = 0; i < sizeof(netpolicy_refused) / sizeof(netpolicy_refused[0]); i++)
		if (netpolicy_parse_net(netpolicy_refused[i].cidr, &net) &&
		    netpolicy_in(addr, &net))
			return false;
	return true;
}

bool
netpolicy_allows_addr(const struct netpolicy *np, const struct sockaddr *sa)
{
	uint8_t addr[16] = {0};

	if (sa->sa_family == AF_INET) {
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	} else {
		return false;
	}
	return netpolicy_allows16(np, addr);
}

bool
netpolicy_lists(const struct netpolicy *np, const char *text, bool *valid)
{
	struct netpolicy_net net;

	*valid = strchr(text, '/') == NULL && netpolicy_parse_net(text, &net);
	if (!*valid)
		return false;
	for (size_t i = 0; i < np->nallow; i++)
		if (netpolicy_in(net.addr, &np->allow[i]))
			return true;
	return false;
}

bool
netpolicy_allows_host(const struct netpolicy *np, const char *host)
{
	struct netpolicy_net net;
	char buf[64];
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (strchr(host, '/') != NULL || !netpolicy_parse_net(host, &net))
		return true; /* a name: judged on its addresses at delivery */
	return netpolicy_allows16(np, net.addr);
}
