// SPDX-License-Identifier: MIT
#include "config/ownership.hpp"

#include <algorithm>

namespace chipmunk::config {

void OwnershipIndex::clear() {
  users_.clear();
  keepUsers_.reset();
  hostOwner_.clear();
  hostsOf_.clear();
  readAll_.clear();
  meshPeers_.clear();
}

void OwnershipIndex::addHost(const std::string& host, const std::string& owner) {
  if (!isUser(owner) || isUser(host)) {
    return;  // the loader reports these; such a host is nobody's
  }
  if (hostOwner_.emplace(host, owner).second) {
    hostsOf_[owner].push_back(host);
  }
}

void OwnershipIndex::finish(const std::vector<std::string>& readAll) {
  for (auto& [owner, hosts] : hostsOf_) {
    std::sort(hosts.begin(), hosts.end());
  }
  readAll_.insert(readAll.begin(), readAll.end());
}

std::vector<std::string> OwnershipIndex::namesOwnedBy(const std::string& user) const {
  std::vector<std::string> names{user};
  const auto it = hostsOf_.find(user);
  if (it != hostsOf_.end()) {
    for (const auto& host : it->second) {
      // The directory's owner of a host wins over the index's.
      const std::string other = source_ ? sourceHostOwner(source_->lookup(host)) : std::string();
      if (other.empty() || other == user) {
        names.push_back(host);
      }
    }
  }
  if (source_) {
    for (auto& host : source_->hostsOf(user)) {
      if (users_.count(host) == 0) {
        names.push_back(std::move(host));
      }
    }
    std::sort(names.begin() + 1, names.end());
    names.erase(std::unique(names.begin() + 1, names.end()), names.end());
  }
  return names;
}

std::string OwnershipIndex::sourceHostOwner(const DirectoryName& found) const {
  if (found.hostOwner.empty() || !(found.hostOwnerIsUser || users_.count(found.hostOwner) != 0)) {
    return {};  // no such host, or its owner is nobody: ignored, as mergeDirectory does
  }
  return found.hostOwner;
}

std::string OwnershipIndex::ownerOf(const std::string& name) const {
  if (users_.count(name) != 0) {
    return name;
  }
  if (source_) {
    const DirectoryName found = source_->lookup(name);  // one lookup for both questions
    if (found.isUser) {
      return name;
    }
    if (std::string owner = sourceHostOwner(found); !owner.empty()) {
      return owner;
    }
  }
  const auto it = hostOwner_.find(name);
  return it == hostOwner_.end() ? std::string() : it->second;
}

bool OwnershipIndex::mayReadAll(const std::string& user) const {
  return readAll_.count(user) != 0;
}

void OwnershipIndex::addMesh(const std::vector<std::string>& members) {
  // Every member by name, a user now or not (a directory user may come and go): the
  // questions below ask whether each one is a user when they are asked.
  for (const auto& member : members) {
    auto& peers = meshPeers_[member];
    for (const auto& other : members) {
      if (other != member) {
        peers.push_back(other);
      }
    }
  }
}

void OwnershipIndex::finishMeshes() {
  for (auto& [user, peers] : meshPeers_) {
    std::sort(peers.begin(), peers.end());
    peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  }
}

bool OwnershipIndex::mayRead(const std::string& reader, const std::string& owner) const {
  if (owner.empty() || reader.empty()) {
    return false;
  }
  const bool own = owner == reader;
  const auto peers = meshPeers_.find(reader);
  const bool peer = peers != meshPeers_.end() &&
                    std::binary_search(peers->second.begin(), peers->second.end(), owner);
  if (!own && !peer && !mayReadAll(reader)) {
    return false;
  }
  // A rule by name gives nothing to, nor shows, a name that is no user now: asked last (it
  // may be a directory lookup), and once when the records are one's own.
  return isUser(reader) && (own || isUser(owner));
}

std::vector<std::string> OwnershipIndex::meshPeersOf(const std::string& user) const {
  std::vector<std::string> out{user};
  const auto it = meshPeers_.find(user);
  if (it != meshPeers_.end() && isUser(user)) {
    for (const auto& peer : it->second) {
      if (isUser(peer)) {
        out.push_back(peer);
      }
    }
  }
  return out;
}

}  // namespace chipmunk::config
