// SPDX-License-Identifier: MIT
#pragma once

namespace chipmunk::updater {

// The whole chipmunk-updater program (command line, one-shot and daemon modes, signals);
// main.cpp only calls it, so the tests link what ships.
int runMain(int argc, char** argv);

}  // namespace chipmunk::updater
