// SPDX-License-Identifier: MIT
// Giving freed heap memory back to the system (glibc's malloc_trim) on a thread no request
// and no directory change waits on (a request that allocates from the arena being trimmed
// still waits for that arena's lock). A directory change frees the previous users' tables
// (at a million users, hundreds of MB in small blocks that free() alone never returns: RSS
// went from 1.2 to 2.8 GB over three changes without a trim, docs/SCALING.md); the trim
// walks every arena under its lock (~1.1 s at a million users here). So the code that frees
// asks for a trim, and the server's maintenance thread runs it at most once per
// kMinTrimInterval: never on the thread applying the change, never more often than that
// however many changes come.
#pragma once

#include <chrono>

namespace chipmunk::api {

inline constexpr std::chrono::seconds kMinTrimInterval{10};

// Asks for a trim (any thread; cheap).
void requestMemoryTrim();
// Runs the trim asked for, if any and the last one is at least kMinTrimInterval old
// (the maintenance thread, once a second). True when it trimmed.
bool trimMemoryIfRequested(std::chrono::steady_clock::time_point now);

}  // namespace chipmunk::api
