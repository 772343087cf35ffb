#include "aws/http.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "util/ascii.h"

namespace barrage::aws {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    r->headers.clear();  // a new response (after 100 Continue or a redirect)
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  r->headers.push_back({std::string(ascii::trim_ows(line.substr(0, colon))),
                        std::string(ascii::trim_ows(line.substr(colon + 1)))});
  auto& v = r->headers.back().value;
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
  return size * n;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string_view HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (ascii::iequals(h.name, name)) return h.value;
  }
  return {};
}

CurlTransport::CurlTransport() {
  global_init();
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw std::runtime_error("libcurl: curl_easy_init failed");
}

CurlTransport::~CurlTransport() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string ca_bundle_path(const std::function<const char*(const char*)>& getenv_fn,
                           const std::function<bool(const std::string&)>& exists_fn) {
  for (const char* var : {"AWS_CA_BUNDLE", "SSL_CERT_FILE"}) {
    const char* v = getenv_fn(var);
    if (v != nullptr && *v != '\0') return v;
  }
  for (const char* path : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                           "/etc/ssl/cert.pem"}) {
    if (exists_fn(path)) return path;
  }
  return {};
}

HttpResponse CurlTransport::send(const HttpRequest& request) {
  static const std::string ca_bundle =
      ca_bundle_path([](const char* name) { return std::getenv(name); },
                     [](const std::string& path) { return ::access(path.c_str(), R_OK) == 0; });
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  if (!ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_bundle.c_str());
  HttpResponse response;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& h : request.headers) {
    const std::string line = h.value.empty() ? h.name + ";" : h.name + ": " + h.value;
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  // No "Expect: 100-continue" round trip for large bodies; curl's default
  // Accept header stays out of the signed set by being removed.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  headers.reset(curl_slist_append(headers.release(), "Accept:"));

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "barrage");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    // Sends Content-Length (0 included, which S3 wants on an empty PUT).
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    bool has_type = false;
    for (const auto& h : request.headers)
      has_type = has_type || ascii::iequals(h.name, "Content-Type");
    if (!has_type) {
      // No form content type that the caller did not ask for.
      headers.reset(curl_slist_append(headers.release(), "Content-Type:"));
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    }
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    response.status = 0;
    response.body.clear();
    response.error = curl_easy_strerror(rc);
    response.not_sent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                        rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_SSL_CONNECT_ERROR;
    return response;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

std::shared_ptr<Transport> make_curl_transport() { return std::make_shared<CurlTransport>(); }

}  // namespace barrage::aws
