// SPDX-License-Identifier: MIT
// Services that speak the dyndns2 protocol (providers/dyndns2.cpp), as named presets: the
// service's server, where it wants an IPv6 address, and its quirks, from its documentation
// (linked in each). The replies are dyndns2's, classified by dyndns2.cpp. Each is tested by
// name in tests/providers/dyndns2_presets_test.cpp against a fake that holds its quirks.
#include "providers/provider.hpp"

namespace chipmunk::providers {

ProviderInfo dyndns2Provider();  // dyndns2.cpp

namespace {

struct Service {
  const char* name;
  const char* description;
  const char* documentation;
  const char* server;
  const char* ipv6Param;  // myip, myipv6 or combined
  const char* usernameHelp;
  const char* passwordHelp;
  const char* path = "/nic/update";
  bool ipv6 = true;
};

ProviderInfo dyndns2Service(const Service& s) {
  PresetSpec spec;
  spec.name = s.name;
  spec.description = s.description;
  spec.documentation = s.documentation;
  spec.ipv6 = s.ipv6;
  spec.settings = {{"server", s.server, "Update server (the service's; change it for tests)."},
                   {"username", "", s.usernameHelp},
                   {"password", "", s.passwordHelp}};
  spec.fixed = {{"path", s.path}};
  if (s.ipv6) {
    spec.settings.push_back({"ipv6_param", s.ipv6Param, ""});
  } else {
    spec.fixed["ipv6_param"] = s.ipv6Param;
  }
  return preset(dyndns2Provider(), spec);
}

}  // namespace

// No-IP: e-mail address or DDNS key user name; myipv6= carries the AAAA address ("A and
// AAAA hostnames updated individually or dual-stacked"); excessive nochg replies get a
// client blocked, which the state cache prevents.
ProviderInfo noipProvider() {
  return dyndns2Service({"noip", "No-IP (dynupdate.no-ip.com)",
                         "https://www.noip.com/integrate/request", "https://dynupdate.no-ip.com",
                         "myipv6", "DDNS key user name (or the account's e-mail address).",
                         "DDNS key password (or the account's password)."});
}

// Dynu: the IPv6 address goes in myipv6=; the password may be its MD5 or SHA-256 hex digest.
ProviderInfo dynuProvider() {
  return dyndns2Service({"dynu", "Dynu Dynamic DNS (api.dynu.com)",
                         "https://www.dynu.com/DynamicDNS/IP-Update-Protocol",
                         "https://api.dynu.com", "myipv6", "Dynu user name.",
                         "Password, or its MD5 or SHA-256 hex digest, or an IP update password."});
}

// Strato: the user name is the domain; both families in one myip=V4,V6.
ProviderInfo stratoProvider() {
  return dyndns2Service(
      {"strato", "STRATO DynDNS (dyndns.strato.com)",
       "https://www.strato.de/faq/domains/so-einfach-richten-sie-dyndns-fuer-ihre-domains-ein/",
       "https://dyndns.strato.com", "combined", "The domain (example.com).",
       "The DynDNS password set for the domain."});
}

// Infomaniak: a DynDNS user created in the Manager; myip= takes either family.
ProviderInfo infomaniakProvider() {
  return dyndns2Service(
      {"infomaniak", "Infomaniak DynDNS (infomaniak.com/nic/update)",
       "https://www.infomaniak.com/en/support/faq/2376/dyndns-updating-a-dynamic-dns-via-the-api",
       "https://infomaniak.com", "myip", "The DynDNS user name.", "The DynDNS user's password."});
}

// OVHcloud DynHost: the path carries system=dyndns; the user name is a DynHost identifier
// (example.com-home); myip= takes either family.
ProviderInfo ovhDynhostProvider() {
  Service s{"ovh-dynhost",
            "OVHcloud DynHost (www.ovh.com/nic/update)",
            "https://help.ovhcloud.com/csm/en-dns-dynhost",
            "https://www.ovh.com",
            "myip",
            "DynHost identifier (example.com-home).",
            "The identifier's password."};
  s.path = "/nic/update?system=dyndns";
  return dyndns2Service(s);
}

// DNS-O-Matic: relays to the services configured in the account (all.dnsomatic.com updates
// every one); IPv4 only.
ProviderInfo dnsomaticProvider() {
  Service s{"dnsomatic",
            "DNS-O-Matic (updates.dnsomatic.com), IPv4 only",
            "https://www.dnsomatic.com/docs/api",
            "https://updates.dnsomatic.com",
            "myip",
            "DNS-O-Matic (OpenDNS) user name.",
            "Its password."};
  s.ipv6 = false;
  return dyndns2Service(s);
}

// Hurricane Electric Free DNS: the user name is the record's host name and the password the
// record's own DDNS key, so one account section per record; myip= takes either family.
ProviderInfo heProvider() {
  return dyndns2Service({"he", "Hurricane Electric Free DNS (dyn.dns.he.net)",
                         "https://dns.he.net/docs.html", "https://dyn.dns.he.net", "myip",
                         "The record's fully qualified name (home.example.com).",
                         "The record's DDNS key (dns.he.net: Generate a DDNS key)."});
}

// Variomedia: the account's e-mail address; both families in one myip=V4,V6.
ProviderInfo variomediaProvider() {
  return dyndns2Service({"variomedia", "Variomedia DynDNS (dyndns.variomedia.de)",
                         "https://dyndns.variomedia.de", "https://dyndns.variomedia.de", "combined",
                         "The account's e-mail address.",
                         "The DynDNS password (not the account's)."});
}

// Dyn (Oracle) Remote Access API, the protocol's origin: members.dyndns.org. Its documentation
// specifies an IPv4 address in myip=, so the preset keeps A records only (for AAAA, use
// dyndns2 with server = https://members.dyndns.org and check with Dyn).
ProviderInfo dynProvider() {
  Service s{"dyn",
            "Dyn (Oracle) Remote Access, IPv4 only",
            "https://help.dyn.com/remote-access-api/perform-update/",
            "https://members.dyndns.org",
            "myip",
            "Dyn user name.",
            "Its password or an updater client key."};
  s.ipv6 = false;
  return dyndns2Service(s);
}

}  // namespace chipmunk::providers
