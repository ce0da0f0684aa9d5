// The providers compiled into chipmunk-updater: one line each. Explicit on purpose, since
// static self-registration does not survive static linking.
#include "provider.hpp"

namespace chipmunk::providers {

ProviderInfo linodeProvider();      // linode.cpp
ProviderInfo dyndns2Provider();     // dyndns2.cpp
ProviderInfo rfc2136Provider();     // rfc2136.cpp
ProviderInfo cloudflareProvider();  // cloudflare.cpp
ProviderInfo duckdnsProvider();     // duckdns.cpp
ProviderInfo urlProvider();         // url.cpp

const ProviderRegistry& ProviderRegistry::builtin() {
  static const ProviderRegistry registry = [] {
    ProviderRegistry r;
    r.add(linodeProvider());
    r.add(dyndns2Provider());
    r.add(rfc2136Provider());
    r.add(cloudflareProvider());
    r.add(duckdnsProvider());
    r.add(urlProvider());
    return r;
  }();
  return registry;
}

}  // namespace chipmunk::providers
