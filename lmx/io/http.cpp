// SPDX-License-Identifier: MIT
#include "lmx/io/http.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace lmx::io {
namespace {

constexpr size_t kMaxBodyInMemory = size_t{64} << 20;

struct Transfer {
  const HttpRequest* req;
  CURL* curl;
  HttpResponse* res;
  bool decided = false;  // whether the body destination was chosen
  bool to_file = false;
  uint64_t offset = 0;  // file position of the next byte
  std::string write_error = {};
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    t->res->headers.clear();  // a new response (after a redirect or a 100 Continue)
  } else if (auto colon = line.find(':'); colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    t->res->headers[name] = line.substr(v);
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (!t->decided) {
    t->decided = true;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->req->fd >= 0 && (status == 200 || status == 206)) {
      t->to_file = true;
      // A 200 answer to a range request is the whole file: start over.
      t->offset = status == 206 ? t->req->resume_from : 0;
      if (status == 200 && ::ftruncate(t->req->fd, 0) != 0) {
        t->write_error = std::strerror(errno);
        return 0;
      }
    }
  }
  if (!t->to_file) {
    if (t->res->body.size() + len > kMaxBodyInMemory) return 0;
    t->res->body.append(data, len);
    return len;
  }
  size_t done = 0;
  while (done < len) {
    ssize_t w = ::pwrite(t->req->fd, data + done, len - done, static_cast<off_t>(t->offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      t->write_error = std::strerror(errno);
      return 0;  // makes curl fail with CURLE_WRITE_ERROR
    }
    done += static_cast<size_t>(w);
    t->offset += static_cast<uint64_t>(w);
    t->res->written += static_cast<uint64_t>(w);
  }
  return len;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->req->progress && t->to_file) {
    const uint64_t base = t->offset - t->res->written;  // where this transfer started
    t->req->progress(base + static_cast<uint64_t>(dlnow),
                     dltotal > 0 ? base + static_cast<uint64_t>(dltotal) : 0);
  }
  return 0;
}

bool is_transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

}  // namespace

HttpResponse http_request(const HttpRequest& req) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResponse res;
  CURL* curl = curl_easy_init();
  if (!curl) {
    res.error = "curl_easy_init failed";
    return res;
  }
  Transfer t{&req, curl, &res};
  curl_slist* headers = nullptr;
  for (const std::string& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  const std::string user_agent = "lmx/0.1 (libcurl)";
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOBODY, req.head ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, req.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, req.stall_timeout_s);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const std::string range = fmt::format("{}-", req.resume_from);
  if (req.resume_from > 0 && !req.head) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res.status);
  if (code != CURLE_OK) {
    if (!t.write_error.empty()) {
      res.error = "cannot write the download: " + t.write_error;
    } else {
      res.error = errbuf[0] ? errbuf : curl_easy_strerror(code);
      res.transient = is_transient(code);
    }
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return res;
}

std::string url_quote(const std::string& s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace lmx::io
