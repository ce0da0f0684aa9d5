// SPDX-License-Identifier: MIT
#pragma once

// What HttpClient (client.cpp) asks of its two transports; internal to providers/http/.

#include "providers/http/client.hpp"

namespace chipmunk::providers::http {

// True when the process-wide interrupt check (setInterruptCheck) or the options' own cancel
// flag says to abandon the transfer.
bool interrupted(const HttpOptions& options);
// True when either can ever say so (libcurl then polls through a progress callback).
bool interruptible(const HttpOptions& options);

// http://: HTTP/1.1 over a socket of our own, one request per connection
// (plain_transport.cpp).
HttpResponse performPlain(const HttpOptions& options, const HttpRequest& request);

// https://: libcurl, loaded on first use (curl_transport.cpp). `handle` is the CURL* easy
// handle, made on first use and kept so that its connections are reused.
HttpResponse performCurl(const HttpOptions& options, const HttpRequest& request, void*& handle);
// Frees a handle performCurl() made (nullptr: nothing to do).
void releaseCurl(void* handle);

}  // namespace chipmunk::providers::http
