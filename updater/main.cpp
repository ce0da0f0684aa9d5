// SPDX-License-Identifier: MIT
// chipmunk-updater: keeps DNS records pointing at this machine's public address.
#include "updater/app.hpp"

int main(int argc, char** argv) {
  return chipmunk::updater::runMain(argc, argv);
}
