// The providers compiled into chipmunk-updater: one line each. Explicit on purpose, since
// static self-registration does not survive static linking.
#include "provider.hpp"

namespace chipmunk::providers {

ProviderInfo linodeProvider();   // linode.cpp
ProviderInfo dyndns2Provider();  // dyndns2.cpp

const ProviderRegistry& ProviderRegistry::builtin() {
  static const ProviderRegistry registry = [] {
    ProviderRegistry r;
    r.add(linodeProvider());
    r.add(dyndns2Provider());
    return r;
  }();
  return registry;
}

}  // namespace chipmunk::providers
