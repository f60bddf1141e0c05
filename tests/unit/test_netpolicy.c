/* Unit tests of the webhook address policy (SSRF ranges, allow-lists) and Standard Webhooks
 * signatures (the scheme's published test vector). */
#include "netpolicy.h"
#include "whsig.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* Whether np allows the textual address, through the sockaddr path used at delivery. */
static bool
allows(const struct netpolicy *np, const char *text)
{
	struct sockaddr_in v4 = {.sin_family = AF_INET};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};

	if (inet_pton(AF_INET, text, &v4.sin_addr) == 1)
		return netpolicy_allows_addr(np, (struct sockaddr *)&v4);
	if (inet_pton(AF_INET6, text, &v6.sin6_addr) == 1)
		return netpolicy_allows_addr(np, (struct sockaddr *)&v6);
	return false;
}

int
main(void)
{
	static const char *const refused[] = {
	    "127.0.0.1",
	    "127.255.0.9",
	    "10.1.2.3",
	    "172.16.0.1",
	    "172.31.255.255",
	    "192.168.1.1",
	    "169.254.169.254",
	    "100.100.100.200",
	    "0.0.0.0",
	    "224.0.0.1",
	    "255.255.255.255",
	    "::1",
	    "::",
	    "fe80::1",
	    "fd00:ec2::254",
	    "fc00::1",
	    "::ffff:127.0.0.1",
	    "::ffff:169.254.169.254",
	    "64:ff9b::a9fe:a9fe",
	    "ff02::1",
	};
	static const char *const allowed[] = {"93.184.216.34",   "8.8.8.8",     "172.32.0.1",
	                                      "2606:4700::1111", "192.169.0.1", "::ffff:8.8.8.8"};
	struct netpolicy *np = netpolicy_new(false, NULL);
	struct netpolicy *open = netpolicy_new(true, NULL);
	struct netpolicy *some = netpolicy_new(false, "10.20.0.0/16, fd12:3456::/32,127.0.0.1");
	char err[160], sig[WHSIG_MAX];
	size_t i;

	CHECK(np != NULL && open != NULL && some != NULL);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK(!allows(np, refused[i]));
		CHECK(allows(open, refused[i]));
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		CHECK(allows(np, allowed[i]));
	CHECK(allows(some, "10.20.3.4") && !allows(some, "10.21.0.1"));
	CHECK(allows(some, "fd12:3456::7") && !allows(some, "fd12:3457::7"));
	CHECK(allows(some, "127.0.0.1") && !allows(some, "127.0.0.2"));
	/* creation-time check of URL hosts: literals judged now, names at delivery */
	CHECK(!netpolicy_allows_host(np, "127.0.0.1") && !netpolicy_allows_host(np, "[::1]"));
	CHECK(!netpolicy_allows_host(np, "169.254.169.254"));
	CHECK(netpolicy_allows_host(np, "hooks.example.com") &&
	      netpolicy_allows_host(np, "8.8.8.8"));
	CHECK(netpolicy_allows_host(open, "127.0.0.1"));
	/* allow-list syntax */
	CHECK(netpolicy_parse_list("10.0.0.0/8,::1/128", "--x", NULL, err, sizeof(err)));
	CHECK(!netpolicy_parse_list("10.0.0.0/33", "--x", NULL, err, sizeof(err)));
	CHECK(!netpolicy_parse_list("example.com", "--x", NULL, err, sizeof(err)));
	CHECK(!netpolicy_parse_list("10.0.0.0/", "--x", NULL, err, sizeof(err)));
	CHECK(netpolicy_new(false, "nonsense") == NULL);
	/* the Standard Webhooks reference vector */
	CHECK(whsig_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
	                 "1614265330", "{\"test\": 2432232314}", 20, sig));
	CHECK(strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == 0);
	CHECK(!whsig_sign("whsec_***", "id", "1", "", 0, sig));
	netpolicy_free(np);
	netpolicy_free(open);
	netpolicy_free(some);
	return CHECK_SUMMARY();
}
