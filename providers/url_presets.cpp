// SPDX-License-Identifier: MIT
// Services whose update API is one HTTP request, as named presets of the url provider
// (providers/url.cpp): the URL templates and reply patterns come from each service's
// documentation (linked in each); the user gives the token or password. Each is tested by
// name in tests/providers/url_presets_test.cpp against a fake that answers as the service does.
#include "providers/provider.hpp"

namespace chipmunk::providers {

ProviderInfo urlProvider();  // url.cpp

// dynv6 Update API (GET /api/update?zone=&token=&ipv4= or &ipv6=): the record is the zone
// itself (name.dynv6.net); 200 "addresses updated" / "addresses unchanged"; a bad token is
// 401, an unknown zone 404 (the status fallback). dynv6's dyndns2 endpoint keeps IPv4 only,
// which is why this is not a dyndns2 preset.
ProviderInfo dynv6Provider() {
  PresetSpec spec;
  spec.name = "dynv6";
  spec.description = "dynv6 (zone.dynv6.net), Update API";
  spec.documentation = "https://dynv6.com/docs/apis";
  spec.settings = {
      {"url", "https://dynv6.com/api/update?zone={host}&token={password}&ipv4={address}",
       "IPv4 update URL (change it for tests)."},
      {"url_ipv6", "https://dynv6.com/api/update?zone={host}&token={password}&ipv6={address}",
       "IPv6 update URL (change it for tests)."},
      {"password", "", "The zone's HTTP token (dynv6.com: the zone's Instructions tab).", true}};
  spec.fixed = {{"unchanged_regex", "(?i)unchanged"}, {"updated_regex", "(?i)updated"}};
  return preset(urlProvider(), spec);
}

// Namecheap dynamic DNS (GET dynamicdns.park-your-domain.com/update?host=&domain=&password=
// &ip=): host is relative, "@" for the apex; IPv4 only. The reply is XML with
// <ErrCount>0</ErrCount> on success, else <Err1>reason</Err1>.
ProviderInfo namecheapProvider() {
  PresetSpec spec;
  spec.name = "namecheap";
  spec.description = "Namecheap dynamic DNS, IPv4 only";
  spec.documentation =
      "https://www.namecheap.com/support/knowledgebase/article.aspx/29/11/"
      "how-to-dynamically-update-the-hosts-ip-with-an-http-request/";
  spec.ipv6 = false;
  spec.settings = {{"url",
                    "https://dynamicdns.park-your-domain.com/update?host={label}&domain={domain}"
                    "&password={password}&ip={address}",
                    "Update URL (change it for tests)."},
                   {"password", "", "The domain's Dynamic DNS password (Advanced DNS tab).", true}};
  spec.fixed = {{"auth_failed_regex", "(?i)passwords? do(es)? not match|invalid password"},
                {"not_found_regex", "(?i)(record|domain name|host) not found|no records updated"},
                {"updated_regex", "<ErrCount>0</ErrCount>"}};
  return preset(urlProvider(), spec);
}

// FreeDNS (afraid.org) dynamic update v2: GET sync.afraid.org/u/TOKEN/?address= (and
// v6.sync.afraid.org for IPv6); the token is per record, so one account section per record.
// "Updated ..." / "No IP change detected ..."; anything else fails.
ProviderInfo freednsProvider() {
  PresetSpec spec;
  spec.name = "freedns";
  spec.description = "FreeDNS (freedns.afraid.org), dynamic update v2";
  spec.documentation = "https://freedns.afraid.org/dynamic/v2/";
  spec.settings = {{"url", "https://sync.afraid.org/u/{password}/?address={address}",
                    "IPv4 update URL (change it for tests)."},
                   {"url_ipv6", "https://v6.sync.afraid.org/u/{password}/?address={address}",
                    "IPv6 update URL (change it for tests)."},
                   {"password", "", "The record's update token (Dynamic DNS page, v2).", true}};
  spec.fixed = {{"unchanged_regex", "^No IP change detected"}, {"updated_regex", "^Updated"}};
  return preset(urlProvider(), spec);
}

}  // namespace chipmunk::providers
