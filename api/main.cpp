// SPDX-License-Identifier: MIT
// chipmunk-api: tells callers their public IP and remembers it per user.
#include "api/app.hpp"

int main(int argc, char** argv) {
  return chipmunk::api::runMain(argc, argv);
}
