// SPDX-License-Identifier: MIT
#include "tests/support/postgres_server.hpp"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "common/strings.hpp"

namespace chipmunk::test {

std::string PostgresServer::binDir() {
  // The newest installed major version.
  std::string best;
  int bestVersion = 0;
  if (DIR* d = ::opendir("/usr/lib/postgresql")) {
    while (const dirent* e = ::readdir(d)) {
      const int v = std::atoi(e->d_name);
      const std::string bin = std::string("/usr/lib/postgresql/") + e->d_name + "/bin";
      if (v > bestVersion && ::access((bin + "/postgres").c_str(), X_OK) == 0) {
        bestVersion = v;
        best = bin;
      }
    }
    ::closedir(d);
  }
  return best;
}

PostgresServer::PostgresServer() = default;

PostgresServer::~PostgresServer() {
  stop();
}

std::vector<std::string> PostgresServer::asPostgres(std::vector<std::string> argv) const {
  if (::geteuid() != 0) {
    return argv;
  }
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                                      "--clear-groups", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

bool PostgresServer::start() {
  const std::string bin = binDir();
  if (bin.empty()) {
    writeFile(dir_.file("server.log"),
              "PostgreSQL is not installed (apt-get install postgresql)\n");
    return false;
  }
  if (!initialized_) {
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr || ::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        writeFile(dir_.file("server.log"), "no \"postgres\" user to run PostgreSQL as\n");
        return false;
      }
    }
    const int rc = runCommand(asPostgres({bin + "/initdb", "-D", dir_.file("data"), "-A", "trust",
                                          "-U", "postgres", "-E", "UTF8", "--no-locale"}),
                              dir_.file("initdb.out"), dir_.file("initdb.err"));
    if (rc != 0) {
      return false;
    }
    initialized_ = true;
  }
  postmaster_ = std::make_unique<ChildProcess>(
      asPostgres({bin + "/postgres", "-D", dir_.file("data"), "-k", dir_.path(), "-p", "5432", "-c",
                  "listen_addresses=", "-c", "max_connections=200", "-c", "logging_collector=off"}),
      dir_.file("postgres.out"), dir_.file("server.log"));
  const bool up = waitUntil(
      [&] {
        return postmaster_->running() &&
               runCommand(
                   {bin + "/pg_isready", "-q", "-h", dir_.path(), "-p", "5432", "-U", "postgres"},
                   "/dev/null", "/dev/null", {}, std::chrono::seconds(5)) == 0;
      },
      std::chrono::seconds(30));
  return up;
}

void PostgresServer::stop() {
  if (postmaster_ && postmaster_->running()) {
    postmaster_->signal(SIGINT);
    if (postmaster_->wait(std::chrono::seconds(20)) < 0) {
      postmaster_->signal(SIGKILL);
      postmaster_->wait(std::chrono::seconds(5));
    }
  }
  postmaster_.reset();
}

void PostgresServer::kill() {
  if (postmaster_ && postmaster_->running()) {
    postmaster_->signal(SIGKILL);
    postmaster_->wait(std::chrono::seconds(5));
  }
  postmaster_.reset();
  // Backends outlive a SIGKILLed postmaster for a moment; start() waits for the socket.
}

bool PostgresServer::running() {
  return postmaster_ && postmaster_->running();
}

pid_t PostgresServer::pid() const {
  return postmaster_ ? postmaster_->pid() : -1;
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=" + dir_.path() + " port=5432 user=postgres dbname=" + database +
         " connect_timeout=5";
}

bool PostgresServer::createDatabase(const std::string& name) {
  return runCommand(
             {binDir() + "/createdb", "-h", dir_.path(), "-p", "5432", "-U", "postgres", name},
             dir_.file("createdb.out"), dir_.file("createdb.err")) == 0;
}

std::string PostgresServer::psql(const std::string& sql, const std::string& database) {
  ::unlink(dir_.file("psql.out").c_str());  // runCommand appends
  if (runCommand({binDir() + "/psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", dir_.path(),
                  "-p", "5432", "-U", "postgres", "-d", database, "-c", sql},
                 dir_.file("psql.out"), dir_.file("psql.err")) != 0) {
    return {};
  }
  return std::string(trimAscii(readFile(dir_.file("psql.out"))));
}

std::string PostgresServer::log() const {
  std::string text;
  for (const char* f : {"initdb.err", "server.log", "psql.err", "createdb.err"}) {
    if (fileExists(dir_.file(f))) {
      text += std::string("--- ") + f + "\n" + readFile(dir_.file(f));
    }
  }
  return text;
}

}  // namespace chipmunk::test
