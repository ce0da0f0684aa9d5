// SPDX-License-Identifier: MIT
// The providers compiled into chipmunk-updater: one line each. Explicit on purpose, since
// static self-registration does not survive static linking.
#include "providers/provider.hpp"

namespace chipmunk::providers {

// Each defined in providers/<name>.cpp (no trailing comments here: adding a provider touches
// exactly its two lines, nothing is realigned).
ProviderInfo linodeProvider();
ProviderInfo dyndns2Provider();
ProviderInfo rfc2136Provider();
ProviderInfo cloudflareProvider();
ProviderInfo duckdnsProvider();
ProviderInfo urlProvider();
ProviderInfo porkbunProvider();
ProviderInfo digitaloceanProvider();
ProviderInfo desecProvider();
ProviderInfo gandiProvider();
ProviderInfo vultrProvider();
ProviderInfo godaddyProvider();
ProviderInfo ionosProvider();
ProviderInfo hetznerProvider();
ProviderInfo route53Provider();
ProviderInfo ovhProvider();
ProviderInfo netcupProvider();
ProviderInfo njallaProvider();
ProviderInfo scalewayProvider();
// Named presets of dyndns2 (dyndns2_presets.cpp) and of url (url_presets.cpp).
ProviderInfo noipProvider();
ProviderInfo dynuProvider();
ProviderInfo stratoProvider();
ProviderInfo infomaniakProvider();
ProviderInfo ovhDynhostProvider();
ProviderInfo dnsomaticProvider();
ProviderInfo heProvider();
ProviderInfo variomediaProvider();
ProviderInfo dynProvider();
ProviderInfo dynv6Provider();
ProviderInfo namecheapProvider();
ProviderInfo freednsProvider();

const ProviderRegistry& ProviderRegistry::builtin() {
  static const ProviderRegistry registry = [] {
    ProviderRegistry r;
    r.add(linodeProvider());
    r.add(dyndns2Provider());
    r.add(rfc2136Provider());
    r.add(cloudflareProvider());
    r.add(duckdnsProvider());
    r.add(urlProvider());
    r.add(porkbunProvider());
    r.add(digitaloceanProvider());
    r.add(desecProvider());
    r.add(gandiProvider());
    r.add(vultrProvider());
    r.add(godaddyProvider());
    r.add(ionosProvider());
    r.add(hetznerProvider());
    r.add(route53Provider());
    r.add(ovhProvider());
    r.add(netcupProvider());
    r.add(njallaProvider());
    r.add(scalewayProvider());
    r.add(noipProvider());
    r.add(dynuProvider());
    r.add(stratoProvider());
    r.add(infomaniakProvider());
    r.add(ovhDynhostProvider());
    r.add(dnsomaticProvider());
    r.add(heProvider());
    r.add(variomediaProvider());
    r.add(dynProvider());
    r.add(dynv6Provider());
    r.add(namecheapProvider());
    r.add(freednsProvider());
    return r;
  }();
  return registry;
}

}  // namespace chipmunk::providers
