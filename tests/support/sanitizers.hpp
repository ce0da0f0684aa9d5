// SPDX-License-Identifier: MIT
#pragma once

// CHIPMUNK_TEST_ASAN: 1 when the tests are built with AddressSanitizer (gcc says so with
// __SANITIZE_ADDRESS__, clang with __has_feature), else 0. For the few bounds that the
// sanitizer's own cost or memory would make meaningless.
#if defined(__SANITIZE_ADDRESS__)
#define CHIPMUNK_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHIPMUNK_TEST_ASAN 1
#endif
#endif
#ifndef CHIPMUNK_TEST_ASAN
#define CHIPMUNK_TEST_ASAN 0
#endif
