// SPDX-License-Identifier: MIT
// A small blocking HTTP(S) client over libcurl, for the Hub download.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lmx::io {

// One request. The body goes to `fd` (written from `resume_from` on, or from 0 when the
// server ignores the range) when the final status is 200 or 206, else into the response.
struct HttpRequest {
  std::string url;
  bool head = false;                 // HEAD instead of GET
  std::vector<std::string> headers;  // "Name: value" lines
  bool follow_redirects = true;
  uint64_t resume_from = 0;  // > 0 sends "Range: bytes=N-"
  int fd = -1;               // where a successful body goes; -1: into HttpResponse::body
  // Called with (bytes of the body so far incl. resume_from, total or 0 when unknown).
  std::function<void(uint64_t, uint64_t)> progress = nullptr;
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;  // abort when under 1 byte/s for this long
};

// The outcome. `error` is non-empty when the transfer itself failed (no connection, reset,
// timeout, disk full); then `transient` says whether a retry may help.
struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, of the final response
  std::string body;                            // when not written to a file (capped)
  uint64_t written = 0;                        // bytes written to fd by this request
  std::string error;
  bool transient = false;
};

// Performs `req`; never throws for network trouble (see HttpResponse::error). Thread-safe.
HttpResponse http_request(const HttpRequest& req);

// Percent-encodes `s` for a URL path; '/' is kept when `keep_slash`.
std::string url_quote(const std::string& s, bool keep_slash);

}  // namespace lmx::io
