// SPDX-License-Identifier: MIT
// Transitional: the request-head checks and the url-decoder moved to api/http_wire.hpp.
// api/service.cpp (being split into route files by another change of issue #12) still
// includes this name; once those files include api/http_wire.hpp, delete this header.
#pragma once

#include "api/http_wire.hpp"
