// SPDX-License-Identifier: MIT
// Who owns which record name: the users (each owns its own name), the [Hosts] names and
// their owners, and the [Access] read_all users. Built once per configuration load so that
// every question a request asks costs a lookup, not a walk over every user or host. The
// interface is small on purpose: a users/hosts directory can feed it instead of the INI.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace chipmunk::config {

// What a store's directory says of one name, when the directory is too large to hold in
// memory (the PostgreSQL backend: api/directory_cache.hpp answers from a bounded cache and
// one indexed query per miss).
struct DirectoryName {
  bool isUser = false;
  std::string hostOwner;         // the directory's host of that name: its owner ("" none)
  bool hostOwnerIsUser = false;  // that owner is a directory user
};

// The names an OwnershipIndex does not hold: asked after its own users and hosts. May throw
// (the database away): the request is then answered 503 (api/service.cpp).
class OwnershipSource {
 public:
  virtual ~OwnershipSource() = default;
  virtual DirectoryName lookup(const std::string& name) const = 0;
  // The directory's hosts owned by `user` (none named like a directory user), sorted.
  virtual std::vector<std::string> hostsOf(const std::string& user) const = 0;
  // A hint: these names will be asked soon (one query for a page of records, not one each).
  virtual void prefetch(const std::vector<std::string>& names) const = 0;
};

class OwnershipIndex {
 public:
  OwnershipIndex() = default;
  // `users`: every user (names, or records with a `name`), held by the index rather than
  // copied (a million names are not stored twice); `hostOwners`: host name -> owning user (a
  // host whose owner is not in `users` belongs to nobody); `readAll`: the users who may
  // read every record.
  template <typename Users, typename Hosts>
  void build(std::shared_ptr<const Users> users, const Hosts& hostOwners,
             const std::vector<std::string>& readAll) {
    setUsers(std::move(users));
    setHosts(hostOwners, readAll);
  }
  // build() in two steps, for a loader that checks hosts against isUser() in between.
  template <typename Users>
  void setUsers(std::shared_ptr<const Users> users) {
    clear();
    users_.reserve(users->size());
    for (const auto& user : *users) {
      users_.insert(nameOf(user));
    }
    keepUsers_ = std::move(users);
  }
  template <typename Hosts>
  void setHosts(const Hosts& hostOwners, const std::vector<std::string>& readAll) {
    for (const auto& [host, owner] : hostOwners) {
      addHost(host, owner);
    }
    finish(readAll);
  }

  // Names beyond the index's own users and hosts (the PostgreSQL directory): on a name in
  // both, the directory wins, as in api::mergeDirectory. Set before build()/setUsers().
  void setSource(std::shared_ptr<const OwnershipSource> source) { source_ = std::move(source); }
  // Whether names beyond its own are asked of a source (then prefetch() is worth a call).
  bool hasSource() const { return source_ != nullptr; }
  // A hint before a page of ownerOf() questions (see OwnershipSource::prefetch).
  void prefetch(const std::vector<std::string>& names) const {
    if (source_) {
      source_->prefetch(names);
    }
  }

  // The names `user` may update: its own name first, then the hosts it owns, sorted.
  // O(k) in what it returns.
  std::vector<std::string> namesOwnedBy(const std::string& user) const;
  // The user who owns record `name`; empty when the name is not configured.
  std::string ownerOf(const std::string& name) const;
  bool mayReadAll(const std::string& user) const;
  // After build()/setHosts(): [Mesh:NAME] sections (anything with `members`). Members are
  // kept by name: one who is not a user (a directory user deleted, or not added yet) reads
  // and shows nothing until the name is a user again.
  template <typename Meshes>
  void setMeshes(const Meshes& meshes) {
    for (const auto& mesh : meshes) {
      addMesh(mesh.members);
    }
    finishMeshes();
  }
  // Whether `reader` may read the records `owner` owns: its own, a read_all user's, or a
  // member's of a mesh `reader` is in. False unless both are users (by name, now).
  bool mayRead(const std::string& reader, const std::string& owner) const;
  // `user`, then every other user it shares a mesh with (sorted, each once).
  std::vector<std::string> meshPeersOf(const std::string& user) const;
  bool isUser(const std::string& name) const {
    return users_.count(name) != 0 || (source_ && source_->lookup(name).isUser);
  }

  OwnershipIndex(const OwnershipIndex&) = delete;  // its views point into keepUsers_
  OwnershipIndex& operator=(const OwnershipIndex&) = delete;

 private:
  static const std::string& nameOf(const std::string& user) { return user; }
  template <typename User>
  static const std::string& nameOf(const User& user) {
    return user.name;
  }
  void clear();
  void addHost(const std::string& host, const std::string& owner);
  void finish(const std::vector<std::string>& readAll);
  void addMesh(const std::vector<std::string>& members);
  void finishMeshes();

  // The owner in what the source gave for a name, when that name is a directory host with a
  // user for owner.
  std::string sourceHostOwner(const DirectoryName& found) const;

  std::shared_ptr<const OwnershipSource> source_;
  std::shared_ptr<const void> keepUsers_;
  std::unordered_set<std::string_view> users_;                         // views of keepUsers_' names
  std::unordered_map<std::string, std::string> hostOwner_;             // host -> user
  std::unordered_map<std::string, std::vector<std::string>> hostsOf_;  // user -> hosts
  std::unordered_set<std::string> readAll_;
  // user -> the other users it shares a mesh with (sorted, each once)
  std::unordered_map<std::string, std::vector<std::string>> meshPeers_;
};

}  // namespace chipmunk::config
