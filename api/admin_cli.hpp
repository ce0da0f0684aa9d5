// SPDX-License-Identifier: MIT
// `chipmunk-api user|host|token ...`: the directory's admin commands (docs/USERS.md), and
// `chipmunk-api hash-password`.
#pragma once

#include <string>

namespace chipmunk::api {

// Runs one admin command (argv[1] is the command: "user", "host" or "token", dispatched by
// api/app_command_line.cpp); returns the exit status: 0 done, 1 the store failed, 2 bad
// usage or a refused change.
int runAdminCommand(int argc, char** argv);

// `chipmunk-api hash-password [--iterations N]`: reads a password (readNewPassword) and
// prints its $pbkdf2-sha256$ hash; returns the exit status (2: bad usage or password).
int hashPasswordCommand(int argc, char** argv);

// Reads a new password as hash-password does: asked twice without echo on a terminal (a
// mismatch is refused), one line from a pipe. False (with a message on stderr) when it is
// empty or the two differ.
bool readNewPassword(std::string& password);

}  // namespace chipmunk::api
