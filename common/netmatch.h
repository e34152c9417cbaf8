/*
 * netmatch.h - match a client address against a list like mynetworks:
 * "127.0.0.0/8 [::1]/128 192.0.2.7" (IPv6 may be bracketed; no prefix means
 * a host).  Pure: parsing and matching only.
 *
 * Public:
 *   netmatch_new(list, &errstr)   NULL with a reason on a malformed entry.
 *   netmatch_match(nm, addr_text) 1 match, 0 no match (unparsable: 0).
 *   netmatch_free(&nm)
 */
#ifndef PETREL_NETMATCH_H
#define PETREL_NETMATCH_H

struct netmatch;

struct netmatch *netmatch_new(const char *list, const char **errstr_r);
int netmatch_match(const struct netmatch *nm, const char *addr);
void netmatch_free(struct netmatch **nmp);

#endif
